import { describe, expect, it } from 'vitest';
import {
  decodeAdvert,
  decodeIpv4Packet,
  encodeAdvert,
  VRRP_DROP_REASONS,
  VrrpEncodeError,
  type LocalVrid,
  type ReceiveContext,
  type VrrpAdvert,
} from '../../../src/vrrp/packet.js';
import { checksumValid, computeVrrpChecksum, matchChecksum } from '../../../src/vrrp/checksum.js';
import { parseAddress } from '../../../src/vrrp/address.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const v4Advert: VrrpAdvert = {
  family: 'ipv4',
  vrid: 1,
  priority: 100,
  maxAdverIntMs: 1000,
  addresses: ['192.0.2.100'],
};
const v4Send = { src: '192.0.2.1', dst: '224.0.0.18' } as const;
const v4Recv: ReceiveContext = { family: 'ipv4', ...v4Send, hopLimit: 255 };

const v6Advert: VrrpAdvert = {
  family: 'ipv6',
  vrid: 1,
  priority: 100,
  maxAdverIntMs: 1000,
  addresses: ['fe80::1'],
};
const v6Send = { src: 'fe80::2', dst: 'ff02::12' } as const;
const v6Recv: ReceiveContext = { family: 'ipv6', ...v6Send, hopLimit: 255 };

// Checksums computed independently (Python, RFC 1071) for these exact bytes.
const V4_RFC9568 = '3101640100 64a834 c0000264'.replace(/ /g, '');
const V4_RFC5798 = '310164010064 05a4 c0000264'.replace(/ /g, '');
const V6 = '310164010064 6df7 fe800000000000000000000000000001'.replace(/ /g, '');

describe('VRRP codec: hand-built bytes', () => {
  it('encodes IPv4 in rfc9568 mode (message only) byte for byte', () => {
    expect(toHex(encodeAdvert(v4Advert, { ...v4Send, ipv4Checksum: 'rfc9568' }))).toBe(V4_RFC9568);
  });

  it('encodes IPv4 in rfc5798 mode (pseudo-header) byte for byte', () => {
    expect(toHex(encodeAdvert(v4Advert, { ...v4Send, ipv4Checksum: 'rfc5798' }))).toBe(V4_RFC5798);
  });

  it('encodes IPv6 with its pseudo-header byte for byte (the IPv4 mode is irrelevant)', () => {
    expect(toHex(encodeAdvert(v6Advert, { ...v6Send, ipv4Checksum: 'rfc9568' }))).toBe(V6);
    expect(toHex(encodeAdvert(v6Advert, { ...v6Send, ipv4Checksum: 'rfc5798' }))).toBe(V6);
  });

  it('puts Max Adver Int in centiseconds in the low 12 bits (4095 cs = 40950 ms)', () => {
    const b = encodeAdvert({ ...v4Advert, maxAdverIntMs: 40_950 }, { ...v4Send, ipv4Checksum: 'rfc9568' });
    expect(toHex(b.subarray(4, 6))).toBe('0fff');
    const d = decodeAdvert(b, v4Recv);
    expect(d.ok && d.value.advert.maxAdverIntMs).toBe(40_950);
  });

  it('ignores the 4 reserved bits on receive', () => {
    const b = hex(V4_RFC9568);
    b[4] = 0xf0; // reserved bits set; the checksum no longer matches, so recompute it
    const sum = computeVrrpChecksum(b, { family: 'ipv4', src: new Uint8Array([192, 0, 2, 1]), dst: new Uint8Array([224, 0, 0, 18]) }, 'rfc9568');
    b[6] = sum >> 8;
    b[7] = sum & 0xff;
    const d = decodeAdvert(b, v4Recv);
    expect(d.ok && d.value.advert.maxAdverIntMs).toBe(1000);
  });

  it('refuses to encode values the wire cannot carry', () => {
    const send = { ...v4Send, ipv4Checksum: 'rfc9568' } as const;
    expect(() => encodeAdvert({ ...v4Advert, maxAdverIntMs: 1005 }, send)).toThrow(VrrpEncodeError);
    expect(() => encodeAdvert({ ...v4Advert, maxAdverIntMs: 40_960 }, send)).toThrow(VrrpEncodeError);
    expect(() => encodeAdvert({ ...v4Advert, vrid: 0 }, send)).toThrow(VrrpEncodeError);
    expect(() => encodeAdvert({ ...v4Advert, priority: 256 }, send)).toThrow(VrrpEncodeError);
    expect(() => encodeAdvert({ ...v4Advert, addresses: ['fe80::1'] }, send)).toThrow(VrrpEncodeError);
  });
});

