import type { CheckResult } from '../hysteresis.js';

/** One run of a check: resolves (never rejects, by convention) with the outcome. */
export type Checker = (signal: AbortSignal) => Promise<CheckResult>;

/** Monotonic milliseconds, from the injected clock. */
export type NowMs = () => number;

/** Text of an abort reason, for result reasons. */
export function abortText(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return 'aborted';
}
