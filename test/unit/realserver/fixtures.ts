import type { Action } from '../../../src/realserver/plan.js';
import type { LinkFacts, RealServerSpec, Snapshot } from '../../../src/realserver/types.js';

export const LO: LinkFacts = { name: 'lo', ifindex: 1, up: true, loopback: true, noarp: true, mtu: 65536 };
export const ETH0: LinkFacts = { name: 'eth0', ifindex: 2, up: true, loopback: false, noarp: false, mtu: 1500 };
export const TUNL0: LinkFacts = { name: 'tunl0', ifindex: 3, up: false, loopback: false, noarp: true, mtu: 1480 };

export function sysctls(values: Record<string, Partial<Record<'arp_ignore' | 'arp_announce' | 'rp_filter', number>>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [ifname, v] of Object.entries(values)) {
    out[`net/ipv4/conf/${ifname}/arp_ignore`] = v.arp_ignore ?? 0;
    out[`net/ipv4/conf/${ifname}/arp_announce`] = v.arp_announce ?? 0;
    out[`net/ipv4/conf/${ifname}/rp_filter`] = v.rp_filter ?? 0;
  }
  return out;
}

/** A fresh DR real server: lo and eth0, nothing set, default route via eth0. */
export function freshSnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    links: [LO, ETH0],
    addresses: [{ ifname: 'eth0', address: '10.0.0.11', family: 4, prefixLength: 24, dadFailed: false }],
    defaultRoutes: [{ family: 4, ifname: 'eth0', gateway: '10.0.0.1', mtu: null, advmss: null }],
    sysctls: sysctls({ all: {}, default: {}, lo: {}, eth0: {} }),
    fouPorts: [],
    ...overrides,
  };
}

/** The state of freshSnapshot() after a correct DR `up` for 10.0.0.100 and 2001:db8::100. */
export function preparedSnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  const base = freshSnapshot();
  return {
    ...base,
    addresses: [
      ...base.addresses,
      { ifname: 'lo', address: '10.0.0.100', family: 4, prefixLength: 32, dadFailed: false },
      { ifname: 'lo', address: '2001:db8::100', family: 6, prefixLength: 128, dadFailed: false },
    ],
    sysctls: sysctls({ all: { arp_ignore: 1, arp_announce: 2 }, default: {}, lo: {}, eth0: { arp_ignore: 1, arp_announce: 2 } }),
    ...overrides,
  };
}

export const DR: RealServerSpec = {
  mode: 'dr',
  vips: [{ address: '10.0.0.100', family: 4 }, { address: '2001:db8::100', family: 6 }],
  tunType: 'ipip',
  guePort: null,
  interfaces: null,
  gateway: null,
};

export const TUN: RealServerSpec = { ...DR, mode: 'tun', vips: [{ address: '10.0.0.100', family: 4 }] };

/** What the kernel would look like after the actions: a tiny model for round trips. */
export function applyAll(snap: Snapshot, actions: readonly Action[]): Snapshot {
  let s = snap;
  for (const a of actions) {
    if (a.kind === 'set-sysctl') s = { ...s, sysctls: { ...s.sysctls, [a.key]: a.value } };
    else if (a.kind === 'add-address') s = { ...s, addresses: [...s.addresses, { ...a.address, dadFailed: false }] };
    else if (a.kind === 'remove-address') s = { ...s, addresses: s.addresses.filter((x) => !(x.ifname === a.address.ifname && x.address === a.address.address)) };
    else if (a.kind === 'link-up' || a.kind === 'link-down') s = { ...s, links: s.links.map((l) => (l.name === a.ifname ? { ...l, up: a.kind === 'link-up' } : l)) };
  }
  return s;
}

