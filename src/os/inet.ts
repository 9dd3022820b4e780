/**
 * Pure conversions between address text and bytes (IPv4, IPv6, MAC), and the
 * VRRP virtual MAC. No I/O; invalid text yields undefined, never a throw.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { formatIp, isIpv6LinkLocalBytes, parseIpv4, parseIpv6 } from '../core/ip.js';

export type IpFamily = 4 | 6;

export function ipv4ToBytes(text: string): Buffer | undefined {
  const bytes = parseIpv4(text);
  return bytes ? Buffer.from(bytes) : undefined;
}

export function bytesToIpv4(bytes: Uint8Array): string {
  return formatIp(bytes.subarray(0, 4));
}

/** Parse any valid IPv6 text (compressed, embedded IPv4, zone stripped) to 16 bytes. */
export function ipv6ToBytes(text: string): Buffer | undefined {
  const bytes = parseIpv6(text.split('%')[0] ?? '');
  return bytes ? Buffer.from(bytes) : undefined;
}

/** RFC 5952 text: lowercase, longest run (>= 2) of zero groups compressed. */
export function bytesToIpv6(bytes: Uint8Array): string {
  return formatIp(bytes.subarray(0, 16));
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
export const isIpv6LinkLocal = isIpv6LinkLocalBytes;

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
