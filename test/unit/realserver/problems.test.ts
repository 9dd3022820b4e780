import { describe, expect, test } from 'vitest';
import { findProblems, sysctlArg } from '../../../src/realserver/problems.js';
import { desiredState, trafficInterfaces } from '../../../src/realserver/settings.js';
import type { Snapshot } from '../../../src/realserver/types.js';
import { DR, ETH0, freshSnapshot, LO, preparedSnapshot, sysctls, TUN, TUNL0 } from './fixtures.js';

const codes = (snap: Snapshot, spec = DR): string[] => findProblems(spec, snap).map((p) => `${p.code}:${p.subject}`);

describe('DR', () => {
  test('a prepared real server has no problem', () => {
    expect(findProblems(DR, preparedSnapshot())).toEqual([]);
  });

  test('a fresh one: both VIPs missing, ARP answered and announced, each with its fix', () => {
    const problems = findProblems(DR, freshSnapshot());
    expect(problems.map((p) => `${p.code}:${p.subject}`)).toEqual([
      'vip-missing:10.0.0.100', 'vip-missing:2001:db8::100', 'arp-ignore:eth0', 'arp-announce:eth0',
    ]);
    expect(problems[0]?.fix).toBe('ip addr add 10.0.0.100/32 dev lo');
    expect(problems.every((p) => p.severity === 'error')).toBe(true);
    expect(problems[1]?.fix).toBe('ip addr add 2001:db8::100/128 dev lo nodad');
    expect(problems[2]?.fix).toBe('sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1');
  });

  test('arp_ignore: the kernel uses max(all, interface)', () => {
    const onlyAll = sysctls({ all: { arp_ignore: 1, arp_announce: 2 }, lo: {}, eth0: {} });
    expect(codes(preparedSnapshot({ sysctls: onlyAll }))).toEqual([]);
    const onlyDev = sysctls({ all: {}, lo: {}, eth0: { arp_ignore: 2, arp_announce: 2 } });
    expect(codes(preparedSnapshot({ sysctls: onlyDev }))).toEqual([]);
    const reset = sysctls({ all: { arp_announce: 2 }, lo: {}, eth0: { arp_announce: 2 } });
    const p = findProblems(DR, preparedSnapshot({ sysctls: reset }));
    expect(p.map((x) => x.code)).toEqual(['arp-ignore']);
    expect(p[0]?.message).toContain('arp_ignore on eth0 is 0');
    const three = sysctls({ all: { arp_ignore: 3, arp_announce: 2 }, lo: {}, eth0: { arp_ignore: 3, arp_announce: 2 } });
    expect(codes(preparedSnapshot({ sysctls: three }))).toEqual(['arp-ignore:eth0']);
  });

  test('arp_announce 1 is not enough', () => {
    const one = sysctls({ all: { arp_ignore: 1, arp_announce: 1 }, lo: {}, eth0: { arp_ignore: 1, arp_announce: 1 } });
    const p = findProblems(DR, preparedSnapshot({ sysctls: one }));
    expect(p.map((x) => x.code)).toEqual(['arp-announce']);
    expect(p[0]?.fix).toBe('sysctl -w net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2');
  });

  test('the VIP on a traffic interface, with a wrong prefix, or DAD-failed is named', () => {
    const base = preparedSnapshot();
    const onEth = { ifname: 'eth0', address: '10.0.0.100', family: 4 as const, prefixLength: 24, dadFailed: false };
    expect(codes({ ...base, addresses: [...base.addresses, onEth] })).toEqual(['vip-on-traffic-interface:10.0.0.100']);
    const wide = base.addresses.map((a) => (a.address === '10.0.0.100' ? { ...a, prefixLength: 24 } : a));
    expect(codes({ ...base, addresses: wide })).toEqual(['vip-prefix:10.0.0.100']);
    const dad = base.addresses.map((a) => (a.family === 6 ? { ...a, dadFailed: true } : a));
    expect(codes({ ...base, addresses: dad })).toEqual(['vip-dad-failed:2001:db8::100']);
  });

  test('rp_filter: harmless on the default-route interface, a problem on another traffic interface', () => {
    const strict = { ...preparedSnapshot().sysctls, 'net/ipv4/conf/all/rp_filter': 1 };
    expect(codes(preparedSnapshot({ sysctls: strict }))).toEqual([]);
    const eth1 = { ...ETH0, name: 'eth1', ifindex: 4 };
    const twoLegs = preparedSnapshot({
      links: [LO, ETH0, eth1],
      defaultRoutes: [{ family: 4, ifname: 'eth1', gateway: '192.0.2.1', mtu: null, advmss: null }],
      sysctls: { ...strict, ...sysctls({ eth1: { arp_ignore: 1, arp_announce: 2 } }) },
    });
    const p = findProblems(DR, twoLegs);
    expect(p.map((x) => `${x.code}:${x.subject}`)).toEqual(['rp-filter:eth0']);
    expect(p[0]?.fix).toBe('sysctl -w net.ipv4.conf.all.rp_filter=2');
  });

  test('configured interfaces: only those get ARP settings; a missing one is named', () => {
    const spec = { ...DR, interfaces: ['eth0', 'bond0'] };
    expect(codes(preparedSnapshot(), spec)).toEqual(['interface-missing:bond0']);
  });

  test('traffic interfaces skip lo, down links, NOARP links and the tunnel device', () => {
    const down = { ...ETH0, name: 'eth2', ifindex: 5, up: false };
    const tun = { ...TUNL0, up: true, noarp: false };
    expect(trafficInterfaces(DR, [LO, ETH0, down, tun])).toEqual(['eth0', 'tunl0']);
    expect(trafficInterfaces(TUN, [LO, ETH0, down, tun])).toEqual(['eth0']);
  });
});

