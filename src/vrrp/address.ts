/**
 * IP address helpers for the VRRP codec and state machine (pure, never throw).
 *
 * Addresses travel through the engine as canonical text (IPv4 dotted quad, IPv6 lowercase and
 * compressed as in RFC 5952), the same form the config model uses, and as bytes only at the
 * packet boundary.
 */

import { formatIp, isIpv6LinkLocalBytes, parseIpv4, parseIpv6 } from '../core/ip.js';

export type IpFamily = 'ipv4' | 'ipv6';

/** Bytes of an address: 4 for IPv4, 16 for IPv6. */
export function addressLength(family: IpFamily): 4 | 16 {
  return family === 'ipv4' ? 4 : 16;
}

/** Parses an address of the given family; null when the text is not one. */
export function parseAddress(family: IpFamily, text: string): Uint8Array | null {
  return family === 'ipv4' ? parseIpv4(text) : parseIpv6(text);
}

/** Canonical text of 4 or 16 address bytes (other lengths give the empty string). */
export const formatAddress = formatIp;

/** Canonical text of an address given as text; null when it is not of the family. */
export function canonicalAddress(family: IpFamily, text: string): string | null {
  const bytes = parseAddress(family, text);
  return bytes ? formatAddress(bytes) : null;
}

/**
 * Compares two addresses of one family as unsigned big-endian integers (the VRRP tie-break):
 * negative, 0 or positive. Unparsable text sorts below every address.
 */
export function compareAddresses(family: IpFamily, a: string, b: string): number {
  const x = parseAddress(family, a);
  const y = parseAddress(family, b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** True for fe80::/10. */
export const isIpv6LinkLocal = isIpv6LinkLocalBytes;
