/**
 * Real adverts captured from Keepalived 2.2.7 (Debian package, `vrrp_version 3`, default
 * options) by test/netns/vrrp-fixtures/capture-keepalived.sh; config in
 * test/fixtures/vrrp/keepalived-2.2.7.conf, human-readable dump in keepalived-2.2.7.txt.
 * These tests PROVE which IPv4 checksum mode Keepalived uses by default and that our encoder,
 * in that mode, produces Keepalived's bytes exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAdvert, decodeIpv4Packet, encodeAdvert, type DecodedAdvert } from '../../../src/vrrp/packet.js';
import { ethernetPayload, parseIpv6, readPcap } from './pcap.js';

const pcap = readPcap(readFileSync(new URL('../../fixtures/vrrp/keepalived-2.2.7.pcap', import.meta.url)));

interface Captured {
  readonly family: 'ipv4' | 'ipv6';
  readonly message: Buffer;
  readonly decoded: DecodedAdvert;
}

function decodeAll(): Captured[] {
  const out: Captured[] = [];
  for (const frame of pcap) {
    const ip = ethernetPayload(frame.data);
    if (!ip) throw new Error('unexpected ethertype in fixture');
    if (ip.family === 'ipv4') {
      const r = decodeIpv4Packet(ip.packet);
      if (!r.ok) throw new Error(`fixture IPv4 advert refused: ${r.reason}`);
      const ihl = ((ip.packet[0] ?? 0) & 0x0f) * 4;
      out.push({ family: 'ipv4', message: ip.packet.subarray(ihl, ip.packet.readUInt16BE(2)), decoded: r.value });
    } else {
      const v6 = parseIpv6(ip.packet);
      const r = decodeAdvert(v6.payload, { family: 'ipv6', src: v6.src, dst: v6.dst, hopLimit: v6.hopLimit });
      if (!r.ok) throw new Error(`fixture IPv6 advert refused: ${r.reason}`);
      out.push({ family: 'ipv6', message: v6.payload, decoded: r.value });
    }
  }
  return out;
}

const captured = decodeAll();
const v4 = captured.filter((c) => c.family === 'ipv4');
const v4multicast = v4.filter((c) => c.decoded.dst === '224.0.0.18');
const v4unicast = v4.filter((c) => c.decoded.dst === '192.0.2.20');
const v6 = captured.filter((c) => c.family === 'ipv6');

describe('Keepalived 2.2.7 fixtures', () => {
  it('holds IPv4 multicast, IPv4 unicast and IPv6 adverts', () => {
    expect(v4multicast.length).toBeGreaterThanOrEqual(2);
    expect(v4unicast.length).toBeGreaterThanOrEqual(2);
    expect(v6.length).toBeGreaterThanOrEqual(2);
  });

  it('decodes the fields keepalived was configured with', () => {
    expect(v4multicast[0]?.decoded.advert).toEqual({
      family: 'ipv4', vrid: 51, priority: 150, maxAdverIntMs: 1000, addresses: ['192.0.2.100', '192.0.2.101'],
    });
    expect(v4unicast[0]?.decoded.advert).toEqual({
      family: 'ipv4', vrid: 52, priority: 100, maxAdverIntMs: 500, addresses: ['192.0.2.102'],
    });
    expect(v6[0]?.decoded).toMatchObject({
      src: 'fe80::ff:fe00:a',
      dst: 'ff02::12',
      advert: { family: 'ipv6', vrid: 61, priority: 200, maxAdverIntMs: 1000, addresses: ['fe80::61', '2001:db8::100'] },
    });
  });

  it('shows the priority-0 resignation keepalived sends when it stops', () => {
    const last51 = v4multicast[v4multicast.length - 1];
    const last61 = v6[v6.length - 1];
    expect(last51?.decoded.advert.priority).toBe(0);
    expect(last61?.decoded.advert.priority).toBe(0);
  });

  it('PROOF: every IPv4 advert (multicast and unicast) uses the RFC 5798 pseudo-header checksum', () => {
    for (const c of v4) expect(c.decoded.checksum).toBe('rfc5798');
    // ...with the actual destination in the pseudo-header, also for unicast
    expect(v4unicast.every((c) => c.decoded.checksum === 'rfc5798')).toBe(true);
  });

  it('IPv6 adverts use the IPv6 pseudo-header', () => {
    for (const c of v6) expect(c.decoded.checksum).toBe('ipv6');
  });

  it('our encoder in rfc5798 mode reproduces keepalived IPv4 bytes exactly; rfc9568 mode does not', () => {
    for (const c of v4) {
      const ctx = { src: c.decoded.src, dst: c.decoded.dst };
      expect(Buffer.from(encodeAdvert(c.decoded.advert, { ...ctx, ipv4Checksum: 'rfc5798' }))).toEqual(c.message);
      expect(Buffer.from(encodeAdvert(c.decoded.advert, { ...ctx, ipv4Checksum: 'rfc9568' }))).not.toEqual(c.message);
    }
  });

  it('our encoder reproduces keepalived IPv6 bytes exactly', () => {
    for (const c of v6) {
      const ctx = { src: c.decoded.src, dst: c.decoded.dst, ipv4Checksum: 'rfc9568' } as const;
      expect(Buffer.from(encodeAdvert(c.decoded.advert, ctx))).toEqual(c.message);
    }
  });

  it('a captured advert with one flipped bit is refused for its checksum', () => {
    const ip = ethernetPayload(Buffer.from(pcap[0]?.data ?? Buffer.alloc(14)));
    if (ip?.family !== 'ipv4') throw new Error('first fixture frame should be IPv4');
    ip.packet.writeUInt8(ip.packet.readUInt8(22) ^ 0x01, 22); // priority byte
    expect(decodeIpv4Packet(ip.packet)).toMatchObject({ ok: false, reason: 'checksum' });
  });
});
