/**
 * One test per row of the RFC 9568 state table (protocol-reference A7, docs/vrrp.md), named
 * after the row, plus FAULT, tracking, preempt_delay and timer edge cases. Time is plain numbers.
 */
import { describe, expect, it } from 'vitest';
import {
  initialState,
  step as machineStep,
  type MachineConfig,
  type MachineState,
  type VrrpAction,
  type VrrpEvent,
} from '../../../src/vrrp/machine.js';
import { masterDownIntervalMs, skewTimeMs } from '../../../src/vrrp/timers.js';

/**
 * The machine, with the CountAdvert action (counting an advert that passed the receive filters)
 * left out: it comes first for every such advert, and 'receive filters' below tests it alone.
 */
function step(state: MachineState, event: VrrpEvent, nowMs: number): { state: MachineState; actions: readonly VrrpAction[] } {
  const result = machineStep(state, event, nowMs);
  return { state: result.state, actions: result.actions.filter((a) => a.type !== 'CountAdvert') };
}

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

const advert = (priority: number, srcAddress: string, maxAdverIntMs = 1000): VrrpEvent => ({
  type: 'AdvertReceived',
  priority,
  maxAdverIntMs,
  srcAddress,
});

/** Runs events at the given times; returns the final state and the actions of the last event. */
function run(config: MachineConfig, events: readonly [number, VrrpEvent][]): { state: MachineState; actions: readonly VrrpAction[] } {
  let state = initialState(config);
  let actions: readonly VrrpAction[] = [];
  for (const [at, ev] of events) ({ state, actions } = step(state, ev, at));
  return { state, actions };
}

const startedBackup = (config: MachineConfig = base): MachineState => run(config, [[0, { type: 'Startup' }]]).state;
const startedMaster = (config: MachineConfig = base): MachineState =>
  run(config, [
    [0, { type: 'Startup' }],
    [5000, { type: 'MasterDownTimerFired' }],
  ]).state;

const MDI_100 = 3609.375; // 3 * 1000 + (256 - 100) * 1000 / 256

describe('timers', () => {
  it('skew time and master-down interval at 1 s and priority 100 are exact (360.9375 cs)', () => {
    expect(skewTimeMs(100, 1000)).toBe(609.375);
    expect(masterDownIntervalMs(100, 1000)).toBe(MDI_100);
    expect(masterDownIntervalMs(255, 1000)).toBe(3000 + 1000 / 256);
    expect(masterDownIntervalMs(254, 10)).toBeGreaterThan(masterDownIntervalMs(255, 10));
  });
});

