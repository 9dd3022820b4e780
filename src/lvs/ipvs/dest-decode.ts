/**
 * Decoding DEST nests (GET_DEST dump replies) in one pass over the bytes: the
 * attributes are located with ./scan.ts (no per-attribute objects), integers
 * read in place. The statistics nests are what planning does not need and
 * what cost the most (20 counters of 64 bits per destination), so the dump
 * decoder copies their bytes into one slab per dump and decodes them only
 * when `stats` is first read (status does; the reconciler's plan never does).
 * `decodeDestNest` / `decodeDestReply` decode the stats at once and refuse a
 * malformed stats nest, as before; with lazy stats a malformed stats nest
 * reads as null. Decoders never throw.
 */
import type { AddressFamily } from '../../config/types.js';
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import { familyFromAf, fwdMethodFromCode, tunTypeFromCode, type Destination, type FwdMethod } from '../model.js';
import { IpvsCmd, IpvsCmdAttr, IpvsDestAttr, ipvsCmdName } from './constants.js';
import type { IpvsReply } from './message.js';
import { ABSENT, BAD_SIZE, addrText, newSlots, scanAttrs, sizeReason, slotBe16, slotLength, slotOffset, slotUint } from './scan.js';
import { decodeStats, type IpvsStats } from './stats.js';

/** IP_VS_CONN_F_FWD_MASK: the forwarding method is the low 3 bits of the connection flags. */
const FWD_MASK = 0x7;
const MAX_DEST_ATTR = IpvsDestAttr.TUN_FLAGS;
/** Bytes of a STATS64 nest's payload as the 6.1 kernel sends it (10 u64 attributes). */
const STATS_BYTES_HINT = 120;

/** A destination as the kernel reports it: the model's Destination (with counters) plus stats. */
export interface LiveDestination {
  readonly dest: Destination;
  readonly stats: IpvsStats | null;
}

