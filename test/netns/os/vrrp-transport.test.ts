import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { linux } from '../../../src/native/lvsha-net.js';
import { ipv6ToBytes } from '../../../src/os/inet.js';
import type { VrrpTransport } from '../../../src/os/vrrp-socket.js';
import { openVrrpTransportIpv4 } from '../../../src/os/vrrp-socket-ipv4.js';
import { openVrrpTransportIpv6 } from '../../../src/os/vrrp-socket-ipv6.js';
import {
  IF_A, IF_B, IPV4_A, IPV4_B, LL_A, LL_B, NS_A, NS_B,
  ifindexIn, inNs, loadLvshaNet, packetView, setupLab, teardownLab, waitFor, withNetns, type PacketView,
} from './lab.js';

const net = loadLvshaNet();
// A VRRPv3 advert shape with a deliberately wrong checksum: the transport must not care.
const payload = Buffer.from([0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0xde, 0xad, 192, 0, 2, 100]);
const payload6 = Buffer.concat([Buffer.from([0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0xbe, 0xef]), ipv6ToBytes('fe80::100') ?? Buffer.alloc(16)]);

let ifA = 0;
let ifB = 0;
const open: VrrpTransport[] = [];

function collect(t: VrrpTransport): PacketView[] {
  const got: PacketView[] = [];
  t.onPacket((p) => got.push(packetView(p)));
  return got;
}

function v4(ns: string, ifname: string, ifindex: number, source: string, joinGroup = true): VrrpTransport {
  const t = withNetns(net, ns, () => openVrrpTransportIpv4({ ifname, ifindex, sourceAddress: source, joinGroup }));
  open.push(t);
  return t;
}

function v6(ns: string, ifname: string, ifindex: number, source: string, joinGroup = true): VrrpTransport {
  const t = withNetns(net, ns, () => openVrrpTransportIpv6(net, { ifname, ifindex, sourceAddress: source, joinGroup }));
  open.push(t);
  return t;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await setupLab();
  ifA = ifindexIn(NS_A, IF_A);
  ifB = ifindexIn(NS_B, IF_B);
});
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});
afterAll(() => {
  teardownLab();
});

