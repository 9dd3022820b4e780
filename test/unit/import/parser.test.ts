import { describe, expect, it } from 'vitest';
import { parseKeepalived, type ParseResult } from '../../../src/import/parser.js';
import { expandGlob, memorySourceFs } from '../../../src/import/source.js';
import type { Stmt } from '../../../src/import/types.js';

function parse(files: Record<string, string>, configId: string | null = null, main = '/etc/keepalived/keepalived.conf'): ParseResult {
  return parseKeepalived(main, memorySourceFs(files), { configId });
}

function ok(r: ParseResult): readonly Stmt[] {
  if (!r.ok) expect.fail(`expected a parse, got ${r.error.loc.line}:${r.error.loc.column} ${r.error.message}`);
  return r.stmts;
}

/** Statements as compact text, for easy comparison: keyword args {children}. */
function show(stmts: readonly Stmt[]): string[] {
  return stmts.map((s) => [s.keyword, ...s.args].join(' ') + (s.block ? ` { ${show(s.block).join('; ')} }` : ''));
}

const MAIN = '/etc/keepalived/keepalived.conf';

describe('blocks', () => {
  it('nests blocks, with braces attached, alone on a line, or on the next line', () => {
    const text = [
      'vrrp_instance VI_1 {',
      '  interface eth0',
      '  virtual_ipaddress { 10.0.0.1/24 10.0.0.2 }',
      '  track_interface',
      '  {',
      '    eth1 weight -10',
      '  }',
      '}',
      'virtual_server 10.0.0.1 80{real_server 10.0.1.1 80 {weight 2}}',
    ].join('\n');
    expect(show(ok(parse({ [MAIN]: text })))).toEqual([
      'vrrp_instance VI_1 { interface eth0; virtual_ipaddress { 10.0.0.1/24 10.0.0.2 }; track_interface { eth1 weight -10 } }',
      'virtual_server 10.0.0.1 80 { real_server 10.0.1.1 80 { weight 2 } }',
    ]);
  });

  it('records file, line and column of every statement', () => {
    const stmts = ok(parse({ [MAIN]: '\n\nglobal_defs {\n    router_id a\n}\n' }));
    expect(stmts[0]?.loc).toEqual({ file: MAIN, line: 3, column: 1 });
    expect(stmts[0]?.block?.[0]?.loc).toEqual({ file: MAIN, line: 4, column: 5 });
  });

  it('reports an unclosed block at its opening brace', () => {
    const r = parse({ [MAIN]: 'global_defs {\n  router_id a\nvrrp_instance X {\n}\n' });
    expect(r).toMatchObject({ ok: false, error: { loc: { file: MAIN, line: 1, column: 13 }, message: expect.stringContaining('never closed') as unknown } });
  });

  it("reports a stray '}' and a '{' without keyword", () => {
    expect(parse({ [MAIN]: 'a 1\n  }\n' })).toMatchObject({ ok: false, error: { loc: { line: 2, column: 3 }, message: expect.stringContaining("unexpected '}'") as unknown } });
    expect(parse({ [MAIN]: 'a {\n{ b }\n}' })).toMatchObject({ ok: false, error: { loc: { line: 2, column: 1 } } });
  });
});

describe('comments and quotes', () => {
  it('drops # and ! comments anywhere on a line, but not inside quotes', () => {
    const text = '! header\n# another\nrouter_id a # trailing\ninhibit_on_failure        ! set weight to 0\nscript "killall -0 #x !y"\n';
    expect(show(ok(parse({ [MAIN]: text })))).toEqual(['router_id a', 'inhibit_on_failure', 'script killall -0 #x !y']);
  });

  it('keeps a quoted string as one argument, braces included', () => {
    const stmts = ok(parse({ [MAIN]: 'notify_master "/usr/bin/x {a} b"  c\n' }));
    expect(stmts[0]?.args).toEqual(['/usr/bin/x {a} b', 'c']);
  });

  it('reports an unterminated quote at the quote', () => {
    expect(parse({ [MAIN]: 'a\n  script "/bin/true\n' })).toMatchObject({ ok: false, error: { loc: { file: MAIN, line: 2, column: 10 }, message: expect.stringContaining('unterminated') as unknown } });
  });
});

