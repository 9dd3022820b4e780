/**
 * Sync groups (pure): the instances of a group move together, as operators know from keepalived.
 *
 * The instance runner calls syncGroupFollowUps() after it applied one member's step and feeds the
 * returned events to the named siblings (through the same serialised queue). Rules:
 * - fault: while any member has its own (tracked) fault, every member gets SyncGroupFault{true}
 *   and so sits in FAULT; when none has, every member gets SyncGroupFault{false} and returns to
 *   BACKUP (the events are idempotent: the machine ignores a repeated value);
 * - a member becoming MASTER for its own reasons pulls the BACKUP siblings to MASTER;
 * - a member leaving MASTER for BACKUP (a better master was heard) pushes the MASTER siblings
 *   to BACKUP;
 * - transitions that were themselves caused by the group (reason 'sync_group') cause nothing,
 *   so one change never echoes around the group.
 */
import type { MachineState, TransitionRecord, VrrpEvent } from './machine-types.js';

export interface GroupMember {
  readonly name: string;
  readonly state: MachineState;
}

export interface GroupEvent {
  readonly member: string;
  readonly event: VrrpEvent;
}

/** Whether the group as a whole is in fault: some member has its own fault. */
export function groupInFault(members: readonly GroupMember[]): boolean {
  return members.some((m) => m.state.trackFault);
}

/** Fault propagation: the SyncGroupFault events that bring each member in line (may be empty). */
export function syncGroupFaultEvents(members: readonly GroupMember[]): GroupEvent[] {
  const fault = groupInFault(members);
  return members
    .filter((m) => m.state.groupFault !== fault)
    .map((m) => ({ member: m.name, event: { type: 'SyncGroupFault', fault } }));
}

/**
 * What the siblings must do after `changed` went through `transition` (null when the step
 * changed no state but may have changed tracking). `members` holds every member's state AFTER
 * that step.
 */
export function syncGroupFollowUps(
  members: readonly GroupMember[],
  changed: string,
  transition: TransitionRecord | null,
): GroupEvent[] {
  const out = syncGroupFaultEvents(members);
  if (!transition || transition.reason === 'sync_group' || groupInFault(members)) return out;
  const others = members.filter((m) => m.name !== changed);
  if (transition.to === 'MASTER') {
    for (const m of others.filter((o) => o.state.name === 'BACKUP')) {
      out.push({ member: m.name, event: { type: 'SyncGroupMove', to: 'MASTER' } });
    }
  } else if (transition.from === 'MASTER' && transition.to === 'BACKUP') {
    for (const m of others.filter((o) => o.state.name === 'MASTER')) {
      out.push({ member: m.name, event: { type: 'SyncGroupMove', to: 'BACKUP' } });
    }
  }
  return out;
}
