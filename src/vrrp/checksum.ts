/**
 * The VRRPv3 checksum (pure).
 *
 * RFC 1071 one's-complement sum over the VRRP message (checksum field taken as zero), preceded by
 * a pseudo-header:
 * - IPv6 always: source, destination, upper-layer length (u32), three zero bytes, next header 112.
 * - IPv4 in 'rfc5798' mode (keepalived's default, Wireshark's default, FRR's default): source,
 *   destination, zero, protocol 112, length (u16).
 * - IPv4 in 'rfc9568' mode (RFC 9568, Cisco, Juniper): no pseudo-header, the message only.
 * The destination is the packet's actual destination (group or unicast peer).
 */
import type { Ipv4ChecksumMode } from '../config/types.js';
import type { IpFamily } from './address.js';

export type { Ipv4ChecksumMode };

export const IPPROTO_VRRP = 112;

/** The mode a received advert's checksum matched. */
export type ChecksumMatch = Ipv4ChecksumMode | 'ipv6';

/** Addresses of the IP header around a VRRP message, as bytes (4 or 16 each). */
export interface PseudoHeaderAddresses {
  readonly family: IpFamily;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** One's-complement 16-bit sum of the byte sequences taken back to back (not complemented). */
export function onesComplementSum(chunks: readonly Uint8Array[]): number {
  let sum = 0;
  let pending = -1; // a dangling odd byte carried into the next chunk
  for (const chunk of chunks) {
    for (const byte of chunk) {
      if (pending < 0) {
        pending = byte;
      } else {
        sum += (pending << 8) | byte;
        pending = -1;
      }
    }
  }
  if (pending >= 0) sum += pending << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function pseudoHeader(ip: PseudoHeaderAddresses, length: number): Uint8Array {
  if (ip.family === 'ipv4') {
    const out = new Uint8Array(12);
    out.set(ip.src.subarray(0, 4), 0);
    out.set(ip.dst.subarray(0, 4), 4);
    out[9] = IPPROTO_VRRP;
    out[10] = (length >> 8) & 0xff;
    out[11] = length & 0xff;
    return out;
  }
  const out = new Uint8Array(40);
  out.set(ip.src.subarray(0, 16), 0);
  out.set(ip.dst.subarray(0, 16), 16);
  const view = new DataView(out.buffer);
  view.setUint32(32, length);
  out[39] = IPPROTO_VRRP;
  return out;
}

function chunksFor(
  message: Uint8Array,
  ip: PseudoHeaderAddresses,
  mode: Ipv4ChecksumMode,
): Uint8Array[] {
  const withPseudo = ip.family === 'ipv6' || mode === 'rfc5798';
  return withPseudo ? [pseudoHeader(ip, message.length), message] : [message];
}

/**
 * The checksum to place in bytes 6-7 of `message` (whatever those bytes hold now is ignored).
 * `mode` matters for IPv4 only.
 */
export function computeVrrpChecksum(
  message: Uint8Array,
  ip: PseudoHeaderAddresses,
  mode: Ipv4ChecksumMode,
): number {
  const zeroed = Uint8Array.from(message);
  if (zeroed.length >= 8) {
    zeroed[6] = 0;
    zeroed[7] = 0;
  }
  return ~onesComplementSum(chunksFor(zeroed, ip, mode)) & 0xffff;
}

/** True when the checksum in `message` is valid in `mode` (sum including it is all ones). */
export function checksumValid(
  message: Uint8Array,
  ip: PseudoHeaderAddresses,
  mode: Ipv4ChecksumMode,
): boolean {
  return onesComplementSum(chunksFor(message, ip, mode)) === 0xffff;
}

/**
 * Which checksum mode a received message satisfies, or null for none. IPv4 tries the RFC 9568
 * message-only sum first, then the RFC 5798 pseudo-header sum.
 */
export function matchChecksum(message: Uint8Array, ip: PseudoHeaderAddresses): ChecksumMatch | null {
  if (ip.family === 'ipv6') return checksumValid(message, ip, 'rfc5798') ? 'ipv6' : null;
  if (checksumValid(message, ip, 'rfc9568')) return 'rfc9568';
  if (checksumValid(message, ip, 'rfc5798')) return 'rfc5798';
  return null;
}
