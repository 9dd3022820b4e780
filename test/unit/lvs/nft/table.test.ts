/** The owned nftables table: parse nft's JSON, diff, render; fullnat's SNAT rules from the config. */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/log.js';
import { fullnatRule, needsIpvsConntrack } from '../../../../src/lvs/nft/fullnat.js';
import { desiredNftTable } from '../../../../src/lvs/nft/desired.js';
import { NftOwner } from '../../../../src/lvs/nft/owner.js';
import {
  diffNftTable, nftApplyScript, parseNftJson, renderNftChanges, ruleComment, type NftTableSpec,
} from '../../../../src/lvs/nft/table.js';
import { desiredStateFor } from '../../../../src/lvs/reconcile-desired.js';
import { valid, withVirtualServer } from '../../config/helpers.js';
import { FakeNft } from './fake-nft.js';

const FULLNAT = withVirtualServer(
  'address: 192.0.2.10\nport: 80\nforwarding: fullnat\nfullnat: { local_addresses: [10.0.2.1], interface: eth2 }\nsorry_server: { address: 10.20.0.99 }',
  '- { address: 10.20.0.11, port: 8080 }\n- { address: 10.20.0.12, port: 8080 }',
);
const config = valid(FULLNAT);
const DESIRED = desiredNftTable(config);

function firstVs(c: typeof config) {
  const vs = c.virtualServers[0];
  if (!vs) throw new Error('no virtual server');
  return vs;
}