describe('RFC 9568 state table', () => {
  it('Init, Startup, priority 255: send advert, announce, arm Adver_Timer → Master', () => {
    const { state, actions } = run({ ...base, priority: 255 }, [[10, { type: 'Startup' }]]);
    expect(state.name).toBe('MASTER');
    expect(actions).toEqual([
      { type: 'Transition', from: 'INIT', to: 'MASTER', reason: 'startup_owner', priority: 255 },
      { type: 'SendAdvert', priority: 255, maxAdverIntMs: 1000 },
      { type: 'AddAddresses', acceptMode: false },
      { type: 'Announce', reason: 'became_master' },
      { type: 'ArmTimer', timer: 'adver', atMs: 1010 },
    ]);
    expect(state.adverAtMs).toBe(1010);
  });

  it('Init, Startup, other priority: Master_Adver_Interval = Advertisement_Interval, remove stale VIPs, arm down timer → Backup', () => {
    const { state, actions } = run({ ...base, advertIntervalMs: 500 }, [[10, { type: 'Startup' }]]);
    expect(state.name).toBe('BACKUP');
    expect(state.masterAdverIntervalMs).toBe(500);
    const mdi = masterDownIntervalMs(100, 500);
    expect(actions).toEqual([
      { type: 'Transition', from: 'INIT', to: 'BACKUP', reason: 'startup', priority: 100 },
      // VIPs left by an earlier run (kill -9) must go: two routers must not answer ARP for them.
      { type: 'RemoveAddresses' },
      { type: 'ArmTimer', timer: 'masterDown', atMs: 10 + mdi },
    ]);
    expect(actions.some((a) => a.type === 'SendAdvert' || a.type === 'AddAddresses')).toBe(false);
  });

  it('Backup, Master_Down_Timer fires: send advert, announce, arm Adver_Timer → Master', () => {
    const { state, actions } = run(base, [
      [0, { type: 'Startup' }],
      [MDI_100, { type: 'MasterDownTimerFired' }],
    ]);
    expect(state.name).toBe('MASTER');
    expect(actions).toEqual([
      { type: 'Transition', from: 'BACKUP', to: 'MASTER', reason: 'master_down_timer', priority: 100 },
      { type: 'CancelTimer', timer: 'masterDown' },
      { type: 'SendAdvert', priority: 100, maxAdverIntMs: 1000 },
      { type: 'AddAddresses', acceptMode: false },
      { type: 'Announce', reason: 'became_master' },
      { type: 'ArmTimer', timer: 'adver', atMs: MDI_100 + 1000 },
    ]);
    expect(state.master).toEqual({ address: '192.0.2.10', priority: 100 });
  });

  it('Backup, advert with priority 0: Master_Down_Timer = Skew_Time', () => {
    const { state, actions } = step(startedBackup(), advert(0, '192.0.2.20'), 2000);
    expect(state.name).toBe('BACKUP');
    expect(actions).toEqual([{ type: 'ArmTimer', timer: 'masterDown', atMs: 2000 + 609.375 }]);
    expect(state.masterDownAtMs).toBe(2609.375);
  });

  it('Backup, advert when Preempt_Mode is False: adopt its interval, reset the down timer', () => {
    const s = startedBackup({ ...base, preempt: false });
    const { state, actions } = step(s, advert(50, '192.0.2.20', 200), 100);
    expect(state.masterAdverIntervalMs).toBe(200);
    expect(actions).toEqual([{ type: 'ArmTimer', timer: 'masterDown', atMs: 100 + masterDownIntervalMs(100, 200) }]);
    expect(state.master).toEqual({ address: '192.0.2.20', priority: 50 });
  });

  it('Backup, advert with priority >= local: adopt its interval, reset the down timer', () => {
    for (const prio of [100, 200]) {
      const { state, actions } = step(startedBackup(), advert(prio, '192.0.2.1', 300), 100);
      expect(state.name).toBe('BACKUP');
      expect(state.masterAdverIntervalMs).toBe(300);
      expect(actions).toEqual([{ type: 'ArmTimer', timer: 'masterDown', atMs: 100 + masterDownIntervalMs(100, 300) }]);
    }
  });

  it('Backup, any other advert (lower priority, preempt): discard; the timer expiry preempts', () => {
    const s = startedBackup();
    const heard = step(s, advert(50, '192.0.2.20', 200), 100);
    expect(heard.actions).toEqual([]);
    expect(heard.state.masterDownAtMs).toBe(s.masterDownAtMs);
    expect(heard.state.masterAdverIntervalMs).toBe(1000);
    const fired = step(heard.state, { type: 'MasterDownTimerFired' }, MDI_100);
    expect(fired.state.name).toBe('MASTER');
  });

  it('Master, Adver_Timer fires: send advert, re-arm Adver_Timer', () => {
    const m = startedMaster();
    const at = m.adverAtMs ?? 0;
    const { state, actions } = step(m, { type: 'AdverTimerFired' }, at);
    expect(actions).toEqual([
      { type: 'SendAdvert', priority: 100, maxAdverIntMs: 1000 },
      { type: 'ArmTimer', timer: 'adver', atMs: at + 1000 },
    ]);
    expect(state.name).toBe('MASTER');
  });

  it('Master, Shutdown: cancel Adver_Timer, send priority 0, remove addresses → Init', () => {
    const { state, actions } = step(startedMaster(), { type: 'Shutdown' }, 9000);
    expect(state.name).toBe('INIT');
    expect(actions).toEqual([
      { type: 'Transition', from: 'MASTER', to: 'INIT', reason: 'shutdown', priority: 100 },
      { type: 'CancelTimer', timer: 'adver' },
      { type: 'SendAdvert', priority: 0, maxAdverIntMs: 1000 },
      { type: 'RemoveAddresses' },
    ]);
  });

  it('Backup, Shutdown: cancel Master_Down_Timer → Init', () => {
    const { state, actions } = step(startedBackup(), { type: 'Shutdown' }, 100);
    expect(state.name).toBe('INIT');
    expect(actions).toEqual([
      { type: 'Transition', from: 'BACKUP', to: 'INIT', reason: 'shutdown', priority: 100 },
      { type: 'CancelTimer', timer: 'masterDown' },
    ]);
  });

  it('Master, advert with priority 0: send advert, reset Adver_Timer', () => {
    const { state, actions } = step(startedMaster(), advert(0, '192.0.2.20'), 5500);
    expect(state.name).toBe('MASTER');
    expect(actions).toEqual([
      { type: 'SendAdvert', priority: 100, maxAdverIntMs: 1000 },
      { type: 'ArmTimer', timer: 'adver', atMs: 6500 },
    ]);
  });

  it('Master, advert with higher priority: cancel, adopt interval, arm down timer → Backup', () => {
    const { state, actions } = step(startedMaster(), advert(150, '192.0.2.1', 200), 5500);
    expect(state.name).toBe('BACKUP');
    expect(state.masterAdverIntervalMs).toBe(200);
    expect(state.master).toEqual({ address: '192.0.2.1', priority: 150 });
    expect(actions).toEqual([
      { type: 'Transition', from: 'MASTER', to: 'BACKUP', reason: 'higher_priority_advert', priority: 100 },
      { type: 'CancelTimer', timer: 'adver' },
      { type: 'RemoveAddresses' },
      { type: 'ArmTimer', timer: 'masterDown', atMs: 5500 + masterDownIntervalMs(100, 200) },
    ]);
  });

  it('Master, advert with equal priority and larger sender address (IPv4): → Backup', () => {
    expect(step(startedMaster(), advert(100, '192.0.2.11'), 5500).state.name).toBe('BACKUP');
    // compared as unsigned big-endian, not as text: 192.0.2.9 < 192.0.2.10 < 192.0.2.100
    expect(step(startedMaster(), advert(100, '192.0.2.100'), 5500).state.name).toBe('BACKUP');
    expect(step(startedMaster(), advert(100, '192.0.2.9'), 5500).state.name).toBe('MASTER');
  });

  it('Master, advert with equal priority and larger sender address (IPv6 link-local): → Backup', () => {
    const v6 = { ...base, family: 'ipv6' as const, primaryAddress: 'fe80::ff:fe00:a' };
    expect(step(startedMaster(v6), advert(100, 'fe80::ff:fe00:b'), 5500).state.name).toBe('BACKUP');
    expect(step(startedMaster(v6), advert(100, 'fe80::1:0:0:0'), 5500).state.name).toBe('BACKUP');
    expect(step(startedMaster(v6), advert(100, 'fe80::9'), 5500).state.name).toBe('MASTER');
  });

  it('Master, losing advert (lower priority, or equal with smaller address): RFC 9568 answers at once, and announces again', () => {
    for (const [priority, src] of [[50, '192.0.2.200'], [100, '192.0.2.2']] as const) {
      const { state, actions } = step(startedMaster(), advert(priority, src), 5500);
      expect(state.name).toBe('MASTER');
      expect(actions).toEqual([
        { type: 'SendAdvert', priority: 100, maxAdverIntMs: 1000 },
        { type: 'ArmTimer', timer: 'adver', atMs: 6500 },
        // Another master below us: neighbours may have followed it during a split.
        { type: 'Announce', reason: 'lower_priority_master', peer: { address: src, priority } },
      ]);
    }
  });
});

