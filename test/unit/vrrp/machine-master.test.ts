/**
 * State-table rows added by issue 13 (docs/vrrp.md): the receive filters in front of the table,
 * the limited immediate replies, re-announcing after a split, the stale-VIP clean-up when leaving
 * INIT, and the make-before-break Resign. One test per row, named after it; time is plain numbers.
 */
import { describe, expect, it } from 'vitest';
import { initialState, step, type MachineConfig, type MachineState, type VrrpAction, type VrrpEvent } from '../../../src/vrrp/machine.js';
import { masterDownIntervalMs } from '../../../src/vrrp/timers.js';

const base: MachineConfig = {
  family: 'ipv4',
  priority: 100,
  advertIntervalMs: 1000,
  preempt: true,
  preemptDelayMs: 0,
  acceptMode: false,
  primaryAddress: '192.0.2.10',
  vrid: 51,
  allowedPeers: [],
};

const advert = (priority: number, srcAddress: string, vrid = 51): VrrpEvent => ({ type: 'AdvertReceived', priority, maxAdverIntMs: 1000, srcAddress, vrid });

function master(config: MachineConfig = base): MachineState {
  const backup = step(initialState(config), { type: 'Startup' }, 0).state;
  return step(backup, { type: 'MasterDownTimerFired' }, 5000).state;
}

const types = (actions: readonly VrrpAction[]): string[] => actions.map((a) => a.type);
const sends = (actions: readonly VrrpAction[]): number[] => actions.flatMap((a) => (a.type === 'SendAdvert' ? [a.priority] : []));

describe('receive filters (before the state table)', () => {
  it('any state, advert for a sibling VRID on the interface: ignored silently (no count, no drop)', () => {
    const backup = step(initialState(base), { type: 'Startup' }, 0).state;
    const r = step(backup, advert(200, '192.0.2.20', 52), 100);
    expect(r.actions).toEqual([]);
    expect(r.state).toBe(backup);
    expect(step(master(), advert(200, '192.0.2.20', 52), 5100).state.name).toBe('MASTER');
  });

  it('any state, our own advert looped back: ignored silently', () => {
    expect(step(master(), advert(200, '192.0.2.10'), 5100).actions).toEqual([]);
  });

  it('any state, advert from a source that is not an allowed peer: Drop unknown_peer, otherwise ignored', () => {
    const config = { ...base, allowedPeers: ['192.0.2.20'] };
    const r = step(master(config), advert(200, '192.0.2.99'), 5100);
    expect(r.actions).toEqual([{ type: 'Drop', reason: 'unknown_peer', detail: '192.0.2.99' }]);
    expect(r.state.name).toBe('MASTER');
    const ok = step(master(config), advert(200, '192.0.2.20'), 5100);
    expect(ok.state.name).toBe('BACKUP');
  });

  it('allowed peers are compared as addresses, not text (IPv6)', () => {
    const v6 = { ...base, family: 'ipv6' as const, primaryAddress: 'fe80::1', allowedPeers: ['fe80::2'] };
    expect(step(master(v6), advert(200, 'FE80:0::0:2'), 5100).state.name).toBe('BACKUP');
    expect(types(step(master(v6), advert(200, 'fe80::3'), 5100).actions)).toEqual(['Drop']);
  });

  it('an advert that passes is counted first (CountAdvert with its checksum mode and notes)', () => {
    const ev: VrrpEvent = { type: 'AdvertReceived', priority: 50, maxAdverIntMs: 1000, srcAddress: '192.0.2.20', vrid: 51, checksum: 'rfc5798', notes: ['interval_mismatch'] };
    const backup = step(initialState(base), { type: 'Startup' }, 0).state;
    expect(step(backup, ev, 100).actions[0]).toEqual({ type: 'CountAdvert', srcAddress: '192.0.2.20', priority: 50, checksum: 'rfc5798', notes: ['interval_mismatch'] });
  });
});

describe('INIT clean-up', () => {
  it('Init, leaving for BACKUP or FAULT: remove the VIPs (left by a crashed run); for MASTER: no removal', () => {
    const toFault = step(step(initialState(base), { type: 'TrackChanged', priorityDelta: 0, fault: true }, 0).state, { type: 'Startup' }, 1);
    expect(types(toFault.actions)).toEqual(['Transition', 'RemoveAddresses']);
    const owner = step(initialState({ ...base, priority: 255 }), { type: 'Startup' }, 0);
    expect(types(owner.actions)).not.toContain('RemoveAddresses');
  });
});

