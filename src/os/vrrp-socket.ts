/**
 * The VRRP transport contract: raw IP protocol 112 on one interface, for one
 * address family. The adapters (vrrp-socket-ipv4.ts with the raw-socket
 * package, vrrp-socket-ipv6.ts with the native addon) only move bytes and
 * report the IP-level facts the receive checks need (TTL / hop limit, source,
 * destination, lengths, ifindex). Every VRRP decision (checksum, version,
 * VRID, priority) belongs to src/vrrp.
 */
import { decoded, refused, type DecodeResult } from '../core/errors.js';
import { bytesToIpv4, type IpFamily } from './inet.js';

export { Listeners } from './listeners.js';

export const VRRP_PROTOCOL = 112;
export const VRRP_GROUP_IPV4 = '224.0.0.18';
export const VRRP_GROUP_IPV6 = 'ff02::12';
export const VRRP_TTL = 255;

export interface ReceivedVrrpPacket {
  readonly family: IpFamily;
  /** The VRRP message: IPv4 bytes after the IP header, IPv6 the whole raw payload. A private copy. */
  readonly payload: Buffer;
  readonly src: string;
  readonly dst: string;
  /** IPv4 TTL from the header; IPv6 hop limit from IPV6_HOPLIMIT; -1 if the kernel gave none. */
  readonly ttlOrHopLimit: number;
  /** Receiving interface (IPv4: the bound interface; IPv6: IPV6_PKTINFO, -1 if absent). */
  readonly ifindex: number;
  /** Bytes the IP header says follow it (IPv4: total length - header length; IPv6: payload length). */
  readonly ipPayloadLength: number;
  /** IPv4 total length field; IPv6: 40 + payload length. */
  readonly ipTotalLength: number;
}

/** An IP-level refusal before the packet could be handed up (counted by the runner). */
export interface TransportDrop {
  readonly reason: 'ip-header-truncated' | 'ip-header-invalid' | 'read-truncated';
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

export interface Ipv4HeaderFields {
  readonly headerLength: number;
  readonly totalLength: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
}

/** Parse the IPv4 header a raw socket delivers in front of the payload. Never throws. */
export function parseIpv4Header(buf: Uint8Array): DecodeResult<Ipv4HeaderFields> {
  if (buf.length < 20) return refused(`ip-header-truncated: ${String(buf.length)} bytes`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = (b[0] ?? 0) >> 4;
  const headerLength = ((b[0] ?? 0) & 0x0f) * 4;
  if (version !== 4) return refused(`ip-header-invalid: version ${String(version)}`);
  if (headerLength < 20) return refused(`ip-header-invalid: header length ${String(headerLength)}`);
  if (b.length < headerLength) return refused(`ip-header-truncated: header length ${String(headerLength)}`);
  return decoded({
    headerLength,
    totalLength: b.readUInt16BE(2),
    ttl: b[8] ?? 0,
    protocol: b[9] ?? 0,
    src: bytesToIpv4(b.subarray(12, 16)),
    dst: bytesToIpv4(b.subarray(16, 20)),
  });
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
