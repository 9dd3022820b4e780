/** accept_mode's VIP filter chain (src/lvs/nft/vip-filter.ts) and its place in the one desired table. */
import { describe, expect, test } from 'vitest';
import { desiredNftTable } from '../../../../src/lvs/nft/desired.js';
import { diffNftTable, nftApplyScript, ruleComment } from '../../../../src/lvs/nft/table.js';
import { filteredInstances, VIP_FILTER_CHAIN, vipFilterChain } from '../../../../src/lvs/nft/vip-filter.js';
import { planOwnedTable } from '../../../../src/lvs/nft/owner.js';
import { FakeNft } from './fake-nft.js';
import { desiredStateFor } from '../../../../src/lvs/reconcile-desired.js';
import { valid } from '../../config/helpers.js';

const TEXT = `node: director-a
vrrp:
  instances:
    - name: v4
      interface: eth0
      vrid: 51
      accept_mode: false
      virtual_addresses: [192.0.2.10/24, 192.0.2.11]
    - name: v6
      interface: eth0
      vrid: 52
      accept_mode: false
      virtual_addresses: ["2001:db8::0:10/64"]
    - name: open
      interface: eth0
      vrid: 53
      accept_mode: true
      virtual_addresses: [192.0.2.20]
    - name: owner
      interface: eth0
      vrid: 54
      priority: 255
      virtual_addresses: [192.0.2.30]
virtual_servers:
  - name: web
    address: 192.0.2.10
    port: 80
    real_servers: [{ address: 10.0.0.11 }]
  - name: dns
    address: 192.0.2.11
    port: 0
    protocol: udp
    persistence: {}
    real_servers: [{ address: 10.0.0.11 }]
  - name: web6
    address: "2001:db8::10"
    port: 443
    real_servers: [{ address: "2001:db8:1::11" }]
  - name: marked
    fwmark: 7
    family: ipv4
    real_servers: [{ address: 10.0.0.11, port: 80 }]
  - name: elsewhere
    address: 192.0.2.20
    port: 80
    real_servers: [{ address: 10.0.0.11 }]
`;
const parsed = valid(TEXT);
// Validation refuses accept_mode false on the owner; the chain must ignore it all the same.
const config = { ...parsed, vrrp: { ...parsed.vrrp, instances: parsed.vrrp.instances.map((i) => (i.priority === 255 ? { ...i, acceptMode: false } : i)) } };
const ALL = new Set(['v4', 'v6', 'open', 'owner']);

describe('accept_mode VIP filter', () => {
  test('a non-owner master with accept_mode false: served traffic, VRRP, ICMP errors and ND kept, the rest to its VIPs dropped', () => {
    const chain = vipFilterChain(config, ALL);
    expect(chain?.name).toBe('vip_filter');
    expect(chain?.base).toEqual({ type: 'filter', hook: 'input', priority: -1, policy: 'accept' });
    expect(chain?.rules.map((r) => `${r.id}: ${r.text}`)).toEqual([
      'vrrp adverts: meta l4proto 112 accept',
      'icmp errors: icmp type { destination-unreachable, time-exceeded, parameter-problem } accept',
      'icmpv6 errors and nd: icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, nd-neighbor-solicit, nd-neighbor-advert } accept',
      'served web: ip daddr 192.0.2.10 meta l4proto tcp th dport 80 accept',
      'served dns: ip daddr 192.0.2.11 meta l4proto udp accept',
      'served web6: ip6 daddr 2001:db8::10 meta l4proto tcp th dport 443 accept',
      'served marked: meta nfproto ipv4 meta mark 7 accept',
      // accept_mode true (open) and the address owner (priority 255) are not filtered.
      'drop ipv4 vips: ip daddr { 192.0.2.10, 192.0.2.11 } drop',
      'drop ipv6 vips: ip6 daddr { 2001:db8::10 } drop',
    ]);
    expect(() => nftApplyScript({ chains: chain ? [chain] : [] })).not.toThrow();
  });

  test('virtual_addresses_excluded are filtered like the VIPs (served ones kept)', () => {
    const text = TEXT.replace('virtual_addresses: [192.0.2.10/24, 192.0.2.11]', 'virtual_addresses: [192.0.2.10/24]\n      virtual_addresses_excluded: [192.0.2.11, 192.0.2.12]');
    const rules = vipFilterChain(valid(text), new Set(['v4']))?.rules.map((r) => `${r.id}: ${r.text}`);
    expect(rules).toContain('served dns: ip daddr 192.0.2.11 meta l4proto udp accept');
    expect(rules).toContain('drop ipv4 vips: ip daddr { 192.0.2.10, 192.0.2.11, 192.0.2.12 } drop');
  });

  test('follows the role: only MASTER instances count; none filtering = no chain', () => {
    expect(filteredInstances(config, ALL)).toEqual(['v4', 'v6']);
    expect(filteredInstances(config, new Set(['v6', 'open']))).toEqual(['v6']);
    const v6only = vipFilterChain(config, new Set(['v6']));
    expect(v6only?.rules.map((r) => r.id)).toEqual(['vrrp adverts', 'icmpv6 errors and nd', 'served web6', 'drop ipv6 vips']);
    expect(vipFilterChain(config, new Set())).toBeNull();
    expect(vipFilterChain(config, new Set(['open', 'owner']))).toBeNull();
    expect(desiredNftTable(config)).toEqual({ chains: [] });
  });

  test('one desired table with the fullnat chain; the reconciler gets it from the masters it is given', () => {
    const both = valid(`${TEXT}  - name: fn
    address: 192.0.2.10
    port: 443
    forwarding: fullnat
    fullnat: { local_addresses: [10.0.2.1] }
    real_servers: [{ address: 10.0.0.12 }]
`);
    const master = desiredNftTable(both, new Set(['v4']));
    expect(master.chains.map((c) => c.name)).toEqual(['fullnat_snat', 'vip_filter']);
    expect(master.chains[1]?.rules.map((r) => r.id)).toContain('served fn');
    const backup = desiredStateFor({ config: both }, { services: [] }).nft;
    expect(backup?.chains.map((c) => c.name)).toEqual(['fullnat_snat']);
    expect(desiredStateFor({ config: both, masters: new Set(['v4']) }, { services: [] }).nft).toEqual(master);
    // Becoming backup is a diff that deletes only the filter chain.
    const live = { chains: master.chains.map((c) => ({ name: c.name, base: c.base, rules: c.rules.map((r, i) => ({ handle: i + 1, comment: ruleComment(r) })) })), otherObjects: [] };
    expect(diffNftTable(live, master)).toEqual([]);
    expect(diffNftTable(live, backup ?? { chains: [] }).map((c) => c.kind)).toEqual(['delete-chain']);
  });

  test('accept_mode defaults to true: nothing is filtered unless asked', () => {
    const plain = valid(TEXT.replace(/ {6}accept_mode: false\n/g, ''));
    expect(plain.vrrp.instances.map((i) => i.acceptMode)).toEqual([true, true, true, true]);
    expect(vipFilterChain(plain, ALL)).toBeNull();
  });

  test('lvs-ha plan leaves the chain out (it cannot know the role): a master\'s table is in sync', async () => {
    const nft = new FakeNft();
    await nft.apply(nftApplyScript(desiredNftTable(config, new Set(['v4']))));
    const ignore = new Set([VIP_FILTER_CHAIN]);
    expect(await planOwnedTable(nft, desiredNftTable(config), ignore)).toEqual([]);
    expect(await planOwnedTable(nft, desiredNftTable(config))).toEqual([{ kind: 'delete-table' }]);
  });
});
