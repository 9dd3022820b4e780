/**
 * The VRRPv3 state machine (RFC 9568 §6.4) plus FAULT, as a pure function:
 *   step(state, event, nowMs) -> { state, actions }
 * No clock, no sockets, no logging. Every state change goes through transitionTo(), which emits
 * one Transition action followed by the exit actions of the old state and the entry actions of
 * the new one. The state table this implements is in docs/vrrp.md.
 */
import { compareAddresses } from './address.js';
import type {
  MachineConfig,
  MachineState,
  StepResult,
  TransitionReason,
  VrrpAction,
  VrrpEvent,
  VrrpStateName,
} from './machine-types.js';
import { advertNow, answerInMaster, periodicAdvert, reannounce, screenAdvert, startResign } from './machine-master.js';
import { effectivePriority, masterDownIntervalMs, skewTimeMs } from './timers.js';

export type * from './machine-types.js';

/** A timer event up to this much before its deadline counts as due (host timers can be early). */
export const TIMER_SLACK_MS = 1;
/** Smallest Master_Adver_Interval learned from an advert (a 0 cs advert would spin the timer). */
export const MIN_LEARNED_INTERVAL_MS = 10;

export function initialState(config: MachineConfig): MachineState {
  return {
    config,
    name: 'INIT',
    trackDelta: 0,
    trackFault: false,
    groupFault: false,
    effectivePriority: config.priority,
    masterAdverIntervalMs: config.advertIntervalMs,
    masterDownAtMs: null,
    adverAtMs: null,
    preemptHoldUntilMs: null,
    master: null,
    lastTransition: null,
    lastReplyAtMs: null,
    lastReannounceAtMs: null,
    resignUntilMs: null,
  };
}

const none = (state: MachineState): StepResult => ({ state, actions: [] });

function isFaulted(state: MachineState): boolean {
  return state.trackFault || state.groupFault;
}

function exitActions(state: MachineState, to: VrrpStateName): VrrpAction[] {
  switch (state.name) {
    case 'MASTER': {
      const resign: VrrpAction[] = to === 'BACKUP' ? [] : [advertNow(state, 0)];
      return [{ type: 'CancelTimer', timer: 'adver' }, ...resign, { type: 'RemoveAddresses' }];
    }
    case 'BACKUP':
      return [{ type: 'CancelTimer', timer: 'masterDown' }];
    case 'INIT':
      // Leaving INIT for anything but MASTER: VIPs left by an earlier run (a crash, kill -9) go,
      // or two routers would answer ARP for them.
      return to === 'MASTER' ? [] : [{ type: 'RemoveAddresses' }];
    case 'FAULT':
      return [];
  }
}

/** The one place state changes: Transition, exit actions, entry actions, new deadlines. */
function transitionTo(
  state: MachineState,
  to: VrrpStateName,
  reason: TransitionReason,
  nowMs: number,
  learnedIntervalMs: number = state.config.advertIntervalMs,
): StepResult {
  const cfg = state.config;
  const actions: VrrpAction[] = [
    { type: 'Transition', from: state.name, to, reason, priority: state.effectivePriority },
    ...exitActions(state, to),
  ];
  let next: MachineState = {
    ...state,
    name: to,
    masterDownAtMs: null,
    adverAtMs: null,
    preemptHoldUntilMs: null,
    resignUntilMs: null,
    lastTransition: { from: state.name, to, reason, atMs: nowMs },
  };
  if (to === 'MASTER') {
    const adverAtMs = nowMs + cfg.advertIntervalMs;
    next = {
      ...next,
      adverAtMs,
      lastReplyAtMs: null,
      masterAdverIntervalMs: cfg.advertIntervalMs,
      master: { address: cfg.primaryAddress, priority: state.effectivePriority },
    };
    actions.push(
      advertNow(state, state.effectivePriority),
      { type: 'AddAddresses', acceptMode: cfg.acceptMode },
      { type: 'Announce', reason: 'became_master' },
      { type: 'ArmTimer', timer: 'adver', atMs: adverAtMs },
    );
  } else if (to === 'BACKUP') {
    const masterDownAtMs = nowMs + masterDownIntervalMs(state.effectivePriority, learnedIntervalMs);
    const hold = cfg.preemptDelayMs > 0 ? nowMs + cfg.preemptDelayMs : null;
    next = { ...next, masterDownAtMs, masterAdverIntervalMs: learnedIntervalMs, preemptHoldUntilMs: hold };
    actions.push({ type: 'ArmTimer', timer: 'masterDown', atMs: masterDownAtMs });
  } else {
    next = { ...next, master: to === 'INIT' ? null : state.master };
  }
  return { state: next, actions };
}

