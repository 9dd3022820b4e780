/**
 * VRRPv3 advertisement codec (pure; decoding never throws).
 *
 * Wire layout (RFC 9568 §5.2, big-endian): version 3 | type 1, VRID, priority, count,
 * 4 reserved bits + 12-bit Max Adver Int in centiseconds, checksum, then count addresses of the
 * IP header's family. Centiseconds exist only here: the API speaks milliseconds.
 */
import type { DecodeResult } from '../core/errors.js';
import { LvsHaError } from '../core/errors.js';
import {
  addressLength,
  formatAddress,
  isIpv6LinkLocal,
  parseAddress,
  type IpFamily,
} from './address.js';
import {
  computeVrrpChecksum,
  matchChecksum,
  type ChecksumMatch,
  type Ipv4ChecksumMode,
} from './checksum.js';
import type { Ipv6AddressesMode } from '../config/types.js';

export const VRRP_VERSION = 3;
export const VRRP_TYPE_ADVERTISEMENT = 1;
export const VRRP_HEADER_LENGTH = 8;
export const VRRP_TTL = 255;
/** Largest Max Adver Int: 4095 cs. */
export const MAX_ADVER_INT_MS = 40_950;
export const VRRP_GROUP_IPV4 = '224.0.0.18';
export const VRRP_GROUP_IPV6 = 'ff02::12';

/** An advertisement as the engine sees it. */
export interface VrrpAdvert {
  readonly family: IpFamily;
  readonly vrid: number;
  readonly priority: number;
  /** Max Adver Int, whole centiseconds expressed in ms (0..40950). */
  readonly maxAdverIntMs: number;
  /** Canonical address text; IPv6: the first is the virtual link-local address (unless ipv6Addresses is keepalived). */
  readonly addresses: readonly string[];
}

/** Why a received packet was dropped: a closed set, stable for counters and logs. */
export type VrrpDropReason =
  // IPv4 header (raw IPv4 sockets deliver it)
  | 'ip_header'
  | 'ip_protocol'
  | 'ip_total_length'
  // RFC 9568 §7.1, in that order
  | 'ttl'
  | 'version'
  | 'type'
  | 'truncated'
  | 'count_mismatch'
  | 'checksum'
  | 'vrid_unknown'
  | 'owner_conflict'
  | 'count_zero'
  | 'ipv6_first_not_link_local'
  // the caller's context is inconsistent (src/dst not of the family)
  | 'address_family';

export const VRRP_DROP_REASONS: readonly VrrpDropReason[] = [
  'ip_header', 'ip_protocol', 'ip_total_length', 'ttl', 'version', 'type', 'truncated',
  'count_mismatch', 'checksum', 'vrid_unknown', 'owner_conflict', 'count_zero',
  'ipv6_first_not_link_local', 'address_family',
];

/**
 * Things worth logging about an accepted advert (RFC: log, then process).
 * `ipv6_first_not_link_local`: accepted only with `ipv6Addresses: 'keepalived'`.
 */
export type VrrpDecodeNote = 'owner_conflict' | 'address_mismatch' | 'interval_mismatch' | 'ipv6_first_not_link_local';

/** What the receiver knows about one locally configured VRID (for RFC checks 5 and 6). */
export interface LocalVrid {
  /** Configured priority 255: this router owns the addresses. */
  readonly owner: boolean;
  readonly addresses: readonly string[];
  readonly advertIntervalMs: number;
}

export interface ReceiveContext {
  readonly family: IpFamily;
  /** IP source and destination, canonical or not. */
  readonly src: string;
  readonly dst: string;
  /** IPv4 TTL or IPv6 hop limit of the received packet. */
  readonly hopLimit: number;
  /** Length of the IP payload per the IP header (frames may carry Ethernet padding beyond it). */
  readonly ipPayloadLength?: number;
  /** Local VRIDs of this family on the receiving interface; omit to skip RFC checks 5-6. */
  readonly localVrids?: ReadonlyMap<number, LocalVrid>;
  /**
   * An advert for a VRID we own (priority 255): 'process' (erratum 8298, the default) reports it
   * as a note, 'discard' refuses it as RFC 5798 did.
   */
  readonly ownerAdverts?: 'process' | 'discard';
  /**
   * An IPv6 advert whose first address is not link-local: 'rfc9568' (the default) drops it
   * (erratum 8300), 'keepalived' accepts it with the note `ipv6_first_not_link_local`.
   */
  readonly ipv6Addresses?: Ipv6AddressesMode;
}

export interface DecodedAdvert {
  readonly advert: VrrpAdvert;
  readonly src: string;
  readonly dst: string;
  readonly checksum: ChecksumMatch;
  readonly notes: readonly VrrpDecodeNote[];
}

export type VrrpDecodeResult =
  | { readonly ok: true; readonly value: DecodedAdvert }
  | { readonly ok: false; readonly reason: VrrpDropReason; readonly detail?: string };