describe('owner, preemption and accept mode', () => {
  it('an owner (255) preempts even with preempt false', () => {
    const owner = { ...base, priority: 255, preempt: false };
    // an owner in BACKUP (after a fault) ignores a lower master, and takes over on timer expiry
    const b = run(owner, [
      [0, { type: 'TrackChanged', priorityDelta: 0, fault: true }],
      [0, { type: 'Startup' }],
      [10, { type: 'TrackChanged', priorityDelta: 0, fault: false }],
    ]).state;
    expect(b.name).toBe('BACKUP');
    expect(step(b, advert(200, '192.0.2.20'), 20).actions).toEqual([]);
  });

  it('preempt false: a higher-priority backup leaves a lower master in place', () => {
    const s = startedBackup({ ...base, priority: 200, preempt: false });
    const { state, actions } = step(s, advert(100, '192.0.2.20'), 3000);
    expect(actions).toHaveLength(1);
    expect(state.masterDownAtMs).toBe(3000 + masterDownIntervalMs(200, 1000));
  });

  it('preempt_delay: a lower master is tolerated for the delay after startup, then preempted', () => {
    const cfg = { ...base, priority: 200, preemptDelayMs: 10_000 };
    let s = startedBackup(cfg);
    expect(s.preemptHoldUntilMs).toBe(10_000);
    s = step(s, advert(100, '192.0.2.20'), 9000).state;
    expect(s.masterDownAtMs).toBe(9000 + masterDownIntervalMs(200, 1000)); // accepted: timer reset
    const after = step(s, advert(100, '192.0.2.20'), 10_000);
    expect(after.actions).toEqual([]); // discarded: the down timer will preempt
    expect(step(after.state, { type: 'MasterDownTimerFired' }, s.masterDownAtMs ?? 0).state.name).toBe('MASTER');
  });

  it('preempt_delay: the hold restarts when a master first drops below us after being above', () => {
    const cfg = { ...base, priority: 200, preemptDelayMs: 5000 };
    let s = startedBackup(cfg);
    s = step(s, advert(250, '192.0.2.20'), 20_000).state; // legit master, hold cleared
    expect(s.preemptHoldUntilMs).toBeNull();
    s = step(s, advert(150, '192.0.2.20'), 21_000).state; // now lower: hold until 26 s
    expect(s.preemptHoldUntilMs).toBe(26_000);
    expect(step(s, advert(150, '192.0.2.20'), 25_000).actions).toHaveLength(1);
    expect(step(s, advert(150, '192.0.2.20'), 26_000).actions).toHaveLength(0);
  });

  it('accept_mode is carried into AddAddresses', () => {
    const { actions } = run({ ...base, priority: 255, acceptMode: true }, [[0, { type: 'Startup' }]]);
    expect(actions).toContainEqual({ type: 'AddAddresses', acceptMode: true });
  });
});

