/**
 * The VRRP transport contract: raw IP protocol 112 on one interface, for one
 * address family. The adapters (vrrp-socket-ipv4.ts with the raw-socket
 * package, vrrp-socket-ipv6.ts with the native addon) only move bytes: IPv4
 * hands up the whole packet (header included), IPv6 the payload with the
 * facts from ancillary data. Every check (IP header, TTL / hop limit,
 * checksum, version, VRID, priority) belongs to src/vrrp (receive.ts).
 */
import type { IpFamily } from './inet.js';

export { Listeners } from './listeners.js';

export const VRRP_PROTOCOL = 112;
export const VRRP_GROUP_IPV4 = '224.0.0.18';
export const VRRP_GROUP_IPV6 = 'ff02::12';
export const VRRP_TTL = 255;

/**
 * A packet as an IPv4 raw socket delivers it: the whole IP packet, header included. The header
 * is read by the same decoder the unit tests exercise (decodeIpv4Packet in src/vrrp/packet.ts),
 * so the transport parses nothing.
 */
export interface ReceivedIpv4Packet {
  readonly family: 4;
  /** The IPv4 packet, header included. A private copy. */
  readonly packet: Buffer;
  /** The bound interface. */
  readonly ifindex: number;
}

/**
 * A packet as an IPv6 raw socket delivers it: never the IP header, so the facts the receive
 * checks need come from the source address and ancillary data (IPV6_HOPLIMIT, IPV6_PKTINFO).
 */
export interface ReceivedIpv6Packet {
  readonly family: 6;
  /** The VRRP message (the IPv6 payload; the kernel already cut it to the payload length). A private copy. */
  readonly payload: Buffer;
  readonly src: string;
  readonly dst: string;
  /** From IPV6_HOPLIMIT; -1 if the kernel gave none (then refused as `ttl`). */
  readonly hopLimit: number;
  /** From IPV6_PKTINFO, -1 if absent. */
  readonly ifindex: number;
}

export type ReceivedVrrpPacket = ReceivedIpv4Packet | ReceivedIpv6Packet;

/** A refusal before the packet could be handed up (counted by the runner as `truncated`). */
export interface TransportDrop {
  readonly reason: 'read-truncated';
  readonly detail: string;
}

export interface VrrpTransport {
  readonly family: IpFamily;
  readonly ifname: string;
  readonly ifindex: number;
  /** Send one VRRP message to the group or a unicast peer (text address of the transport's family). */
  send(payload: Buffer, dest: string): Promise<void>;
  onPacket(listener: (packet: ReceivedVrrpPacket) => void): () => void;
  onDrop(listener: (drop: TransportDrop) => void): () => void;
  /** Socket-level failures after open (the socket may be unusable afterwards). */
  onError(listener: (err: Error) => void): () => void;
  close(): void;
}

export interface VrrpTransportOptions {
  readonly ifname: string;
  readonly ifindex: number;
  /**
   * Source of every advert: normally the interface's primary IPv4 address or
   * its IPv6 link-local address (a unicast instance may use its configured
   * unicast source). IPv4 writes it in its own header (IP_HDRINCL); IPv6 sets
   * it per packet (IPV6_PKTINFO). Compute the VRRP checksum with this address.
   */
  readonly sourceAddress: string;
  /** Join the VRRP group (multicast mode). False for unicast-only instances. */
  readonly joinGroup: boolean;
}

/** IPTOS_PREC_INTERNETCONTROL, what keepalived 2.2.7 sends adverts with (measured). */
export const VRRP_TOS = 0xc0;

/**
 * The 20-byte IPv4 header the transport sends with IP_HDRINCL, so the source
 * is exactly the one the VRRP checksum (pseudo-header mode) was computed with,
 * in multicast and unicast alike. The kernel rewrites total length and
 * checksum and picks the ID when it is 0; they are filled here anyway so the
 * bytes are complete and testable.
 */
export function buildIpv4Header(src: Uint8Array, dst: Uint8Array, payloadLength: number): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt8(0x45, 0);
  h.writeUInt8(VRRP_TOS, 1);
  h.writeUInt16BE(20 + payloadLength, 2);
  h.writeUInt8(VRRP_TTL, 8);
  h.writeUInt8(VRRP_PROTOCOL, 9);
  h.set(src.subarray(0, 4), 12);
  h.set(dst.subarray(0, 4), 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return h;
}

/** struct ip_mreqn { in_addr multiaddr; in_addr address; int ifindex } (12 bytes). */
export function ipMreqn(group: Uint8Array, address: Uint8Array, ifindex: number): Buffer {
  const out = Buffer.alloc(12);
  out.set(group.subarray(0, 4), 0);
  out.set(address.subarray(0, 4), 4);
  out.writeInt32LE(ifindex, 8);
  return out;
}

/** struct ipv6_mreq { in6_addr multiaddr; int ifindex } (20 bytes). */
export function ipv6Mreq(group: Uint8Array, ifindex: number): Buffer {
  const out = Buffer.alloc(20);
  out.set(group.subarray(0, 16), 0);
  out.writeInt32LE(ifindex, 16);
  return out;
}

/** The interface name NUL-terminated, as SO_BINDTODEVICE wants it. */
export function bindToDeviceValue(ifname: string): Buffer {
  return Buffer.from(`${ifname}\0`, 'latin1');
}
