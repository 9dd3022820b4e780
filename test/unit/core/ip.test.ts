import { describe, expect, test } from 'vitest';
import { formatIp, isIpv6LinkLocalBytes, parseIp, parseIpv4, parseIpv6 } from '../../../src/core/ip.js';

describe('core/ip', () => {
  test('IPv4 text and bytes', () => {
    expect(Array.from(parseIpv4('192.0.2.1') ?? [])).toEqual([192, 0, 2, 1]);
    for (const bad of ['192.0.2', '192.0.2.256', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d']) {
      expect(parseIpv4(bad), bad).toBeNull();
    }
    expect(formatIp(Uint8Array.from([10, 0, 0, 100]))).toBe('10.0.0.100');
  });

  test('IPv6 parse accepts compression and an embedded IPv4 tail, refuses malformed text', () => {
    expect(Array.from(parseIpv6('::1') ?? [])).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(Array.from(parseIpv6('::ffff:10.0.0.1') ?? []).slice(10)).toEqual([0xff, 0xff, 10, 0, 0, 1]);
    for (const bad of ['1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '']) {
      expect(parseIpv6(bad), bad).toBeNull();
    }
  });

  test('IPv6 text is canonical per RFC 5952: lowercase, longest zero run compressed, first on a tie', () => {
    const canon = (t: string): string => formatIp(parseIp(t) ?? new Uint8Array());
    expect(canon('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canon('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canon('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(canon('2001:db8:1:1:1:1:0:1')).toBe('2001:db8:1:1:1:1:0:1');
    expect(canon('::')).toBe('::');
    expect(formatIp(new Uint8Array(5))).toBe('');
  });

  test('link-local is fe80::/10 only', () => {
    expect(isIpv6LinkLocalBytes(parseIpv6('fe80::1') ?? new Uint8Array())).toBe(true);
    expect(isIpv6LinkLocalBytes(parseIpv6('febf::1') ?? new Uint8Array())).toBe(true);
    expect(isIpv6LinkLocalBytes(parseIpv6('fec0::1') ?? new Uint8Array())).toBe(false);
  });
});
