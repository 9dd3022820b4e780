/**
 * Data of the VRRP state machine: configuration, state, events and actions, all plain values.
 * The machine (machine.ts) is a pure function of them; the instance runner executes actions.
 */
import type { IpFamily } from './address.js';
import type { ChecksumMatch } from './checksum.js';
import type { VrrpDecodeNote } from './packet.js';

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
  /** This instance's VRID: adverts for a sibling VRID on the same interface are ignored. */
  readonly vrid: number;
  /**
   * Sources whose adverts are heard (canonical text): the unicast peers of a unicast instance, or
   * `allowed_peers` in multicast mode. Empty: any source. Others are dropped as `unknown_peer`.
   */
  readonly allowedPeers: readonly string[];
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
  | 'sync_group'
  /** Reported by the daemon, not the machine: the VRRP isolate died (see src/vrrp/isolate/host.ts). */
  | 'isolate_exit';

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
  /** When this MASTER last answered an advert at once (the reply limit: one per advert interval). */
  readonly lastReplyAtMs: number | null;
  /** When the VIPs were last announced again to heal a split (at most once per 3 intervals). */
  readonly lastReannounceAtMs: number | null;
  /**
   * Make-before-break resign (the Resign event): this MASTER sent priority 0 and keeps its VIPs
   * until a better master is heard, or resumes at this deadline. Null when not resigning.
   */
  readonly resignUntilMs: number | null;
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
      /** The advert's VRID; absent means this instance's own (for callers that already filtered). */
      readonly vrid?: number;
      /** Codec facts carried through to the CountAdvert action (counters and notes). */
      readonly checksum?: ChecksumMatch;
      readonly notes?: readonly VrrpDecodeNote[];
    }
  | { readonly type: 'MasterDownTimerFired' }
  | { readonly type: 'AdverTimerFired' }
  /** Tracking changed: the summed weight of tracked objects and whether a weight-0 one failed. */
  | { readonly type: 'TrackChanged'; readonly priorityDelta: number; readonly fault: boolean }
  /** Sync group: some sibling is (or no longer is) in fault. */
  | { readonly type: 'SyncGroupFault'; readonly fault: boolean }
  /** Sync group: a sibling moved; follow it. */
  | { readonly type: 'SyncGroupMove'; readonly to: 'MASTER' | 'BACKUP' }
  /** The instance's own interface came back up (a MASTER announces again: a split may have healed). */
  | { readonly type: 'LinkRestored' }
  /**
   * Planned failover (drill, maintenance): a MASTER sends priority 0 but keeps its VIPs until a
   * better master is heard (make-before-break). Not a shutdown: the instance keeps running.
   */
  | { readonly type: 'Resign' }
  /** A reload changed settings that need no new socket (priority, interval, preempt, accept_mode). */
  | { readonly type: 'ConfigChanged'; readonly config: MachineConfig };

/**
 * Why the VIPs are announced: on becoming MASTER, or again (counted as `reannounces`) because
 * another router may have announced them meanwhile: a lower-priority master heard, our own link
 * back up, or a resign that nobody took over.
 */
export type AnnounceReason = 'became_master' | 'lower_priority_master' | 'link_up' | 'resign_ended';

/** Counters only the machine can decide about (executed by the runner). */
export type MachineCounter = 'replies_suppressed';

export type VrrpAction =
  | { readonly type: 'Transition'; readonly from: VrrpStateName; readonly to: VrrpStateName; readonly reason: TransitionReason; readonly priority: number }
  | { readonly type: 'SendAdvert'; readonly priority: number; readonly maxAdverIntMs: number }
  | { readonly type: 'ArmTimer'; readonly timer: TimerKind; readonly atMs: number }
  | { readonly type: 'CancelTimer'; readonly timer: TimerKind }
  | { readonly type: 'AddAddresses'; readonly acceptMode: boolean }
  | { readonly type: 'RemoveAddresses' }
  /** Gratuitous ARP (IPv4) or unsolicited NA (IPv6) burst for the virtual addresses. */
  | { readonly type: 'Announce'; readonly reason: AnnounceReason; readonly peer?: HeardMaster }
  /** An advert passed the machine's filters (VRID, own address, peers): count it and its notes. */
  | {
      readonly type: 'CountAdvert';
      readonly srcAddress: string;
      readonly priority: number;
      readonly checksum: ChecksumMatch | null;
      readonly notes: readonly VrrpDecodeNote[];
    }
  /** An advert refused by the machine (a source that is not an allowed peer). */
  | { readonly type: 'Drop'; readonly reason: 'unknown_peer'; readonly detail: string }
  | { readonly type: 'Count'; readonly counter: MachineCounter };

export interface StepResult {
  readonly state: MachineState;
  readonly actions: readonly VrrpAction[];
}