/** A LiveDestination whose stats are decoded from kept bytes on first read (null if malformed). */
class LazyLiveDestination implements LiveDestination {
  private cached: IpvsStats | null | undefined;
  constructor(
    readonly dest: Destination,
    /** The stats nest's payload is raw[start, end); raw null: no stats. */
    private readonly raw: Buffer | null,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get stats(): IpvsStats | null {
    if (this.cached === undefined) {
      const r = this.raw === null ? null : decodeStats(this.raw.subarray(this.start, this.end));
      this.cached = r?.ok === true ? r.value : null;
    }
    return this.cached;
  }
}

interface Reason { reason: string }
const isReason = (v: unknown): v is Reason => typeof v === 'object' && v !== null && 'reason' in v;

/** Attributes read as plain numbers (value, ABSENT or BAD_SIZE): [type, size, name]. */
const U32_FIELDS: readonly (readonly [number, 4, string])[] = [
  [IpvsDestAttr.U_THRESH, 4, 'U_THRESH'],
  [IpvsDestAttr.L_THRESH, 4, 'L_THRESH'],
  [IpvsDestAttr.ACTIVE_CONNS, 4, 'ACTIVE_CONNS'],
  [IpvsDestAttr.INACT_CONNS, 4, 'INACT_CONNS'],
  [IpvsDestAttr.PERSIST_CONNS, 4, 'PERSIST_CONNS'],
];

/** The first optional u32 counter or threshold of the wrong size, or null. */
function badCounter(slots: Int32Array): string | null {
  for (const [type, size, name] of U32_FIELDS) {
    const len = slotLength(slots, type);
    if (len >= 0 && len !== size) return sizeReason(slots, type, size, name);
  }
  return null;
}

function tunnelOf(buf: Buffer, slots: Int32Array, fwd: FwdMethod): Destination['tunnel'] | Reason {
  const type = slotUint(buf, slots, IpvsDestAttr.TUN_TYPE, 1);
  if (type === BAD_SIZE) return { reason: sizeReason(slots, IpvsDestAttr.TUN_TYPE, 1, 'TUN_TYPE') };
  const port = slotBe16(buf, slots, IpvsDestAttr.TUN_PORT);
  if (port === BAD_SIZE) return { reason: sizeReason(slots, IpvsDestAttr.TUN_PORT, 2, 'TUN_PORT') };
  const flags = slotUint(buf, slots, IpvsDestAttr.TUN_FLAGS, 2);
  if (flags === BAD_SIZE) return { reason: sizeReason(slots, IpvsDestAttr.TUN_FLAGS, 2, 'TUN_FLAGS') };
  const code = type === ABSENT ? 0 : type;
  const tunType = tunTypeFromCode(code);
  if (tunType === null) return { reason: `TUN_TYPE ${code} is not ipip (0), gue (1) or gre (2)` };
  return fwd === 'tunnel' ? { type: tunType, port: port === ABSENT ? 0 : port, flags: flags === ABSENT ? 0 : flags } : null;
}

function keyOf(buf: Buffer, slots: Int32Array, serviceFamily: AddressFamily): Pick<Destination, 'family' | 'address' | 'port'> | Reason {
  const af = slotUint(buf, slots, IpvsDestAttr.ADDR_FAMILY, 2);
  if (af === BAD_SIZE) return { reason: sizeReason(slots, IpvsDestAttr.ADDR_FAMILY, 2, 'ADDR_FAMILY') };
  const family = af === ABSENT ? serviceFamily : familyFromAf(af);
  if (family === null) return { reason: `ADDR_FAMILY ${af} is neither 2 (IPv4) nor 10 (IPv6)` };
  const addrOff = slotOffset(slots, IpvsDestAttr.ADDR);
  if (addrOff < 0) return { reason: 'ADDR missing' };
  const address = addrText(buf, addrOff, slotLength(slots, IpvsDestAttr.ADDR), family === 'ipv4');
  if (typeof address !== 'string') return { reason: `ADDR: ${address.reason}` };
  const port = slotBe16(buf, slots, IpvsDestAttr.PORT);
  if (port === ABSENT) return { reason: 'PORT missing' };
  if (port === BAD_SIZE) return { reason: sizeReason(slots, IpvsDestAttr.PORT, 2, 'PORT') };
  return { family, address, port };
}

const orZero = (v: number): number => (v === ABSENT ? 0 : v);

/**
 * The Destination of a DEST nest payload buf[start, end); `slots` is scratch
 * space (newSlots(MAX_DEST_ATTR)) and afterwards locates the stats nests.
 */
function destAt(buf: Buffer, start: number, end: number, serviceFamily: AddressFamily, slots: Int32Array): Destination | Reason {
  const bad = scanAttrs(buf, start, end, slots);
  if (bad !== null) return { reason: bad };
  const key = keyOf(buf, slots, serviceFamily);
  if (isReason(key)) return key;
  const fwdCode = slotUint(buf, slots, IpvsDestAttr.FWD_METHOD, 4);
  if (fwdCode === ABSENT) return { reason: 'FWD_METHOD missing' };
  if (fwdCode === BAD_SIZE) return { reason: sizeReason(slots, IpvsDestAttr.FWD_METHOD, 4, 'FWD_METHOD') };
  const fwd = fwdMethodFromCode(fwdCode & FWD_MASK);
  if (fwd === null) return { reason: `FWD_METHOD ${fwdCode} is unknown` };
  const weight = slotUint(buf, slots, IpvsDestAttr.WEIGHT, 4);
  if (weight === ABSENT) return { reason: 'WEIGHT missing' };
  if (weight === BAD_SIZE) return { reason: sizeReason(slots, IpvsDestAttr.WEIGHT, 4, 'WEIGHT') };
  const badSize = badCounter(slots);
  if (badSize !== null) return { reason: badSize };
  const tunnel = tunnelOf(buf, slots, fwd);
  if (isReason(tunnel)) return tunnel;
  return {
    family: key.family,
    address: key.address,
    port: key.port,
    fwd,
    weight: weight | 0,
    upperThreshold: orZero(slotUint(buf, slots, IpvsDestAttr.U_THRESH, 4)),
    lowerThreshold: orZero(slotUint(buf, slots, IpvsDestAttr.L_THRESH, 4)),
    tunnel,
    counters: {
      activeConns: orZero(slotUint(buf, slots, IpvsDestAttr.ACTIVE_CONNS, 4)),
      inactConns: orZero(slotUint(buf, slots, IpvsDestAttr.INACT_CONNS, 4)),
      persistConns: orZero(slotUint(buf, slots, IpvsDestAttr.PERSIST_CONNS, 4)),
    },
  };
}

/** Where the preferred stats nest sits after destAt: STATS64, else STATS; null when neither. */
function statsRange(slots: Int32Array): [number, number] | null {
  for (const type of [IpvsDestAttr.STATS64, IpvsDestAttr.STATS]) {
    const off = slotOffset(slots, type);
    if (off >= 0) return [off, off + slotLength(slots, type)];
  }
  return null;
}

/** Decodes the payload of a DEST nest (stats decoded at once); the family defaults to the service's. */
export function decodeDestNest(nest: Buffer, serviceFamily: AddressFamily): DecodeResult<LiveDestination> {
  const slots = newSlots(MAX_DEST_ATTR);
  const dest = destAt(nest, 0, nest.length, serviceFamily, slots);
  if (isReason(dest)) return refused(dest.reason);
  const range = statsRange(slots);
  if (range === null) return decoded({ dest, stats: null });
  const stats = decodeStats(nest.subarray(range[0], range[1]));
  return stats.ok ? decoded({ dest, stats: stats.value }) : stats;
}

/** Locates the DEST nest of one GET_DEST reply: [start, end) in reply.payload, or a reason. */
function destNestRange(reply: IpvsReply, top: Int32Array): [number, number] | string {
  if (reply.cmd !== IpvsCmd.NEW_DEST) return `expected command NEW_DEST (${IpvsCmd.NEW_DEST}), got ${ipvsCmdName(reply.cmd)}`;
  const bad = scanAttrs(reply.payload, 0, reply.payload.length, top);
  if (bad !== null) return bad;
  const off = slotOffset(top, IpvsCmdAttr.DEST);
  if (off < 0) return 'DEST nest missing';
  return [off, off + slotLength(top, IpvsCmdAttr.DEST)];
}

/** Decodes one reply of a GET_DEST dump (command NEW_DEST, one DEST nest), stats at once. */
export function decodeDestReply(reply: IpvsReply, serviceFamily: AddressFamily): DecodeResult<LiveDestination> {
  const range = destNestRange(reply, newSlots(IpvsCmdAttr.DEST));
  if (typeof range === 'string') return refused(`GET_DEST reply: ${range}`);
  const dest = decodeDestNest(reply.payload.subarray(range[0], range[1]), serviceFamily);
  return dest.ok ? dest : refused(`GET_DEST reply: ${dest.reason}`);
}

/**
 * Decodes every reply of one GET_DEST dump, in order. The stats nests are
 * copied into one slab and decoded on first read of `stats`. The first
 * malformed reply refuses the whole dump (a malformed stats nest does not:
 * its stats read as null).
 */
export function decodeDestReplies(replies: readonly IpvsReply[], serviceFamily: AddressFamily): DecodeResult<LiveDestination[]> {
  const top = newSlots(IpvsCmdAttr.DEST);
  const slots = newSlots(MAX_DEST_ATTR);
  const slab = Buffer.allocUnsafe(replies.length * STATS_BYTES_HINT);
  let used = 0;
  const out: LiveDestination[] = [];
  for (const reply of replies) {
    const range = destNestRange(reply, top);
    if (typeof range === 'string') return refused(`GET_DEST reply: ${range}`);
    const dest = destAt(reply.payload, range[0], range[1], serviceFamily, slots);
    if (isReason(dest)) return refused(`GET_DEST reply: ${dest.reason}`);
    const stats = statsRange(slots);
    if (stats === null) {
      out.push(new LazyLiveDestination(dest, null, 0, 0));
      continue;
    }
    const len = stats[1] - stats[0];
    if (used + len <= slab.length) {
      reply.payload.copy(slab, used, stats[0], stats[1]);
      out.push(new LazyLiveDestination(dest, slab, used, used + len));
      used += len;
    } else {
      out.push(new LazyLiveDestination(dest, Buffer.from(reply.payload.subarray(stats[0], stats[1])), 0, len));
    }
  }
  return decoded(out);
}
