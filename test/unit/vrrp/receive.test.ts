/**
 * The production receive path (src/vrrp/receive.ts): whole IPv4 packets through the codec's own
 * header reader and decodeIpv4Packet, IPv6 payloads with their ancillary facts through
 * decodeAdvert. These replace the transport's former private IPv4 header parser.
 */
import { describe, expect, it } from 'vitest';
import type { ReceivedVrrpPacket } from '../../../src/os/vrrp-socket.js';
import { buildIpv4Header } from '../../../src/os/vrrp-socket.js';
import { encodeAdvert, readIpv4Header, type LocalVrid } from '../../../src/vrrp/packet.js';
import { decodeReceived } from '../../../src/vrrp/receive.js';

const vrids = new Map<number, LocalVrid>([[51, { owner: false, addresses: ['10.0.0.100'], advertIntervalMs: 1000 }]]);
const v4 = { family: 'ipv4' as const, localVrids: vrids };

function advert4(priority = 100, vrid = 51): Buffer {
  return Buffer.from(encodeAdvert({ family: 'ipv4', vrid, priority, maxAdverIntMs: 1000, addresses: ['10.0.0.100'] }, { src: '192.0.2.1', dst: '224.0.0.18', ipv4Checksum: 'rfc5798' }));
}

function packet4(message: Buffer, edit: (header: Buffer) => void = () => undefined): ReceivedVrrpPacket {
  const header = buildIpv4Header(Buffer.from([192, 0, 2, 1]), Buffer.from([224, 0, 0, 18]), message.length);
  edit(header);
  return { family: 4, packet: Buffer.concat([header, message]), ifindex: 2 };
}

describe('decodeReceived: IPv4 packets, header included', () => {
  it('takes source, destination and TTL from the header and decodes the advert', () => {
    const r = decodeReceived(packet4(advert4(120)), v4);
    expect(r).toMatchObject({ ok: true, value: { src: '192.0.2.1', dst: '224.0.0.18', checksum: 'rfc5798', advert: { vrid: 51, priority: 120 } } });
  });

  it('honours IHL options and cuts Ethernet padding at the total length', () => {
    const message = advert4();
    const options = Buffer.from('94040000', 'hex'); // router alert
    const header = buildIpv4Header(Buffer.from([192, 0, 2, 1]), Buffer.from([224, 0, 0, 18]), message.length + 4);
    header[0] = 0x46;
    const packet = Buffer.concat([header, options, message, Buffer.alloc(6)]);
    expect(decodeReceived({ family: 4, packet, ifindex: 2 }, v4)).toMatchObject({ ok: true, value: { advert: { priority: 100 } } });
    expect(readIpv4Header(packet)).toMatchObject({ ok: true, value: { headerLength: 24, totalLength: 24 + message.length } });
  });

  it('refuses a bad header, protocol, total length or TTL under the codec reasons, without throwing', () => {
    const reason = (p: ReceivedVrrpPacket): unknown => {
      const r = decodeReceived(p, v4);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason({ family: 4, packet: Buffer.alloc(4), ifindex: 2 })).toBe('ip_header');
    expect(reason(packet4(advert4(), (h) => { h[0] = 0x65; }))).toBe('ip_header');
    expect(reason(packet4(advert4(), (h) => { h[0] = 0x4f; }))).toBe('ip_header');
    expect(reason(packet4(advert4(), (h) => { h[9] = 17; }))).toBe('ip_protocol');
    expect(reason(packet4(advert4(), (h) => { h.writeUInt16BE(200, 2); }))).toBe('ip_total_length');
    expect(reason(packet4(advert4(), (h) => { h[8] = 1; }))).toBe('ttl');
    expect(reason(packet4(advert4(100, 99)))).toBe('vrid_unknown');
  });

  it('refuses a packet of the other family as address_family', () => {
    expect(decodeReceived(packet4(advert4()), { family: 'ipv6', localVrids: new Map() })).toMatchObject({ ok: false, reason: 'address_family' });
  });
});

describe('decodeReceived: IPv6 payloads with ancillary facts', () => {
  const ll = 'fe80::1';
  const message = Buffer.from(encodeAdvert({ family: 'ipv6', vrid: 61, priority: 100, maxAdverIntMs: 1000, addresses: ['fe80::200:5eff:fe00:23d'] }, { src: ll, dst: 'ff02::12', ipv4Checksum: 'rfc5798' }));
  const local = new Map<number, LocalVrid>([[61, { owner: false, addresses: ['fe80::200:5eff:fe00:23d'], advertIntervalMs: 1000 }]]);

  it('decodes with the hop limit from IPV6_HOPLIMIT, and refuses a missing one (-1) as ttl', () => {
    const p = (hopLimit: number): ReceivedVrrpPacket => ({ family: 6, payload: message, src: ll, dst: 'ff02::12', hopLimit, ifindex: 2 });
    expect(decodeReceived(p(255), { family: 'ipv6', localVrids: local })).toMatchObject({ ok: true, value: { checksum: 'ipv6', advert: { vrid: 61 } } });
    expect(decodeReceived(p(-1), { family: 'ipv6', localVrids: local })).toMatchObject({ ok: false, reason: 'ttl' });
  });

  it('passes the ipv6_addresses mode: a Keepalived advert with a global first address is dropped or noted', () => {
    const global = Buffer.from(encodeAdvert({ family: 'ipv6', vrid: 61, priority: 100, maxAdverIntMs: 1000, addresses: ['2001:db8::100'] }, { src: ll, dst: 'ff02::12', ipv4Checksum: 'rfc5798' }));
    const p: ReceivedVrrpPacket = { family: 6, payload: global, src: ll, dst: 'ff02::12', hopLimit: 255, ifindex: 2 };
    const mine = new Map<number, LocalVrid>([[61, { owner: false, addresses: ['2001:db8::100'], advertIntervalMs: 1000 }]]);
    expect(decodeReceived(p, { family: 'ipv6', localVrids: mine })).toMatchObject({ ok: false, reason: 'ipv6_first_not_link_local' });
    expect(decodeReceived(p, { family: 'ipv6', localVrids: mine, ipv6Addresses: 'rfc9568' })).toMatchObject({ ok: false, reason: 'ipv6_first_not_link_local' });
    expect(decodeReceived(p, { family: 'ipv6', localVrids: mine, ipv6Addresses: 'keepalived' })).toMatchObject({ ok: true, value: { notes: ['ipv6_first_not_link_local'] } });
  });
});
