/**
 * A fake `nft` for unit tests of the owner: keeps the owned table as the JSON
 * nft would print for it, built from the scripts applied (only the subset the
 * owner writes: add/delete table, then the table block).
 */
import type { NftablesApi } from '../../../../src/os/nftables.js';

export class FakeNft implements NftablesApi {
  /** The table's JSON listing, or null when absent. */
  json: string | null = null;
  readonly scripts: string[] = [];
  readonly calls: string[] = [];
  failApply: Error | null = null;
  failRead: Error | null = null;

  readTable(family: string, name: string): Promise<string | null> {
    this.calls.push(`list ${family} ${name}`);
    if (this.failRead) return Promise.reject(this.failRead);
    return Promise.resolve(this.json);
  }

  apply(script: string): Promise<void> {
    this.calls.push('apply');
    if (this.failApply) return Promise.reject(this.failApply);
    this.scripts.push(script);
    this.json = FakeNft.listing(script);
    return Promise.resolve();
  }

  /** The JSON nft prints for the table a script leaves behind (null: none). */
  static listing(script: string): string | null {
    const block = script.slice(script.indexOf('table inet lvs_ha {'));
    if (!script.includes('table inet lvs_ha {')) return null;
    const items: unknown[] = [{ metainfo: { version: '1.0.6' } }, { table: { family: 'inet', name: 'lvs_ha', handle: 1 } }];
    let chain = '';
    let handle = 2;
    for (const raw of block.split('\n')) {
      const line = raw.trim();
      const c = /^chain (\S+) \{$/.exec(line);
      if (c) {
        chain = c[1] ?? '';
        items.push({ chain: { family: 'inet', table: 'lvs_ha', name: chain, handle: handle++ } });
        continue;
      }
      const b = /^type (\S+) hook (\S+) priority (-?\d+); policy (\S+);$/.exec(line);
      if (b) {
        const last = items[items.length - 1] as { chain: Record<string, unknown> };
        Object.assign(last.chain, { type: b[1], hook: b[2], prio: Number(b[3]), policy: b[4] });
        continue;
      }
      const r = /comment "([^"]*)"$/.exec(line);
      if (r) items.push({ rule: { family: 'inet', table: 'lvs_ha', chain, handle: handle++, comment: r[1], expr: [] } });
    }
    return JSON.stringify({ nftables: items });
  }
}
