/**
 * Addresses in IPVS attributes: always 16 bytes (union nf_inet_addr), an IPv4
 * address in the first 4 in network order, the rest zero. Decoders never throw.
 */
import type { AddressFamily } from '../../config/types.js';
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import { formatIp, parseIpv4, parseIpv6 } from '../../core/ip.js';

export const ADDR_BYTES = 16;

/** The 4 (IPv4) or 16 (IPv6) bytes of an address; null when the text is not of that family. */
export function addressBytes(family: AddressFamily, text: string): Buffer | null {
  const bytes = family === 'ipv4' ? parseIpv4(text) : parseIpv6(text);
  return bytes ? Buffer.from(bytes) : null;
}

/** The 16-byte ADDR payload; throws on text that is not an address of the family (a caller bug). */
export function encodeAddr(family: AddressFamily, text: string): Buffer {
  const bytes = addressBytes(family, text);
  if (bytes === null) throw new RangeError(`not an ${family} address: '${text}'`);
  const out = Buffer.alloc(ADDR_BYTES);
  out.set(bytes, 0);
  return out;
}

/** Canonical text of an ADDR payload (16 bytes; 4 accepted for IPv4). */
export function decodeAddr(family: AddressFamily, value: Buffer): DecodeResult<string> {
  if (family === 'ipv4') {
    if (value.length !== 4 && value.length !== ADDR_BYTES) return refused(`IPv4 address: expected 4 or 16 bytes, got ${value.length}`);
    return decoded(Array.from(value.subarray(0, 4)).join('.'));
  }
  if (value.length !== ADDR_BYTES) return refused(`IPv6 address: expected 16 bytes, got ${value.length}`);
  return decoded(formatIp(value));
}
