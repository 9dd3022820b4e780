/**
 * Data of the VRRP state machine: configuration, state, events and actions, all plain values.
 * The machine (machine.ts) is a pure function of them; the instance runner executes actions.
 */
import type { IpFamily } from './address.js';

export type VrrpStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/** What the machine needs from an instance's configuration (immutable). */
export interface MachineConfig {
  readonly family: IpFamily;
  /** Configured priority 1..255 (255 = address owner). */
  readonly priority: number;
  /** Advertisement_Interval, whole centiseconds in ms. */
  readonly advertIntervalMs: number;
  readonly preempt: boolean;
  /** Hold-off before preempting a lower-priority master (see docs/vrrp.md). 0 = none. */
  readonly preemptDelayMs: number;
  readonly acceptMode: boolean;
  /** This router's primary address on the interface (IPv6: link-local): tie-break and loop filter. */
  readonly primaryAddress: string;
}

export type TimerKind = 'masterDown' | 'adver';

export type TransitionReason =
  | 'startup'
  | 'startup_owner'
  | 'master_down_timer'
  | 'higher_priority_advert'
  | 'fault'
  | 'fault_cleared'
  | 'shutdown'
  | 'sync_group';

export interface TransitionRecord {
  readonly from: VrrpStateName;
  readonly to: VrrpStateName;
  readonly reason: TransitionReason;
  readonly atMs: number;
}

/** The current master as last heard (or this router when it is master). */
export interface HeardMaster {
  readonly address: string;
  readonly priority: number;
}

export interface MachineState {
  readonly config: MachineConfig;
  readonly name: VrrpStateName;
  /** Sum of tracking weights currently applied. */
  readonly trackDelta: number;
  /** A tracked object with weight 0 failed (own fault). */
  readonly trackFault: boolean;
  /** A sync-group sibling is in fault. */
  readonly groupFault: boolean;
  /** Priority in use: configured plus tracking, clamped (timers.effectivePriority). */
  readonly effectivePriority: number;
  /** Master_Adver_Interval: learned from the master's adverts while BACKUP. */
  readonly masterAdverIntervalMs: number;
  /** Deadlines (monotonic ms), not handles. */
  readonly masterDownAtMs: number | null;
  readonly adverAtMs: number | null;
  /** While BACKUP, a lower-priority master is tolerated until this time (preempt_delay). */
  readonly preemptHoldUntilMs: number | null;
  readonly master: HeardMaster | null;
  readonly lastTransition: TransitionRecord | null;
}

export type VrrpEvent =
  | { readonly type: 'Startup' }
  | { readonly type: 'Shutdown' }
  | {
      readonly type: 'AdvertReceived';
      readonly priority: number;
      readonly maxAdverIntMs: number;
      /** IP source of the advert (IPv6: link-local), canonical text. */
      readonly srcAddress: string;
    }
  | { readonly type: 'MasterDownTimerFired' }
  | { readonly type: 'AdverTimerFired' }
  /** Tracking changed: the summed weight of tracked objects and whether a weight-0 one failed. */
  | { readonly type: 'TrackChanged'; readonly priorityDelta: number; readonly fault: boolean }
  /** Sync group: some sibling is (or no longer is) in fault. */
  | { readonly type: 'SyncGroupFault'; readonly fault: boolean }
  /** Sync group: a sibling moved; follow it. */
  | { readonly type: 'SyncGroupMove'; readonly to: 'MASTER' | 'BACKUP' }
  /** A reload changed settings that need no new socket (priority, interval, preempt, accept_mode). */
  | { readonly type: 'ConfigChanged'; readonly config: MachineConfig };

export type VrrpAction =
  | { readonly type: 'Transition'; readonly from: VrrpStateName; readonly to: VrrpStateName; readonly reason: TransitionReason; readonly priority: number }
  | { readonly type: 'SendAdvert'; readonly priority: number; readonly maxAdverIntMs: number }
  | { readonly type: 'ArmTimer'; readonly timer: TimerKind; readonly atMs: number }
  | { readonly type: 'CancelTimer'; readonly timer: TimerKind }
  | { readonly type: 'AddAddresses'; readonly acceptMode: boolean }
  | { readonly type: 'RemoveAddresses' }
  /** Gratuitous ARP (IPv4) or unsolicited NA (IPv6) burst for the virtual addresses. */
  | { readonly type: 'Announce' };

export interface StepResult {
  readonly state: MachineState;
  readonly actions: readonly VrrpAction[];
}
