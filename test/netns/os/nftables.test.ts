/**
 * The nftables owner against the real `nft` (Debian's nftables) in a namespace
 * of the host kernel: the table is created, read back in sync (nft's own JSON
 * carries our rule comments back), left alone when in sync, repaired after a
 * hand deletion or a hand-added rule, removed when nothing is wanted; a table
 * of another owner is never touched. (The SNAT path itself needs IPVS: see
 * test/kernel/fullnat.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { desiredNftTable } from '../../../src/lvs/nft/desired.js';
import { NftOwner, planOwnedTable } from '../../../src/lvs/nft/owner.js';
import { nftables } from '../../../src/os/nftables.js';
import { NetnsLab, removeLeftovers } from '../../helpers/netns.js';
import { valid, withVirtualServer } from '../../unit/config/helpers.js';

const PREFIX = 'lvfn';
const config = valid(withVirtualServer(
  'address: 192.0.2.10\nport: 80\nforwarding: fullnat\nfullnat: { local_addresses: [10.0.2.1, 10.0.2.2], interface: eth2 }',
  '- { address: 10.20.0.11, port: 8080 }\n- { address: 10.20.0.12, port: 8080 }',
));
const DESIRED = desiredNftTable(config);
const OTHER = 'table inet theirs {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 22 counter accept\n }\n}\n';

let lab: NetnsLab;
let ns = '';

function nft(args: readonly string[]): string {
  const r = lab.exec(ns, ['nft', ...args], 10_000);
  if (r.status !== 0) throw new Error(`nft ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  removeLeftovers(PREFIX);
  lab = new NetnsLab(PREFIX);
  ns = lab.addNamespace('d');
  const r = lab.exec(ns, ['sh', '-c', `printf '%s' '${OTHER}' | nft -f -`]);
  if (r.status !== 0) throw new Error(r.stderr);
});
afterAll(() => { lab.destroy(); });

describe('nftables owner with the real nft', () => {
  test('create, in sync, repair, remove; the other owner\'s table never changes', async () => {
    const api = nftables('ip', ['netns', 'exec', ns, 'nft']);
    const errors: string[] = [];
    const owner = new NftOwner(api, new FakeClock(), silentLogger(), (_k, m) => errors.push(m));
    const theirs = nft(['-j', 'list', 'table', 'inet', 'theirs']);

    expect(await planOwnedTable(api, DESIRED)).toHaveLength(3); // table, chain, rule
    expect(await owner.apply(DESIRED)).toBe(0);
    expect(errors).toEqual([]);
    const listed = nft(['list', 'table', 'inet', 'lvs_ha']);
    expect(listed).toContain('type nat hook postrouting priority srcnat; policy accept;');
    expect(listed).toContain('ct original ip daddr 192.0.2.10 ct original proto-dst 80 ip daddr { 10.20.0.11, 10.20.0.12 } oifname "eth2" snat ip to numgen inc mod 2 map { 0 : 10.0.2.1, 1 : 10.0.2.2 } comment "fullnat http #');

    // What nft prints back is in sync: a second run (a restart) writes nothing.
    expect(await planOwnedTable(api, DESIRED)).toEqual([]);
    expect(await owner.apply(DESIRED)).toBe(0);
    expect(owner.status().applies).toBe(1);

    // Hand-added rule: drift, removed on the next run.
    nft(['add', 'rule', 'inet', 'lvs_ha', 'fullnat_snat', 'ip', 'daddr', '10.9.9.9', 'masquerade']);
    expect((await planOwnedTable(api, DESIRED)).map((c) => c.kind)).toEqual(['delete-rule']);
    expect(await owner.apply(DESIRED)).toBe(0);
    expect(nft(['list', 'table', 'inet', 'lvs_ha'])).not.toContain('10.9.9.9');

    // Deleted by hand: put back.
    nft(['delete', 'table', 'inet', 'lvs_ha']);
    expect((await planOwnedTable(api, DESIRED)).map((c) => c.kind)).toEqual(['add-table', 'add-chain', 'add-rule']);
    expect(await owner.apply(DESIRED)).toBe(0);
    expect(await planOwnedTable(api, DESIRED)).toEqual([]);
    expect(owner.status()).toMatchObject({ state: 'in_sync', applies: 3 });

    // Nothing wanted any more (fullnat removed from the config): the table goes.
    expect(await owner.apply({ chains: [] })).toBe(0);
    expect(lab.exec(ns, ['nft', 'list', 'table', 'inet', 'lvs_ha']).status).not.toBe(0);
    expect(await planOwnedTable(api, { chains: [] })).toEqual([]);

    expect(nft(['-j', 'list', 'table', 'inet', 'theirs'])).toBe(theirs);
    expect(errors).toEqual([]);
  });

  test('a script nft refuses changes nothing and is reported with nft\'s reason', async () => {
    const api = nftables('ip', ['netns', 'exec', ns, 'nft']);
    const errors: string[] = [];
    const owner = new NftOwner(api, new FakeClock(), silentLogger(), (_k, m) => errors.push(m));
    expect(await owner.apply(DESIRED)).toBe(0);
    const before = nft(['list', 'table', 'inet', 'lvs_ha']);
    const bad = { chains: [{ name: 'fullnat_snat', base: DESIRED.chains[0]?.base ?? null, rules: [{ id: 'bad', text: 'ip daddr 10.0.0.1 snat ip to nonsense-address' }] }] };
    expect(await owner.apply(bad)).toBe(1);
    expect(errors[0]).toMatch(/nftables table inet lvs_ha: nft -f -: exit 1/);
    // The transaction was refused whole: the old table is still there, unchanged.
    expect(nft(['list', 'table', 'inet', 'lvs_ha'])).toBe(before);
  });
});

describe('nftables adapter errors', () => {
  test('a missing nft binary is an error that names the package and keeps ENOENT', async () => {
    const api = nftables('/nonexistent/nft');
    const err = await api.readTable('inet', 'lvs_ha').then(() => null, (e: unknown) => e);
    expect(String(err)).toMatch(/is Debian's nftables package installed\?/);
    expect((err as { errno?: string }).errno).toBe('ENOENT');
  });
});
