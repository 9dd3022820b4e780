/** The GET_DEST dump decoder with lazy stats, against hand-built kernel replies. */
import { describe, expect, test } from 'vitest';
import { nestAttr, u32Attr, u64Attr } from '../../../../src/lvs/ipvs/attrs.js';
import { IpvsCmd, IpvsCmdAttr, IpvsDestAttr } from '../../../../src/lvs/ipvs/constants.js';
import { decodeDestNest, decodeDestReplies, decodeDestReply, destNest } from '../../../../src/lvs/ipvs/destination.js';
import type { IpvsReply } from '../../../../src/lvs/ipvs/message.js';
import type { Destination } from '../../../../src/lvs/model.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const Z12 = '00'.repeat(12);
// The kernel reply of destination.test.ts: GRE tunnel with CSUM, counters 4/9/1, STATS64 with CONNS 5.
const REPLY = `1400 0100 c0a80102 ${Z12}` + '0600 0200 1f90 0000' + '0800 0300 02000000' + '0800 0400 05000000'
  + '0800 0500 00000000' + '0800 0600 00000000' + '0800 0700 04000000' + '0800 0800 09000000' + '0800 0900 01000000'
  + '0600 0b00 0200 0000' + '0500 0d00 02 000000' + '0600 0e00 0000 0000' + '0600 0f00 0100 0000'
  + '1000 0c00 0c00 0100 0500000000000000';

const reply = (nestPayload: Buffer): IpvsReply => ({ cmd: IpvsCmd.NEW_DEST, payload: nestAttr(IpvsCmdAttr.DEST, [nestPayload]) });
const RS: Destination = { family: 'ipv4', address: '10.2.0.7', port: 80, fwd: 'droute', weight: 3, upperThreshold: 0, lowerThreshold: 0, tunnel: null };
const stats64 = (conns: bigint): Buffer => nestAttr(IpvsDestAttr.STATS64, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => u64Attr(t, t === 1 ? conns : BigInt(t))));
const kernelLike = (d: Destination, conns: bigint): IpvsReply => reply(Buffer.concat([destNest(d).subarray(4), u32Attr(IpvsDestAttr.ACTIVE_CONNS, 2), stats64(conns)]));

