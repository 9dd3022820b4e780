/** DAEMON nest, SET_CONFIG/GET_CONFIG and STATS codecs against hand-built bytes. */
import { describe, expect, test } from 'vitest';
import { IpvsCmd } from '../../../../src/lvs/ipvs/constants.js';
import { daemonNest, decodeDaemonNest, decodeDaemonReply, delDaemonRequest, getDaemonsDumpRequest, newDaemonRequest } from '../../../../src/lvs/ipvs/daemon.js';
import { decodeStats, statsJson } from '../../../../src/lvs/ipvs/stats.js';
import { decodeTimeoutsReply, getTimeoutsRequest, setTimeoutsRequest, timeoutsDiffer } from '../../../../src/lvs/ipvs/timeouts.js';
import type { DaemonParams } from '../../../../src/lvs/sync-policy.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const MASTER: DaemonParams = {
  state: 'master', interface: 'eth1', syncId: 51, group: '224.0.0.81', groupFamily: 'ipv4', port: 8848, ttl: 1, maxLen: 1472,
};

describe('DAEMON nest', () => {
  test('NEW_DAEMON master on eth1: state, ifname, syncid, maxlen, group BE, port in HOST order, ttl', () => {
    const inner = '0800 0100 01000000' + '0900 0200 65746831 00 000000' + '0800 0300 33000000' + '0600 0400 c005 0000'
      + '0800 0500 e0000051' + '0600 0700 9022 0000' + '0500 0800 01 000000';
    expect(daemonNest(MASTER)).toEqual(hex(`${(4 + hex(inner).length).toString(16)}00 0300 ${inner}`));
    expect(newDaemonRequest(MASTER)).toMatchObject({ cmd: IpvsCmd.NEW_DAEMON, kind: 'doit', subject: 'master on eth1' });
  });

  test('IPv6 group goes in MCAST_GROUP6', () => {
    const out = daemonNest({ ...MASTER, state: 'backup', group: 'ff02::1:2', groupFamily: 'ipv6' });
    expect(out.includes(hex('1400 0600 ff020000000000000000000000010002'))).toBe(true);
    expect(out.includes(hex('0800 0100 02000000'))).toBe(true);
  });

  test('DEL_DAEMON carries the state only; GET_DAEMON is an empty dump', () => {
    expect(delDaemonRequest('backup').payload).toEqual(hex('0c00 0300 0800 0100 02000000'));
    expect(getDaemonsDumpRequest()).toMatchObject({ cmd: IpvsCmd.GET_DAEMON, kind: 'dump', payload: Buffer.alloc(0) });
  });

  test('decodes a kernel reply; missing optional attributes take the kernel defaults', () => {
    const inner = '0800 0100 02000000' + '0900 0200 65746831 00 000000' + '0800 0300 07000000';
    expect(decodeDaemonNest(hex(inner))).toEqual({
      ok: true,
      value: { state: 'backup', interface: 'eth1', syncId: 7, group: '224.0.0.81', groupFamily: 'ipv4', port: 8848, ttl: 1, maxLen: 0 },
    });
    const round = decodeDaemonNest(daemonNest(MASTER).subarray(4));
    expect(round).toEqual({ ok: true, value: MASTER });
  });

  test('refusals: bad state, missing interface, short group; reply wrapper', () => {
    expect(decodeDaemonNest(hex('0800 0100 03000000'))).toMatchObject({ ok: false, reason: expect.stringContaining('STATE 3') as unknown });
    expect(decodeDaemonNest(hex('0800 0100 01000000 0800 0300 07000000'))).toEqual({ ok: false, reason: 'MCAST_IFN missing' });
    expect(decodeDaemonNest(hex('0800 0100 01000000 0700 0200 6c6f00 00 0800 0300 07000000 0600 0500 e000 0000')).ok).toBe(false);
    expect(decodeDaemonReply({ cmd: IpvsCmd.NEW_DAEMON, payload: daemonNest(MASTER) })).toEqual({ ok: true, value: MASTER });
    expect(decodeDaemonReply({ cmd: IpvsCmd.SET_CONFIG, payload: daemonNest(MASTER) }).ok).toBe(false);
  });
});

describe('timeouts (SET_CONFIG / GET_CONFIG)', () => {
  test('SET_CONFIG carries three top-level u32 seconds', () => {
    expect(setTimeoutsRequest({ tcpS: 900, tcpFinS: 120, udpS: 300 })).toMatchObject({
      cmd: IpvsCmd.SET_CONFIG, kind: 'doit', payload: hex('0800 0400 84030000 0800 0500 78000000 0800 0600 2c010000'),
    });
    expect(getTimeoutsRequest()).toMatchObject({ cmd: IpvsCmd.GET_CONFIG, kind: 'doit' });
  });

  test('GET_CONFIG reply (command SET_CONFIG) decodes; wrong command or missing attribute is refused', () => {
    const payload = hex('0800 0400 10000000 0800 0500 20000000 0800 0600 30000000');
    expect(decodeTimeoutsReply({ cmd: IpvsCmd.SET_CONFIG, payload })).toEqual({ ok: true, value: { tcpS: 16, tcpFinS: 32, udpS: 48 } });
    expect(decodeTimeoutsReply({ cmd: IpvsCmd.GET_CONFIG, payload }).ok).toBe(false);
    expect(decodeTimeoutsReply({ cmd: IpvsCmd.SET_CONFIG, payload: payload.subarray(0, 16) }).ok).toBe(false);
  });

  test('timeoutsDiffer: 0 means unchanged', () => {
    expect(timeoutsDiffer({ tcpS: 900, tcpFinS: 120, udpS: 300 }, { tcpS: 900, tcpFinS: 0, udpS: 300 })).toBe(false);
    expect(timeoutsDiffer({ tcpS: 900, tcpFinS: 120, udpS: 300 }, { tcpS: 901, tcpFinS: 120, udpS: 300 })).toBe(true);
  });
});

describe('STATS nests', () => {
  test('u64 bytes, u32 others, PAD skipped, missing are 0; a 3-byte counter is refused', () => {
    const r = decodeStats(hex('0800 0100 02000000 0400 0b00 0c00 0400 ffffffffffffffff 0800 0900 e8030000'));
    expect(r.ok && r.value).toMatchObject({ conns: 2n, inBytes: 0xffffffffffffffffn, inBps: 1000n, outPkts: 0n });
    expect(decodeStats(hex('0700 0100 010203 00')).ok).toBe(false);
    if (r.ok) expect(statsJson(r.value).conns).toBe(2);
  });
});

describe('EINVAL wording per command', () => {
  test('NEW_DAEMON names the mixed-family cause; NEW_DEST the real-server causes; others stay generic', async () => {
    const { explainIpvsErrno } = await import('../../../../src/lvs/ipvs/errors.js');
    expect(explainIpvsErrno(IpvsCmd.NEW_DAEMON, 22, 'EINVAL')).toContain('a service has a real server of another address family');
    expect(explainIpvsErrno(IpvsCmd.NEW_DEST, 22, 'EINVAL')).toContain('GUE without a port');
    expect(explainIpvsErrno(IpvsCmd.SET_SERVICE, 22, 'EINVAL')).toBe('the kernel refused the attributes of SET_SERVICE (EINVAL)');
  });
});