// A VrrpDecodeResult is a DecodeResult: callers may treat it generically.
export type _AssertDecodeResult = VrrpDecodeResult extends DecodeResult<DecodedAdvert> ? true : never;

/** Thrown by the encoder only for programming errors (values the config cannot produce). */
export class VrrpEncodeError extends LvsHaError {
  readonly code = 'LVSHA_VRRP_ENCODE';
}

export interface SendContext {
  readonly src: string;
  readonly dst: string;
  /** IPv4 only; ignored for IPv6. */
  readonly ipv4Checksum: Ipv4ChecksumMode;
}

function drop(reason: VrrpDropReason, detail?: string): VrrpDecodeResult {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

function checkEncodable(advert: VrrpAdvert): void {
  const cs = advert.maxAdverIntMs / 10;
  const bad = (what: string): never => {
    throw new VrrpEncodeError(`cannot encode VRRP advert: ${what}`);
  };
  if (!Number.isInteger(advert.vrid) || advert.vrid < 1 || advert.vrid > 255) bad('vrid');
  if (!Number.isInteger(advert.priority) || advert.priority < 0 || advert.priority > 255) {
    bad('priority');
  }
  if (!Number.isInteger(cs) || cs < 0 || cs > 4095) bad('max adver int');
  if (advert.addresses.length > 255) bad('too many addresses');
}

/** Encodes an advert with its checksum. Throws VrrpEncodeError on values out of range. */
export function encodeAdvert(advert: VrrpAdvert, ctx: SendContext): Uint8Array {
  checkEncodable(advert);
  const size = addressLength(advert.family);
  const out = new Uint8Array(VRRP_HEADER_LENGTH + size * advert.addresses.length);
  out[0] = (VRRP_VERSION << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[1] = advert.vrid;
  out[2] = advert.priority;
  out[3] = advert.addresses.length;
  const cs = advert.maxAdverIntMs / 10;
  out[4] = (cs >> 8) & 0x0f;
  out[5] = cs & 0xff;
  advert.addresses.forEach((text, i) => {
    const bytes = parseAddress(advert.family, text);
    if (!bytes) throw new VrrpEncodeError(`not an ${advert.family} address: ${text}`);
    out.set(bytes, VRRP_HEADER_LENGTH + i * size);
  });
  const src = parseAddress(advert.family, ctx.src);
  const dst = parseAddress(advert.family, ctx.dst);
  if (!src || !dst) throw new VrrpEncodeError('source or destination not of the advert family');
  const sum = computeVrrpChecksum(out, { family: advert.family, src, dst }, ctx.ipv4Checksum);
  out[6] = sum >> 8;
  out[7] = sum & 0xff;
  return out;
}

function readAddresses(message: Uint8Array, family: IpFamily, count: number): string[] {
  const size = addressLength(family);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = VRRP_HEADER_LENGTH + i * size;
    out.push(formatAddress(message.subarray(at, at + size)));
  }
  return out;
}

function notesFor(advert: VrrpAdvert, local: LocalVrid): VrrpDecodeNote[] {
  const notes: VrrpDecodeNote[] = [];
  if (local.owner) notes.push('owner_conflict');
  const mine = new Set(local.addresses.map((a) => formatAddress(parseAddress(advert.family, a) ?? new Uint8Array())));
  const same =
    mine.size === new Set(advert.addresses).size && advert.addresses.every((a) => mine.has(a));
  if (!same) notes.push('address_mismatch');
  if (advert.maxAdverIntMs !== local.advertIntervalMs) notes.push('interval_mismatch');
  return notes;
}

/** The part of RFC §7.1 that needs the bytes: checks 1-4 and 7-8. */
function checkMessage(
  bytes: Uint8Array,
  ctx: ReceiveContext,
  srcBytes: Uint8Array,
  dstBytes: Uint8Array,
): { message: Uint8Array; checksum: ChecksumMatch } | VrrpDecodeResult {
  if (ctx.hopLimit !== VRRP_TTL) return drop('ttl', `ttl ${String(ctx.hopLimit)}`);
  if (bytes.length < 1) return drop('truncated', 'empty');
  const first = bytes[0] ?? 0;
  if (first >> 4 !== VRRP_VERSION) return drop('version', `version ${String(first >> 4)}`);
  if ((first & 0x0f) !== VRRP_TYPE_ADVERTISEMENT) return drop('type', `type ${String(first & 0x0f)}`);
  const declared = ctx.ipPayloadLength ?? bytes.length;
  if (declared > bytes.length) return drop('truncated', `${String(bytes.length)} of ${String(declared)} bytes`);
  if (declared < VRRP_HEADER_LENGTH) return drop('truncated', `${String(declared)} bytes`);
  const message = bytes.subarray(0, declared);
  const count = message[3] ?? 0;
  const expected = VRRP_HEADER_LENGTH + count * addressLength(ctx.family);
  if (message.length !== expected) {
    return drop('count_mismatch', `count ${String(count)} needs ${String(expected)} bytes, got ${String(message.length)}`);
  }
  const checksum = matchChecksum(message, { family: ctx.family, src: srcBytes, dst: dstBytes });
  if (checksum === null) return drop('checksum');
  return { message, checksum };
}

/**
 * Decodes and validates a received VRRP message (the IP payload) in RFC 9568 §7.1 order.
 * Never throws.
 */
export function decodeAdvert(bytes: Uint8Array, ctx: ReceiveContext): VrrpDecodeResult {
  try {
    const srcBytes = parseAddress(ctx.family, ctx.src);
    const dstBytes = parseAddress(ctx.family, ctx.dst);
    if (!srcBytes || !dstBytes) return drop('address_family');
    const checked = checkMessage(bytes, ctx, srcBytes, dstBytes);
    if ('ok' in checked) return checked;
    const { message, checksum } = checked;
    const vrid = message[1] ?? 0;
    const local = ctx.localVrids?.get(vrid);
    if (ctx.localVrids && !local) return drop('vrid_unknown', `vrid ${String(vrid)}`);
    if (local?.owner && ctx.ownerAdverts === 'discard') return drop('owner_conflict');
    const count = message[3] ?? 0;
    if (count === 0) return drop('count_zero');
    const size = addressLength(ctx.family);
    const firstNotLinkLocal = ctx.family === 'ipv6' && !isIpv6LinkLocal(message.subarray(8, 8 + size));
    if (firstNotLinkLocal && ctx.ipv6Addresses !== 'keepalived') return drop('ipv6_first_not_link_local');
    const advert: VrrpAdvert = {
      family: ctx.family,
      vrid,
      priority: message[2] ?? 0,
      maxAdverIntMs: ((((message[4] ?? 0) & 0x0f) << 8) | (message[5] ?? 0)) * 10,
      addresses: readAddresses(message, ctx.family, count),
    };
    const notes = local ? notesFor(advert, local) : [];
    if (firstNotLinkLocal) notes.push('ipv6_first_not_link_local');
    return {
      ok: true,
      value: { advert, src: formatAddress(srcBytes), dst: formatAddress(dstBytes), checksum, notes },
    };
  } catch {
    return drop('truncated', 'unexpected decoder failure');
  }
}

/** Context for a whole IPv4 packet: the header supplies src, dst, TTL and length. */
export type Ipv4PacketContext = Pick<ReceiveContext, 'localVrids' | 'ownerAdverts'>;

/** What the receive checks need from the IPv4 header a raw IPv4 socket delivers. */
export interface Ipv4HeaderFacts {
  readonly headerLength: number;
  readonly totalLength: number;
  readonly ttl: number;
  readonly src: string;
  readonly dst: string;
}

/**
 * Reads and checks an IPv4 header: version 4 and header length within the buffer, protocol
 * 112, total length between the header length and the buffer length. Never throws.
 */
export function readIpv4Header(
  bytes: Uint8Array,
): { readonly ok: true; readonly value: Ipv4HeaderFacts } | { readonly ok: false; readonly reason: VrrpDropReason; readonly detail?: string } {
  if (bytes.length < 20) return { ok: false, reason: 'ip_header', detail: `${String(bytes.length)} bytes, shorter than an IPv4 header` };
  const first = bytes[0] ?? 0;
  const ihl = (first & 0x0f) * 4;
  if (first >> 4 !== 4 || ihl < 20 || ihl > bytes.length) {
    return { ok: false, reason: 'ip_header', detail: `version ${String(first >> 4)}, header length ${String(ihl)}` };
  }
  if (bytes[9] !== 112) return { ok: false, reason: 'ip_protocol', detail: `protocol ${String(bytes[9] ?? 0)}` };
  const total = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  if (total < ihl || total > bytes.length) {
    return { ok: false, reason: 'ip_total_length', detail: `total length ${String(total)}, have ${String(bytes.length)}` };
  }
  return {
    ok: true,
    value: {
      headerLength: ihl,
      totalLength: total,
      ttl: bytes[8] ?? 0,
      src: formatAddress(bytes.subarray(12, 16)),
      dst: formatAddress(bytes.subarray(16, 20)),
    },
  };
}

/**
 * Decodes a raw IPv4 packet as a raw socket delivers it (header included): the header checks of
 * readIpv4Header (bytes beyond the total length are Ethernet padding), then the advert. This is
 * the production receive path for IPv4 (src/vrrp/receive.ts).
 */
export function decodeIpv4Packet(bytes: Uint8Array, ctx: Ipv4PacketContext = {}): VrrpDecodeResult {
  const header = readIpv4Header(bytes);
  if (!header.ok) return header;
  const h = header.value;
  return decodeAdvert(bytes.subarray(h.headerLength, h.totalLength), {
    ...ctx,
    family: 'ipv4',
    src: h.src,
    dst: h.dst,
    hopLimit: h.ttl,
  });
}