describe('decodeDestReplies (the dump decoder readTable uses)', () => {
  test('same destinations and stats as the reply-by-reply decoder', () => {
    const replies = [reply(hex(REPLY)), kernelLike(RS, 11n), kernelLike({ ...RS, address: '10.2.0.8', weight: 0 }, 12n)];
    const all = decodeDestReplies(replies, 'ipv4');
    if (!all.ok) throw new Error(all.reason);
    expect(all.value).toHaveLength(3);
    all.value.forEach((d, i) => {
      const r = replies[i];
      if (r === undefined) throw new Error('no reply');
      const one = decodeDestReply(r, 'ipv4');
      if (!one.ok) throw new Error(one.reason);
      expect(d.dest).toEqual(one.value.dest);
      expect(d.stats).toEqual(one.value.stats);
    });
    expect(all.value[0]?.dest).toMatchObject({ address: '192.168.1.2', fwd: 'tunnel', tunnel: { type: 'gre', port: 0, flags: 1 }, counters: { activeConns: 4, inactConns: 9, persistConns: 1 } });
    expect(all.value.map((d) => d.stats?.conns)).toEqual([5n, 11n, 12n]);
    expect(all.value[1]?.stats).toMatchObject({ inPkts: 2n, outBps: 10n });
  });

  test('stats are kept as a copy: overwriting the reply afterwards does not change them', () => {
    const r = kernelLike(RS, 77n);
    const all = decodeDestReplies([r], 'ipv4');
    r.payload.fill(0);
    expect(all.ok && all.value[0]?.stats?.conns).toBe(77n);
  });

  test('a stats nest bigger than the slab hint still decodes (copied on its own)', () => {
    const big = nestAttr(IpvsDestAttr.STATS64, [...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => u64Attr(t, 1n)), ...Array.from({ length: 20 }, () => u64Attr(11, 0n))]);
    const all = decodeDestReplies([reply(Buffer.concat([destNest(RS).subarray(4), big]))], 'ipv4');
    expect(all.ok && all.value[0]?.stats?.conns).toBe(1n);
  });

  test('no stats nest: stats null; a malformed stats nest: the destination decodes, stats read as null', () => {
    const none = decodeDestReplies([reply(destNest(RS).subarray(4))], 'ipv4');
    expect(none.ok && none.value[0]?.stats).toBeNull();
    const badStats = hex('0800 0c00 0c00 0100'); // STATS64 holding an attribute that overruns it
    const bad = decodeDestReplies([reply(Buffer.concat([destNest(RS).subarray(4), badStats]))], 'ipv4');
    expect(bad.ok && bad.value[0]?.dest.address).toBe('10.2.0.7');
    expect(bad.ok && bad.value[0]?.stats).toBeNull();
    // The eager decoders refuse it, as before.
    expect(decodeDestNest(Buffer.concat([destNest(RS).subarray(4), badStats]), 'ipv4').ok).toBe(false);
  });

  test('a malformed reply refuses the whole dump, naming the problem', () => {
    const good = kernelLike(RS, 1n);
    const noWeight = reply(hex(`1400 0100 c0a80102 ${Z12} 0600 0200 0050 0000 0800 0300 00000000`));
    expect(decodeDestReplies([good, noWeight], 'ipv4')).toEqual({ ok: false, reason: 'GET_DEST reply: WEIGHT missing' });
    expect(decodeDestReplies([{ cmd: IpvsCmd.NEW_SERVICE, payload: good.payload }], 'ipv4')).toMatchObject({ ok: false, reason: expect.stringContaining('expected command NEW_DEST') as unknown });
    expect(decodeDestReplies([{ cmd: IpvsCmd.NEW_DEST, payload: Buffer.alloc(0) }], 'ipv4')).toEqual({ ok: false, reason: 'GET_DEST reply: DEST nest missing' });
    expect(decodeDestReplies([], 'ipv4')).toEqual({ ok: true, value: [] });
  });

  test('an attribute of the wrong size is refused with its name', () => {
    const base = `1400 0100 c0a80102 ${Z12} 0600 0200 0050 0000 0800 0300 03000000 0800 0400 01000000`;
    expect(decodeDestReplies([reply(hex(`${base} 0600 0500 0100 0000`))], 'ipv4')).toEqual({ ok: false, reason: 'GET_DEST reply: U_THRESH: expected 4 bytes, got 2' });
    expect(decodeDestReplies([reply(hex(`${base} 0500 0e00 01 000000`))], 'ipv4')).toEqual({ ok: false, reason: 'GET_DEST reply: TUN_PORT: expected 2 bytes, got 1' });
    expect(decodeDestReplies([reply(hex(`${base} 0800 0b00 02000000`))], 'ipv4')).toEqual({ ok: false, reason: 'GET_DEST reply: ADDR_FAMILY: expected 2 bytes, got 4' });
    expect(decodeDestReplies([reply(hex(`${base} 0600 0900 0100 0000`))], 'ipv4')).toEqual({ ok: false, reason: 'GET_DEST reply: PERSIST_CONNS: expected 4 bytes, got 2' });
    expect(decodeDestReplies([reply(hex(base))], 'ipv4').ok).toBe(true);
  });

  test('IPv6 destination in an IPv4 service (ADDR_FAMILY 10), round trip', () => {
    const d: Destination = { ...RS, family: 'ipv6', address: '2001:db8::5', fwd: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: 2 } };
    const r = decodeDestReplies([reply(destNest(d).subarray(4))], 'ipv4');
    expect(r.ok && r.value[0]?.dest).toEqual({ ...d, counters: { activeConns: 0, inactConns: 0, persistConns: 0 } });
  });

  test('never throws on mutated kernel replies, and agrees with the eager decoder on every destination it accepts', () => {
    let seed = 11;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const base = kernelLike({ ...RS, fwd: 'tunnel', tunnel: { type: 'gue', port: 1, flags: 1 } }, 3n).payload;
    let accepted = 0;
    for (let i = 0; i < 600; i++) {
      const payload = Buffer.from(base);
      for (let k = 0; k < 1 + rnd(3); k++) payload[rnd(payload.length)] = rnd(256);
      const r = { cmd: IpvsCmd.NEW_DEST, payload };
      const lazy = decodeDestReplies([r], 'ipv4');
      const eager = decodeDestReply(r, 'ipv4');
      if (eager.ok) {
        accepted += 1;
        expect(lazy.ok && lazy.value[0]?.dest).toEqual(eager.value.dest);
        expect(lazy.ok && lazy.value[0]?.stats).toEqual(eager.value.stats);
      } else if (lazy.ok) {
        expect(lazy.value[0]?.stats).toBeNull(); // only a bad stats nest separates the two
      }
    }
    expect(accepted).toBeGreaterThan(40);
  });
});