/** The JSON `nft -j list table inet lvs_ha` printed on Debian 12 (nftables 1.0.6) for a rule like ours. */
const REAL_LISTING = JSON.stringify({ nftables: [
  { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
  { table: { family: 'inet', name: 'lvs_ha', handle: 1 } },
  { chain: { family: 'inet', table: 'lvs_ha', name: 'fullnat_snat', handle: 1, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
  { rule: { family: 'inet', table: 'lvs_ha', chain: 'fullnat_snat', handle: 3, comment: 'x', expr: [{ snat: { family: 'ip', addr: '10.0.2.1' } }] } },
  { rule: { family: 'inet', table: 'lvs_ha', chain: 'fullnat_snat', handle: 4, expr: [] } },
  { set: { family: 'inet', name: 'junk', table: 'lvs_ha', type: 'ipv4_addr', handle: 5 } },
] });

describe('fullnat SNAT rules', () => {
  test('one rule per fullnat service: original destination, every real server and the sorry server, interface, LIP', () => {
    expect(fullnatRule(firstVs(config))).toEqual({
      id: 'fullnat http',
      text: 'meta l4proto tcp ct original ip daddr 192.0.2.10 ct original proto-dst 80 ip daddr { 10.20.0.11, 10.20.0.12, 10.20.0.99 } oifname "eth2" snat ip to 10.0.2.1',
    });
    expect(DESIRED.chains).toHaveLength(1);
    expect(DESIRED.chains[0]).toMatchObject({ name: 'fullnat_snat', base: { type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' } });
    expect(needsIpvsConntrack(config)).toBe(true);
  });

  test('several LIPs are taken in turn; IPv6 uses ip6; port 0 matches every port', () => {
    const two = valid(withVirtualServer('address: 192.0.2.10\nport: 0\npersistence: {}\nforwarding: fullnat\nfullnat: { local_addresses: [10.0.2.1, 10.0.2.2] }'));
    expect(fullnatRule(firstVs(two))?.text).toBe('meta l4proto tcp ct original ip daddr 192.0.2.10 ip daddr { 10.0.0.11 } snat ip to numgen inc mod 2 map { 0 : 10.0.2.1, 1 : 10.0.2.2 }');
    const v6 = valid(withVirtualServer('address: "2001:db8::10"\nport: 443\nprotocol: sctp\nforwarding: fullnat\nfullnat: { local_addresses: ["2001:db8:2::1"] }', '- { address: "2001:db8:3::11" }'));
    expect(fullnatRule(firstVs(v6))?.text).toBe('meta l4proto sctp ct original ip6 daddr 2001:db8::10 ct original proto-dst 443 ip6 daddr { 2001:db8:3::11 } snat ip6 to 2001:db8:2::1');
  });

  test('without fullnat services: no chain (the table is not wanted), conntrack left alone', () => {
    const plain = valid(withVirtualServer('address: 192.0.2.10\nport: 80\nforwarding: nat'));
    expect(desiredNftTable(plain)).toEqual({ chains: [] });
    expect(needsIpvsConntrack(plain)).toBe(false);
    expect(desiredStateFor({ config: plain }, { services: [] }).sysctls).toEqual([]);
    expect(desiredStateFor({ config }, { services: [] }).sysctls).toEqual([{ name: 'conntrack', value: 1 }]);
  });
});

describe('diff and script', () => {
  test('absent table: created whole in one transaction that starts from a clean table', () => {
    const changes = diffNftTable(null, DESIRED);
    expect(changes.map((c) => c.kind)).toEqual(['add-table', 'add-chain', 'add-rule']);
    const script = nftApplyScript(DESIRED);
    expect(script.split('\n').slice(0, 3)).toEqual(['add table inet lvs_ha', 'delete table inet lvs_ha', 'table inet lvs_ha {']);
    expect(script).toContain('type nat hook postrouting priority 100; policy accept;');
    expect(script).toContain(`comment "${ruleComment(DESIRED.chains[0]?.rules[0] ?? { id: '', text: '' })}"`);
    expect(renderNftChanges(changes)).toContain('+ nft rule fullnat_snat fullnat http: meta l4proto tcp');
  });

  test('the table as applied is in sync (a restart changes nothing)', () => {
    const listing = FakeNft.listing(nftApplyScript(DESIRED));
    expect(diffNftTable(parseNftJson(listing ?? ''), DESIRED)).toEqual([]);
  });

  test('drift: a foreign rule, a rule without comment, a set and a changed rule are all found', () => {
    const live = parseNftJson(REAL_LISTING);
    expect(live.otherObjects).toEqual(['set junk']);
    const kinds = diffNftTable(live, DESIRED).map((c) => c.kind);
    expect(kinds).toEqual(['add-rule', 'delete-rule', 'delete-rule', 'delete-object']);
    // A changed config (another real server) changes the fingerprint: the old rule goes, the new one comes.
    const other = desiredNftTable(valid(FULLNAT.replace('10.20.0.12', '10.20.0.13')));
    const applied = parseNftJson(FakeNft.listing(nftApplyScript(DESIRED)) ?? '');
    expect(diffNftTable(applied, other).map((c) => c.kind)).toEqual(['add-rule', 'delete-rule']);
  });

  test('a changed hook or priority, and chains not wanted, are drift', () => {
    const listing = JSON.parse(FakeNft.listing(nftApplyScript(DESIRED)) ?? '') as { nftables: Record<string, Record<string, unknown>>[] };
    const chain = listing.nftables.find((i) => 'chain' in i)?.chain;
    if (chain) chain.prio = 0;
    listing.nftables.push({ chain: { family: 'inet', table: 'lvs_ha', name: 'mine', handle: 9 } });
    const kinds = diffNftTable(parseNftJson(JSON.stringify(listing)), DESIRED).map((c) => c.kind);
    expect(kinds).toEqual(['change-chain', 'delete-chain']);
  });

  test('nothing wanted: an existing table is deleted, an absent one left absent', () => {
    const empty: NftTableSpec = { chains: [] };
    expect(diffNftTable(null, empty)).toEqual([]);
    expect(diffNftTable(parseNftJson(REAL_LISTING), empty)).toEqual([{ kind: 'delete-table' }]);
    expect(nftApplyScript(empty)).toBe('add table inet lvs_ha\ndelete table inet lvs_ha\n');
  });

  test('output that is not nft JSON is refused with a reason', () => {
    expect(() => parseNftJson('Error: x')).toThrow(/not JSON/);
    expect(() => parseNftJson('{"x":1}')).toThrow(/no "nftables" array/);
    expect(() => parseNftJson('{"nftables":[{"rule":{"chain":"a"}}]}')).toThrow(/without chain or handle/);
  });

  test('specs the renderer cannot write safely are refused', () => {
    expect(() => nftApplyScript({ chains: [{ name: 'Bad Name', base: null, rules: [] }] })).toThrow(/bad chain name/);
    expect(() => nftApplyScript({ chains: [{ name: 'c', base: null, rules: [{ id: 'x', text: 'accept; flush ruleset' }] }] })).toThrow(/must not contain/);
  });
});

describe('NftOwner', () => {
  test('creates, then leaves alone, repairs a deleted table, and counts a failure without throwing', async () => {
    const nft = new FakeNft();
    const errors: string[] = [];
    const owner = new NftOwner(nft, new FakeClock(), silentLogger(), (kind) => errors.push(kind));
    expect(await owner.apply(DESIRED)).toBe(0);
    expect(nft.scripts).toHaveLength(1);
    expect(owner.status()).toMatchObject({ state: 'in_sync', applies: 1, last_error: null });
    expect(await owner.apply(DESIRED)).toBe(0);
    expect(nft.scripts).toHaveLength(1); // in sync: nothing written
    nft.json = null; // `nft delete table inet lvs_ha` by hand
    expect(await owner.apply(DESIRED)).toBe(0);
    expect(nft.scripts).toHaveLength(2);
    expect(owner.status().last_apply?.changes).toEqual(['+ nft table inet lvs_ha', '+ nft chain fullnat_snat', expect.stringContaining('+ nft rule fullnat_snat fullnat http') as unknown]);
    nft.json = null;
    nft.failApply = new Error('nft -f -: exit 1: Error: Could not process rule');
    expect(await owner.apply(DESIRED)).toBe(1);
    expect(errors).toEqual(['nftables']);
    expect(owner.status()).toMatchObject({ state: 'error', last_error: expect.stringContaining('Could not process rule') as unknown });
    expect(await owner.apply(undefined)).toBe(0); // not managed: not even read
    expect(nft.calls.filter((c) => c.startsWith('list'))).toHaveLength(4);
  });

  test('nft not installed: fine while no table is wanted, an error when one is', async () => {
    const nft = new FakeNft();
    nft.failRead = Object.assign(new Error('spawn nft ENOENT'), { code: 'ENOENT' });
    const errors: string[] = [];
    const owner = new NftOwner(nft, new FakeClock(), silentLogger(), (kind) => errors.push(kind));
    expect(await owner.apply({ chains: [] })).toBe(0);
    expect(owner.status().state).toBe('absent');
    expect(await owner.apply(DESIRED)).toBe(1);
    expect(errors).toEqual(['nftables']);
  });
});
