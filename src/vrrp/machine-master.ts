/**
 * What a MASTER decides besides changing state, as pure functions of the machine state (used by
 * machine.ts): which received adverts reach the state table at all, the limited immediate replies
 * of RFC 9568, re-announcing the VIPs after a possible split, and the make-before-break resign.
 * The rationale for each limit is in docs/vrrp.md ("Choices and deviations").
 */
import { compareAddresses } from './address.js';
import type {
  AnnounceReason,
  HeardMaster,
  MachineState,
  StepResult,
  VrrpAction,
  VrrpEvent,
} from './machine-types.js';
import { masterDownIntervalMs } from './timers.js';

type AdvertEvent = Extract<VrrpEvent, { type: 'AdvertReceived' }>;

/** Re-announcements (split healing) are at most one per this many advert intervals. */
export const REANNOUNCE_INTERVALS = 3;

export function advertNow(state: MachineState, priority: number): VrrpAction {
  return { type: 'SendAdvert', priority, maxAdverIntMs: state.config.advertIntervalMs };
}

function sameAddress(state: MachineState, a: string, b: string): boolean {
  return compareAddresses(state.config.family, a, b) === 0;
}

/**
 * The filters in front of the state table, in this order: an advert for a sibling VRID on the
 * same interface, or our own looped back, is ignored silently (null); one from a source that is
 * not an allowed peer is a Drop (`unknown_peer`); anything else is counted (CountAdvert) and goes
 * on to the state table.
 */
export function screenAdvert(state: MachineState, ev: AdvertEvent): VrrpAction | null {
  const cfg = state.config;
  if (ev.vrid !== undefined && ev.vrid !== cfg.vrid) return null;
  if (sameAddress(state, ev.srcAddress, cfg.primaryAddress)) return null;
  if (cfg.allowedPeers.length > 0 && !cfg.allowedPeers.some((p) => sameAddress(state, p, ev.srcAddress))) {
    return { type: 'Drop', reason: 'unknown_peer', detail: ev.srcAddress };
  }
  return { type: 'CountAdvert', srcAddress: ev.srcAddress, priority: ev.priority, checksum: ev.checksum ?? null, notes: ev.notes ?? [] };
}

/**
 * Announce the VIPs again (a split may have healed), at most once per REANNOUNCE_INTERVALS
 * advert intervals. Never while resigning: we are handing the VIPs over.
 */
export function reannounce(state: MachineState, reason: AnnounceReason, nowMs: number, peer?: HeardMaster): StepResult {
  const last = state.lastReannounceAtMs;
  const limited = last !== null && nowMs - last < REANNOUNCE_INTERVALS * state.config.advertIntervalMs;
  if (state.name !== 'MASTER' || state.resignUntilMs !== null || limited) return { state, actions: [] };
  const action: VrrpAction = peer ? { type: 'Announce', reason, peer } : { type: 'Announce', reason };
  return { state: { ...state, lastReannounceAtMs: nowMs }, actions: [action] };
}

/**
 * A MASTER hears an advert it beats (lower priority, equal priority from a smaller address) or a
 * priority-0 one. RFC 9568 answers each at once; we answer at most one per Advertisement_Interval
 * (the others count as `replies_suppressed`), so a flood of adverts cannot multiply our output,
 * while the first answer after a quiet interval still goes out at once. A reply re-arms the adver
 * timer; a suppressed one leaves the periodic cadence alone. A resigning MASTER answers nothing.
 */
export function answerInMaster(state: MachineState, ev: AdvertEvent, nowMs: number): StepResult {
  if (state.resignUntilMs !== null) return { state, actions: [] };
  const interval = state.config.advertIntervalMs;
  let next = state;
  const actions: VrrpAction[] = [];
  if (state.lastReplyAtMs !== null && nowMs - state.lastReplyAtMs < interval) {
    actions.push({ type: 'Count', counter: 'replies_suppressed' });
  } else {
    const adverAtMs = nowMs + interval;
    next = { ...next, adverAtMs, lastReplyAtMs: nowMs };
    actions.push(advertNow(state, state.effectivePriority), { type: 'ArmTimer', timer: 'adver', atMs: adverAtMs });
  }
  if (ev.priority === 0) return { state: next, actions };
  // Another master below us: neighbours may have followed its announcements during a split.
  const again = reannounce(next, 'lower_priority_master', nowMs, { address: ev.srcAddress, priority: ev.priority });
  return { state: again.state, actions: [...actions, ...again.actions] };
}

/**
 * Resign (planned failover): priority 0 now, so a backup's down timer becomes Skew_Time; keep the
 * VIPs and send nothing more until Master_Down_Interval has passed (the adver timer is armed at
 * that deadline). Hearing a better master in the meantime is the normal MASTER -> BACKUP path.
 */
export function startResign(state: MachineState, nowMs: number): StepResult {
  if (state.name !== 'MASTER' || state.resignUntilMs !== null) return { state, actions: [] };
  const untilMs = nowMs + masterDownIntervalMs(state.effectivePriority, state.config.advertIntervalMs);
  return {
    state: { ...state, resignUntilMs: untilMs, adverAtMs: untilMs },
    actions: [advertNow(state, 0), { type: 'ArmTimer', timer: 'adver', atMs: untilMs }],
  };
}

/**
 * The adver timer is due: advert and re-arm. If it ends a resign (nobody better took over), the
 * VIPs never left, but a peer below us (an owner is not lowered by the operator hold) may have
 * become master meanwhile and announced them, and it yields silently when it hears us: so
 * announce them again too.
 */
export function periodicAdvert(state: MachineState, nowMs: number): StepResult {
  const adverAtMs = nowMs + state.config.advertIntervalMs;
  const actions: VrrpAction[] = [advertNow(state, state.effectivePriority), { type: 'ArmTimer', timer: 'adver', atMs: adverAtMs }];
  if (state.resignUntilMs === null) return { state: { ...state, adverAtMs }, actions };
  actions.push({ type: 'Announce', reason: 'resign_ended' });
  return { state: { ...state, adverAtMs, resignUntilMs: null, lastReannounceAtMs: nowMs }, actions };
}
