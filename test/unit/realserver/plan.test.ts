import { describe, expect, test } from 'vitest';
import { describeAction, planDown, planUp } from '../../../src/realserver/plan.js';
import { decodeState, EMPTY_STATE, encodeState, recordApplied } from '../../../src/realserver/state.js';
import { applyAll, DR, ETH0, freshSnapshot, LO, preparedSnapshot, sysctls, TUN, TUNL0 } from './fixtures.js';

describe('planUp', () => {
  test('fresh DR: ARP settings first, then the VIPs', () => {
    expect(planUp(DR, freshSnapshot()).map(describeAction)).toEqual([
      'sysctl net.ipv4.conf.all.arp_ignore: 0 -> 1',
      'sysctl net.ipv4.conf.eth0.arp_ignore: 0 -> 1',
      'sysctl net.ipv4.conf.all.arp_announce: 0 -> 2',
      'sysctl net.ipv4.conf.eth0.arp_announce: 0 -> 2',
      'add 10.0.0.100/32 on lo',
      'add 2001:db8::100/128 on lo',
    ]);
  });

  test('idempotent: nothing to do once applied', () => {
    const after = applyAll(freshSnapshot(), planUp(DR, freshSnapshot()));
    expect(planUp(DR, after)).toEqual([]);
    expect(planUp(DR, preparedSnapshot())).toEqual([]);
  });

  test('acceptable values are left alone (arp_ignore 2 is not lowered to 1)', () => {
    const s = freshSnapshot({ sysctls: sysctls({ all: { arp_ignore: 2, arp_announce: 2 }, lo: {}, eth0: { arp_ignore: 8 } }) });
    expect(planUp(DR, s).filter((a) => a.kind === 'set-sysctl').map(describeAction)).toEqual(['sysctl net.ipv4.conf.eth0.arp_announce: 0 -> 2']);
  });

  test('TUN: raises the tunnel device, relaxes strict rp_filter on it and on all, VIP on tunl0', () => {
    const s = freshSnapshot({
      links: [LO, ETH0, TUNL0],
      sysctls: sysctls({ all: { rp_filter: 1 }, lo: {}, eth0: {}, tunl0: { rp_filter: 1 } }),
    });
    const plan = planUp(TUN, s).map(describeAction);
    expect(plan[0]).toBe('set tunl0 up');
    expect(plan).toContain('sysctl net.ipv4.conf.all.rp_filter: 1 -> 2');
    expect(plan).toContain('sysctl net.ipv4.conf.tunl0.rp_filter: 1 -> 2');
    expect(plan.at(-1)).toBe('add 10.0.0.100/32 on tunl0');
    expect(plan.some((p) => p.includes('tunl0.arp'))).toBe(false);
  });

  test('GUE: adds the receiver port once', () => {
    const spec = { ...TUN, tunType: 'gue' as const, guePort: 6080 };
    const s = freshSnapshot({ links: [LO, ETH0, { ...TUNL0, up: true }] });
    expect(planUp(spec, s).filter((a) => a.kind === 'fou-add')).toEqual([{ kind: 'fou-add', port: 6080 }]);
    expect(planUp(spec, { ...s, fouPorts: [6080] }).filter((a) => a.kind === 'fou-add')).toEqual([]);
  });
});

describe('state and planDown', () => {
  test('up then down restores every sysctl and removes only added addresses', () => {
    const before = freshSnapshot({
      // 10.0.0.100 was already on lo before up: down must leave it.
      addresses: [...freshSnapshot().addresses, { ifname: 'lo', address: '10.0.0.100', family: 4, prefixLength: 32, dadFailed: false }],
    });
    const up = planUp(DR, before);
    expect(up.filter((a) => a.kind === 'add-address').map(describeAction)).toEqual(['add 2001:db8::100/128 on lo']);
    const state = recordApplied(EMPTY_STATE, up);
    const after = applyAll(before, up);
    const down = planDown(state, after);
    expect(down.skipped).toEqual([]);
    const restored = applyAll(after, down.actions);
    expect(restored.sysctls).toEqual(before.sysctls);
    expect(restored.addresses).toEqual(before.addresses);
  });

  test('a sysctl changed by someone else after up is left alone and reported', () => {
    const up = planUp(DR, freshSnapshot());
    const state = recordApplied(EMPTY_STATE, up);
    const after = applyAll(freshSnapshot(), up);
    const tampered = { ...after, sysctls: { ...after.sysctls, 'net/ipv4/conf/eth0/arp_ignore': 2 } };
    const down = planDown(state, tampered);
    expect(down.skipped).toEqual(['net.ipv4.conf.eth0.arp_ignore: is 2, changed by someone else since up wrote 1; left as is']);
    expect(down.actions.some((a) => a.kind === 'set-sysctl' && a.key === 'net/ipv4/conf/eth0/arp_ignore')).toBe(false);
  });

  test('a second up keeps the first previous value', () => {
    const first = recordApplied(EMPTY_STATE, [{ kind: 'set-sysctl', key: 'net/ipv4/conf/all/arp_ignore', value: 1, previous: 0 }]);
    const second = recordApplied(first, [{ kind: 'set-sysctl', key: 'net/ipv4/conf/all/arp_ignore', value: 2, previous: 1 }]);
    expect(second.sysctls).toEqual([{ key: 'net/ipv4/conf/all/arp_ignore', previous: 0, value: 2 }]);
  });

  test('TUN down lowers the device up raised', () => {
    const s = freshSnapshot({ links: [LO, ETH0, TUNL0], sysctls: sysctls({ all: {}, lo: {}, eth0: {}, tunl0: {} }) });
    const up = planUp(TUN, s);
    const down = planDown(recordApplied(EMPTY_STATE, up), applyAll(s, up));
    expect(down.actions.at(-1)).toEqual({ kind: 'link-down', ifname: 'tunl0' });
    expect(applyAll(applyAll(s, up), down.actions).links).toEqual(s.links);
  });

  test('state file round trip; damaged files are refused with a reason', () => {
    const state = recordApplied(EMPTY_STATE, planUp(DR, freshSnapshot()));
    expect(decodeState(encodeState(state))).toEqual({ ok: true, value: state });
    expect(decodeState('{')).toMatchObject({ ok: false });
    expect(decodeState('{"version":2}')).toEqual({ ok: false, reason: 'not a version 1 real-server state' });
    const escape = JSON.stringify({ ...EMPTY_STATE, sysctls: [{ key: 'net/../../etc/passwd', previous: 0, value: 1 }] });
    expect(decodeState(escape)).toMatchObject({ ok: false, reason: expect.stringContaining('sysctls') as unknown });
  });
});
