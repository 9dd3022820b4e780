/**
 * Pure builders of the announcement frames a new VRRP master sends: the
 * gratuitous ARP (IPv4) and the unsolicited neighbour advertisement (IPv6),
 * as whole Ethernet frames for an AF_PACKET socket. No I/O.
 *
 * Source MAC: the interface's own MAC by default (what keepalived does when no
 * VMAC interface is configured); pass the VMAC (inet.virtualMac) to announce
 * it instead (RFC 9568 §6.4.2 wording).
 */

export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
const BROADCAST_MAC = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** ff02::1, all-nodes. */
export const ALL_NODES_IPV6 = Buffer.from('ff020000000000000000000000000001', 'hex');
/** 33:33:00:00:00:01, the Ethernet multicast of ff02::1. */
const ALL_NODES_MAC = Buffer.from([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);

export interface GratuitousArpSpec {
  /** Ethernet source and ARP sender hardware address (6 bytes). */
  readonly sourceMac: Uint8Array;
  /** The virtual IPv4 address (4 bytes): ARP sender and target protocol address. */
  readonly address: Uint8Array;
  /** ARP target hardware address; broadcast by default. */
  readonly targetMac?: Uint8Array;
  /** 'request' (default, the form keepalived sends) or 'reply'. */
  readonly operation?: 'request' | 'reply';
}

function ethernetHeader(dst: Uint8Array, src: Uint8Array, etherType: number): Buffer {
  const header = Buffer.alloc(14);
  header.set(dst.subarray(0, 6), 0);
  header.set(src.subarray(0, 6), 6);
  header.writeUInt16BE(etherType, 12);
  return header;
}

/**
 * Ethernet broadcast ARP request with sender IP = target IP = the VIP and a
 * broadcast target hardware address: 42 bytes, byte for byte the frame
 * keepalived 2.2.7 sends (measured). No padding: the NIC pads to 60.
 */
export function buildGratuitousArp(spec: GratuitousArpSpec): Buffer {
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0); // hardware type Ethernet
  arp.writeUInt16BE(0x0800, 2); // protocol type IPv4
  arp.writeUInt8(6, 4);
  arp.writeUInt8(4, 5);
  arp.writeUInt16BE(spec.operation === 'reply' ? 2 : 1, 6);
  arp.set(spec.sourceMac.subarray(0, 6), 8);
  arp.set(spec.address.subarray(0, 4), 14);
  arp.set((spec.targetMac ?? BROADCAST_MAC).subarray(0, 6), 18);
  arp.set(spec.address.subarray(0, 4), 24);
  return Buffer.concat([ethernetHeader(BROADCAST_MAC, spec.sourceMac, ETH_P_ARP), arp]);
}

export interface UnsolicitedNaSpec {
  /** Ethernet source (6 bytes). */
  readonly sourceMac: Uint8Array;
  /** IPv6 source: the interface's link-local address (16 bytes). */
  readonly sourceAddress: Uint8Array;
  /** The virtual IPv6 address being announced (16 bytes). */
  readonly target: Uint8Array;
  /** Target link-layer address option; defaults to sourceMac. */
  readonly targetLinkLayer?: Uint8Array;
  /** Router flag; default true (a VRRP router announces a router address). */
  readonly router?: boolean;
}

/** RFC 1071 one's-complement sum of the buffers, folded and complemented. */
export function internetChecksum(...parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (const byte of part) {
      if (odd === undefined) {
        odd = byte;
      } else {
        sum += (odd << 8) | byte;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Unsolicited NA (RFC 4861 §7.2.6): to ff02::1, hop limit 255, S=0, O=1, R as
 * asked, with a target link-layer address option. RFC 9568 §6.4.2 asks for
 * R=1 (the default). Measured: keepalived 2.2.7 sends R=0 and uses the VIP
 * itself as IPv6 source; both sources are valid (an address of the interface).
 */
export function buildUnsolicitedNa(spec: UnsolicitedNaSpec): Buffer {
  const icmp = Buffer.alloc(32);
  icmp.writeUInt8(136, 0); // Neighbor Advertisement
  icmp.writeUInt8(0, 1);
  const flags = (spec.router ?? true ? 0x80 : 0) | 0x20; // R, O; S stays 0
  icmp.writeUInt8(flags, 4);
  icmp.set(spec.target.subarray(0, 16), 8);
  icmp.writeUInt8(2, 24); // option: target link-layer address
  icmp.writeUInt8(1, 25); // length in units of 8 bytes
  icmp.set((spec.targetLinkLayer ?? spec.sourceMac).subarray(0, 6), 26);

  const pseudo = Buffer.alloc(40);
  pseudo.set(spec.sourceAddress.subarray(0, 16), 0);
  pseudo.set(ALL_NODES_IPV6, 16);
  pseudo.writeUInt32BE(icmp.length, 32);
  pseudo.writeUInt8(58, 39);
  icmp.writeUInt16BE(internetChecksum(pseudo, icmp), 2);

  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0); // version 6, traffic class 0, flow label 0
  ip.writeUInt16BE(icmp.length, 4);
  ip.writeUInt8(58, 6); // next header ICMPv6
  ip.writeUInt8(255, 7); // hop limit
  ip.set(spec.sourceAddress.subarray(0, 16), 8);
  ip.set(ALL_NODES_IPV6, 24);
  return Buffer.concat([ethernetHeader(ALL_NODES_MAC, spec.sourceMac, ETH_P_IPV6), ip, icmp]);
}
