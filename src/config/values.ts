/**
 * Pure parsers for the scalar value kinds of the config: durations, IP
 * addresses and prefixes, host:port, paths, names. Each returns the value or
 * a short "expected" text describing what would have been accepted.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressFamily, IpAddress, IpPrefix, VrrpInstanceConfig } from './types.js';
import { formatIp, parseIp as parseIpBytes, parseIpv6 } from '../core/ip.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function bad<T>(expected: string): Parsed<T> {
  return { ok: false, expected };
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_SEGMENT = /^(\d+(?:\.\d+)?)([a-zA-Zµ]+)/;

/**
 * A duration like `10ms`, `2s`, `1.5s`, `1m`, `1h` or `1m30s`, in whole milliseconds.
 * Bare numbers are refused: the unit must always be written.
 */
export function parseDuration(text: string): Parsed<number> {
  const usage = "a duration with a unit (ms, s, m or h), e.g. '100ms' or '2s'";
  const trimmed = text.trim();
  if (trimmed === '') return bad(usage);
  if (/^\d+(\.\d+)?$/.test(trimmed)) return bad(`${usage}; a bare number has no unit`);
  let rest = trimmed;
  let total = 0;
  while (rest !== '') {
    const m = DURATION_SEGMENT.exec(rest);
    if (!m) return bad(usage);
    const [whole, num = '', unit = ''] = m;
    const factor = DURATION_UNITS[unit];
    if (factor === undefined) return bad(`${usage}; '${unit}' is not a unit`);
    total += Number(num) * factor;
    rest = rest.slice(whole.length);
  }
  const rounded = Math.round(total);
  if (Math.abs(rounded - total) > 1e-6) return bad(`${usage}, in whole milliseconds`);
  return ok(rounded);
}

/** Render milliseconds the way an operator would write them. */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The 16 bytes of a syntactically valid IPv6 address (checked by isIPv6 first). */
export function ipv6Bytes(text: string): number[] {
  return Array.from(parseIpv6(text) ?? new Uint8Array(16));
}

/** A plain IP address (no prefix, no zone), canonicalised. */
export function parseIp(text: string): Parsed<IpAddress> {
  const expected = 'an IPv4 or IPv6 address';
  if (text.includes('/')) return bad(`${expected} without a prefix length`);
  if (text.includes('%')) return bad(`${expected} without a zone index (the interface is implied)`);
  if (isIPv4(text)) return ok({ text, family: 'ipv4' });
  if (isIPv6(text)) {
    return ok({ text: formatIp(parseIpv6(text) ?? new Uint8Array(16)), family: 'ipv6' });
  }
  return bad(expected);
}

/** An address with an optional prefix length: 10.0.0.100/24, 2001:db8::10/64, 10.0.0.1. */
export function parsePrefix(text: string): Parsed<IpPrefix> {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIp(addrText);
  if (!addr.ok) return bad('an IPv4 or IPv6 address with an optional /prefix, e.g. 10.0.0.100/24');
  const max = addr.value.family === 'ipv4' ? 32 : 128;
  if (slash < 0) return ok({ ...addr.value, prefixLength: max });
  const lenText = text.slice(slash + 1);
  const len = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(len >= 1 && len <= max)) return bad(`a prefix length 1..${max} after the '/'`);
  return ok({ ...addr.value, prefixLength: len });
}

function v4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

export function isMulticast(ip: IpAddress): boolean {
  if (ip.family === 'ipv4') return ((v4Bytes(ip.text)[0] ?? 0) & 0xf0) === 0xe0;
  return ipv6Bytes(ip.text)[0] === 0xff;
}

export function isUnspecified(ip: IpAddress): boolean {
  return ip.family === 'ipv4' ? ip.text === '0.0.0.0' : ip.text === '::';
}

export function isLoopback(ip: IpAddress): boolean {
  return ip.family === 'ipv4' ? v4Bytes(ip.text)[0] === 127 : ip.text === '::1';
}

/** fe80::/10: meaningful only together with an interface. */
export function isIpv6LinkLocal(ip: IpAddress): boolean {
  if (ip.family !== 'ipv6') return false;
  const [a = 0, b = 0] = ipv6Bytes(ip.text);
  return a === 0xfe && (b & 0xc0) === 0x80;
}

/** Why an address cannot stand for a host (VIP, peer, real server), or null if it can. */
export function notUnicastReason(ip: IpAddress): string | null {
  if (isUnspecified(ip)) return 'the unspecified address';
  if (isMulticast(ip)) return 'a multicast address';
  if (isLoopback(ip)) return 'a loopback address';
  if (ip.family === 'ipv4' && ip.text === '255.255.255.255') return 'the broadcast address';
  return null;
}

