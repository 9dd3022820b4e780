/**
 * Addresses in IPVS attributes: always 16 bytes (union nf_inet_addr), an IPv4
 * address in the first 4 in network order, the rest zero. Decoders never throw.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressFamily } from '../../config/types.js';
import { ipv6Bytes } from '../../config/values.js';
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import { canonicalAddress } from '../model.js';

export const ADDR_BYTES = 16;

/** The 4 (IPv4) or 16 (IPv6) bytes of an address; null when the text is not of that family. */
export function addressBytes(family: AddressFamily, text: string): Buffer | null {
  if (family === 'ipv4') return isIPv4(text) ? Buffer.from(text.split('.').map(Number)) : null;
  return isIPv6(text) ? Buffer.from(ipv6Bytes(text)) : null;
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
  const groups: string[] = [];
  for (let i = 0; i < ADDR_BYTES; i += 2) groups.push(value.readUInt16BE(i).toString(16));
  return decoded(canonicalAddress(groups.join(':')));
}
