import { describe, expect, it } from 'vitest';
import {
  bytesToIpv4, bytesToIpv6, familyOf, formatMac, ipToBytes, ipv4ToBytes, ipv6ToBytes, isIpv6LinkLocal, macToBytes, virtualMac,
} from '../../../src/os/inet.js';

describe('address text <-> bytes', () => {
  it('IPv4 round trip and refusal', () => {
    expect(ipv4ToBytes('192.0.2.1')).toEqual(Buffer.from([192, 0, 2, 1]));
    expect(bytesToIpv4(Buffer.from([10, 0, 0, 255]))).toBe('10.0.0.255');
    expect(ipv4ToBytes('192.0.2.256')).toBeUndefined();
    expect(ipv4ToBytes('fe80::1')).toBeUndefined();
  });

  it('IPv6 parses every text form', () => {
    expect(ipv6ToBytes('ff02::12')?.toString('hex')).toBe('ff020000000000000000000000000012');
    expect(ipv6ToBytes('::')?.toString('hex')).toBe('0'.repeat(32));
    expect(ipv6ToBytes('2001:db8:0:0:1:0:0:1')?.toString('hex')).toBe('20010db8000000000001000000000001');
    expect(ipv6ToBytes('fe80::1%eth0')?.toString('hex')).toBe('fe800000000000000000000000000001');
    expect(ipv6ToBytes('::ffff:192.0.2.1')?.toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(ipv6ToBytes('1::')?.toString('hex')).toBe('00010000000000000000000000000000');
    expect(ipv6ToBytes('2001:db8::g')).toBeUndefined();
    expect(ipv6ToBytes('10.0.0.1')).toBeUndefined();
  });

  it('IPv6 formats as RFC 5952 (longest zero run, lowercase, no single-group ::)', () => {
    const f = (s: string): string => bytesToIpv6(Buffer.from(s, 'hex'));
    expect(f('ff020000000000000000000000000012')).toBe('ff02::12');
    expect(f('20010db8000000000001000000000001')).toBe('2001:db8::1:0:0:1');
    expect(f('20010db8000100010001000100010000')).toBe('2001:db8:1:1:1:1:1:0');
    expect(f('0'.repeat(32))).toBe('::');
    expect(f('fe80000000000000000000000000000a')).toBe('fe80::a');
  });

  it('family, link-local test, generic parse', () => {
    expect(familyOf('192.0.2.1')).toBe(4);
    expect(familyOf('fe80::1%lo')).toBe(6);
    expect(familyOf('nope')).toBeUndefined();
    expect(isIpv6LinkLocal(ipToBytes('fe80::1') ?? Buffer.alloc(16))).toBe(true);
    expect(isIpv6LinkLocal(ipToBytes('febf::1') ?? Buffer.alloc(16))).toBe(true);
    expect(isIpv6LinkLocal(ipToBytes('fec0::1') ?? Buffer.alloc(16))).toBe(false);
    expect(isIpv6LinkLocal(ipToBytes('2001:db8::1') ?? Buffer.alloc(16))).toBe(false);
  });

  it('MAC text and the VRRP virtual MAC', () => {
    expect(macToBytes('02:00:5E:10:00:0a')).toEqual(Buffer.from([2, 0, 0x5e, 0x10, 0, 0x0a]));
    expect(macToBytes('02:00:5e:10:00')).toBeUndefined();
    expect(formatMac(Buffer.from([0, 0, 0x5e, 0, 1, 0xff]))).toBe('00:00:5e:00:01:ff');
    expect(formatMac(virtualMac(51, 4))).toBe('00:00:5e:00:01:33');
    expect(formatMac(virtualMac(1, 6))).toBe('00:00:5e:00:02:01');
  });
});