describe('limited immediate replies (RFC 9568 answer to a lower-priority advert)', () => {
  it('Master, 100 lower-priority adverts within one interval: one reply, 99 replies_suppressed', () => {
    let s = master();
    const all: VrrpAction[] = [];
    for (let i = 0; i < 100; i++) {
      const r = step(s, advert(50, '192.0.2.20'), 5100 + i * 9);
      s = r.state;
      all.push(...r.actions);
    }
    expect(sends(all)).toEqual([100]);
    expect(all.filter((a) => a.type === 'Count')).toEqual(Array.from({ length: 99 }, () => ({ type: 'Count', counter: 'replies_suppressed' })));
    // The one reply re-armed the adver timer; the suppressed ones left it alone.
    expect(all.filter((a) => a.type === 'ArmTimer')).toEqual([{ type: 'ArmTimer', timer: 'adver', atMs: 6100 }]);
    expect(s.adverAtMs).toBe(6100);
  });

  it('Master, lower-priority advert one interval after the last reply: answered at once again', () => {
    const first = step(master(), advert(50, '192.0.2.20'), 5100).state;
    expect(sends(step(first, advert(50, '192.0.2.20'), 6099).actions)).toEqual([]);
    expect(sends(step(first, advert(50, '192.0.2.20'), 6100).actions)).toEqual([100]);
  });

  it('Master, priority-0 adverts share the limit: the first is answered, the next within the interval is not', () => {
    const first = step(master(), advert(0, '192.0.2.20'), 5100);
    expect(sends(first.actions)).toEqual([100]);
    expect(step(first.state, advert(0, '192.0.2.20'), 5200).actions).toContainEqual({ type: 'Count', counter: 'replies_suppressed' });
  });

  it('the periodic cadence continues while replies are suppressed', () => {
    let s = step(master(), advert(50, '192.0.2.20'), 5100).state;
    s = step(s, advert(50, '192.0.2.20'), 5500).state;
    expect(sends(step(s, { type: 'AdverTimerFired' }, 6100).actions)).toEqual([100]);
  });
});

describe('re-announcing after a possible split', () => {
  it('Master, lower-priority master heard: Announce again at most once per 3 advert intervals', () => {
    let s = master();
    const announces: VrrpAction[] = [];
    for (const at of [5100, 6200, 7300, 8099, 8100]) {
      const r = step(s, advert(50, '192.0.2.20'), at);
      s = r.state;
      announces.push(...r.actions.filter((a) => a.type === 'Announce'));
    }
    expect(announces).toEqual([
      { type: 'Announce', reason: 'lower_priority_master', peer: { address: '192.0.2.20', priority: 50 } },
      { type: 'Announce', reason: 'lower_priority_master', peer: { address: '192.0.2.20', priority: 50 } },
    ]);
  });

  it('Master, priority-0 advert: answered, not a reason to announce', () => {
    expect(types(step(master(), advert(0, '192.0.2.20'), 5100).actions)).not.toContain('Announce');
  });

  it('Master, LinkRestored: Announce (link_up), rate-limited like the above; other states: nothing', () => {
    const r = step(master(), { type: 'LinkRestored' }, 5100);
    expect(r.actions).toEqual([{ type: 'Announce', reason: 'link_up' }]);
    expect(step(r.state, { type: 'LinkRestored' }, 7000).actions).toEqual([]);
    expect(step(r.state, { type: 'LinkRestored' }, 8100).actions).toEqual([{ type: 'Announce', reason: 'link_up' }]);
    const backup = step(initialState(base), { type: 'Startup' }, 0).state;
    expect(step(backup, { type: 'LinkRestored' }, 100).actions).toEqual([]);
  });
});