function onStartup(state: MachineState, nowMs: number): StepResult {
  if (state.name !== 'INIT') return none(state);
  if (isFaulted(state)) return transitionTo(state, 'FAULT', 'fault', nowMs);
  if (state.config.priority === 255) return transitionTo(state, 'MASTER', 'startup_owner', nowMs);
  return transitionTo(state, 'BACKUP', 'startup', nowMs);
}

function onShutdown(state: MachineState, nowMs: number): StepResult {
  if (state.name === 'INIT') return none(state);
  return transitionTo(state, 'INIT', 'shutdown', nowMs);
}

/** True when an advert from (priority, src) beats this router (RFC: higher priority, or equal
 * priority and larger primary address compared as unsigned big-endian). */
export function advertWins(state: MachineState, priority: number, src: string): boolean {
  if (priority !== state.effectivePriority) return priority > state.effectivePriority;
  return compareAddresses(state.config.family, src, state.config.primaryAddress) > 0;
}

function learnedInterval(maxAdverIntMs: number): number {
  return Math.max(MIN_LEARNED_INTERVAL_MS, maxAdverIntMs);
}

function onAdvertInMaster(
  state: MachineState,
  ev: Extract<VrrpEvent, { type: 'AdvertReceived' }>,
  nowMs: number,
): StepResult {
  if (ev.priority !== 0 && advertWins(state, ev.priority, ev.srcAddress)) {
    const result = transitionTo(state, 'BACKUP', 'higher_priority_advert', nowMs, learnedInterval(ev.maxAdverIntMs));
    return { ...result, state: { ...result.state, master: { address: ev.srcAddress, priority: ev.priority } } };
  }
  // Priority 0 (a peer resigning) and, per RFC 9568, a lower-priority advert: answer at once
  // (at most one reply per interval; none while resigning).
  return answerInMaster(state, ev, nowMs);
}

/** Whether a BACKUP accepts an advert as coming from its master (and so resets its timer). */
function backupAccepts(
  state: MachineState,
  priority: number,
  nowMs: number,
): { accept: boolean; preemptHoldUntilMs: number | null } {
  const cfg = state.config;
  const preempt = cfg.preempt || cfg.priority === 255; // the owner always preempts
  if (!preempt || priority >= state.effectivePriority) return { accept: true, preemptHoldUntilMs: null };
  if (cfg.preemptDelayMs <= 0) return { accept: false, preemptHoldUntilMs: null };
  // preempt_delay: tolerate a lower-priority master for preempt_delay after entering BACKUP or
  // after first hearing it, then stop accepting its adverts so the down timer preempts it.
  const hold = state.preemptHoldUntilMs ?? nowMs + cfg.preemptDelayMs;
  return { accept: nowMs < hold, preemptHoldUntilMs: hold };
}