describe('VRRP codec: round trips', () => {
  const cases = [
    { name: 'IPv4 rfc9568', advert: v4Advert, send: v4Send, recv: v4Recv, mode: 'rfc9568', match: 'rfc9568' },
    { name: 'IPv4 rfc5798', advert: v4Advert, send: v4Send, recv: v4Recv, mode: 'rfc5798', match: 'rfc5798' },
    { name: 'IPv6', advert: v6Advert, send: v6Send, recv: v6Recv, mode: 'rfc9568', match: 'ipv6' },
  ] as const;
  for (const c of cases) {
    it(`${c.name}: decode(encode(x)) = x and reports the checksum mode`, () => {
      const advert = { ...c.advert, priority: 254, addresses: [...c.advert.addresses, c.advert.family === 'ipv4' ? '198.51.100.7' : '2001:db8::7'] };
      const bytes = encodeAdvert(advert, { ...c.send, ipv4Checksum: c.mode });
      const d = decodeAdvert(bytes, c.recv);
      expect(d).toEqual({
        ok: true,
        value: { advert, src: c.send.src, dst: c.send.dst, checksum: c.match, notes: [] },
      });
    });
  }

  it('an IPv4 advert checksummed for one destination fails for another in rfc5798 mode only', () => {
    const b5798 = encodeAdvert(v4Advert, { ...v4Send, ipv4Checksum: 'rfc5798' });
    const b9568 = encodeAdvert(v4Advert, { ...v4Send, ipv4Checksum: 'rfc9568' });
    const elsewhere = { ...v4Recv, dst: '192.0.2.2' };
    expect(decodeAdvert(b5798, elsewhere)).toMatchObject({ ok: false, reason: 'checksum' });
    expect(decodeAdvert(b9568, elsewhere)).toMatchObject({ ok: true, value: { checksum: 'rfc9568' } });
  });

  it('checksumValid and matchChecksum agree with the encoder', () => {
    const ip = { family: 'ipv4' as const, src: parseAddress('ipv4', v4Send.src) ?? new Uint8Array(), dst: parseAddress('ipv4', v4Send.dst) ?? new Uint8Array() };
    const b = hex(V4_RFC5798);
    expect(checksumValid(b, ip, 'rfc5798')).toBe(true);
    expect(checksumValid(b, ip, 'rfc9568')).toBe(false);
    expect(matchChecksum(b, ip)).toBe('rfc5798');
    expect(matchChecksum(hex(V4_RFC9568), ip)).toBe('rfc9568');
  });
});

function ipv4Packet(message: Uint8Array, opts: { ttl?: number; proto?: number; padding?: number; total?: number } = {}): Uint8Array {
  const ip = new Uint8Array(20 + message.length + (opts.padding ?? 0));
  ip[0] = 0x45;
  const total = opts.total ?? 20 + message.length;
  ip[2] = total >> 8;
  ip[3] = total & 0xff;
  ip[8] = opts.ttl ?? 255;
  ip[9] = opts.proto ?? 112;
  ip.set([192, 0, 2, 1], 12);
  ip.set([224, 0, 0, 18], 16);
  ip.set(message, 20);
  return ip;
}

describe('VRRP codec: IPv4 packets with their header', () => {
  const message = hex(V4_RFC5798);

  it('decodes header + advert, ignoring Ethernet padding beyond the total length', () => {
    const d = decodeIpv4Packet(ipv4Packet(message, { padding: 18 }));
    expect(d).toMatchObject({ ok: true, value: { src: '192.0.2.1', dst: '224.0.0.18', checksum: 'rfc5798' } });
  });

  it('refuses a short header, another protocol, a bad total length, a wrong TTL', () => {
    expect(decodeIpv4Packet(new Uint8Array(19))).toMatchObject({ ok: false, reason: 'ip_header' });
    const badIhl = ipv4Packet(message);
    badIhl[0] = 0x44;
    expect(decodeIpv4Packet(badIhl)).toMatchObject({ ok: false, reason: 'ip_header' });
    expect(decodeIpv4Packet(ipv4Packet(message, { proto: 17 }))).toMatchObject({ ok: false, reason: 'ip_protocol' });
    expect(decodeIpv4Packet(ipv4Packet(message, { total: 100 }))).toMatchObject({ ok: false, reason: 'ip_total_length' });
    expect(decodeIpv4Packet(ipv4Packet(message, { total: 10 }))).toMatchObject({ ok: false, reason: 'ip_total_length' });
    expect(decodeIpv4Packet(ipv4Packet(message, { ttl: 64 }))).toMatchObject({ ok: false, reason: 'ttl' });
  });

  it('a total length cutting into the advert is a count mismatch, not a silent accept', () => {
    expect(decodeIpv4Packet(ipv4Packet(message, { total: 20 + 10 }))).toMatchObject({ ok: false, reason: 'count_mismatch' });
  });
});