describe('FAULT and tracking', () => {
  it('entering FAULT from MASTER sends priority 0 and removes the addresses', () => {
    const { state, actions } = step(startedMaster(), { type: 'TrackChanged', priorityDelta: 0, fault: true }, 6000);
    expect(state.name).toBe('FAULT');
    expect(actions).toEqual([
      { type: 'Transition', from: 'MASTER', to: 'FAULT', reason: 'fault', priority: 100 },
      { type: 'CancelTimer', timer: 'adver' },
      { type: 'SendAdvert', priority: 0, maxAdverIntMs: 1000 },
      { type: 'RemoveAddresses' },
    ]);
  });

  it('entering FAULT from BACKUP cancels the down timer; adverts are then ignored', () => {
    const { state, actions } = step(startedBackup(), { type: 'TrackChanged', priorityDelta: 0, fault: true }, 100);
    expect(state.name).toBe('FAULT');
    expect(actions).toEqual([
      { type: 'Transition', from: 'BACKUP', to: 'FAULT', reason: 'fault', priority: 100 },
      { type: 'CancelTimer', timer: 'masterDown' },
    ]);
    expect(step(state, advert(50, '192.0.2.20'), 200).actions).toEqual([]);
    expect(step(state, { type: 'MasterDownTimerFired' }, 99_999).state.name).toBe('FAULT');
  });

  it('leaving FAULT goes to BACKUP with a fresh down timer', () => {
    const f = step(startedBackup(), { type: 'TrackChanged', priorityDelta: 0, fault: true }, 100).state;
    const { state, actions } = step(f, { type: 'TrackChanged', priorityDelta: 0, fault: false }, 500);
    expect(state.name).toBe('BACKUP');
    expect(actions).toEqual([
      { type: 'Transition', from: 'FAULT', to: 'BACKUP', reason: 'fault_cleared', priority: 100 },
      { type: 'ArmTimer', timer: 'masterDown', atMs: 500 + MDI_100 },
    ]);
  });

  it('a fault present at startup starts in FAULT', () => {
    const { state } = run(base, [
      [0, { type: 'TrackChanged', priorityDelta: 0, fault: true }],
      [1, { type: 'Startup' }],
    ]);
    expect(state.name).toBe('FAULT');
  });

  it('weights change the effective priority, clamped to 1..254; the owner is not adjusted', () => {
    const s = startedBackup();
    expect(step(s, { type: 'TrackChanged', priorityDelta: -30, fault: false }, 1).state.effectivePriority).toBe(70);
    expect(step(s, { type: 'TrackChanged', priorityDelta: -300, fault: false }, 1).state.effectivePriority).toBe(1);
    expect(step(s, { type: 'TrackChanged', priorityDelta: 200, fault: false }, 1).state.effectivePriority).toBe(254);
    const owner = run({ ...base, priority: 255 }, [[0, { type: 'Startup' }]]).state;
    expect(step(owner, { type: 'TrackChanged', priorityDelta: -50, fault: false }, 1).state.effectivePriority).toBe(255);
  });

  it('a master whose effective priority changes advertises it at once', () => {
    const { state, actions } = step(startedMaster(), { type: 'TrackChanged', priorityDelta: -20, fault: false }, 6000);
    expect(state.name).toBe('MASTER');
    expect(actions).toEqual([
      { type: 'SendAdvert', priority: 80, maxAdverIntMs: 1000 },
      { type: 'ArmTimer', timer: 'adver', atMs: 7000 },
    ]);
  });

  it('a lowered backup priority decides the election: it now yields to a peer it used to beat', () => {
    const s = step(startedBackup({ ...base, priority: 150 }), { type: 'TrackChanged', priorityDelta: -100, fault: false }, 1).state;
    expect(step(s, advert(100, '192.0.2.20'), 10).actions).toHaveLength(1); // accepted, timer reset
  });
});

