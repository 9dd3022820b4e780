/** DEST nest codec against hand-built bytes. */
import { describe, expect, test } from 'vitest';
import { IpvsCmd } from '../../../../src/lvs/ipvs/constants.js';
import {
  decodeDestNest, decodeDestReply, delDestRequest, destKeyNest, destNest, getDestsDumpRequest, newDestRequest, setDestRequest,
} from '../../../../src/lvs/ipvs/destination.js';
import { serviceKeyNest } from '../../../../src/lvs/ipvs/service.js';
import type { Destination, ServiceKey } from '../../../../src/lvs/model.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const Z12 = '00'.repeat(12);
const SVC: ServiceKey = { kind: 'address', family: 'ipv4', protocol: 'tcp', address: '10.0.0.1', port: 80 };
const RS: Destination = {
  family: 'ipv4', address: '192.168.1.2', port: 8080, fwd: 'droute', weight: 5, upperThreshold: 100, lowerThreshold: 10, tunnel: null,
};
const KEY = `1400 0100 c0a80102 ${Z12}` + '0600 0200 1f90 0000' + '0600 0b00 0200 0000';

describe('DEST nest encoder', () => {
  test('full nest: address, port BE, family, method 3, weight, thresholds, tunnel zeros', () => {
    const inner = KEY + '0800 0300 03000000' + '0800 0400 05000000' + '0800 0500 64000000' + '0800 0600 0a000000'
      + '0500 0d00 00 000000' + '0600 0e00 0000 0000' + '0600 0f00 0000 0000';
    expect(hex(inner)).toHaveLength(92);
    expect(destNest(RS)).toEqual(hex(`6000 0200 ${inner}`));
  });

  test('GUE tunnel: type 1, port 5555 BE, flags CSUM|REMCSUM', () => {
    const out = destNest({ ...RS, fwd: 'tunnel', tunnel: { type: 'gue', port: 5555, flags: 3 } });
    expect(out.includes(hex('0800 0300 02000000'))).toBe(true);
    expect(out.includes(hex('0500 0d00 01 000000 0600 0e00 15b3 0000 0600 0f00 0300 0000'))).toBe(true);
  });

  test('masq, IPv6 real server', () => {
    const out = destNest({ ...RS, family: 'ipv6', address: 'fd00::2', fwd: 'masq' });
    expect(out.includes(hex(`1400 0100 fd000000000000000000000000000002`))).toBe(true);
    expect(out.includes(hex('0600 0b00 0a00 0000'))).toBe(true);
    expect(out.includes(hex('0800 0300 00000000'))).toBe(true);
  });

  test('key-only nest for DEL_DEST', () => {
    expect(destKeyNest(RS)).toEqual(hex(`2800 0200 ${KEY}`)); // 4 + 20 + 8 + 8
  });

  test('requests carry the SERVICE key nest then the DEST nest', () => {
    expect(newDestRequest(SVC, RS)).toMatchObject({
      cmd: IpvsCmd.NEW_DEST, kind: 'doit', payload: Buffer.concat([serviceKeyNest(SVC), destNest(RS)]),
      subject: 'tcp 10.0.0.1:80 -> 192.168.1.2:8080',
    });
    expect(setDestRequest(SVC, RS).cmd).toBe(IpvsCmd.SET_DEST);
    expect(delDestRequest(SVC, RS).payload).toEqual(Buffer.concat([serviceKeyNest(SVC), destKeyNest(RS)]));
    expect(getDestsDumpRequest(SVC)).toMatchObject({ cmd: IpvsCmd.GET_DEST, kind: 'dump', payload: serviceKeyNest(SVC) });
  });
});

const REPLY = `1400 0100 c0a80102 ${Z12}` + '0600 0200 1f90 0000' + '0800 0300 02000000' + '0800 0400 05000000'
  + '0800 0500 00000000' + '0800 0600 00000000' + '0800 0700 04000000' + '0800 0800 09000000' + '0800 0900 01000000'
  + '0600 0b00 0200 0000' + '0500 0d00 02 000000' + '0600 0e00 0000 0000' + '0600 0f00 0100 0000'
  + '1000 0c00 0c00 0100 0500000000000000';