describe('Resign (make-before-break planned failover)', () => {
  const mdi = masterDownIntervalMs(100, 1000);
  const resigning = (): MachineState => step(master(), { type: 'Resign' }, 6000).state;

  it('Master, Resign: priority-0 advert, adver timer moved to Master_Down_Interval, VIPs kept, still MASTER', () => {
    const r = step(master(), { type: 'Resign' }, 6000);
    expect(r.actions).toEqual([
      { type: 'SendAdvert', priority: 0, maxAdverIntMs: 1000 },
      { type: 'ArmTimer', timer: 'adver', atMs: 6000 + mdi },
    ]);
    expect(r.state.name).toBe('MASTER');
    expect(r.state.resignUntilMs).toBe(6000 + mdi);
  });

  it('Master resigning, advert with higher priority: the normal MASTER -> BACKUP path (VIPs removed), no second priority 0', () => {
    const r = step(resigning(), advert(150, '192.0.2.20'), 6100);
    expect(types(r.actions)).toEqual(['CountAdvert', 'Transition', 'CancelTimer', 'RemoveAddresses', 'ArmTimer']);
    expect(sends(r.actions)).toEqual([]);
    expect(r.state).toMatchObject({ name: 'BACKUP', resignUntilMs: null, master: { address: '192.0.2.20', priority: 150 } });
  });

  it('Master resigning, lower-priority or priority-0 advert: not answered (and no re-announce)', () => {
    for (const p of [50, 0]) expect(types(step(resigning(), advert(p, '192.0.2.20'), 6100).actions)).toEqual(['CountAdvert']);
  });

  it('Master resigning, no takeover within Master_Down_Interval: adverts resume, VIPs never left, announced again', () => {
    const s = resigning();
    expect(step(s, { type: 'AdverTimerFired' }, 7000).actions).toEqual([{ type: 'ArmTimer', timer: 'adver', atMs: 6000 + mdi }]);
    const r = step(s, { type: 'AdverTimerFired' }, 6000 + mdi);
    expect(r.actions).toEqual([
      { type: 'SendAdvert', priority: 100, maxAdverIntMs: 1000 },
      { type: 'ArmTimer', timer: 'adver', atMs: 7000 + mdi },
      // A lower peer (we may be an owner, never lowered by a hold) may have announced the VIPs.
      { type: 'Announce', reason: 'resign_ended' },
    ]);
    expect(r.state).toMatchObject({ name: 'MASTER', resignUntilMs: null });
    expect(types(step(r.state, { type: 'AdverTimerFired' }, 7000 + mdi).actions)).toEqual(['SendAdvert', 'ArmTimer']);
  });

  it('Master resigning, priority change (operator hold): stays quiet; the resumed advert carries it', () => {
    const held = step(resigning(), { type: 'TrackChanged', priorityDelta: -1000, fault: false }, 6100);
    expect(held.actions).toEqual([]);
    expect(sends(step(held.state, { type: 'AdverTimerFired' }, 6000 + mdi).actions)).toEqual([1]);
  });

  it('Master resigning, Shutdown: a normal shutdown (priority 0, VIPs removed) -> INIT', () => {
    const r = step(resigning(), { type: 'Shutdown' }, 6100);
    expect(r.actions).toEqual([
      { type: 'Transition', from: 'MASTER', to: 'INIT', reason: 'shutdown', priority: 100 },
      { type: 'CancelTimer', timer: 'adver' },
      { type: 'SendAdvert', priority: 0, maxAdverIntMs: 1000 },
      { type: 'RemoveAddresses' },
    ]);
    expect(r.state.resignUntilMs).toBeNull();
  });

  it('Resign in BACKUP, FAULT or INIT, or while already resigning: nothing', () => {
    const backup = step(initialState(base), { type: 'Startup' }, 0).state;
    expect(step(backup, { type: 'Resign' }, 10).actions).toEqual([]);
    expect(step(initialState(base), { type: 'Resign' }, 10).actions).toEqual([]);
    expect(step(resigning(), { type: 'Resign' }, 6100).actions).toEqual([]);
  });

  it('Master resigning, LinkRestored: no re-announcement (the VIPs are being handed over)', () => {
    expect(step(resigning(), { type: 'LinkRestored' }, 6100).actions).toEqual([]);
  });

  it('Master resigning, ConfigChanged: settings taken, nothing sent (an advert would stall the hand-over)', () => {
    const r = step(resigning(), { type: 'ConfigChanged', config: { ...resigning().config, priority: 180 } }, 6100);
    expect(r.actions).toEqual([]);
    expect(r.state.config.priority).toBe(180);
    expect(r.state.resignUntilMs).not.toBeNull();
  });
});