describe('ConfigChanged (reload in place)', () => {
  const changed = (over: Partial<MachineConfig>): VrrpEvent => ({ type: 'ConfigChanged', config: { ...base, ...over } });

  it('MASTER, priority changes: no transition; advert with the new priority at once; adver timer re-armed', () => {
    const { state, actions } = step(startedMaster(), changed({ priority: 150 }), 5500);
    expect(state.name).toBe('MASTER');
    expect(state.lastTransition?.to).toBe('MASTER'); // unchanged record: no new transition
    expect(state.effectivePriority).toBe(150);
    expect(state.master).toEqual({ address: '192.0.2.10', priority: 150 });
    expect(actions).toEqual([
      { type: 'SendAdvert', priority: 150, maxAdverIntMs: 1000 },
      { type: 'ArmTimer', timer: 'adver', atMs: 6500 },
    ]);
  });

  it('MASTER, advert interval changes: advertised at once with the new interval, timer on the new cadence', () => {
    const { state, actions } = step(startedMaster(), changed({ advertIntervalMs: 200 }), 5500);
    expect(actions).toEqual([
      { type: 'SendAdvert', priority: 100, maxAdverIntMs: 200 },
      { type: 'ArmTimer', timer: 'adver', atMs: 5700 },
    ]);
    expect(state.masterAdverIntervalMs).toBe(200);
    expect(step(state, { type: 'AdverTimerFired' }, 5700).actions).toContainEqual({ type: 'ArmTimer', timer: 'adver', atMs: 5900 });
  });

  it('MASTER, only preempt / preempt_delay / accept_mode change: config taken, nothing sent', () => {
    const { state, actions } = step(startedMaster(), changed({ preempt: false, preemptDelayMs: 3000, acceptMode: true }), 5500);
    expect(actions).toEqual([]);
    expect(state.config).toMatchObject({ preempt: false, preemptDelayMs: 3000, acceptMode: true });
    expect(state.adverAtMs).toBe(6000);
  });

  it('MASTER keeps its tracking delta across a new priority; the owner (255) is never adjusted', () => {
    const tracked = step(startedMaster(), { type: 'TrackChanged', priorityDelta: -20, fault: false }, 5100).state;
    expect(step(tracked, changed({ priority: 150 }), 5200).state.effectivePriority).toBe(130);
    const owner = step(tracked, changed({ priority: 255 }), 5200);
    expect(owner.actions[0]).toEqual({ type: 'SendAdvert', priority: 255, maxAdverIntMs: 1000 });
    const demoted = step(owner.state, changed({ priority: 100 }), 5300);
    expect(demoted.state.name).toBe('MASTER'); // a former owner stays MASTER until a better peer preempts it
    expect(demoted.actions[0]).toEqual({ type: 'SendAdvert', priority: 80, maxAdverIntMs: 1000 });
  });

  it('BACKUP: new priority taken without actions; it decides the next adverts (a lower master is then preempted)', () => {
    const heard = step(startedBackup(), advert(120, '192.0.2.20'), 100).state;
    const { state, actions } = step(heard, changed({ priority: 150 }), 200);
    expect(actions).toEqual([]);
    expect(state).toMatchObject({ name: 'BACKUP', effectivePriority: 150, masterDownAtMs: heard.masterDownAtMs });
    expect(step(state, advert(120, '192.0.2.20'), 300).actions).toEqual([]); // discarded: the down timer preempts
    expect(step(state, { type: 'MasterDownTimerFired' }, heard.masterDownAtMs ?? 0).state.name).toBe('MASTER');
  });

  it('BACKUP that becomes the owner (255) preempts through its down timer, whatever preempt says', () => {
    const heard = step(startedBackup({ ...base, preempt: false }), advert(200, '192.0.2.20'), 100).state;
    const owner = step(heard, changed({ priority: 255, preempt: false }), 200).state;
    expect(step(owner, advert(200, '192.0.2.20'), 300).actions).toEqual([]);
  });

  it('FAULT and INIT take the config only; leaving FAULT afterwards goes to BACKUP, also as the new owner', () => {
    const fault = step(startedMaster(), { type: 'TrackChanged', priorityDelta: 0, fault: true }, 5100).state;
    const f2 = step(fault, changed({ priority: 255 }), 5200);
    expect(f2.actions).toEqual([]);
    expect(f2.state).toMatchObject({ name: 'FAULT', effectivePriority: 255 });
    expect(step(f2.state, { type: 'TrackChanged', priorityDelta: 0, fault: false }, 5300).state.name).toBe('BACKUP');
    const init = step(initialState(base), changed({ priority: 90 }), 1);
    expect(init.actions).toEqual([]);
    expect(step(init.state, { type: 'Startup' }, 2).actions[0]).toMatchObject({ type: 'Transition', to: 'BACKUP', priority: 90 });
  });
});

