/**
 * Allocation-free attribute scanning for the hot decode path (the GET_DEST
 * dump of a big table: tens of thousands of attributes per reconcile). Where
 * ./attrs.ts makes one object and one Buffer view per attribute plus a Map per
 * nest, `scanAttrs` records where each attribute's value sits (offset and
 * length, by type) in a caller-owned Int32Array, and the readers below read
 * integers straight from the buffer. Same rules as decodeAttrs: lengths below
 * the header or overrunning the run are refused, a repeated type keeps the
 * last one, flag bits are masked off the type, trailing bytes must be zero
 * padding. Never throws.
 */
import { endianness } from 'node:os';
import { formatIp } from '../../core/ip.js';
import { NLA_HDRLEN, NLA_TYPE_MASK, nlaAlign } from './attrs.js';

const LE = endianness() === 'LE';

/** Slots for attribute types 0..maxType: [offset, length] pairs, -1 when absent. */
export function newSlots(maxType: number): Int32Array {
  return new Int32Array(2 * (maxType + 1));
}

/**
 * Records the value offset and length of each attribute in buf[start, end)
 * whose type fits the slots (others are skipped). Returns null, or the reason
 * the run is malformed.
 */
export function scanAttrs(buf: Buffer, start: number, end: number, slots: Int32Array): string | null {
  slots.fill(-1);
  const max = slots.length >> 1;
  let off = start;
  while (end - off >= NLA_HDRLEN) {
    const length = LE ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
    const type = (LE ? buf.readUInt16LE(off + 2) : buf.readUInt16BE(off + 2)) & NLA_TYPE_MASK;
    if (length < NLA_HDRLEN) return `attribute at offset ${off - start}: length ${length} < ${NLA_HDRLEN}`;
    if (off + length > end) return `attribute type ${type} at offset ${off - start}: length ${length} overruns ${end - off} bytes`;
    if (type < max) {
      slots[2 * type] = off + NLA_HDRLEN;
      slots[2 * type + 1] = length - NLA_HDRLEN;
    }
    off += nlaAlign(length);
  }
  for (let i = off; i < end; i++) if (buf[i] !== 0) return `${end - off} trailing bytes after the last attribute`;
  return null;
}

/** Offset of a type's value, -1 when absent. */
export function slotOffset(slots: Int32Array, type: number): number {
  return slots[2 * type] ?? -1;
}

/** Length of a type's value, -1 when absent. */
export function slotLength(slots: Int32Array, type: number): number {
  return slots[2 * type + 1] ?? -1;
}

/** slotUint / slotBe16: the attribute is absent. */
export const ABSENT = -1;
/** slotUint / slotBe16: the attribute has the wrong size (sizeReason says which). */
export const BAD_SIZE = -2;

/**
 * A fixed-size unsigned integer attribute: its value (>= 0), ABSENT or BAD_SIZE. Always a number,
 * so the hot decode path stays monomorphic; the reason is built only on failure (sizeReason).
 */
export function slotUint(buf: Buffer, slots: Int32Array, type: number, size: 1 | 2 | 4): number {
  const off = slots[2 * type] ?? -1;
  if (off < 0) return ABSENT;
  if (slots[2 * type + 1] !== size) return BAD_SIZE;
  if (size === 1) return buf[off] ?? 0;
  if (size === 2) return LE ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
  return LE ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
}

/** A 16-bit network-order attribute (ports): its value, ABSENT or BAD_SIZE. */
export function slotBe16(buf: Buffer, slots: Int32Array, type: number): number {
  const off = slots[2 * type] ?? -1;
  if (off < 0) return ABSENT;
  if (slots[2 * type + 1] !== 2) return BAD_SIZE;
  return buf.readUInt16BE(off);
}

/** Why an attribute read gave BAD_SIZE. */
export function sizeReason(slots: Int32Array, type: number, size: number, name: string): string {
  return `${name}: expected ${size} bytes, got ${slotLength(slots, type)}`;
}

/** Canonical text of an ADDR value at `off` (IPv4: 4 or 16 bytes; IPv6: 16), or a reason. */
export function addrText(buf: Buffer, off: number, len: number, ipv4: boolean): string | { reason: string } {
  if (ipv4) {
    if (len !== 4 && len !== 16) return { reason: `IPv4 address: expected 4 or 16 bytes, got ${len}` };
    return `${buf[off] ?? 0}.${buf[off + 1] ?? 0}.${buf[off + 2] ?? 0}.${buf[off + 3] ?? 0}`;
  }
  if (len !== 16) return { reason: `IPv6 address: expected 16 bytes, got ${len}` };
  return formatIp(buf.subarray(off, off + 16));
}