describe('TUN', () => {
  const ready = (): Snapshot => ({
    ...freshSnapshot(),
    links: [LO, ETH0, { ...TUNL0, up: true }],
    addresses: [...freshSnapshot().addresses, { ifname: 'tunl0', address: '10.0.0.100', family: 4, prefixLength: 32, dadFailed: false }],
    defaultRoutes: [{ family: 4, ifname: 'eth0', gateway: '10.0.0.1', mtu: null, advmss: 1440 }],
    sysctls: sysctls({ all: { arp_ignore: 1, arp_announce: 2 }, lo: {}, eth0: { arp_ignore: 1, arp_announce: 2 }, tunl0: { rp_filter: 0 } }),
  });

  test('ready: no problem', () => {
    expect(findProblems(TUN, ready())).toEqual([]);
  });

  test('no tunnel device: the module to load', () => {
    const p = findProblems(TUN, { ...ready(), links: [LO, ETH0], addresses: freshSnapshot().addresses });
    expect(p.map((x) => x.code)).toEqual(['tunnel-missing', 'vip-missing']);
    expect(p[0]?.fix).toBe('modprobe -a ipip');
    expect(findProblems({ ...TUN, tunType: 'gre' }, { ...ready(), links: [LO, ETH0] })[0]?.fix).toBe('modprobe -a ip_gre');
  });

  test('strict rp_filter on the tunnel device (or on all) would drop', () => {
    const s = ready();
    expect(codes({ ...s, sysctls: { ...s.sysctls, 'net/ipv4/conf/tunl0/rp_filter': 1 } }, TUN)).toEqual(['rp-filter:tunl0']);
    expect(codes({ ...s, sysctls: { ...s.sysctls, 'net/ipv4/conf/all/rp_filter': 1 } }, TUN)).toEqual(['rp-filter:tunl0']);
    expect(codes({ ...s, sysctls: { ...s.sysctls, 'net/ipv4/conf/all/rp_filter': 2 } }, TUN)).toEqual([]);
  });

  test('tunnel device down', () => {
    const s = ready();
    expect(codes({ ...s, links: [LO, ETH0, TUNL0] }, TUN)).toEqual(['device-down:tunl0']);
  });

  test('MTU: a default MSS of 1460 plus 20 bytes of IPIP does not fit 1500; advmss 1440 does', () => {
    const s = ready();
    const noMss = { ...s, defaultRoutes: [{ family: 4 as const, ifname: 'eth0', gateway: '10.0.0.1', mtu: null, advmss: null }] };
    const p = findProblems(TUN, noMss);
    expect(p.map((x) => x.code)).toEqual(['tunnel-mtu']);
    expect(p[0]?.message).toContain('1520 bytes');
    expect(p[0]?.severity).toBe('warning');
    expect(p[0]?.fix).toBe('ip route change default via 10.0.0.1 dev eth0 advmss 1440');
    const gre = findProblems({ ...TUN, tunType: 'gre' }, { ...s, links: [LO, ETH0, { ...TUNL0, name: 'gre0', up: true }] });
    expect(gre.find((x) => x.code === 'tunnel-mtu')?.fix).toContain('advmss 1436');
  });

  test('GUE: a missing receiver port is named', () => {
    const spec = { ...TUN, tunType: 'gue' as const, guePort: 6080 };
    expect(codes(ready(), spec)).toEqual(['gue-port-missing:6080', 'tunnel-mtu:ipv4']);
    expect(codes({ ...ready(), fouPorts: [6080], defaultRoutes: [{ family: 4, ifname: 'eth0', gateway: null, mtu: null, advmss: 1428 }] }, spec)).toEqual([]);
  });
});

describe('NAT', () => {
  const spec = { ...DR, mode: 'nat' as const, vips: [], gateway: { address: '10.0.0.1', family: 4 as const } };

  test('default gateway is the director: ok, ARP settings do not matter', () => {
    expect(findProblems(spec, freshSnapshot())).toEqual([]);
  });

  test('another gateway, or none, is named with the fix', () => {
    const other = findProblems({ ...spec, gateway: { address: '10.0.0.254', family: 4 } }, freshSnapshot());
    expect(other.map((p) => p.code)).toEqual(['nat-gateway']);
    expect(other[0]?.fix).toBe('ip route replace default via 10.0.0.254');
    expect(findProblems(spec, freshSnapshot({ defaultRoutes: [] }))[0]?.message).toContain('no IPv4 default route');
  });

  test('nat needs no VIP placement', () => {
    expect(desiredState(spec, freshSnapshot()).placements).toEqual([]);
  });
});

test('sysctl -w argument: dotted, or slashes for interface names with a dot', () => {
  expect(sysctlArg('net/ipv4/conf/eth0/arp_ignore', 1)).toBe('net.ipv4.conf.eth0.arp_ignore=1');
  expect(sysctlArg('net/ipv4/conf/eth0.100/arp_ignore', 1)).toBe('net/ipv4/conf/eth0.100/arp_ignore=1');
});