describe('VRRP codec: each refusal reason, in RFC 9568 §7.1 order', () => {
  const good = (): Uint8Array => hex(V4_RFC9568);
  const local = new Map<number, LocalVrid>([[1, { owner: false, addresses: ['192.0.2.100'], advertIntervalMs: 1000 }]]);
  const ctx: ReceiveContext = { ...v4Recv, localVrids: local };

  it('accepts the good packet with no notes', () => {
    expect(decodeAdvert(good(), ctx)).toMatchObject({ ok: true, value: { notes: [] } });
  });
  it('ttl: hop limit other than 255 (checked before anything else)', () => {
    expect(decodeAdvert(new Uint8Array(0), { ...ctx, hopLimit: 254 })).toMatchObject({ ok: false, reason: 'ttl' });
  });
  it('version: not 3', () => {
    const b = good();
    b[0] = 0x21;
    expect(decodeAdvert(b, ctx)).toMatchObject({ ok: false, reason: 'version' });
  });
  it('type: not an advertisement', () => {
    const b = good();
    b[0] = 0x32;
    expect(decodeAdvert(b, ctx)).toMatchObject({ ok: false, reason: 'type' });
  });
  it('truncated: shorter than the header, or than the IP header says', () => {
    expect(decodeAdvert(good().subarray(0, 7), ctx)).toMatchObject({ ok: false, reason: 'truncated' });
    expect(decodeAdvert(good(), { ...ctx, ipPayloadLength: 16 })).toMatchObject({ ok: false, reason: 'truncated' });
    expect(decodeAdvert(new Uint8Array(0), ctx)).toMatchObject({ ok: false, reason: 'truncated' });
  });
  it('count_mismatch: count does not match the length (and padding is cut by ipPayloadLength)', () => {
    const b = good();
    b[3] = 2;
    expect(decodeAdvert(b, ctx)).toMatchObject({ ok: false, reason: 'count_mismatch' });
    const padded = new Uint8Array(46);
    padded.set(good());
    expect(decodeAdvert(padded, ctx)).toMatchObject({ ok: false, reason: 'count_mismatch' });
    expect(decodeAdvert(padded, { ...ctx, ipPayloadLength: 12 })).toMatchObject({ ok: true });
  });
  it('checksum: matches neither mode', () => {
    const b = good();
    b[7] = (b[7] ?? 0) ^ 0x01;
    expect(decodeAdvert(b, ctx)).toMatchObject({ ok: false, reason: 'checksum' });
  });
  it('vrid_unknown: not configured on this interface', () => {
    expect(decodeAdvert(good(), { ...ctx, localVrids: new Map() })).toMatchObject({ ok: false, reason: 'vrid_unknown' });
  });
  it('owner_conflict: processed with a note by default (erratum 8298), refused on request', () => {
    const owner = new Map<number, LocalVrid>([[1, { owner: true, addresses: ['192.0.2.100'], advertIntervalMs: 1000 }]]);
    expect(decodeAdvert(good(), { ...ctx, localVrids: owner })).toMatchObject({ ok: true, value: { notes: ['owner_conflict'] } });
    expect(decodeAdvert(good(), { ...ctx, localVrids: owner, ownerAdverts: 'discard' })).toMatchObject({ ok: false, reason: 'owner_conflict' });
  });
  it('count_zero: no addresses (erratum 8299)', () => {
    const b = encodeAdvert({ ...v4Advert, addresses: [] }, { ...v4Send, ipv4Checksum: 'rfc9568' });
    expect(decodeAdvert(b, ctx)).toMatchObject({ ok: false, reason: 'count_zero' });
  });
  it('ipv6_first_not_link_local: the first IPv6 address must be link-local (erratum 8300)', () => {
    const bad = encodeAdvert({ ...v6Advert, addresses: ['2001:db8::1', 'fe80::1'] }, { ...v6Send, ipv4Checksum: 'rfc9568' });
    expect(decodeAdvert(bad, v6Recv)).toMatchObject({ ok: false, reason: 'ipv6_first_not_link_local' });
    expect(decodeAdvert(bad, { ...v6Recv, ipv6Addresses: 'rfc9568' })).toMatchObject({ ok: false, reason: 'ipv6_first_not_link_local' });
  });
  it('ipv6Addresses keepalived: a global first address is accepted with a note, a link-local first one without', () => {
    // What Keepalived 2.2.7 sends for `virtual_ipaddress { 2001:db8::1 }`: the configured address only.
    const keepalived = encodeAdvert({ ...v6Advert, addresses: ['2001:db8::1'] }, { ...v6Send, ipv4Checksum: 'rfc5798' });
    const local = new Map<number, LocalVrid>([[1, { owner: false, addresses: ['2001:db8::1'], advertIntervalMs: 1000 }]]);
    const ctx6: ReceiveContext = { ...v6Recv, localVrids: local, ipv6Addresses: 'keepalived' };
    expect(decodeAdvert(keepalived, { ...v6Recv, localVrids: local })).toMatchObject({ ok: false, reason: 'ipv6_first_not_link_local' });
    expect(decodeAdvert(keepalived, ctx6)).toMatchObject({
      ok: true,
      value: { advert: { addresses: ['2001:db8::1'] }, notes: ['ipv6_first_not_link_local'] },
    });
    // lvs-ha's RFC list (derived link-local first) is still accepted; its extra address is the usual note.
    const rfc = encodeAdvert({ ...v6Advert, addresses: ['fe80::200:5eff:fe00:201', '2001:db8::1'] }, { ...v6Send, ipv4Checksum: 'rfc5798' });
    expect(decodeAdvert(rfc, ctx6)).toMatchObject({ ok: true, value: { notes: ['address_mismatch'] } });
    // The other checks still apply in keepalived mode.
    expect(decodeAdvert(keepalived, { ...ctx6, hopLimit: 64 })).toMatchObject({ ok: false, reason: 'ttl' });
    const broken = Uint8Array.from(keepalived);
    broken[8] = (broken[8] ?? 0) ^ 1;
    expect(decodeAdvert(broken, ctx6)).toMatchObject({ ok: false, reason: 'checksum' });
  });
  it('ipv6Addresses has no effect on IPv4', () => {
    expect(decodeAdvert(good(), { ...ctx, ipv6Addresses: 'keepalived' })).toMatchObject({ ok: true, value: { notes: [] } });
  });
  it('address_family: src/dst not of the family', () => {
    expect(decodeAdvert(good(), { ...ctx, src: 'fe80::1' })).toMatchObject({ ok: false, reason: 'address_family' });
  });
  it('address and interval mismatches are notes, not refusals', () => {
    const other = new Map<number, LocalVrid>([[1, { owner: false, addresses: ['192.0.2.200'], advertIntervalMs: 100 }]]);
    expect(decodeAdvert(good(), { ...ctx, localVrids: other })).toMatchObject({
      ok: true,
      value: { notes: ['address_mismatch', 'interval_mismatch'] },
    });
  });
  it('the earliest failing check wins (bad TTL and bad version and bad checksum → ttl)', () => {
    const b = good();
    b[0] = 0x21;
    b[7] = (b[7] ?? 0) ^ 1;
    expect(decodeAdvert(b, { ...ctx, hopLimit: 1 })).toMatchObject({ reason: 'ttl' });
    expect(decodeAdvert(b, ctx)).toMatchObject({ reason: 'version' });
  });
});

describe('VRRP codec: never throws', () => {
  it('returns a known reason or an advert for random, truncated and mutated input', () => {
    let seed = 0x12345678;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const seeds = [hex(V4_RFC9568), hex(V4_RFC5798), ipv4Packet(hex(V4_RFC5798))];
    const known = new Set<string>(VRRP_DROP_REASONS);
    let refusals = 0;
    for (let i = 0; i < 3000; i++) {
      const base = seeds[i % seeds.length] ?? new Uint8Array();
      const len = rand(3) === 0 ? rand(80) : rand(base.length + 1);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = rand(4) === 0 ? rand(256) : (base[j] ?? rand(256));
      const results = [
        decodeAdvert(b, v4Recv),
        decodeAdvert(b, { ...v6Recv, ipPayloadLength: rand(100) }),
        decodeIpv4Packet(b),
      ];
      for (const r of results) {
        if (r.ok) expect(r.value.advert.addresses.length).toBeGreaterThan(0);
        else {
          expect(known.has(r.reason)).toBe(true);
          refusals++;
        }
      }
    }
    expect(refusals).toBeGreaterThan(1000);
  });
});
