import { describe, expect, it } from 'vitest';
import { initialState, step, type MachineConfig, type MachineState, type VrrpEvent } from '../../../src/vrrp/machine.js';
import { groupInFault, syncGroupFollowUps, type GroupMember } from '../../../src/vrrp/sync-group.js';

const cfg: MachineConfig = {
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

/** A tiny runner: applies an event to one member, then the follow-ups until quiet (bounded). */
function apply(members: Map<string, MachineState>, name: string, event: VrrpEvent, now: number): void {
  const queue: { member: string; event: VrrpEvent }[] = [{ member: name, event }];
  for (let i = 0; i < 50 && queue.length > 0; i++) {
    const next = queue.shift();
    if (!next) break;
    const before = members.get(next.member);
    if (!before) throw new Error(next.member);
    const { state, actions } = step(before, next.event, now);
    members.set(next.member, state);
    const t = actions.find((a) => a.type === 'Transition');
    const view: GroupMember[] = [...members].map(([n, s]) => ({ name: n, state: s }));
    const transition = t?.type === 'Transition' ? { from: t.from, to: t.to, reason: t.reason, atMs: now } : null;
    queue.push(...syncGroupFollowUps(view, next.member, transition));
  }
  expect(queue).toHaveLength(0);
}

function group(): Map<string, MachineState> {
  const m = new Map<string, MachineState>();
  for (const n of ['a', 'b', 'c']) m.set(n, step(initialState(cfg), { type: 'Startup' }, 0).state);
  return m;
}

const states = (m: Map<string, MachineState>): string[] => [...m.values()].map((s) => s.name);

describe('sync groups', () => {
  it('one member becoming MASTER pulls the others to MASTER', () => {
    const m = group();
    apply(m, 'a', { type: 'MasterDownTimerFired' }, 5000);
    expect(states(m)).toEqual(['MASTER', 'MASTER', 'MASTER']);
    expect(m.get('b')?.lastTransition?.reason).toBe('sync_group');
  });

  it('one member hearing a better master pushes the others to BACKUP', () => {
    const m = group();
    apply(m, 'a', { type: 'MasterDownTimerFired' }, 5000);
    apply(m, 'b', { type: 'AdvertReceived', priority: 200, maxAdverIntMs: 1000, srcAddress: '192.0.2.20' }, 6000);
    expect(states(m)).toEqual(['BACKUP', 'BACKUP', 'BACKUP']);
  });

  it('one member in FAULT puts the whole group in FAULT; recovery returns all to BACKUP', () => {
    const m = group();
    apply(m, 'a', { type: 'MasterDownTimerFired' }, 5000);
    apply(m, 'c', { type: 'TrackChanged', priorityDelta: 0, fault: true }, 6000);
    expect(states(m)).toEqual(['FAULT', 'FAULT', 'FAULT']);
    expect(groupInFault([...m].map(([name, state]) => ({ name, state })))).toBe(true);
    // a timer firing on a group-faulted member changes nothing
    apply(m, 'a', { type: 'MasterDownTimerFired' }, 7000);
    expect(states(m)).toEqual(['FAULT', 'FAULT', 'FAULT']);
    apply(m, 'c', { type: 'TrackChanged', priorityDelta: 0, fault: false }, 8000);
    expect(states(m)).toEqual(['BACKUP', 'BACKUP', 'BACKUP']);
  });

  it('two members faulted: the group stays in FAULT until both recover', () => {
    const m = group();
    apply(m, 'a', { type: 'TrackChanged', priorityDelta: 0, fault: true }, 1);
    apply(m, 'b', { type: 'TrackChanged', priorityDelta: 0, fault: true }, 2);
    apply(m, 'a', { type: 'TrackChanged', priorityDelta: 0, fault: false }, 3);
    expect(states(m)).toEqual(['FAULT', 'FAULT', 'FAULT']);
    apply(m, 'b', { type: 'TrackChanged', priorityDelta: 0, fault: false }, 4);
    expect(states(m)).toEqual(['BACKUP', 'BACKUP', 'BACKUP']);
  });

  it('group-caused transitions cause no follow-ups (no echo)', () => {
    const m = group();
    const view = [...m].map(([name, state]) => ({ name, state }));
    expect(syncGroupFollowUps(view, 'a', { from: 'BACKUP', to: 'MASTER', reason: 'sync_group', atMs: 0 })).toEqual([]);
    expect(syncGroupFollowUps(view, 'a', { from: 'BACKUP', to: 'MASTER', reason: 'master_down_timer', atMs: 0 })).toHaveLength(2);
  });
});