describe('include', () => {
  it('includes files matching a glob relative to the including file, sorted, at the point of the include', () => {
    const files = {
      [MAIN]: 'first 1\ninclude conf.d/*.conf\nlast 1\n',
      '/etc/keepalived/conf.d/b.conf': 'b 1\n',
      '/etc/keepalived/conf.d/a.conf': 'a 1\ninclude ../sub/x.conf\n',
      '/etc/keepalived/conf.d/c.txt': 'not included\n',
      '/etc/keepalived/conf.d/.hidden.conf': 'hidden\n',
      '/etc/keepalived/sub/x.conf': 'x 1\n',
    };
    const stmts = ok(parse(files));
    expect(show(stmts)).toEqual(['first 1', 'a 1', 'x 1', 'b 1', 'last 1']);
    expect(stmts[2]?.loc).toEqual({ file: '/etc/keepalived/sub/x.conf', line: 1, column: 1 });
  });

  it('lets a block span an include, like Keepalived', () => {
    const files = { [MAIN]: 'global_defs {\ninclude inner.conf\n}\n', '/etc/keepalived/inner.conf': 'router_id r1\n' };
    expect(show(ok(parse(files)))).toEqual(['global_defs { router_id r1 }']);
  });

  it('warns (does not fail) when a glob matches nothing', () => {
    const r = parse({ [MAIN]: 'include /nowhere/*.conf\na 1\n' });
    expect(r.ok && r.warnings.map((w) => w.message)).toEqual([expect.stringContaining('no file matches')]);
  });

  it('refuses an include loop with its location', () => {
    const files = { [MAIN]: 'include other.conf\n', '/etc/keepalived/other.conf': 'a 1\n  include keepalived.conf\n' };
    expect(parse(files)).toMatchObject({ ok: false, error: { loc: { file: '/etc/keepalived/other.conf', line: 2, column: 3 }, message: expect.stringContaining('include loop') as unknown } });
  });

  it('reports an unreadable main file', () => {
    expect(parse({}, null, '/missing.conf')).toMatchObject({ ok: false, error: { loc: { file: '/missing.conf', line: 0 }, message: expect.stringContaining('cannot read') as unknown } });
  });

  it('expands character classes and ? in globs', () => {
    const fs = memorySourceFs({ '/d/a1.conf': '', '/d/a2.conf': '', '/d/b1.conf': '', '/d/a10.conf': '' });
    expect(expandGlob(fs, '/d/a[12].conf')).toEqual(['/d/a1.conf', '/d/a2.conf']);
    expect(expandGlob(fs, '/d/?1.conf')).toEqual(['/d/a1.conf', '/d/b1.conf']);
    expect(expandGlob(fs, '/d/a[!1].conf')).toEqual(['/d/a2.conf']);
  });
});

describe('@ conditionals', () => {
  const text = '@high priority 170\n@low priority 85\n@^high weight 1\nrouter_id r\n';

  it('keeps @id lines for the matching config id and @^id lines for the others', () => {
    expect(show(ok(parse({ [MAIN]: text }, 'high')))).toEqual(['priority 170', 'router_id r']);
    expect(show(ok(parse({ [MAIN]: text }, 'low')))).toEqual(['priority 85', 'weight 1', 'router_id r']);
  });

  it('drops every @id line without a config id, and counts them', () => {
    const r = parse({ [MAIN]: text }, null);
    expect(show(ok(r))).toEqual(['weight 1', 'router_id r']);
    expect(r.ok && r.droppedConditionals).toBe(2);
  });
});

describe('$ definitions', () => {
  it('substitutes $NAME before whitespace and ${NAME} anywhere, at use time, recursively', () => {
    const text = [
      '$BASE=10.2.${SUB}',
      '$SUB=0',
      'a ${BASE}.100/32',
      '$SUB=10',
      'a ${BASE}.100/32',
      '$PRIO=240',
      'priority $PRIO',
      'keep $UNDEFINED ${ALSO_UNDEFINED}x',
    ].join('\n');
    expect(show(ok(parse({ [MAIN]: text })))).toEqual(['a 10.2.0.100/32', 'a 10.2.10.100/32', 'priority 240', 'keep $UNDEFINED ${ALSO_UNDEFINED}x']);
  });

  it('combines with conditionals in both orders', () => {
    const text = '@main $P=240\n@backup $P=200\npriority $P\n$IF_MAIN=@main\n$IF_MAIN weight 3\n';
    expect(show(ok(parse({ [MAIN]: text }, 'main')))).toEqual(['priority 240', 'weight 3']);
    expect(show(ok(parse({ [MAIN]: text }, 'backup')))).toEqual(['priority 200']);
  });

  it('expands multi-line definitions into several lines, located at the use', () => {
    const text = '$VI= \\\nvrrp_instance VI_${N} { \\\n  virtual_router_id ${N} \\\n}\n$N=1\n$VI\n$N=2\n$VI\n';
    const stmts = ok(parse({ [MAIN]: text }));
    expect(show(stmts)).toEqual(['vrrp_instance VI_1 { virtual_router_id 1 }', 'vrrp_instance VI_2 { virtual_router_id 2 }']);
    expect(stmts[1]?.loc.line).toBe(8);
  });

  it('refuses a definition that refers to itself, with its line', () => {
    expect(parse({ [MAIN]: '$A=x ${A}\n\nuse ${A}\n' })).toMatchObject({ ok: false, error: { loc: { line: 3 }, message: expect.stringContaining('does not terminate') as unknown } });
  });
});
