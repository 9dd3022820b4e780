import { describe, expect, it } from 'vitest';
import { canonicalAddress, compareAddresses, formatAddress, isIpv6LinkLocal, parseAddress } from '../../../src/vrrp/address.js';

describe('VRRP address helpers', () => {
  it('parses and formats IPv4', () => {
    expect(Array.from(parseAddress('ipv4', '192.0.2.1') ?? [])).toEqual([192, 0, 2, 1]);
    for (const bad of ['192.0.2', '192.0.2.256', '01.2.3.4', 'a.b.c.d', '', '1.2.3.4.5']) {
      expect(parseAddress('ipv4', bad)).toBeNull();
    }
  });

  it('canonicalises IPv6 as RFC 5952 (lowercase, longest zero run, first on tie)', () => {
    expect(canonicalAddress('ipv6', 'FE80:0:0:0:0:FF:FE00:A')).toBe('fe80::ff:fe00:a');
    expect(canonicalAddress('ipv6', '2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalAddress('ipv6', '2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalAddress('ipv6', '::')).toBe('::');
    expect(canonicalAddress('ipv6', '::1')).toBe('::1');
    expect(canonicalAddress('ipv6', 'ff02::12')).toBe('ff02::12');
    expect(canonicalAddress('ipv6', '::ffff:192.0.2.1')).toBe('::ffff:c000:201');
    for (const bad of ['1::2::3', ':1', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::', '1:2:3:4:5:6:7::8']) {
      expect(canonicalAddress('ipv6', bad)).toBeNull();
    }
  });

  it('compares as unsigned big-endian integers, not as text', () => {
    expect(compareAddresses('ipv4', '192.0.2.100', '192.0.2.20')).toBeGreaterThan(0);
    expect(compareAddresses('ipv4', '10.0.0.1', '9.255.255.255')).toBeGreaterThan(0);
    expect(compareAddresses('ipv4', '200.0.0.1', '100.0.0.1')).toBeGreaterThan(0);
    expect(compareAddresses('ipv6', 'fe80::a', 'fe80::1:0')).toBeLessThan(0);
    expect(compareAddresses('ipv6', 'fe80::1', 'FE80:0::1')).toBe(0);
  });

  it('recognises IPv6 link-local (fe80::/10)', () => {
    expect(isIpv6LinkLocal(parseAddress('ipv6', 'fe80::1') ?? new Uint8Array())).toBe(true);
    expect(isIpv6LinkLocal(parseAddress('ipv6', 'febf::1') ?? new Uint8Array())).toBe(true);
    expect(isIpv6LinkLocal(parseAddress('ipv6', 'fec0::1') ?? new Uint8Array())).toBe(false);
    expect(isIpv6LinkLocal(parseAddress('ipv6', '2001:db8::1') ?? new Uint8Array())).toBe(false);
    expect(formatAddress(new Uint8Array(3))).toBe('');
  });
});
