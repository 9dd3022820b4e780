/** The allocation-free attribute scanner and the one-buffer attribute writer, against hand-built bytes and the attrs.ts helpers. */
import { describe, expect, test } from 'vitest';
import { attr, be16Attr, nestAttr, u16Attr, u32Attr, u8Attr } from '../../../../src/lvs/ipvs/attrs.js';
import { ABSENT, addrText, BAD_SIZE, newSlots, scanAttrs, sizeReason, slotBe16, slotLength, slotOffset, slotUint } from '../../../../src/lvs/ipvs/scan.js';
import { AttrWriter, ipv4Number } from '../../../../src/lvs/ipvs/writer.js';
import { encodeAddr } from '../../../../src/lvs/ipvs/addr.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('scanAttrs', () => {
  test('locates each type (value offset and length), masks flag bits, skips types beyond the slots', () => {
    // type 1 u32 7; type 2|NLA_F_NESTED 2 bytes; type 9 (beyond maxType 4) u8; type 3 u8 with padding
    const buf = hex('0800 0100 07000000  0600 0280 abcd 0000  0500 0900 01 000000  0500 0300 ff 000000');
    const slots = newSlots(4);
    expect(scanAttrs(buf, 0, buf.length, slots)).toBeNull();
    expect([slotOffset(slots, 1), slotLength(slots, 1)]).toEqual([4, 4]);
    expect([slotOffset(slots, 2), slotLength(slots, 2)]).toEqual([12, 2]);
    expect([slotOffset(slots, 3), slotLength(slots, 3)]).toEqual([28, 1]);
    expect(slotOffset(slots, 4)).toBe(-1);
    expect(slotUint(buf, slots, 1, 4)).toBe(7);
    expect(slotBe16(buf, slots, 2)).toBe(0xabcd);
    expect(slotUint(buf, slots, 3, 1)).toBe(0xff);
    expect(slotUint(buf, slots, 4, 4)).toBe(ABSENT);
    expect(slotUint(buf, slots, 3, 4)).toBe(BAD_SIZE);
    expect(slotBe16(buf, slots, 1)).toBe(BAD_SIZE);
    expect(sizeReason(slots, 3, 4, 'C')).toBe('C: expected 4 bytes, got 1');
  });

  test('a repeated type keeps the last one; a sub-range is scanned alone; slots are reset each time', () => {
    const buf = hex('0800 0100 01000000 0800 0100 02000000');
    const slots = newSlots(2);
    expect(scanAttrs(buf, 0, buf.length, slots)).toBeNull();
    expect(slotUint(buf, slots, 1, 4)).toBe(2);
    expect(scanAttrs(buf, 0, 8, slots)).toBeNull();
    expect(slotUint(buf, slots, 1, 4)).toBe(1);
    expect(scanAttrs(buf, 8, 8, slots)).toBeNull();
    expect(slotOffset(slots, 1)).toBe(-1);
  });

  test('refusals: length below the header, overrun, non-zero trailing bytes (zero padding is fine)', () => {
    const slots = newSlots(4);
    expect(scanAttrs(hex('0200 0100'), 0, 4, slots)).toBe('attribute at offset 0: length 2 < 4');
    expect(scanAttrs(hex('0c00 0100 01000000'), 0, 8, slots)).toBe('attribute type 1 at offset 0: length 12 overruns 8 bytes');
    expect(scanAttrs(hex('0800 0100 01000000 0001'), 0, 10, slots)).toBe('2 trailing bytes after the last attribute');
    expect(scanAttrs(hex('0800 0100 01000000 0000'), 0, 10, slots)).toBeNull();
  });

  test('addresses: IPv4 from 4 or 16 bytes, IPv6 compressed; wrong sizes refused', () => {
    expect(addrText(hex(`0a000001 ${'00'.repeat(12)}`), 0, 16, true)).toBe('10.0.0.1');
    expect(addrText(hex('c0a80102'), 0, 4, true)).toBe('192.168.1.2');
    expect(addrText(hex('20010db8000000000000000000000001'), 0, 16, false)).toBe('2001:db8::1');
    expect(addrText(hex('0a0000'), 0, 3, true)).toEqual({ reason: 'IPv4 address: expected 4 or 16 bytes, got 3' });
    expect(addrText(hex('0a000001'), 0, 4, false)).toEqual({ reason: 'IPv6 address: expected 16 bytes, got 4' });
  });

  test('never throws on random bytes', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    const slots = newSlots(15);
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(Array.from({ length: i % 64 }, rnd));
      if (scanAttrs(buf, 0, buf.length, slots) !== null) refused += 1; // a throw fails the test
    }
    expect(refused).toBeGreaterThan(1000);
  });
});

describe('AttrWriter', () => {
  test('writes the same bytes as the attrs.ts helpers, padding included', () => {
    const w = new AttrWriter(128)
      .u8(1, 0x7f).u16(2, 0x1234).be16(3, 8080).u32(4, 0xffffffff).u32(5, -1)
      .addr(6, 'ipv4', '10.1.2.3').addr(7, 'ipv6', '2001:db8::5')
      .nest(8, (n) => n.u16(1, 2).u8(2, 3));
    expect(w.finish()).toEqual(Buffer.concat([
      u8Attr(1, 0x7f), u16Attr(2, 0x1234), be16Attr(3, 8080), u32Attr(4, 0xffffffff), u32Attr(5, 0xffffffff),
      attr(6, encodeAddr('ipv4', '10.1.2.3')), attr(7, encodeAddr('ipv6', '2001:db8::5')),
      nestAttr(8, [u16Attr(1, 2), u8Attr(2, 3)]),
    ]));
  });

  test('padding bytes are zero even in a reused (unsafe) allocation', () => {
    for (let i = 0; i < 50; i++) {
      const out = new AttrWriter(64).u8(1, 1).finish();
      expect(out).toEqual(hex('0500 0100 01 000000'));
    }
  });

  test('an address that is not of the family is a caller bug (throws), as encodeAddr does', () => {
    expect(() => new AttrWriter(64).addr(1, 'ipv4', '10.0.0.256')).toThrow(RangeError);
    expect(() => new AttrWriter(64).addr(1, 'ipv4', 'fd00::1')).toThrow(RangeError);
    expect(() => new AttrWriter(64).addr(1, 'ipv6', '10.0.0.1')).toThrow(RangeError);
  });

  test('ipv4Number: canonical dotted quads only', () => {
    expect(ipv4Number('10.1.2.3')).toBe(0x0a010203);
    expect(ipv4Number('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4Number('0.0.0.0')).toBe(0);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..2.3', '1.2.3.', 'a.b.c.d', '::1', ' 1.2.3.4']) {
      expect(ipv4Number(bad), bad).toBe(-1);
    }
  });
});
