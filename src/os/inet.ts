/**
 * Pure conversions between address text and bytes (IPv4, IPv6, MAC), and the
 * VRRP virtual MAC. No I/O; invalid text yields undefined, never a throw.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export function ipv4ToBytes(text: string): Buffer | undefined {
  if (!isIPv4(text)) return undefined;
  return Buffer.from(text.split('.').map((part) => Number(part)));
}

export function bytesToIpv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}

/** Parse any valid IPv6 text (compressed, embedded IPv4, zone stripped) to 16 bytes. */
export function ipv6ToBytes(text: string): Buffer | undefined {
  const bare = text.split('%')[0] ?? '';
  if (!isIPv6(bare)) return undefined;
  let groups = bare;
  const lastColon = groups.lastIndexOf(':');
  const tail = groups.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4ToBytes(tail);
    if (!v4) return undefined;
    groups = `${groups.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', rest] = groups.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const restParts = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headParts.length - restParts.length;
  const parts = rest === undefined ? headParts : [...headParts, ...Array<string>(missing).fill('0'), ...restParts];
  if (parts.length !== 8) return undefined;
  const out = Buffer.alloc(16);
  parts.forEach((part, i) => out.writeUInt16BE(parseInt(part, 16), i * 2));
  return out;
}

/** RFC 5952 text: lowercase, longest run (>= 2) of zero groups compressed. */
export function bytesToIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function ipToBytes(text: string): Buffer | undefined {
  return isIPv4(text) ? ipv4ToBytes(text) : ipv6ToBytes(text);
}

export function familyOf(text: string): IpFamily | undefined {
  if (isIPv4(text)) return 4;
  if (isIPv6(text.split('%')[0] ?? '')) return 6;
  return undefined;
}

/** fe80::/10 */
export function isIpv6LinkLocal(bytes: Uint8Array): boolean {
  return bytes[0] === 0xfe && ((bytes[1] ?? 0) & 0xc0) === 0x80;
}

export function macToBytes(text: string): Buffer | undefined {
  if (!/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(text)) return undefined;
  return Buffer.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
}

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The VRRP virtual MAC (RFC 9568 §7.3): 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6. */
export function virtualMac(vrid: number, family: IpFamily): Buffer {
  return Buffer.from([0x00, 0x00, 0x5e, 0x00, family === 4 ? 0x01 : 0x02, vrid & 0xff]);
}
