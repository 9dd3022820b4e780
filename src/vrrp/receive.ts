/**
 * The one receive decoding path: a packet from a VRRP transport in, the codec's verdict out.
 * IPv4 packets arrive whole (the raw socket delivers the header) and go through
 * decodeIpv4Packet, the same function the codec tests exercise; IPv6 payloads arrive with the
 * facts of the ancillary data and go through decodeAdvert. Pure; never throws.
 */
import type { Ipv6AddressesMode } from '../config/types.js';
import type { IpFamily } from './address.js';
import type { ReceivedVrrpPacket } from '../os/vrrp-socket.js';
import { decodeAdvert, decodeIpv4Packet, type LocalVrid, type VrrpDecodeResult } from './packet.js';

export interface ReceiverContext {
  /** The instance's family: a packet of the other family is refused as `address_family`. */
  readonly family: IpFamily;
  /** VRIDs of this family on the receiving interface (RFC 9568 §7.1 checks 5 and 6). */
  readonly localVrids: ReadonlyMap<number, LocalVrid>;
  /** IPv6: whether an advert whose first address is not link-local is dropped (the default) or noted. */
  readonly ipv6Addresses?: Ipv6AddressesMode;
}

export function decodeReceived(packet: ReceivedVrrpPacket, ctx: ReceiverContext): VrrpDecodeResult {
  const expected = ctx.family === 'ipv4' ? 4 : 6;
  if (packet.family !== expected) return { ok: false, reason: 'address_family', detail: `an IPv${String(packet.family)} packet` };
  if (packet.family === 4) return decodeIpv4Packet(packet.packet, { localVrids: ctx.localVrids });
  return decodeAdvert(packet.payload, {
    family: 'ipv6',
    src: packet.src,
    dst: packet.dst,
    hopLimit: packet.hopLimit,
    ipPayloadLength: packet.payload.length,
    localVrids: ctx.localVrids,
    ...(ctx.ipv6Addresses ? { ipv6Addresses: ctx.ipv6Addresses } : {}),
  });
}
