import { readFileSync } from 'node:fs';
import { KEEPALIVED_KEYWORDS } from '../../../src/import/keepalived-keywords.js';
import { describe, expect, it } from 'vitest';
import { topHandlers } from '../../../src/import/convert.js';
import { checkerHandlers, urlHandlers } from '../../../src/import/map-check.js';
import { globalHandlers } from '../../../src/import/map-global.js';
import { instanceHandlers, scriptHandlers, processHandlers, fileHandlers } from '../../../src/import/map-instance.js';
import { syncGroupHandlers } from '../../../src/import/map-vrrp.js';
import { rsHandlers, vsHandlers } from '../../../src/import/map-vs.js';
import { type Context, MAPPING, renderMappingTable } from '../../../src/import/mapping.js';
import { Collector } from '../../../src/import/values.js';

const DOC = new URL('../../../docs/migration.md', import.meta.url);

function docTable(): string {
  const text = readFileSync(DOC, 'utf8');
  const begin = text.indexOf('<!-- BEGIN mapping table');
  const end = text.indexOf('<!-- END mapping table -->');
  expect(begin).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(begin);
  return text.slice(text.indexOf('\n', begin) + 1, end);
}

describe('docs/migration.md mapping table', () => {
  it('is exactly the table rendered from the converter mapping list', () => {
    expect(docTable()).toBe(renderMappingTable());
  });

  it('has one row per mapping entry, and the check would notice a missing row', () => {
    const rows = docTable().split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Keepalived block'));
    expect(rows).toHaveLength(MAPPING.length);
    const withoutOne = renderMappingTable().replace(/^\| url \| `digest` .*\n/m, '');
    expect(withoutOne).not.toBe(renderMappingTable());
  });
});

describe('the mapping list and the converter agree', () => {
  const cx = new Collector();
  const handlers: Readonly<Record<Context, Readonly<Record<string, unknown>>>> = {
    top: topHandlers(cx),
    global_defs: globalHandlers(cx),
    vrrp_script: scriptHandlers(cx),
    vrrp_track_process: processHandlers(cx),
    track_file: fileHandlers(cx),
    vrrp_instance: instanceHandlers(cx),
    vrrp_sync_group: syncGroupHandlers(),
    virtual_server: vsHandlers(cx),
    real_server: rsHandlers(cx),
    checker: checkerHandlers(cx),
    url: urlHandlers(cx),
  };

  it.each(Object.keys(handlers) as Context[])('%s: every converted keyword has a handler and every handler a row', (context) => {
    const listed = MAPPING.filter((r) => r.context === context && r.kind !== 'dropped').map((r) => r.keyword).sort();
    expect(Object.keys(handlers[context]).sort()).toEqual(listed);
  });

  it('converts only keywords Keepalived 2.2.7 accepts in that block (measured by the keyword probe); the others are ignored, as Keepalived does', () => {
    const blocks: Readonly<Record<string, readonly string[]>> = { checker: ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK'] };
    for (const r of MAPPING.filter((m) => m.kind !== 'dropped')) {
      const accepting = (blocks[r.context] ?? [r.context]).filter((b) => KEEPALIVED_KEYWORDS[b]?.includes(r.keyword));
      expect(accepting.length, `${r.context} ${r.keyword}`).toBeGreaterThan(0);
    }
    expect(KEEPALIVED_KEYWORDS.global_defs).toContain('max_auto_priority');
    expect(KEEPALIVED_KEYWORDS.vrrp_instance).not.toContain('no_preempt');
  });

  it('has no duplicate rows and a note for every dropped keyword that needs one', () => {
    const keys = MAPPING.map((r) => `${r.context} ${r.keyword}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of MAPPING) if (r.kind !== 'dropped') expect(r.target === '' && r.note === '').toBe(false);
  });
});