describe('IPv4 VRRP transport (raw-socket) across a veth pair', () => {
  it('delivers a multicast advert with TTL 255, the sender primary address, the group and the ifindex', async () => {
    const a = v4(NS_A, IF_A, ifA, IPV4_A);
    const b = v4(NS_B, IF_B, ifB, IPV4_B);
    const got = collect(b);
    await a.send(payload, '224.0.0.18');
    await waitFor(() => got.length > 0, 3000, 'advert in lvoB');
    const p = got[0];
    expect(p).toMatchObject({ family: 4, src: IPV4_A, dst: '224.0.0.18', ttlOrHopLimit: 255, ifindex: ifB });
    expect(p?.payload).toEqual(payload);
    expect(p?.ipTotalLength).toBe(20 + payload.length);
    expect(p?.ipPayloadLength).toBe(payload.length);
  });

  it('does not deliver group traffic to a socket that did not join (IP_MULTICAST_ALL=0)', async () => {
    const a = v4(NS_A, IF_A, ifA, IPV4_A);
    const joined = collect(v4(NS_B, IF_B, ifB, IPV4_B, true));
    const notJoined = collect(v4(NS_B, IF_B, ifB, IPV4_B, false));
    await a.send(payload, '224.0.0.18');
    await waitFor(() => joined.length > 0, 3000, 'advert on the joined socket');
    await sleep(100);
    expect(notJoined).toHaveLength(0);
  });

  it('sends unicast to a peer with TTL 255 from exactly the given source, even a secondary address', async () => {
    const a = v4(NS_A, IF_A, ifA, IPV4_A, false);
    const got = collect(v4(NS_B, IF_B, ifB, IPV4_B, false));
    await a.send(payload, IPV4_B);
    await waitFor(() => got.length > 0, 3000, 'unicast advert');
    expect(got[0]).toMatchObject({ src: IPV4_A, dst: IPV4_B, ttlOrHopLimit: 255 });
    inNs(NS_A, ['ip', 'addr', 'add', '192.0.2.9/24', 'dev', IF_A]);
    const secondary = v4(NS_A, IF_A, ifA, '192.0.2.9', false);
    await secondary.send(payload, IPV4_B);
    await waitFor(() => got.length > 1, 3000, 'unicast advert from the secondary address');
    expect(got[1]).toMatchObject({ src: '192.0.2.9', dst: IPV4_B, ttlOrHopLimit: 255 });
    expect(got[1]?.payload).toEqual(payload);
  });

  it('reports the TTL a packet arrived with, so a TTL 1 packet can be refused', async () => {
    const got = collect(v4(NS_B, IF_B, ifB, IPV4_B));
    const raw = createRequire(import.meta.url)('raw-socket') as {
      createSocket(o: object): {
        setOption(l: number, o: number, v: number | Buffer, len?: number): void;
        send(b: Buffer, off: number, len: number, addr: string, cb: (err: Error | null) => void): void;
        close(): void;
      };
    };
    const s = withNetns(net, NS_A, () => raw.createSocket({ protocol: 112 }));
    try {
      const dev = Buffer.from(`${IF_A}\0`);
      s.setOption(linux.SOL_SOCKET, linux.SO_BINDTODEVICE, dev, dev.length);
      s.setOption(linux.IPPROTO_IP, linux.IP_MULTICAST_TTL, 1);
      await new Promise<void>((resolve, reject) => {
        s.send(payload, 0, payload.length, '224.0.0.18', (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
      await waitFor(() => got.length > 0, 3000, 'TTL 1 packet');
      expect(got[0]?.ttlOrHopLimit).toBe(1);
    } finally {
      s.close();
    }
  });
});

describe('IPv6 VRRP transport (native addon) across a veth pair', () => {
  it('delivers a multicast advert with hop limit 255, the link-local source, the group and the ifindex', async () => {
    const a = v6(NS_A, IF_A, ifA, LL_A);
    const got = collect(v6(NS_B, IF_B, ifB, LL_B));
    await a.send(payload6, 'ff02::12');
    await waitFor(() => got.length > 0, 3000, 'IPv6 advert in lvoB');
    expect(got[0]).toMatchObject({ family: 6, src: LL_A, dst: 'ff02::12', ttlOrHopLimit: 255, ifindex: ifB });
    // No IPV6_CHECKSUM on the socket: a wrong checksum still reaches us, so the runner can count it.
    expect(got[0]?.payload).toEqual(payload6);
  });

  it('an unbound raw IPv6 socket gets group traffic even without a join, with dst reported for filtering', async () => {
    // Measured on Linux 6.x: raw_v6_match() accepts any destination for a socket not bound to an
    // address, before any membership check, so IPV6_MULTICAST_ALL=0 does not filter here (unlike IPv4).
    const a = v6(NS_A, IF_A, ifA, LL_A);
    const joined = collect(v6(NS_B, IF_B, ifB, LL_B, true));
    const notJoined = collect(v6(NS_B, IF_B, ifB, LL_B, false));
    await a.send(payload6, 'ff02::12');
    await waitFor(() => joined.length > 0 && notJoined.length > 0, 3000, 'IPv6 advert on both sockets');
    expect(notJoined[0]?.dst).toBe('ff02::12');
  });

  it('sends unicast to a link-local peer with hop limit 255', async () => {
    const a = v6(NS_A, IF_A, ifA, LL_A, false);
    const got = collect(v6(NS_B, IF_B, ifB, LL_B, false));
    await a.send(payload6, LL_B);
    await waitFor(() => got.length > 0, 3000, 'IPv6 unicast advert');
    expect(got[0]).toMatchObject({ src: LL_A, dst: LL_B, ttlOrHopLimit: 255, ifindex: ifB });
  });

  it('reports hop limit 1 for a packet sent with hop limit 1', async () => {
    const got = collect(v6(NS_B, IF_B, ifB, LL_B));
    const fd = withNetns(net, NS_A, () => net.openSocket(linux.AF_INET6, linux.SOCK_RAW, 112));
    try {
      net.setIntOption(fd, linux.IPPROTO_IPV6, linux.IPV6_MULTICAST_HOPS, 1);
      const dst = ipv6ToBytes('ff02::12') ?? Buffer.alloc(16);
      net.sendTo6(fd, payload6, dst, ifA, ipv6ToBytes(LL_A) ?? null, ifA);
      await waitFor(() => got.length > 0, 3000, 'hop limit 1 packet');
      expect(got[0]?.ttlOrHopLimit).toBe(1);
    } finally {
      net.closeFd(fd);
    }
  });

  it('refuses a multicast source that is not link-local', () => {
    expect(() => openVrrpTransportIpv6(net, { ifname: IF_A, ifindex: ifA, sourceAddress: '2001:db8::1', joinGroup: true })).toThrow(
      /not a link-local/,
    );
  });

  it('unicast mode may use a global source address of the interface', async () => {
    inNs(NS_A, ['ip', 'addr', 'add', '2001:db8::a/64', 'dev', IF_A, 'nodad']);
    const got = collect(v6(NS_B, IF_B, ifB, LL_B, false));
    const a = v6(NS_A, IF_A, ifA, '2001:db8::a', false);
    await a.send(payload6, LL_B);
    await waitFor(() => got.length > 0, 3000, 'IPv6 unicast advert from a global source');
    expect(got[0]).toMatchObject({ src: '2001:db8::a', dst: LL_B, ttlOrHopLimit: 255 });
  });
});
