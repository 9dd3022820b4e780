import { describe, expect, it } from 'vitest';
import { toInterfaceAddress, toInterfaceInfo, type InterfaceInfo } from '../../../src/os/addresses.js';
import { applyLinkMessage, type LinkState } from '../../../src/os/links.js';
import { OsError, errnoOf, osError } from '../../../src/os/os-errors.js';

const info = (over: Partial<InterfaceInfo>): InterfaceInfo => ({
  ifindex: 2, name: 'eth0', mac: null, up: true, running: true, lowerUp: true, ...over,
});

describe('link state folding', () => {
  it('reports flips only, not repeats', () => {
    const states = new Map<string, LinkState>([['eth0', { name: 'eth0', ifindex: 2, up: true }]]);
    expect(applyLinkMessage(states, info({}), false)).toBeUndefined();
    expect(applyLinkMessage(states, info({ running: false }), false)).toEqual({ kind: 'changed', name: 'eth0', ifindex: 2, up: false });
    expect(applyLinkMessage(states, info({ running: false }), false)).toBeUndefined();
    expect(applyLinkMessage(states, info({ up: false, running: false }), false)).toBeUndefined();
    expect(applyLinkMessage(states, info({}), false)).toMatchObject({ up: true });
  });

  it('admin up without IFF_RUNNING (no carrier) is down', () => {
    const states = new Map<string, LinkState>([['eth0', { name: 'eth0', ifindex: 2, up: true }]]);
    expect(applyLinkMessage(states, info({ up: true, running: false }), false)?.up).toBe(false);
  });

  it('a new interface that comes up is reported; one that appears down is not', () => {
    const states = new Map<string, LinkState>();
    expect(applyLinkMessage(states, info({ name: 'new0', ifindex: 9, up: false, running: false }), false)).toBeUndefined();
    expect(states.get('new0')?.up).toBe(false);
    expect(applyLinkMessage(states, info({ name: 'new1', ifindex: 10 }), false)).toMatchObject({ name: 'new1', up: true });
  });

  it('the same name under a new ifindex (re-created, its deletion missed) is reported even with the same state', () => {
    const states = new Map<string, LinkState>([['eth0', { name: 'eth0', ifindex: 2, up: true }]]);
    expect(applyLinkMessage(states, info({ ifindex: 7 }), false)).toEqual({ kind: 'changed', name: 'eth0', ifindex: 7, up: true });
    expect(applyLinkMessage(states, info({ ifindex: 7 }), false)).toBeUndefined();
  });

  it('deletion is reported as removed/down and renames drop the old name', () => {
    const states = new Map<string, LinkState>([['eth0', { name: 'eth0', ifindex: 2, up: true }]]);
    applyLinkMessage(states, info({ name: 'wan0' }), false);
    expect([...states.keys()]).toEqual(['wan0']);
    expect(applyLinkMessage(states, info({ name: 'wan0' }), true)).toEqual({ kind: 'removed', name: 'wan0', ifindex: 2, up: false });
    expect(states.size).toBe(0);
  });
});

describe('rtnetlink message mapping', () => {
  it('maps IPv4 (IFA_LOCAL first) and IPv6 address messages', () => {
    expect(
      toInterfaceAddress({
        kind: 'address',
        data: { family: 2, prefixlen: 24, index: 3, scope: 0, flags: { secondary: true } },
        attrs: { local: Buffer.from([192, 0, 2, 100]), address: Buffer.from([192, 0, 2, 99]) },
      }),
    ).toEqual({ ifindex: 3, family: 4, address: '192.0.2.100', prefixLength: 24, secondary: true, scope: 0 });
    expect(
      toInterfaceAddress({
        kind: 'address',
        data: { family: 10, prefixlen: 64, index: 3, scope: 253 },
        attrs: { address: Buffer.from('fe80000000000000000000000000000a', 'hex') },
      }),
    ).toMatchObject({ family: 6, address: 'fe80::a', scope: 253 });
    expect(toInterfaceAddress({ kind: 'address', data: { family: 2, index: 3 }, attrs: {} })).toBeUndefined();
    expect(toInterfaceAddress({ kind: 'address', data: { family: 17, index: 3 }, attrs: { address: Buffer.alloc(6) } })).toBeUndefined();
  });

  it('maps link messages with flags and MAC', () => {
    expect(
      toInterfaceInfo({
        kind: 'link',
        data: { index: 4, flags: { up: true, running: true, lowerUp: true } },
        attrs: { ifname: 'eth1', address: Buffer.from([2, 0, 0x5e, 0x10, 0, 0x0a]) },
      }),
    ).toEqual({ ifindex: 4, name: 'eth1', mac: '02:00:5e:10:00:0a', up: true, running: true, lowerUp: true });
    expect(toInterfaceInfo({ kind: 'link', data: { index: 1 }, attrs: { ifname: 'lo', address: Buffer.alloc(6) } })?.up).toBe(false);
    expect(toInterfaceInfo({ kind: 'link', data: {}, attrs: { ifname: 'x' } })).toBeUndefined();
  });
});

describe('OS errors', () => {
  it('keeps the errno name from addon, Node and netlink errors', () => {
    expect(errnoOf(Object.assign(new Error('x'), { code: 'EPERM' }))).toBe('EPERM');
    expect(errnoOf(Object.assign(new Error('x'), { errno: -19 }))).toBe('ENODEV');
    expect(errnoOf(new Error('Request rejected: EEXIST'))).toBe('EEXIST');
    expect(errnoOf(new Error('nothing here'))).toBeUndefined();
    expect(errnoOf('EPERM')).toBeUndefined();
    const e = osError('setsockopt', Object.assign(new Error('setsockopt: Operation not permitted'), { code: 'EPERM' }));
    expect(e).toBeInstanceOf(OsError);
    expect(e).toMatchObject({ code: 'LVSHA_OS', errno: 'EPERM', operation: 'setsockopt' });
  });
});
