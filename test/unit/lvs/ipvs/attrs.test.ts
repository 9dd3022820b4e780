import { describe, expect, test } from 'vitest';
import {
  attr, attrsByType, be16Attr, be32Attr, decodeAttrs, nestAttr, optional, readBe16, readBe32, readString,
  readU16, readU32, readU64, readU8, required, stringAttr, u16Attr, u32Attr, u64Attr, u8Attr,
} from '../../../../src/lvs/ipvs/attrs.js';

// Hand-built bytes: u16 length, u16 type (host order, little-endian on the
// machines we run on), payload, zero padding to 4 bytes.
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('attribute encoders', () => {
  test('u8 is padded to 4 bytes after a 5-byte attribute', () => {
    expect(u8Attr(13, 0x2a)).toEqual(hex('0500 0d00 2a 000000'));
  });
  test('u16 in host order, padded', () => {
    expect(u16Attr(1, 10)).toEqual(hex('0600 0100 0a00 0000'));
  });
  test('be16 port 80 in network order', () => {
    expect(be16Attr(4, 80)).toEqual(hex('0600 0400 0050 0000'));
  });
  test('u32 and be32', () => {
    expect(u32Attr(4, 0x01020304)).toEqual(hex('0800 0400 04030201'));
    expect(be32Attr(9, 0xffffff00)).toEqual(hex('0800 0900 ffffff00'));
  });
  test('u64', () => {
    expect(u64Attr(4, 0x0102030405060708n)).toEqual(hex('0c00 0400 0807060504030201'));
  });
  test('string is NUL-terminated; length counts the NUL but not the padding', () => {
    expect(stringAttr(6, 'wrr')).toEqual(hex('0800 0600 77727200'));
    expect(stringAttr(6, 'rr')).toEqual(hex('0700 0600 727200 00'));
  });
  test('a nest concatenates its children and carries no NLA_F_NESTED flag', () => {
    const nest = nestAttr(1, [u16Attr(1, 2), be16Attr(4, 80)]);
    expect(nest).toEqual(hex('1400 0100' + '0600 0100 0200 0000' + '0600 0400 0050 0000'));
    expect(nest.readUInt16LE(2) & 0x8000).toBe(0);
  });
  test('an empty payload is a bare header', () => {
    expect(attr(3, new Uint8Array(0))).toEqual(hex('0400 0300'));
  });
});

describe('attribute decoder', () => {
  test('round trip of a mixed run, padding skipped', () => {
    const bytes = Buffer.concat([u8Attr(1, 7), stringAttr(2, 'rr'), u64Attr(3, 5n)]);
    const result = decodeAttrs(bytes);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.map((a) => a.type)).toEqual([1, 2, 3]);
    const byType = attrsByType(result.value);
    expect(readU8(byType.get(1) ?? Buffer.alloc(0))).toEqual({ ok: true, value: 7 });
    expect(readString(byType.get(2) ?? Buffer.alloc(0))).toEqual({ ok: true, value: 'rr' });
    expect(readU64(byType.get(3) ?? Buffer.alloc(0))).toEqual({ ok: true, value: 5n });
  });
  test('NLA_F_NESTED and NLA_F_NET_BYTEORDER are masked off the type', () => {
    const result = decodeAttrs(hex('0800 0180 01000000' + '0800 0240 02000000'));
    expect(result.ok && result.value.map((a) => a.type)).toEqual([1, 2]);
  });
  test('an attribute that overruns the buffer is refused, not thrown', () => {
    const result = decodeAttrs(hex('0c00 0100 01000000'));
    expect(result).toEqual({ ok: false, reason: 'attribute type 1 at offset 0: length 12 overruns 8 bytes' });
  });
  test('a length below the header size is refused', () => {
    expect(decodeAttrs(hex('0200 0100')).ok).toBe(false);
  });
  test('non-zero trailing bytes are refused; trailing zero padding is accepted', () => {
    expect(decodeAttrs(hex('0800 0100 01000000 ff')).ok).toBe(false);
    expect(decodeAttrs(hex('0800 0100 01000000 0000')).ok).toBe(true);
  });
  test('an empty buffer is an empty list', () => {
    expect(decodeAttrs(Buffer.alloc(0))).toEqual({ ok: true, value: [] });
  });
  test('a repeated type keeps the last value', () => {
    const result = decodeAttrs(Buffer.concat([u32Attr(1, 1), u32Attr(1, 2)]));
    if (!result.ok) throw new Error(result.reason);
    expect(readU32(attrsByType(result.value).get(1) ?? Buffer.alloc(0))).toEqual({ ok: true, value: 2 });
  });
});

describe('value readers', () => {
  test('wrong sizes are refused with the expected and actual size', () => {
    expect(readU32(hex('0102'))).toEqual({ ok: false, reason: 'u32: expected 4 bytes, got 2' });
    expect(readU16(hex('010203')).ok).toBe(false);
    expect(readU8(Buffer.alloc(0)).ok).toBe(false);
    expect(readU64(hex('01')).ok).toBe(false);
    expect(readBe16(hex('01')).ok).toBe(false);
  });
  test('network-order readers', () => {
    expect(readBe16(hex('0050'))).toEqual({ ok: true, value: 80 });
    expect(readBe32(hex('ffffff00'))).toEqual({ ok: true, value: 0xffffff00 });
  });
  test('a string without a NUL is taken whole; one with a NUL stops there', () => {
    expect(readString(Buffer.from('abc'))).toEqual({ ok: true, value: 'abc' });
    expect(readString(Buffer.from('ab\0junk'))).toEqual({ ok: true, value: 'ab' });
  });
  test('required names the missing or malformed attribute; optional allows absence', () => {
    const attrs = new Map([[1, hex('01')]]);
    expect(required(attrs, 2, 'VERSION', readU32)).toEqual({ ok: false, reason: 'VERSION missing' });
    expect(required(attrs, 1, 'VERSION', readU32)).toEqual({ ok: false, reason: 'VERSION: u32: expected 4 bytes, got 1' });
    expect(optional(attrs, 2, 'X', readU32)).toEqual({ ok: true, value: undefined });
    expect(optional(attrs, 1, 'X', readU8)).toEqual({ ok: true, value: 1 });
  });
});
