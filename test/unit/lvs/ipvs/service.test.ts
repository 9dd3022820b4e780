/**
 * SERVICE nest codec against hand-built bytes (little-endian host; ports and
 * IPv4 netmasks in network order; addresses 16 bytes; flags + mask 8 bytes).
 */
import { describe, expect, test } from 'vitest';
import { IpvsCmd } from '../../../../src/lvs/ipvs/constants.js';
import {
  decodeServiceNest, decodeServiceReply, delServiceRequest, flushRequest, getServiceRequest, getServicesDumpRequest,
  newServiceRequest, serviceKeyNest, serviceNest, setServiceRequest, unknownSchedulerMessage, zeroRequest,
} from '../../../../src/lvs/ipvs/service.js';
import type { Service } from '../../../../src/lvs/model.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const Z12 = '00'.repeat(12);

const WEB: Service = {
  key: { kind: 'address', family: 'ipv4', protocol: 'tcp', address: '10.0.0.1', port: 80 },
  scheduler: 'wrr', flags: 0, timeoutS: 0, netmask: '255.255.255.255', peName: null,
};

// Attributes inside the nest, by hand.
const AF4 = '0600 0100 0200 0000';
const AF6 = '0600 0100 0a00 0000';
const TCP = '0600 0200 0600 0000';
const ADDR_10_0_0_1 = `1400 0300 0a000001 ${Z12}`;
const PORT_80 = '0600 0400 0050 0000';
const SCHED_WRR = '0800 0600 77727200';
const FLAGS_0 = '0c00 0700 00000000 ffffffff';
const TIMEOUT_0 = '0800 0800 00000000';
const MASK_32 = '0800 0900 ffffffff';

describe('SERVICE nest encoder', () => {
  test('full nest of tcp 10.0.0.1:80 wrr: key, scheduler, flags with mask ~0, timeout, netmask', () => {
    const inner = [AF4, TCP, ADDR_10_0_0_1, PORT_80, SCHED_WRR, FLAGS_0, TIMEOUT_0, MASK_32].join('');
    expect(hex(inner)).toHaveLength(80);
    expect(serviceNest(WEB)).toEqual(hex(`5400 0100 ${inner}`));
  });

  test('persistent with a /24 netmask: flags 1, timeout 300, mask ffffff00 big-endian', () => {
    const svc: Service = { ...WEB, flags: 0x1, timeoutS: 300, netmask: '255.255.255.0' };
    const out = serviceNest(svc);
    expect(out.subarray(4 + 52)).toEqual(hex('0c00 0700 01000000 ffffffff' + '0800 0800 2c010000' + '0800 0900 ffffff00'));
  });

  test('an explicit mask is sent as given (flags 0x18 under mask 0x18)', () => {
    const out = serviceNest({ ...WEB, scheduler: 'sh', flags: 0x18 }, 0x18);
    expect(out.includes(hex('0c00 0700 18000000 18000000'))).toBe(true);
    expect(out.includes(hex('0700 0600 736800 00'))).toBe(true); // "sh\0" padded
  });

  test('fwmark key: AF and FWMARK only', () => {
    expect(serviceKeyNest({ kind: 'fwmark', family: 'ipv6', fwmark: 5 })).toEqual(hex(`1400 0100 ${AF6} 0800 0500 05000000`));
  });

  test('IPv6 address key and prefix-length netmask as native u32', () => {
    const svc: Service = {
      key: { kind: 'address', family: 'ipv6', protocol: 'udp', address: '2001:db8::10', port: 53 },
      scheduler: 'rr', flags: 1, timeoutS: 60, netmask: '64', peName: null,
    };
    const out = serviceNest(svc);
    expect(out.includes(hex(`1400 0300 20010db8 00000000 00000000 00000010`))).toBe(true);
    expect(out.includes(hex('0600 0200 1100 0000'))).toBe(true); // udp 17
    expect(out.includes(hex('0600 0400 0035 0000'))).toBe(true); // port 53 BE
    expect(out.includes(hex('0800 0900 40000000'))).toBe(true); // prefix 64 LE
  });

  test('PE name is sent only when there is one', () => {
    expect(serviceNest({ ...WEB, peName: 'sip' }).includes(hex('0800 0b00 73697000'))).toBe(true);
    expect(serviceNest(WEB).includes(hex('0b00'))).toBe(false);
  });

  test('encoding a v4 key with a v6 address is a caller bug and throws', () => {
    expect(() => serviceKeyNest({ kind: 'address', family: 'ipv4', protocol: 'tcp', address: '::1', port: 1 })).toThrow(RangeError);
  });
});

describe('service requests', () => {
  test('commands, kinds and subjects', () => {
    expect(newServiceRequest(WEB)).toMatchObject({ cmd: IpvsCmd.NEW_SERVICE, kind: 'doit', subject: 'tcp 10.0.0.1:80' });
    expect(setServiceRequest(WEB)).toMatchObject({ cmd: IpvsCmd.SET_SERVICE, kind: 'doit' });
    expect(delServiceRequest(WEB.key)).toMatchObject({ cmd: IpvsCmd.DEL_SERVICE, payload: serviceKeyNest(WEB.key) });
    expect(getServiceRequest(WEB.key)).toMatchObject({ cmd: IpvsCmd.GET_SERVICE, kind: 'doit' });
    expect(getServicesDumpRequest()).toMatchObject({ cmd: IpvsCmd.GET_SERVICE, kind: 'dump', payload: Buffer.alloc(0) });
    expect(flushRequest()).toMatchObject({ cmd: IpvsCmd.FLUSH, payload: Buffer.alloc(0) });
    expect(zeroRequest()).toMatchObject({ cmd: IpvsCmd.ZERO, payload: Buffer.alloc(0) });
    expect(zeroRequest(WEB.key).payload).toEqual(serviceKeyNest(WEB.key));
  });

  test('ENOENT on NEW_SERVICE names the scheduler and its module; other errnos fall through', () => {
    const r = newServiceRequest({ ...WEB, scheduler: 'xyz' });
    expect(r.explain?.(2, 'ENOENT')).toBe("unknown scheduler 'xyz' (no ip_vs_xyz module) (ENOENT)");
    expect(r.explain?.(17, 'EEXIST')).toBeUndefined();
    expect(unknownSchedulerMessage({ scheduler: 'rr', peName: 'sip' })).toContain("persistence engine 'sip' (no ip_vs_pe_sip module)");
  });
});

