/**
 * Exact rise/fall hysteresis for one health-check target (pure).
 *
 * Rule (also in docs/health-checks.md):
 * - A target starts `unknown`. It leaves `unknown` by the same rule as any
 *   other state: `up` after exactly `rise` consecutive successes, `down` after
 *   exactly `fall` consecutive failures. Whichever streak completes first wins.
 * - From `up`, exactly `fall` consecutive failures mark it `down`; a success
 *   resets the failure streak. From `down`, exactly `rise` consecutive
 *   successes mark it `up`; a failure resets the success streak.
 * - Streak counters keep counting past the threshold (for status), and a
 *   streak of the other kind resets them to zero.
 */

export type HealthState = 'unknown' | 'up' | 'down';

/** The outcome of one check run. */
export interface CheckResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** Why the check failed (or a note on success). */
  readonly reason?: string;
  /** Dynamic weight reported by the check (exec checks with dynamic weight). */
  readonly weight?: number;
}

/** A check result stamped with the time it completed. */
export interface StampedResult extends CheckResult {
  /** Monotonic completion time (Clock.nowMs). */
  readonly atMs: number;
  /** Wall-clock completion time, for display. */
  readonly at: Date;
}

export interface TargetHealth {
  readonly state: HealthState;
  /** Wall time of the last state change (or of creation while unknown). */
  readonly since: Date;
  readonly consecutiveOk: number;
  readonly consecutiveFail: number;
  readonly last: StampedResult | null;
  /** Latest dynamic weight reported by a successful check, if any. */
  readonly weight: number | null;
}

export interface HealthTransition {
  readonly from: HealthState;
  readonly to: Exclude<HealthState, 'unknown'>;
  readonly reason: string;
}

export interface Thresholds {
  readonly rise: number;
  readonly fall: number;
}

export function initialHealth(now: Date): TargetHealth {
  return { state: 'unknown', since: now, consecutiveOk: 0, consecutiveFail: 0, last: null, weight: null };
}

/** Fold one result into the health of a target (pure: a new object). */
export function applyResult(
  health: TargetHealth,
  result: StampedResult,
  thresholds: Thresholds,
): { health: TargetHealth; transition: HealthTransition | null } {
  const next: MutableTargetHealth = { ...health };
  const transition = applyResultInPlace(next, result, thresholds);
  return { health: next, transition };
}

/** A TargetHealth its owner updates in place. */
export type MutableTargetHealth = { -readonly [K in keyof TargetHealth]: TargetHealth[K] };

/**
 * The same rule, folded into `health` itself: the health service keeps one
 * object per target instead of a new one per result (at 11,000 checks per
 * second each lived one interval, long enough to be promoted to the old
 * generation). Returns the transition, if any.
 */
export function applyResultInPlace(health: MutableTargetHealth, result: StampedResult, thresholds: Thresholds): HealthTransition | null {
  const rise = Math.max(1, thresholds.rise);
  const fall = Math.max(1, thresholds.fall);
  const from = health.state;
  const consecutiveOk = result.ok ? health.consecutiveOk + 1 : 0;
  const consecutiveFail = result.ok ? 0 : health.consecutiveFail + 1;
  let to: HealthState = from;
  if (result.ok && from !== 'up' && consecutiveOk >= rise) to = 'up';
  if (!result.ok && from !== 'down' && consecutiveFail >= fall) to = 'down';
  health.consecutiveOk = consecutiveOk;
  health.consecutiveFail = consecutiveFail;
  health.last = result;
  if (result.ok && result.weight !== undefined) health.weight = result.weight;
  if (to === from || to === 'unknown') return null;
  health.state = to;
  health.since = result.at;
  const reason = result.ok
    ? `${String(consecutiveOk)} consecutive successful checks`
    : `${String(consecutiveFail)} consecutive failed checks: ${result.reason ?? 'check failed'}`;
  return { from, to, reason };
}
