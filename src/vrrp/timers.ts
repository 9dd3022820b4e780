/**
 * VRRP timer arithmetic (pure). RFC 9568 §6.1 defines, in centiseconds:
 *   Skew_Time            = ((256 - Priority) * Active_Adver_Interval) / 256
 *   Active_Down_Interval = 3 * Active_Adver_Interval + Skew_Time
 * The RFC's division is exact here: we keep the fraction instead of truncating to whole
 * centiseconds, so at 1 s and priority 100 the interval is 360.9375 cs = 3609.375 ms (integer
 * arithmetic would say 360 cs). Reasons: at small intervals truncation erases the skew
 * (10 ms interval: skew < 1 cs for every priority, so every backup would fire at the same time),
 * and the clock is fractional milliseconds anyway. Division by 256 is exact in binary floating
 * point, so no rounding error creeps in.
 */

/** Skew_Time in ms for a priority and the (learned) advert interval in ms. */
export function skewTimeMs(priority: number, masterAdverIntervalMs: number): number {
  return ((256 - priority) * masterAdverIntervalMs) / 256;
}

/** Master_Down_Interval (Active_Down_Interval) in ms. */
export function masterDownIntervalMs(priority: number, masterAdverIntervalMs: number): number {
  return 3 * masterAdverIntervalMs + skewTimeMs(priority, masterAdverIntervalMs);
}

/** The same quantities in centiseconds, as the RFC writes them (exact, possibly fractional). */
export function skewTimeCs(priority: number, masterAdverIntervalCs: number): number {
  return ((256 - priority) * masterAdverIntervalCs) / 256;
}

export function masterDownIntervalCs(priority: number, masterAdverIntervalCs: number): number {
  return 3 * masterAdverIntervalCs + skewTimeCs(priority, masterAdverIntervalCs);
}

/**
 * The priority this router advertises after tracking: the configured priority plus the sum of
 * the weights of failed (negative) or healthy (positive) tracked objects, clamped to 1..254.
 * An address owner (255) is never adjusted, as in keepalived.
 */
export function effectivePriority(configuredPriority: number, trackDelta: number): number {
  if (configuredPriority === 255) return 255;
  return Math.min(254, Math.max(1, configuredPriority + trackDelta));
}
