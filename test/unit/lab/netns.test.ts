import { describe, expect, test } from 'vitest';
import { drLanSpec, lanSpec, networkCommands, networkShell, shellQuote, teardownShell, vethCommands, type NetSpec } from '../../../src/lab/netns.js';
import { DEFAULT_LAB_OPTIONS, labNetwork, labTopology } from '../../../src/lab/topology.js';

describe('the one network builder (pure commands)', () => {
  test('a LAN: the switch namespace and each host first, then the bridge, then one veth per host enslaved to it', () => {
    const cmds = networkCommands(lanSpec('lvz', '10.9.0', [{ name: 'a', octet: 1 }, { name: 'b', octet: 2 }])).map((a) => a.join(' '));
    expect(cmds).toEqual([
      'ip netns add lvz-sw', 'ip -n lvz-sw link set dev lo up',
      'ip netns add lvz-a', 'ip -n lvz-a link set dev lo up',
      'ip netns add lvz-b', 'ip -n lvz-b link set dev lo up',
      'ip -n lvz-sw link add name br type bridge mcast_snooping 0', 'ip -n lvz-sw link set dev br up',
      'ip -n lvz-sw link add name a-eth0 type veth peer name eth0 netns lvz-a',
      'ip -n lvz-sw link set dev a-eth0 master br', 'ip -n lvz-sw link set dev a-eth0 up',
      'ip -n lvz-a addr add 10.9.0.1/24 dev eth0', 'ip -n lvz-a link set dev eth0 up',
      'ip -n lvz-sw link add name b-eth0 type veth peer name eth0 netns lvz-b',
      'ip -n lvz-sw link set dev b-eth0 master br', 'ip -n lvz-sw link set dev b-eth0 up',
      'ip -n lvz-b addr add 10.9.0.2/24 dev eth0', 'ip -n lvz-b link set dev eth0 up',
    ]);
  });

  test('an end: interface sysctls before its MAC and addresses; a null namespace is the current one', () => {
    const cmds = vethCommands({
      a: { netns: null, ifname: 'x0', addresses: ['10.1.0.1/24'] },
      b: { netns: 'n', ifname: 'x1', mac: '02:00:00:00:00:01', addresses: ['fe80::1/64'], sysctls: ['net.ipv6.conf.x1.accept_dad=0'] },
    }).map((a) => a.join(' '));
    expect(cmds).toEqual([
      'ip link add name x0 type veth peer name x1 netns n',
      'ip addr add 10.1.0.1/24 dev x0', 'ip link set dev x0 up',
      'ip netns exec n sysctl -qw net.ipv6.conf.x1.accept_dad=0',
      'ip -n n link set dev x1 address 02:00:00:00:00:01', 'ip -n n addr add fe80::1/64 dev x1', 'ip -n n link set dev x1 up',
    ]);
  });

  test('a DR LAN: the VIPs on lo of the real servers only, with arp_ignore/arp_announce after the links exist', () => {
    const spec = drLanSpec('lvz', '10.9.0', [{ name: 'd', octet: 1 }, { name: 'r1', octet: 21 }], ['r1'], ['10.9.0.100']);
    const cmds = networkCommands(spec).map((a) => a.join(' '));
    expect(cmds.filter((c) => c.includes(' lo'))).toContain('ip -n lvz-r1 addr add 10.9.0.100/32 dev lo');
    expect(cmds.some((c) => c.startsWith('ip -n lvz-d addr add 10.9.0.100'))).toBe(false);
    expect(cmds.at(-1)).toBe('ip netns exec lvz-r1 sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2');
  });

  test('an interface name longer than 15 characters is refused before anything runs', () => {
    expect(() => networkCommands({ namespaces: [], bridges: [{ netns: null, name: 'a-very-long-bridge' }] })).toThrow(/interface name 'a-very-long-bridge' is not valid/);
  });

  test('shell text: each command quoted and exiting with the given code on failure; teardown removes namespaces in reverse, then links of the current namespace', () => {
    const spec: NetSpec = {
      namespaces: [{ name: 'n1' }, { name: 'n2' }],
      veths: [{ a: { netns: null, ifname: 't0' }, b: { netns: 'n1', ifname: 't1' } }],
      routes: [{ netns: 'n1', to: 'default', via: '10.0.0.1' }],
    };
    const script = networkShell(spec, 12).split('\n');
    expect(script[0]).toBe("ip netns add n1 || { echo 'network: ip netns add n1 failed' >&2; exit 12; }");
    expect(script).toContain("ip -n n1 route add default via 10.0.0.1 || { echo 'network: ip -n n1 route add default via 10.0.0.1 failed' >&2; exit 12; }");
    expect(teardownShell(spec).split('\n')).toEqual([
      'ip netns pids n2 2>/dev/null | xargs -r kill -9; ip netns del n2 2>/dev/null',
      'ip netns pids n1 2>/dev/null | xargs -r kill -9; ip netns del n1 2>/dev/null',
      'ip link del dev t0 2>/dev/null',
      'true',
    ]);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('10.0.0.1/24')).toBe('10.0.0.1/24');
  });

  test("the lab's DR network: the switch namespace plus six hosts, one enslaved veth per host", () => {
    const spec = labNetwork(labTopology(DEFAULT_LAB_OPTIONS));
    expect(spec.namespaces.map((n) => n.name)).toEqual(['lvl-sw', 'lvl-d1', 'lvl-d2', 'lvl-r1', 'lvl-r2', 'lvl-r3', 'lvl-c']);
    expect(spec.veths?.map((v) => `${v.a.ifname}@${v.a.bridge ?? ''} ${v.b.netns ?? ''}:${v.b.addresses?.join(',') ?? ''}`)).toEqual([
      'd1-eth0@br-front lvl-d1:10.77.0.11/24', 'd2-eth0@br-front lvl-d2:10.77.0.12/24',
      'r1-eth0@br-front lvl-r1:10.77.0.21/24', 'r2-eth0@br-front lvl-r2:10.77.0.22/24', 'r3-eth0@br-front lvl-r3:10.77.0.23/24',
      'c-eth0@br-front lvl-c:10.77.0.2/24',
    ]);
  });

  test("the lab's FULLNAT network: real servers routed via the router, forwarding and liberal TCP tracking on directors", () => {
    const spec = labNetwork(labTopology({ ...DEFAULT_LAB_OPTIONS, mode: 'fullnat' }));
    expect(spec.routes).toContainEqual({ netns: 'lvl-r1', to: 'default', via: '10.78.0.1' });
    expect(spec.namespaces.find((n) => n.name === 'lvl-d1')?.sysctls).toEqual(['net.ipv4.ip_forward=1', 'net.netfilter.nf_conntrack_tcp_be_liberal=1']);
    expect(spec.namespaces.find((n) => n.name === 'lvl-g')?.sysctls).toEqual(['net.ipv4.ip_forward=1']);
  });
});
