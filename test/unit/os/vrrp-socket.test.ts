import { describe, expect, it } from 'vitest';
import { bindToDeviceValue, buildIpv4Header, ipMreqn, ipv6Mreq } from '../../../src/os/vrrp-socket.js';
import { readIpv4Header } from '../../../src/vrrp/packet.js';

// Received IPv4 headers are read by the codec (src/vrrp/packet.ts readIpv4Header, through
// src/vrrp/receive.ts): see test/unit/vrrp/receive.test.ts.

describe('IPv4 header sent with IP_HDRINCL', () => {
  it('is keepalived 2.2.7 header (tos 0xc0, ttl 255, proto 112, no DF) with ID 0 and its checksum', () => {
    // Captured keepalived header: 45c0 0020 0001 0000 ff70 1899 c0000201 e0000012 (ID 1).
    // With ID 0 the one's-complement checksum is one higher: 189a.
    const h = buildIpv4Header(Buffer.from([192, 0, 2, 1]), Buffer.from([224, 0, 0, 18]), 12);
    expect(h.toString('hex')).toBe('45c00020000000' + '00ff70189a' + 'c0000201e0000012');
    const parsed = readIpv4Header(Buffer.concat([h, Buffer.alloc(12)]));
    expect(parsed).toMatchObject({ ok: true, value: { ttl: 255, totalLength: 32, src: '192.0.2.1', dst: '224.0.0.18' } });
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
