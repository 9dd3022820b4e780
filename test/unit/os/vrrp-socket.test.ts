import { describe, expect, it } from 'vitest';
import { bindToDeviceValue, buildIpv4Header, ipMreqn, ipv6Mreq, parseIpv4Header } from '../../../src/os/vrrp-socket.js';
import { toReceivedIpv4 } from '../../../src/os/vrrp-socket-ipv4.js';

// A 20-byte IPv4 header: TTL 255, protocol 112, 192.0.2.1 -> 224.0.0.18, total length 32.
const header = Buffer.from('45c00020000000 00ff70 0000 c0000201 e0000012'.replace(/ /g, ''), 'hex');
const vrrp = Buffer.from('3133640100640000c0000264', 'hex');

describe('IPv4 header of received raw packets', () => {
  it('parses TTL, protocol, addresses, lengths', () => {
    const r = parseIpv4Header(Buffer.concat([header, vrrp]));
    expect(r).toEqual({
      ok: true,
      value: { headerLength: 20, totalLength: 32, ttl: 255, protocol: 112, src: '192.0.2.1', dst: '224.0.0.18' },
    });
  });

  it('refuses short, non-v4 and bad-IHL headers without throwing', () => {
    expect(parseIpv4Header(header.subarray(0, 19))).toMatchObject({ ok: false, reason: expect.stringMatching(/^ip-header-truncated/) as unknown });
    const v6 = Buffer.from(header);
    v6[0] = 0x65;
    expect(parseIpv4Header(v6)).toMatchObject({ ok: false, reason: expect.stringMatching(/version 6/) as unknown });
    const ihl = Buffer.from(header);
    ihl[0] = 0x44;
    expect(parseIpv4Header(ihl)).toMatchObject({ ok: false, reason: expect.stringMatching(/header length 16/) as unknown });
    const longIhl = Buffer.from(header);
    longIhl[0] = 0x4f;
    expect(parseIpv4Header(longIhl)).toMatchObject({ ok: false, reason: expect.stringMatching(/^ip-header-truncated/) as unknown });
  });

  it('hands up the payload after the header (honouring IHL options) and the TTL', () => {
    const withOptions = Buffer.from(header);
    withOptions[0] = 0x46;
    withOptions.writeUInt16BE(36, 2);
    withOptions[8] = 1;
    const r = toReceivedIpv4(Buffer.concat([withOptions, Buffer.from('94040000', 'hex'), vrrp]), 3);
    expect(r).toEqual({
      packet: {
        family: 4, payload: vrrp, src: '192.0.2.1', dst: '224.0.0.18', ttlOrHopLimit: 1, ifindex: 3, ipPayloadLength: 12, ipTotalLength: 36,
      },
    });
    expect(toReceivedIpv4(Buffer.alloc(4), 3)).toMatchObject({ drop: { reason: 'ip-header-truncated' } });
    expect(toReceivedIpv4(Buffer.alloc(20), 3)).toMatchObject({ drop: { reason: 'ip-header-invalid' } });
  });

  it('copies the payload (raw-socket reuses its receive buffer)', () => {
    const buf = Buffer.concat([header, vrrp]);
    const r = toReceivedIpv4(buf, 1);
    buf.fill(0);
    expect('packet' in r && r.packet.payload).toEqual(vrrp);
  });
});

describe('IPv4 header sent with IP_HDRINCL', () => {
  it('is keepalived 2.2.7 header (tos 0xc0, ttl 255, proto 112, no DF) with ID 0 and its checksum', () => {
    // Captured keepalived header: 45c0 0020 0001 0000 ff70 1899 c0000201 e0000012 (ID 1).
    // With ID 0 the one's-complement checksum is one higher: 189a.
    const h = buildIpv4Header(Buffer.from([192, 0, 2, 1]), Buffer.from([224, 0, 0, 18]), 12);
    expect(h.toString('hex')).toBe('45c00020000000' + '00ff70189a' + 'c0000201e0000012');
    const parsed = parseIpv4Header(Buffer.concat([h, Buffer.alloc(12)]));
    expect(parsed).toMatchObject({ ok: true, value: { ttl: 255, protocol: 112, totalLength: 32, src: '192.0.2.1', dst: '224.0.0.18' } });
  });
});

describe('socket option structs', () => {
  it('ip_mreqn, ipv6_mreq and the SO_BINDTODEVICE name', () => {
    expect(ipMreqn(Buffer.from([224, 0, 0, 18]), Buffer.from([192, 0, 2, 1]), 5).toString('hex')).toBe('e0000012c000020105000000');
    expect(ipv6Mreq(Buffer.from('ff020000000000000000000000000012', 'hex'), 258).toString('hex')).toBe(
      'ff02000000000000000000000000001202010000',
    );
    expect(bindToDeviceValue('eth0')).toEqual(Buffer.from([0x65, 0x74, 0x68, 0x30, 0]));
  });
});