/** A dotted IPv4 netmask (contiguous ones), returned as its prefix length. */
/**
 * A route destination: a network address with a prefix length 0..32 / 0..128 (0.0.0.0/0 and ::/0
 * are the default routes). Host bits must be zero, as the kernel stores the route.
 */
export function parseRouteDestination(text: string): Parsed<IpPrefix> {
  const expected = 'a network with a prefix length, e.g. 198.51.100.0/24, 2001:db8::/32 or 0.0.0.0/0';
  const slash = text.indexOf('/');
  if (slash < 0) return bad(expected);
  const addr = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!addr.ok || !/^\d{1,3}$/.test(lenText)) return bad(expected);
  const max = addr.value.family === 'ipv4' ? 32 : 128;
  const len = Number(lenText);
  if (len > max) return bad(`a prefix length 0..${String(max)} after the '/'`);
  const bytes = parseIpBytes(addr.value.text) ?? new Uint8Array(max / 8);
  const net = bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    return keep === 8 ? b : b & ((0xff << (8 - keep)) & 0xff);
  });
  const netText = formatIp(net);
  if (netText !== addr.value.text) return bad(`the network address with its host bits zero: did you mean ${netText}/${String(len)}?`);
  return ok({ ...addr.value, prefixLength: len });
}

export function parseV4Netmask(text: string): Parsed<number> {
  const expected = 'a dotted IPv4 netmask with contiguous ones, e.g. 255.255.255.0';
  if (!isIPv4(text)) return bad(expected);
  const value = v4Bytes(text).reduce((acc, b) => acc * 256 + b, 0);
  const ones = value.toString(2).padStart(32, '0');
  if (!/^1+0*$/.test(ones)) return bad(expected);
  return ok(ones.includes('0') ? ones.indexOf('0') : 32);
}

export function prefixToV4Netmask(prefix: number): string {
  const value = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (value >>> s) & 0xff).join('.');
}

/** host:port with an IP literal host; IPv6 in brackets: [::1]:9650. */
export function parseHostPort(text: string): Parsed<{ host: IpAddress; port: number }> {
  const expected = "host:port with an IP address, e.g. '127.0.0.1:9650' or '[::1]:9650'";
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return bad(expected);
  const hostText = m[1] ?? m[2] ?? '';
  const host = parseIp(hostText);
  if (!host.ok) return bad(expected);
  if (m[1] !== undefined && host.value.family !== 'ipv6') return bad(expected);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return bad(`${expected}; port 1..65535`);
  return ok({ host: host.value, port });
}

/** Names of instances, groups, virtual servers, alerts, scripts: safe in logs and metric labels. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const NAME_EXPECTED = 'a name of 1..64 characters: letters, digits, _ . - (starting with a letter or digit)';

/** Linux interface names: 1..15 bytes, no '/', ':', whitespace; not '.' or '..'. */
export function parseInterfaceName(text: string): Parsed<string> {
  const expected = "an interface name of 1..15 characters without '/', ':' or whitespace";
  if (text === '.' || text === '..') return bad(expected);
  if (!/^[^/:\s]{1,15}$/.test(text) || Buffer.byteLength(text) > 15) return bad(expected);
  return ok(text);
}

export function parseAbsolutePath(text: string): Parsed<string> {
  if (!text.startsWith('/') || text.includes('\0')) return bad("an absolute path starting with '/'");
  return ok(text);
}

export function parseHttpUrl(text: string): Parsed<string> {
  const expected = 'an http:// or https:// URL';
  if (!URL.canParse(text)) return bad(expected);
  const url = new URL(text);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return bad(expected);
  return ok(url.toString());
}

export function familyName(family: AddressFamily): string {
  return family === 'ipv4' ? 'IPv4' : 'IPv6';
}

/**
 * Every address an instance adds on MASTER and removes otherwise: its VIPs, then its
 * virtual_addresses_excluded. The advert carries only the VIPs (src/vrrp/instance-setup.ts).
 */
export function managedAddresses(instance: Pick<VrrpInstanceConfig, 'virtualAddresses' | 'excludedAddresses'>): readonly IpPrefix[] {
  const excluded = instance.excludedAddresses ?? [];
  return excluded.length === 0 ? instance.virtualAddresses : [...instance.virtualAddresses, ...excluded];
}
