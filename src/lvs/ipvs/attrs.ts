/**
 * Netlink attributes (TLV) for the IPVS family: encoders build padded
 * attributes, decoders read them back and never throw (DecodeResult).
 *
 * Layout of one attribute: u16 length (header + payload, without padding),
 * u16 type, payload, zero padding to a 4-byte boundary. Integers are in host
 * byte order unless the name says be (network order). IPVS nests carry no
 * NLA_F_NESTED flag; the decoder masks both flag bits off the type anyway.
 */
import { endianness } from 'node:os';
import { decoded, refused, type DecodeResult } from '../../core/errors.js';

export const NLA_HDRLEN = 4;
export const NLA_ALIGNTO = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

const LITTLE_ENDIAN = endianness() === 'LE';

export function nlaAlign(length: number): number {
  return (length + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}

/** One attribute: header, payload and padding. */
export function attr(type: number, payload: Uint8Array): Buffer {
  const length = NLA_HDRLEN + payload.length;
  const out = Buffer.alloc(nlaAlign(length));
  writeU16(out, length, 0);
  writeU16(out, type, 2);
  out.set(payload, NLA_HDRLEN);
  return out;
}

function writeU16(buf: Buffer, value: number, offset: number): void {
  if (LITTLE_ENDIAN) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}

function fixed(size: number, write: (buf: Buffer) => void): Buffer {
  const buf = Buffer.alloc(size);
  write(buf);
  return buf;
}

export function u8Attr(type: number, value: number): Buffer {
  return attr(type, fixed(1, (b) => b.writeUInt8(value, 0)));
}

export function u16Attr(type: number, value: number): Buffer {
  return attr(type, fixed(2, (b) => { writeU16(b, value, 0); }));
}

export function u32Attr(type: number, value: number): Buffer {
  return attr(type, fixed(4, (b) => LITTLE_ENDIAN ? b.writeUInt32LE(value, 0) : b.writeUInt32BE(value, 0)));
}

export function u64Attr(type: number, value: bigint): Buffer {
  return attr(type, fixed(8, (b) => LITTLE_ENDIAN ? b.writeBigUInt64LE(value, 0) : b.writeBigUInt64BE(value, 0)));
}

/** A 16-bit value in network byte order (IPVS ports). */
export function be16Attr(type: number, value: number): Buffer {
  return attr(type, fixed(2, (b) => b.writeUInt16BE(value, 0)));
}

/** A 32-bit value in network byte order (IPv4 netmasks). */
export function be32Attr(type: number, value: number): Buffer {
  return attr(type, fixed(4, (b) => b.writeUInt32BE(value, 0)));
}

/** A NUL-terminated string. */
export function stringAttr(type: number, value: string): Buffer {
  return attr(type, Buffer.from(`${value}\0`, 'utf8'));
}

/** A nest of attributes, without NLA_F_NESTED (as IPVS expects). */
export function nestAttr(type: number, children: readonly Uint8Array[]): Buffer {
  return attr(type, Buffer.concat(children));
}

/** A decoded attribute: type with the flag bits removed, payload without padding. */
export interface Attr {
  type: number;
  value: Buffer;
}

/** Splits a run of attributes. Refuses lengths that are too short or overrun the buffer. */
export function decodeAttrs(buf: Buffer): DecodeResult<Attr[]> {
  const out: Attr[] = [];
  let offset = 0;
  while (buf.length - offset >= NLA_HDRLEN) {
    const length = LITTLE_ENDIAN ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
    const rawType = LITTLE_ENDIAN ? buf.readUInt16LE(offset + 2) : buf.readUInt16BE(offset + 2);
    if (length < NLA_HDRLEN) return refused(`attribute at offset ${offset}: length ${length} < ${NLA_HDRLEN}`);
    if (offset + length > buf.length) {
      return refused(`attribute type ${rawType & NLA_TYPE_MASK} at offset ${offset}: length ${length} overruns ${buf.length - offset} bytes`);
    }
    out.push({ type: rawType & NLA_TYPE_MASK, value: buf.subarray(offset + NLA_HDRLEN, offset + length) });
    offset += nlaAlign(length);
  }
  if (offset < buf.length && buf.subarray(offset).some((b) => b !== 0)) {
    return refused(`${buf.length - offset} trailing bytes after the last attribute`);
  }
  return decoded(out);
}

/** Attributes by type; a repeated type keeps the last one (as the kernel's parser does). */
export function attrsByType(attrs: readonly Attr[]): Map<number, Buffer> {
  return new Map(attrs.map((a) => [a.type, a.value]));
}

function sized<T>(value: Buffer, size: number, what: string, read: (b: Buffer) => T): DecodeResult<T> {
  if (value.length !== size) return refused(`${what}: expected ${size} bytes, got ${value.length}`);
  return decoded(read(value));
}

export function readU8(value: Buffer): DecodeResult<number> {
  return sized(value, 1, 'u8', (b) => b.readUInt8(0));
}

export function readU16(value: Buffer): DecodeResult<number> {
  return sized(value, 2, 'u16', (b) => (LITTLE_ENDIAN ? b.readUInt16LE(0) : b.readUInt16BE(0)));
}

export function readU32(value: Buffer): DecodeResult<number> {
  return sized(value, 4, 'u32', (b) => (LITTLE_ENDIAN ? b.readUInt32LE(0) : b.readUInt32BE(0)));
}

export function readU64(value: Buffer): DecodeResult<bigint> {
  return sized(value, 8, 'u64', (b) => (LITTLE_ENDIAN ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0)));
}

export function readBe16(value: Buffer): DecodeResult<number> {
  return sized(value, 2, 'be16', (b) => b.readUInt16BE(0));
}

export function readBe32(value: Buffer): DecodeResult<number> {
  return sized(value, 4, 'be32', (b) => b.readUInt32BE(0));
}

/** A string up to its first NUL (or the whole payload if none). */
export function readString(value: Buffer): DecodeResult<string> {
  const nul = value.indexOf(0);
  return decoded(value.subarray(0, nul === -1 ? value.length : nul).toString('utf8'));
}

/** Reads one required attribute of a set with a reader; the reason names it. */
export function required<T>(
  attrs: ReadonlyMap<number, Buffer>,
  type: number,
  name: string,
  read: (value: Buffer) => DecodeResult<T>,
): DecodeResult<T> {
  const value = attrs.get(type);
  if (value === undefined) return refused(`${name} missing`);
  const result = read(value);
  return result.ok ? result : refused(`${name}: ${result.reason}`);
}

/** Reads one optional attribute; absent gives undefined. */
export function optional<T>(
  attrs: ReadonlyMap<number, Buffer>,
  type: number,
  name: string,
  read: (value: Buffer) => DecodeResult<T>,
): DecodeResult<T | undefined> {
  return attrs.has(type) ? required(attrs, type, name, read) : decoded(undefined);
}
