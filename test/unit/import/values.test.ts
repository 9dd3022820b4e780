import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { importKeepalived } from '../../../src/import/convert.js';
import { memorySourceFs, nodeSourceFs } from '../../../src/import/source.js';
import { didYouMean, durationText, editDistance, placeholderKind, secondsToMs, splitArgv, toName } from '../../../src/import/values.js';

const tmp = mkdtempSync(join(tmpdir(), 'lvsha-import-values-'));
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

describe('splitArgv', () => {
  it('splits on whitespace, honouring single and double quotes and backslashes', () => {
    expect(splitArgv('/usr/bin/x  a "b c" \'d "e"\' f\\ g ""')).toEqual({ argv: ['/usr/bin/x', 'a', 'b c', 'd "e"', 'f g', ''], shell: false });
  });

  it('flags unquoted shell syntax but not the same characters inside quotes', () => {
    expect(splitArgv('</dev/tcp/127.0.0.1/80').shell).toBe(true);
    expect(splitArgv('/bin/check | grep ok').shell).toBe(true);
    expect(splitArgv('/bin/check $HOME').shell).toBe(true);
    expect(splitArgv('/bin/check "a|b" \'$x\'').shell).toBe(false);
  });
});

describe('numbers and names', () => {
  it('reads fractional seconds as whole milliseconds and refuses non-numbers', () => {
    expect(secondsToMs('0.92')).toBe(920);
    expect(secondsToMs('3')).toBe(3000);
    expect(secondsToMs('-1')).toBeNull();
    expect(secondsToMs('1s')).toBeNull();
  });

  it('renders durations with the largest exact unit', () => {
    expect([durationText(500), durationText(2000), durationText(120_000), durationText(3_600_000)]).toEqual(['500ms', '2s', '2m', '1h']);
  });

  it('keeps valid names and rewrites the others', () => {
    expect(toName('VI_1')).toBe('VI_1');
    expect(toName('vi 1/x')).toBe('vi_1_x');
    expect(toName('_x')).toBe('x_x');
  });
});

describe('reading files', () => {
  it('reads a gzip-compressed configuration', () => {
    const path = join(tmp, 'keepalived.conf.gz');
    writeFileSync(path, gzipSync('global_defs {\n router_id gz\n}\n'));
    const r = importKeepalived(path, nodeSourceFs, { defaultNode: 'n', outputName: 'o' });
    expect(r.ok && r.validation.ok).toBe(true);
    expect(r.ok && r.yaml).toMatch(/^node: gz$/m);
  });

  it('warns about unknown keywords (a misspelling is not silently ignored)', () => {
    const file = '/k.conf';
    const r = importKeepalived(file, memorySourceFs({ [file]: 'global_defs {\n router_id a\n rotuer_id b\n}\n' }), { defaultNode: 'n', outputName: 'o' });
    expect(r.ok && r.warnings.map((w) => `${w.loc.line}:${w.loc.column} ${w.message}`)).toEqual([
      '0:0 nothing was converted: no vrrp_instance and no virtual_server (is this the right file? its includes may not match)',
      `3:2 global_defs 'rotuer_id': Keepalived 2.2.7 does not know this keyword in global_defs (it logs "Unknown keyword" and ignores the line, so its default applies); so does the conversion; did you mean 'router_id'?`,
    ]);
  });

  it('recognises template placeholders, and only those', () => {
    for (const p of ['{{ VIP }}', '{{VIP}}/24', '{% if x %}', '${vip}', '$LAN_IP', '<ip>', '__VIRTUAL_IP__', '%VIP%', '@VIP@']) expect(placeholderKind(p), p).not.toBeNull();
    for (const v of ['10.0.0.1', '10.0.0.1/24', 'eth0', 'VI_1', '/usr/bin/check', 'fe80::1', 'a$', '_x_']) expect(placeholderKind(v), v).toBeNull();
  });

  it('suggests the nearest keyword of the block for a misspelling', () => {
    expect(editDistance('priorty', 'priority')).toBe(1);
    expect(didYouMean('vrrp_instance', 'priorty')).toBe('priority');
    expect(didYouMean('vrrp_instance', 'virtual_ipadress')).toBe('virtual_ipaddress');
    expect(didYouMean('global_defs', 'rotuer_id')).toBe('router_id');
    expect(didYouMean('vrrp_instance', 'completely_different')).toBeNull();
  });
});