describe('DEST nest decoder', () => {
  test('a kernel reply: GRE tunnel with CSUM, counters, stats64', () => {
    const r = decodeDestNest(hex(REPLY), 'ipv4');
    expect(r.ok && r.value).toEqual({
      dest: {
        family: 'ipv4', address: '192.168.1.2', port: 8080, fwd: 'tunnel', weight: 5, upperThreshold: 0, lowerThreshold: 0,
        tunnel: { type: 'gre', port: 0, flags: 1 }, counters: { activeConns: 4, inactConns: 9, persistConns: 1 },
      },
      stats: { conns: 5n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n },
    });
  });

  test('no ADDR_FAMILY: the service family; fwd flag bits above the method are masked', () => {
    const r = decodeDestNest(hex(`1400 0100 c0a80102 ${Z12} 0600 0200 0050 0000 0800 0300 03010000 0800 0400 01000000 0500 0d00 01 000000`), 'ipv4');
    expect(r.ok && r.value.dest).toMatchObject({ family: 'ipv4', fwd: 'droute', tunnel: null, weight: 1 });
  });

  test('negative weight as the kernel stores it (signed)', () => {
    const r = decodeDestNest(hex(`1400 0100 c0a80102 ${Z12} 0600 0200 0050 0000 0800 0300 00000000 0800 0400 ffffffff`), 'ipv4');
    expect(r.ok && r.value.dest.weight).toBe(-1);
  });

  test('refusals: missing weight, unknown method, unknown tunnel type, bad family, short address', () => {
    const base = `1400 0100 c0a80102 ${Z12} 0600 0200 0050 0000`;
    expect(decodeDestNest(hex(`${base} 0800 0300 00000000`), 'ipv4')).toEqual({ ok: false, reason: 'WEIGHT missing' });
    expect(decodeDestNest(hex(`${base} 0800 0300 05000000 0800 0400 01000000`), 'ipv4')).toMatchObject({ ok: false });
    expect(decodeDestNest(hex(`${base} 0800 0300 02000000 0800 0400 01000000 0500 0d00 07 000000`), 'ipv4'))
      .toMatchObject({ ok: false, reason: expect.stringContaining('TUN_TYPE 7') as unknown });
    expect(decodeDestNest(hex(`0600 0b00 0300 0000 ${base}`), 'ipv4')).toMatchObject({ ok: false });
    expect(decodeDestNest(hex('0600 0100 0a00 0000 0600 0200 0050 0000'), 'ipv6')).toMatchObject({ ok: false });
    expect(decodeDestNest(hex('ff00 0100'), 'ipv4')).toMatchObject({ ok: false });
  });

  test('reply wrapper checks the command and the nest', () => {
    const payload = hex(`${(4 + hex(REPLY).length).toString(16)}00 0200 ${REPLY}`);
    expect(decodeDestReply({ cmd: IpvsCmd.NEW_DEST, payload }, 'ipv4').ok).toBe(true);
    expect(decodeDestReply({ cmd: IpvsCmd.NEW_SERVICE, payload }, 'ipv4').ok).toBe(false);
    expect(decodeDestReply({ cmd: IpvsCmd.NEW_DEST, payload: Buffer.alloc(0) }, 'ipv4')).toEqual({ ok: false, reason: 'GET_DEST reply: DEST nest missing' });
  });

  test('round trip of an IPv6 GUE destination', () => {
    const d: Destination = { ...RS, family: 'ipv6', address: '2001:db8::5', fwd: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: 2 } };
    const r = decodeDestNest(destNest(d).subarray(4), 'ipv4');
    expect(r.ok && r.value.dest).toEqual({ ...d, counters: { activeConns: 0, inactConns: 0, persistConns: 0 } });
  });
});