// A kernel reply nest for tcp 10.0.0.1:80 wrr with STATS and STATS64, by hand.
const STATS = '2c00 0a00' + '0800 0100 07000000' + '0c00 0400 0001000000000000' + '0c00 0500 0002000000000000' + '0800 0600 03000000';
const STATS64 = '2c00 0c00' + '0c00 0100 0700000001000000' + '0c00 0400 0001000000000000' + '0c00 0500 0002000000000000' + '0400 0b00';
const REPLY_INNER = [AF4, TCP, ADDR_10_0_0_1, PORT_80, SCHED_WRR, '0c00 0700 03000000 ffffffff', '0800 0800 2c010000', '0800 0900 ffffff00'].join('');

describe('SERVICE nest decoder', () => {
  test('a kernel reply: key, scheduler, flags (HASHED kept raw), timeout, netmask, 64-bit stats preferred', () => {
    const r = decodeServiceNest(hex(REPLY_INNER + STATS + STATS64));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.service).toEqual({ ...WEB, flags: 3, timeoutS: 300, netmask: '255.255.255.0' });
    expect(r.value.stats).toMatchObject({ conns: 0x100000007n, inBytes: 256n, outBytes: 512n, cps: 0n });
  });

  test('only 32-bit STATS: counters read by their length', () => {
    const r = decodeServiceNest(hex(REPLY_INNER + STATS));
    expect(r.ok && r.value.stats).toMatchObject({ conns: 7n, inBytes: 256n, cps: 3n });
  });

  test('fwmark service; IPv6 netmask prefix', () => {
    const r = decodeServiceNest(hex(`${AF6} 0800 0500 0a000000 0700 0600 727200 00 0800 0900 30000000`));
    expect(r.ok && r.value.service).toEqual({
      key: { kind: 'fwmark', family: 'ipv6', fwmark: 10 }, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: '48', peName: null,
    });
  });

  test('IPv6 address decoded to canonical text', () => {
    const r = decodeServiceNest(hex(`${AF6} ${TCP} 1400 0300 20010db8000000000000000000000010 ${PORT_80}`));
    expect(r.ok && r.value.service.key).toEqual({ kind: 'address', family: 'ipv6', protocol: 'tcp', address: '2001:db8::10', port: 80 });
  });

  test('refusals, never throws: no AF, bad AF, bad protocol, short port, truncated attribute, missing addr', () => {
    expect(decodeServiceNest(hex(TCP))).toEqual({ ok: false, reason: 'AF missing' });
    expect(decodeServiceNest(hex('0600 0100 0700 0000'))).toMatchObject({ ok: false, reason: expect.stringContaining('AF 7') as unknown });
    expect(decodeServiceNest(hex(`${AF4} 0600 0200 2f00 0000`))).toMatchObject({ ok: false, reason: expect.stringContaining('PROTOCOL 47') as unknown });
    expect(decodeServiceNest(hex(`${AF4} ${TCP} ${ADDR_10_0_0_1} 0500 0400 00 000000`)).ok).toBe(false);
    expect(decodeServiceNest(hex(`${AF4} 0800 0200 06`)).ok).toBe(false);
    expect(decodeServiceNest(hex(`${AF4} ${TCP} ${PORT_80}`))).toEqual({ ok: false, reason: 'ADDR missing' });
    expect(decodeServiceNest(hex(`${AF4} ${TCP} ${ADDR_10_0_0_1} ${PORT_80} 0800 0700 01000000`)).ok).toBe(true);
    expect(decodeServiceNest(hex(`${AF4} ${TCP} ${ADDR_10_0_0_1} ${PORT_80} 0600 0700 0100 0000`)).ok).toBe(false);
  });

  test('reply wrapper: command NEW_SERVICE and a SERVICE nest', () => {
    const nest = hex(`5400 0100 ${REPLY_INNER}`); // 4 + 80 bytes
    expect(decodeServiceReply({ cmd: IpvsCmd.NEW_SERVICE, payload: nest }).ok).toBe(true);
    expect(decodeServiceReply({ cmd: IpvsCmd.NEW_DEST, payload: nest })).toMatchObject({ ok: false });
    expect(decodeServiceReply({ cmd: IpvsCmd.NEW_SERVICE, payload: Buffer.alloc(0) })).toEqual({ ok: false, reason: 'GET_SERVICE reply: SERVICE nest missing' });
  });

  test('round trip of every field through the encoder (besides the byte tests above)', () => {
    const svc: Service = { ...WEB, scheduler: 'mh', flags: 0x19, timeoutS: 1800, netmask: '255.255.0.0', peName: 'sip' };
    const r = decodeServiceNest(serviceNest(svc).subarray(4));
    expect(r.ok && r.value).toEqual({ service: svc, stats: null });
  });
});