function onAdvertInBackup(
  state: MachineState,
  ev: Extract<VrrpEvent, { type: 'AdvertReceived' }>,
  nowMs: number,
): StepResult {
  const master = { address: ev.srcAddress, priority: ev.priority };
  if (ev.priority === 0) {
    const masterDownAtMs = nowMs + skewTimeMs(state.effectivePriority, state.masterAdverIntervalMs);
    return {
      state: { ...state, masterDownAtMs, master },
      actions: [{ type: 'ArmTimer', timer: 'masterDown', atMs: masterDownAtMs }],
    };
  }
  const verdict = backupAccepts(state, ev.priority, nowMs);
  if (!verdict.accept) return none({ ...state, preemptHoldUntilMs: verdict.preemptHoldUntilMs, master });
  const interval = learnedInterval(ev.maxAdverIntMs);
  const masterDownAtMs = nowMs + masterDownIntervalMs(state.effectivePriority, interval);
  return {
    state: { ...state, masterAdverIntervalMs: interval, masterDownAtMs, master, preemptHoldUntilMs: verdict.preemptHoldUntilMs },
    actions: [{ type: 'ArmTimer', timer: 'masterDown', atMs: masterDownAtMs }],
  };
}

function onAdvert(
  state: MachineState,
  ev: Extract<VrrpEvent, { type: 'AdvertReceived' }>,
  nowMs: number,
): StepResult {
  // A sibling VRID or our own advert looped back: ignored; a source not allowed: dropped.
  const screened = screenAdvert(state, ev);
  if (screened === null) return none(state);
  if (screened.type === 'Drop') return { state, actions: [screened] };
  const result = onAdvertByState(state, ev, nowMs);
  return { state: result.state, actions: [screened, ...result.actions] };
}

function onAdvertByState(
  state: MachineState,
  ev: Extract<VrrpEvent, { type: 'AdvertReceived' }>,
  nowMs: number,
): StepResult {
  switch (state.name) {
    case 'MASTER':
      return onAdvertInMaster(state, ev, nowMs);
    case 'BACKUP':
      return onAdvertInBackup(state, ev, nowMs);
    case 'FAULT':
      return none({ ...state, master: { address: ev.srcAddress, priority: ev.priority } });
    case 'INIT':
      return none(state);
  }
}

/** A timer event that arrives early (or stale, after a re-arm) only re-arms the real deadline. */
function timerDue(deadline: number | null, nowMs: number): 'due' | 'early' | 'stale' {
  if (deadline === null) return 'stale';
  return nowMs + TIMER_SLACK_MS >= deadline ? 'due' : 'early';
}

function onMasterDownTimer(state: MachineState, nowMs: number): StepResult {
  if (state.name !== 'BACKUP') return none(state);
  const due = timerDue(state.masterDownAtMs, nowMs);
  if (due === 'early' && state.masterDownAtMs !== null) {
    return { state, actions: [{ type: 'ArmTimer', timer: 'masterDown', atMs: state.masterDownAtMs }] };
  }
  if (due === 'stale') return none(state);
  return transitionTo(state, 'MASTER', 'master_down_timer', nowMs);
}

function onAdverTimer(state: MachineState, nowMs: number): StepResult {
  if (state.name !== 'MASTER') return none(state);
  const due = timerDue(state.adverAtMs, nowMs);
  if (due === 'early' && state.adverAtMs !== null) {
    return { state, actions: [{ type: 'ArmTimer', timer: 'adver', atMs: state.adverAtMs }] };
  }
  if (due === 'stale') return none(state);
  // Also the end of a resign that nobody answered: adverts resume, the VIPs never left.
  return periodicAdvert(state, nowMs);
}

/** Apply a new fault/priority picture: enter or leave FAULT, re-advertise a changed priority. */
function reconsider(before: MachineState, state: MachineState, nowMs: number): StepResult {
  const faulted = isFaulted(state);
  if (faulted && (state.name === 'MASTER' || state.name === 'BACKUP')) {
    const reason = state.trackFault ? 'fault' : 'sync_group';
    return transitionTo(state, 'FAULT', reason, nowMs);
  }
  if (!faulted && state.name === 'FAULT') {
    const reason = before.trackFault ? 'fault_cleared' : 'sync_group';
    return transitionTo(state, 'BACKUP', reason, nowMs);
  }
  if (state.name === 'MASTER' && state.resignUntilMs !== null) {
    // Resigning: stay quiet (an advert now would reset a backup's down timer); the new priority
    // is advertised when the resign ends without a takeover.
    return none({ ...state, master: { address: state.config.primaryAddress, priority: state.effectivePriority } });
  }
  if (state.name === 'MASTER' && state.effectivePriority !== before.effectivePriority) {
    const adverAtMs = nowMs + state.config.advertIntervalMs;
    return {
      state: { ...state, adverAtMs, master: { address: state.config.primaryAddress, priority: state.effectivePriority } },
      actions: [advertNow(state, state.effectivePriority), { type: 'ArmTimer', timer: 'adver', atMs: adverAtMs }],
    };
  }
  return none(state);
}

