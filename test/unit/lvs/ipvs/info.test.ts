import { describe, expect, test } from 'vitest';
import { IpvsCmd, ipvsCmdName, IPVS_GENL_NAME, IPVS_GENL_VERSION } from '../../../../src/lvs/ipvs/constants.js';
import { decodeInfoReply, formatIpvsVersion, getInfoRequest } from '../../../../src/lvs/ipvs/info.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// A GET_INFO reply as the 6.1 kernel sends it (after the genl header):
// VERSION (type 1) u32 0x00010201, CONN_TAB_SIZE (type 2) u32 4096.
const KERNEL_REPLY = hex('0800 0100 01020100' + '0800 0200 00100000');

describe('IPVS family constants', () => {
  test('family name, version and the command numbers of protocol-reference B2', () => {
    expect(IPVS_GENL_NAME).toBe('IPVS');
    expect(IPVS_GENL_VERSION).toBe(1);
    expect([IpvsCmd.NEW_SERVICE, IpvsCmd.GET_DEST, IpvsCmd.GET_DAEMON, IpvsCmd.SET_INFO, IpvsCmd.GET_INFO, IpvsCmd.FLUSH])
      .toEqual([1, 8, 11, 14, 15, 17]);
    expect(ipvsCmdName(15)).toBe('GET_INFO');
    expect(ipvsCmdName(99)).toBe('command 99');
  });
});

describe('GET_INFO', () => {
  test('the request is a doit GET_INFO with no attributes', () => {
    expect(getInfoRequest()).toEqual({ cmd: 15, kind: 'doit', payload: Buffer.alloc(0) });
  });

  test('decodes the kernel reply: version 1.2.1, table size 4096', () => {
    expect(decodeInfoReply({ cmd: IpvsCmd.SET_INFO, payload: KERNEL_REPLY })).toEqual({
      ok: true,
      value: { versionCode: 0x010201, version: '1.2.1', connTableSize: 4096 },
    });
  });

  test('formats version codes', () => {
    expect(formatIpvsVersion(0x010201)).toBe('1.2.1');
    expect(formatIpvsVersion(0x020a03)).toBe('2.10.3');
  });

  test('refuses a reply with the wrong command', () => {
    const result = decodeInfoReply({ cmd: IpvsCmd.GET_INFO, payload: KERNEL_REPLY });
    expect(result).toEqual({ ok: false, reason: 'GET_INFO reply: expected command SET_INFO (14), got GET_INFO' });
  });

  test('refuses a reply without CONN_TAB_SIZE', () => {
    const result = decodeInfoReply({ cmd: IpvsCmd.SET_INFO, payload: hex('0800 0100 01020100') });
    expect(result).toEqual({ ok: false, reason: 'GET_INFO reply: CONN_TAB_SIZE missing' });
  });

  test('refuses a VERSION of the wrong size', () => {
    const result = decodeInfoReply({ cmd: IpvsCmd.SET_INFO, payload: hex('0600 0100 0102 0000' + '0800 0200 00100000') });
    expect(result).toEqual({ ok: false, reason: 'GET_INFO reply: VERSION: u32: expected 4 bytes, got 2' });
  });

  test('refuses truncated attribute bytes without throwing', () => {
    const result = decodeInfoReply({ cmd: IpvsCmd.SET_INFO, payload: KERNEL_REPLY.subarray(0, 13) });
    expect(result.ok).toBe(false);
  });

  test('ignores attributes it does not know', () => {
    const payload = Buffer.concat([KERNEL_REPLY, hex('0800 0900 ffffffff')]);
    expect(decodeInfoReply({ cmd: IpvsCmd.SET_INFO, payload }).ok).toBe(true);
  });
});

describe('decoders never throw on arbitrary kernel input', () => {
  test('2000 pseudo-random payloads (fixed seed) give a DecodeResult, never an exception', () => {
    let seed = 0x2545f491;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 16;
    };
    let refusedCount = 0;
    for (let i = 0; i < 2000; i += 1) {
      const bytes = Buffer.from(Array.from({ length: next() % 40 }, () => next() & 0xff));
      // Bias some inputs towards plausible headers so deeper paths run too.
      if (i % 2 === 0 && bytes.length >= 4) bytes.writeUInt16LE(Math.min(bytes.length, 4 + (next() % 8)), 0);
      const result = decodeInfoReply({ cmd: i % 3 === 0 ? 15 : IpvsCmd.SET_INFO, payload: bytes });
      expect(typeof result.ok).toBe('boolean');
      if (!result.ok) refusedCount += 1;
    }
    expect(refusedCount).toBeGreaterThan(1000);
  });
});
