import { describe, expect, test } from 'vitest';
import { closestMatch, editDistance } from '../../../src/config/suggest.js';
import {
  formatDuration,
  ipv6Bytes,
  isIpv6LinkLocal,
  isMulticast,
  notUnicastReason,
  parseDuration,
  parseHostPort,
  parseInterfaceName,
  parseIp,
  parsePrefix,
  parseV4Netmask,
  prefixToV4Netmask,
} from '../../../src/config/values.js';

describe('parseDuration', () => {
  test.each([
    ['10ms', 10],
    ['2s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['0s', 0],
    [' 100ms ', 100],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  test('a bare number is refused with a message about the missing unit', () => {
    const r = parseDuration('100');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.expected).toContain('a bare number has no unit');
  });

  test.each(['1x', '5sec', '2d', '10us'])('unknown unit in %s is named', (text) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.expected).toMatch(/'[a-z]+' is not a unit/);
  });

  test.each(['', 'ms', '-1s', '1.0001ms', 's1', '1s 2'])('%j is refused', (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });

  test('formatDuration picks the largest exact unit', () => {
    expect([0, 10, 1000, 90_000, 60_000, 7_200_000, 40_950].map(formatDuration)).toEqual(['0s', '10ms', '1s', '90s', '1m', '2h', '40950ms']);
  });
});

describe('addresses', () => {
  test('IPv4 and IPv6 are recognised; IPv6 is canonicalised', () => {
    expect(parseIp('10.0.0.1')).toEqual({ ok: true, value: { text: '10.0.0.1', family: 'ipv4' } });
    expect(parseIp('2001:DB8:0:0::0:1')).toEqual({ ok: true, value: { text: '2001:db8::1', family: 'ipv6' } });
  });

  test.each(['10.0.0.256', '010.0.0.1', 'fe80::1%eth0', '10.0.0.1/24', 'example.com', '::g'])('%s is not a plain address', (text) => {
    expect(parseIp(text).ok).toBe(false);
  });

  test('prefixes default to a host prefix and are bounded by the family', () => {
    expect(parsePrefix('10.0.0.100')).toEqual({ ok: true, value: { text: '10.0.0.100', family: 'ipv4', prefixLength: 32 } });
    expect(parsePrefix('2001:db8::1/64')).toEqual({ ok: true, value: { text: '2001:db8::1', family: 'ipv6', prefixLength: 64 } });
    expect(parsePrefix('10.0.0.1/33').ok).toBe(false);
    expect(parsePrefix('10.0.0.1/0').ok).toBe(false);
    expect(parsePrefix('2001:db8::1/129').ok).toBe(false);
    expect(parsePrefix('10.0.0.1/').ok).toBe(false);
  });

  test('ipv6Bytes expands ::, and embedded IPv4', () => {
    expect(ipv6Bytes('::1')).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(ipv6Bytes('ff02::12').slice(0, 2)).toEqual([0xff, 0x02]);
    expect(ipv6Bytes('::ffff:10.0.0.1').slice(10)).toEqual([0xff, 0xff, 10, 0, 0, 1]);
  });

  test('unicast classification', () => {
    const v = (t: string) => {
      const r = parseIp(t);
      if (!r.ok) throw new Error(t);
      return r.value;
    };
    expect(isMulticast(v('224.0.0.81'))).toBe(true);
    expect(isMulticast(v('239.255.255.255'))).toBe(true);
    expect(isMulticast(v('240.0.0.1'))).toBe(false);
    expect(isMulticast(v('ff02::12'))).toBe(true);
    expect(isMulticast(v('fe80::1'))).toBe(false);
    expect(isIpv6LinkLocal(v('fe80::1'))).toBe(true);
    expect(isIpv6LinkLocal(v('febf::1'))).toBe(true);
    expect(isIpv6LinkLocal(v('fec0::1'))).toBe(false);
    expect(isIpv6LinkLocal(v('169.254.0.1'))).toBe(false);
    expect(notUnicastReason(v('0.0.0.0'))).toBe('the unspecified address');
    expect(notUnicastReason(v('::'))).toBe('the unspecified address');
    expect(notUnicastReason(v('127.0.0.5'))).toBe('a loopback address');
    expect(notUnicastReason(v('255.255.255.255'))).toBe('the broadcast address');
    expect(notUnicastReason(v('10.0.0.1'))).toBeNull();
    expect(notUnicastReason(v('2001:db8::1'))).toBeNull();
  });

  test('IPv4 netmasks must be contiguous', () => {
    expect(parseV4Netmask('255.255.255.0')).toEqual({ ok: true, value: 24 });
    expect(parseV4Netmask('255.255.255.255')).toEqual({ ok: true, value: 32 });
    expect(parseV4Netmask('0.0.0.0').ok).toBe(false);
    expect(parseV4Netmask('255.0.255.0').ok).toBe(false);
    expect(parseV4Netmask('24').ok).toBe(false);
    expect(prefixToV4Netmask(20)).toBe('255.255.240.0');
    expect(prefixToV4Netmask(32)).toBe('255.255.255.255');
  });

  test('host:port with IPv6 in brackets', () => {
    expect(parseHostPort('127.0.0.1:9650')).toEqual({ ok: true, value: { host: { text: '127.0.0.1', family: 'ipv4' }, port: 9650 } });
    expect(parseHostPort('[::1]:9650')).toEqual({ ok: true, value: { host: { text: '::1', family: 'ipv6' }, port: 9650 } });
    for (const bad of ['::1:9650', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', 'localhost:9650', '[10.0.0.1]:80']) {
      expect(parseHostPort(bad).ok, bad).toBe(false);
    }
  });

  test('interface names', () => {
    expect(parseInterfaceName('eth0').ok).toBe(true);
    expect(parseInterfaceName('bond0.100').ok).toBe(true);
    for (const bad of ['', 'a-very-long-name0', 'eth/0', 'eth 0', '..', 'eth0:1']) expect(parseInterfaceName(bad).ok, bad).toBe(false);
  });
});

describe('did you mean', () => {
  test('edit distance counts transpositions as one step and ignores case and -/_', () => {
    expect(editDistance('priority', 'priorty')).toBe(1);
    expect(editDistance('priority', 'prioirty')).toBe(1);
    expect(editDistance('Advert-Interval', 'advert_interval')).toBe(0);
    expect(editDistance('abc', 'xyz')).toBe(3);
  });

  test('close words and prefixes are suggested; distant words are not', () => {
    const keys = ['name', 'interface', 'vrid', 'priority', 'advert_interval', 'preempt', 'preempt_delay'];
    expect(closestMatch('preemt', keys)).toBe('preempt');
    expect(closestMatch('advert_int', keys)).toBe('advert_interval');
    expect(closestMatch('interfce', keys)).toBe('interface');
    expect(closestMatch('vird', keys)).toBe('vrid');
    expect(closestMatch('weight', keys)).toBeNull();
    expect(closestMatch('x', keys)).toBeNull();
  });
});
