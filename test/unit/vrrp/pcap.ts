/**
 * A tiny pcap (libpcap 2.4, Ethernet) reader and writer for VRRP fixtures and the tshark check.
 * Test helper only.
 */
import { formatAddress, parseAddress } from '../../../src/vrrp/address.js';

export interface PcapFrame {
  readonly tsSec: number;
  readonly tsUsec: number;
  readonly data: Buffer;
}

const MAGIC_LE = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;

export function readPcap(file: Buffer): PcapFrame[] {
  if (file.readUInt32LE(0) !== MAGIC_LE) throw new Error('not a little-endian microsecond pcap');
  if (file.readUInt32LE(20) !== LINKTYPE_ETHERNET) throw new Error('not an Ethernet pcap');
  const frames: PcapFrame[] = [];
  let at = 24;
  while (at + 16 <= file.length) {
    const inclLen = file.readUInt32LE(at + 8);
    frames.push({
      tsSec: file.readUInt32LE(at),
      tsUsec: file.readUInt32LE(at + 4),
      data: file.subarray(at + 16, at + 16 + inclLen),
    });
    at += 16 + inclLen;
  }
  return frames;
}

export function writePcap(frames: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(MAGIC_LE, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const records = frames.map((data, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(data.length, 8);
    rec.writeUInt32LE(data.length, 12);
    return Buffer.concat([rec, data]);
  });
  return Buffer.concat([header, ...records]);
}

/** The IP packet inside an Ethernet II frame, with its family (null for other ethertypes). */
export function ethernetPayload(frame: Buffer): { family: 'ipv4' | 'ipv6'; packet: Buffer } | null {
  const type = frame.readUInt16BE(12);
  if (type === 0x0800) return { family: 'ipv4', packet: frame.subarray(14) };
  if (type === 0x86dd) return { family: 'ipv6', packet: frame.subarray(14) };
  return null;
}

export interface Ipv6View {
  readonly src: string;
  readonly dst: string;
  readonly hopLimit: number;
  readonly nextHeader: number;
  readonly payload: Buffer;
}

/** Fixed IPv6 header only (VRRP adverts carry no extension headers). */
export function parseIpv6(packet: Buffer): Ipv6View {
  const payloadLength = packet.readUInt16BE(4);
  return {
    nextHeader: packet[6] ?? 0,
    hopLimit: packet[7] ?? 0,
    src: formatAddress(packet.subarray(8, 24)),
    dst: formatAddress(packet.subarray(24, 40)),
    payload: packet.subarray(40, 40 + payloadLength),
  };
}

function ipv4HeaderChecksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function addressBytes(family: 'ipv4' | 'ipv6', text: string): Buffer {
  const bytes = parseAddress(family, text);
  if (!bytes) throw new Error(`bad address ${text}`);
  return Buffer.from(bytes);
}

/** Wraps a VRRP message into an Ethernet frame (VMAC source, multicast MAC destination). */
export function frameFor(
  family: 'ipv4' | 'ipv6',
  vrid: number,
  src: string,
  dst: string,
  message: Uint8Array,
): Buffer {
  const eth = Buffer.alloc(14);
  const dstMac = family === 'ipv4' ? [0x01, 0x00, 0x5e, 0, 0, 0x12] : [0x33, 0x33, 0, 0, 0, 0x12];
  Buffer.from(dstMac).copy(eth, 0);
  Buffer.from([0, 0, 0x5e, 0, family === 'ipv4' ? 1 : 2, vrid]).copy(eth, 6);
  eth.writeUInt16BE(family === 'ipv4' ? 0x0800 : 0x86dd, 12);
  const body = Buffer.from(message);
  if (family === 'ipv4') {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip[1] = 0xc0;
    ip.writeUInt16BE(20 + body.length, 2);
    ip[8] = 255;
    ip[9] = 112;
    addressBytes(family, src).copy(ip, 12);
    addressBytes(family, dst).copy(ip, 16);
    ip.writeUInt16BE(ipv4HeaderChecksum(ip), 10);
    return Buffer.concat([eth, ip, body]);
  }
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(body.length, 4);
  ip[6] = 112;
  ip[7] = 255;
  addressBytes(family, src).copy(ip, 8);
  addressBytes(family, dst).copy(ip, 24);
  return Buffer.concat([eth, ip, body]);
}
