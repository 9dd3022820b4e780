import type { CheckResult } from '../hysteresis.js';

/**
 * The cheaper form of a run, for checkers that offer it (tcp, http/https): start the run
 * and return a cancel function; `done` is called exactly once, also after a
 * cancel (with a failure whose reason is the cancel reason's message). No
 * AbortSignal, no promise: at 10,000 checks per second these showed in the
 * profile (docs/health-checks.md, Benchmark).
 */
export type StartRun = (done: (result: CheckResult) => void) => (reason: Error) => void;

/**
 * One run of a check: resolves (never rejects, by convention) with the
 * outcome. The scheduler uses `start` instead when the checker has one.
 */
export type Checker = ((signal: AbortSignal) => Promise<CheckResult>) & { readonly start?: StartRun };

/** Monotonic milliseconds, from the injected clock. */
export type NowMs = () => number;

/** Text of an abort reason, for result reasons. */
export function abortText(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return 'aborted';
}

/** The signal-based form of a StartRun: what callers without the scheduler use. */
export function withSignal(start: StartRun): Checker {
  const run = (signal: AbortSignal): Promise<CheckResult> => new Promise<CheckResult>((resolve) => {
    if (signal.aborted) {
      resolve({ ok: false, latencyMs: 0, reason: abortText(signal) });
      return;
    }
    let cancel: ((reason: Error) => void) | null = null;
    const onAbort = (): void => {
      cancel?.(new Error(abortText(signal)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    cancel = start((result) => {
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    });
  });
  return Object.assign(run, { start });
}

/**
 * The deadline a checker sets itself (dns, udp, icmp), a little before the
 * scheduler's `timeout`: 10% of it earlier, at most 50 ms. A run the
 * scheduler cancels is recorded as `timeout after N ms` whatever it says, so
 * a checker whose verdict at the deadline is its own (udp without a reply
 * expectation: success; icmp: `1 of 3 echo replies`; dns: `no reply`) must
 * decide before the scheduler does.
 */
export function ownDeadlineMs(timeoutMs: number): number {
  return Math.max(1, timeoutMs - Math.min(50, Math.ceil(timeoutMs / 10)));
}

/** An errno-style code of an error, else its message. */
export function errorCode(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : err.message;
  }
  return String(err);
}
