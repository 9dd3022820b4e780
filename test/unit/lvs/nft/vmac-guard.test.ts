/** IPv6 VMAC's output guard (src/lvs/nft/vmac-guard.ts) and its place in the one desired table. */
import { describe, expect, test } from 'vitest';
import { desiredNftTable } from '../../../../src/lvs/nft/desired.js';
import { nftApplyScript } from '../../../../src/lvs/nft/table.js';
import { VMAC_GUARD_CHAIN, vmacGuardChain } from '../../../../src/lvs/nft/vmac-guard.js';
import { valid } from '../../config/helpers.js';

const TEXT = `node: director-a
vrrp:
  instances:
    - name: v6
      interface: eth0
      vrid: 51
      vmac: true
      virtual_addresses: ["2001:db8::10/64"]
    - name: v6ll
      interface: eth1
      vrid: 52
      vmac: { interface: vmac-ll, xmit_base: true }
      virtual_addresses: ["fe80::0:52", "2001:db8:1::10/64"]
    - name: v4
      interface: eth0
      vrid: 53
      vmac: true
      virtual_addresses: [192.0.2.10/24]
    - name: plain6
      interface: eth0
      vrid: 54
      virtual_addresses: ["2001:db8:2::10/64"]
`;

describe('vmac_out', () => {
  test('every IPv6 instance with a VMAC: MLD reports and router solicitations dropped, NAs from a link-local other than its VIPs dropped', () => {
    const chain = vmacGuardChain(valid(TEXT));
    expect(chain).toEqual({
      name: VMAC_GUARD_CHAIN,
      base: { type: 'filter', hook: 'output', priority: -1, policy: 'accept' },
      rules: [
        { id: 'vmac v6 mld rs', text: 'oifname "vrrp6.51" icmpv6 type { mld-listener-report, mld-listener-done, mld2-listener-report, nd-router-solicit } drop' },
        { id: 'vmac v6 na', text: 'oifname "vrrp6.51" icmpv6 type nd-neighbor-advert ip6 saddr fe80::/10 drop' },
        { id: 'vmac v6ll mld rs', text: 'oifname "vmac-ll" icmpv6 type { mld-listener-report, mld-listener-done, mld2-listener-report, nd-router-solicit } drop' },
        { id: 'vmac v6ll na', text: 'oifname "vmac-ll" icmpv6 type nd-neighbor-advert ip6 saddr fe80::/10 ip6 saddr != { fe80::52 } drop' },
      ],
    });
  });

  test('no chain without an IPv6 VMAC (IPv4 VMACs need none: ARP is not IP and IPv6 is off on them)', () => {
    const v4only = valid(`node: director-a
vrrp:
  instances:
    - { name: v4, interface: eth0, vrid: 53, vmac: true, virtual_addresses: [192.0.2.10/24] }
    - { name: plain6, interface: eth0, vrid: 54, virtual_addresses: ["2001:db8:2::10/64"] }
`);
    expect(vmacGuardChain(v4only)).toBeNull();
    expect(desiredNftTable(v4only).chains).toEqual([]);
  });

  test('depends on the config only: in the desired table whatever the VRRP role, and it renders', () => {
    const config = valid(TEXT);
    const none = desiredNftTable(config);
    const master = desiredNftTable(config, new Set(['v6', 'v6ll']));
    expect(none.chains.map((c) => c.name)).toEqual([VMAC_GUARD_CHAIN]);
    expect(master.chains.find((c) => c.name === VMAC_GUARD_CHAIN)).toEqual(none.chains[0]);
    const script = nftApplyScript(none);
    expect(script).toContain('chain vmac_out {\n\t\ttype filter hook output priority -1; policy accept;');
    expect(script).toContain('oifname "vrrp6.51" icmpv6 type nd-neighbor-advert ip6 saddr fe80::/10 drop comment "vmac v6 na #');
  });
});