describe('robustness', () => {
  it('every state change emits exactly one Transition action first, and records it', () => {
    const s = startedBackup();
    const { state, actions } = step(s, { type: 'MasterDownTimerFired' }, MDI_100);
    expect(actions[0]).toMatchObject({ type: 'Transition', from: 'BACKUP', to: 'MASTER' });
    expect(actions.filter((a) => a.type === 'Transition')).toHaveLength(1);
    expect(state.lastTransition).toEqual({ from: 'BACKUP', to: 'MASTER', reason: 'master_down_timer', atMs: MDI_100 });
  });

  it('an early timer event only re-arms the real deadline; a stale one does nothing', () => {
    const s = startedBackup();
    expect(step(s, { type: 'MasterDownTimerFired' }, 1000)).toEqual({
      state: s,
      actions: [{ type: 'ArmTimer', timer: 'masterDown', atMs: MDI_100 }],
    });
    expect(step(s, { type: 'AdverTimerFired' }, 1000).actions).toEqual([]);
    expect(step(startedMaster(), { type: 'MasterDownTimerFired' }, 99_999).actions).toEqual([]);
  });

  it('our own advert looped back is ignored', () => {
    expect(step(startedMaster(), advert(200, '192.0.2.10'), 5500).actions).toEqual([]);
  });

  it('a learned interval of 0 cs is clamped to 1 cs', () => {
    const { state } = step(startedBackup(), advert(200, '192.0.2.20', 0), 100);
    expect(state.masterAdverIntervalMs).toBe(10);
  });

  it('Startup twice and Shutdown in INIT are no-ops', () => {
    const s = startedBackup();
    expect(step(s, { type: 'Startup' }, 1).actions).toEqual([]);
    expect(step(initialState(base), { type: 'Shutdown' }, 1).actions).toEqual([]);
  });
});