function onTrackChanged(state: MachineState, priorityDelta: number, fault: boolean, nowMs: number): StepResult {
  const next: MachineState = {
    ...state,
    trackDelta: priorityDelta,
    trackFault: fault,
    effectivePriority: effectivePriority(state.config.priority, priorityDelta),
  };
  return reconsider(state, next, nowMs);
}

function onSyncGroupMove(state: MachineState, to: 'MASTER' | 'BACKUP', nowMs: number): StepResult {
  if (to === 'MASTER' && state.name === 'BACKUP') return transitionTo(state, 'MASTER', 'sync_group', nowMs);
  if (to === 'BACKUP' && state.name === 'MASTER') return transitionTo(state, 'BACKUP', 'sync_group', nowMs);
  return none(state);
}

/**
 * A reload changed the instance's settings in place (docs/vrrp.md "Reload"). The state is kept;
 * the effective priority is recomputed with the tracking delta already applied. Only a MASTER
 * acts: a changed effective priority or advert interval is advertised at once and the adver
 * timer re-armed with the new interval. A BACKUP keeps its down timer (its next accepted advert
 * re-arms it with the new skew; a lower-priority master it no longer accepts is preempted when
 * the timer fires, also when it became the owner, 255). INIT and FAULT take the config only.
 */
function onConfigChanged(state: MachineState, config: MachineConfig, nowMs: number): StepResult {
  const next: MachineState = { ...state, config, effectivePriority: effectivePriority(config.priority, state.trackDelta) };
  // Not MASTER, or resigning (an advert now would reset the peer's down timer and stall the
  // hand-over): the settings apply from the next advert.
  if (state.name !== 'MASTER' || state.resignUntilMs !== null) return none(next);
  const priorityChanged = next.effectivePriority !== state.effectivePriority;
  if (!priorityChanged && config.advertIntervalMs === state.config.advertIntervalMs) return none(next);
  const adverAtMs = nowMs + config.advertIntervalMs;
  return {
    state: {
      ...next,
      adverAtMs,
      masterAdverIntervalMs: config.advertIntervalMs,
      master: { address: config.primaryAddress, priority: next.effectivePriority },
    },
    actions: [advertNow(next, next.effectivePriority), { type: 'ArmTimer', timer: 'adver', atMs: adverAtMs }],
  };
}

/** The machine: one event in, the new state and the actions to execute, in order, out. */
export function step(state: MachineState, event: VrrpEvent, nowMs: number): StepResult {
  switch (event.type) {
    case 'Startup':
      return onStartup(state, nowMs);
    case 'Shutdown':
      return onShutdown(state, nowMs);
    case 'AdvertReceived':
      return onAdvert(state, event, nowMs);
    case 'MasterDownTimerFired':
      return onMasterDownTimer(state, nowMs);
    case 'AdverTimerFired':
      return onAdverTimer(state, nowMs);
    case 'TrackChanged':
      return onTrackChanged(state, event.priorityDelta, event.fault, nowMs);
    case 'SyncGroupFault':
      return reconsider(state, { ...state, groupFault: event.fault }, nowMs);
    case 'SyncGroupMove':
      return onSyncGroupMove(state, event.to, nowMs);
    case 'LinkRestored':
      return reannounce(state, 'link_up', nowMs);
    case 'Resign':
      return startResign(state, nowMs);
    case 'ConfigChanged':
      return onConfigChanged(state, event.config, nowMs);
  }
}
