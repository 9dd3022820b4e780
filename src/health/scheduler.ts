/**
 * Runs health checks on the injected clock.
 *
 * - Each check has its own interval and timeout; the first run of a new check
 *   is spread over [0, interval) with an injected random source so that
 *   thousands of checks do not fire together.
 * - Two runs of the same check never overlap: the next run is due one
 *   interval after the previous due time, or immediately after the previous
 *   run settles when it outlasted its interval (no burst of catch-up runs).
 * - Every run gets an AbortSignal that aborts at the timeout; a run that
 *   settles after its signal aborted is reported as a timeout failure.
 * - update() reconciles the set of checks by key: unchanged keys keep their
 *   timers and in-flight runs, new keys are added, missing keys are stopped.
 */
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { CheckResult, StampedResult } from './hysteresis.js';

export interface ScheduledCheck {
  /** Identity of the check: target plus check configuration (see checkKey). */
  readonly key: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly run: (signal: AbortSignal) => Promise<CheckResult>;
}

export interface SchedulerOptions {
  readonly clock: Clock;
  /** Uniform in [0, 1); Math.random in production, a seeded source in tests. */
  readonly random: () => number;
  readonly onResult: (key: string, result: StampedResult) => void;
  /** Called when a run starts, with how late it is against its schedule. */
  readonly onRunStart?: (key: string, latenessMs: number) => void;
}

export interface UpdateSummary {
  readonly added: readonly string[];
  readonly kept: readonly string[];
  readonly removed: readonly string[];
}

interface Job {
  check: ScheduledCheck;
  dueMs: number;
  cancelTimer: (() => void) | null;
  inFlight: AbortController | null;
  stopped: boolean;
}

/** The reason a run's signal aborts at its timeout. */
export class CheckTimeoutReason extends Error {
  readonly code = 'LVSHA_CHECK_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`timeout after ${String(timeoutMs)} ms`);
    this.name = 'CheckTimeoutReason';
  }
}

export class CheckScheduler {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly options: SchedulerOptions) {}

  /** Replace the set of checks; keeps the state of checks whose key is unchanged. */
  update(checks: readonly ScheduledCheck[]): UpdateSummary {
    const wanted = new Map(checks.map((c) => [c.key, c]));
    const added: string[] = [];
    const kept: string[] = [];
    const removed: string[] = [];
    for (const [key, job] of this.jobs) {
      if (!wanted.has(key)) {
        this.stopJob(job);
        this.jobs.delete(key);
        removed.push(key);
      }
    }
    for (const [key, check] of wanted) {
      const job = this.jobs.get(key);
      if (job) {
        job.check = check;
        kept.push(key);
        continue;
      }
      const spreadMs = this.options.random() * check.intervalMs;
      const fresh: Job = { check, dueMs: this.options.clock.nowMs() + spreadMs, cancelTimer: null, inFlight: null, stopped: false };
      this.jobs.set(key, fresh);
      this.arm(fresh);
      added.push(key);
    }
    return { added, kept, removed };
  }

  /** Stop every check (in-flight runs are aborted and their results ignored). */
  stop(): void {
    for (const job of this.jobs.values()) this.stopJob(job);
    this.jobs.clear();
  }

  keys(): string[] {
    return [...this.jobs.keys()];
  }

  isRunning(key: string): boolean {
    return this.jobs.get(key)?.inFlight != null;
  }

  private stopJob(job: Job): void {
    job.stopped = true;
    job.cancelTimer?.();
    job.cancelTimer = null;
    job.inFlight?.abort(new Error('check removed'));
    job.inFlight = null;
  }

  private arm(job: Job): void {
    const delay = job.dueMs - this.options.clock.nowMs();
    job.cancelTimer = this.options.clock.setTimer(delay, () => {
      job.cancelTimer = null;
      this.fire(job);
    });
  }

  private fire(job: Job): void {
    if (job.stopped) return;
    const { clock } = this.options;
    const check = job.check;
    const startMs = clock.nowMs();
    this.options.onRunStart?.(check.key, startMs - job.dueMs);
    const controller = new AbortController();
    job.inFlight = controller;
    const cancelTimeout = clock.setTimer(check.timeoutMs, () => {
      controller.abort(new CheckTimeoutReason(check.timeoutMs));
    });
    const settle = (result: CheckResult): void => {
      cancelTimeout();
      if (job.stopped || job.inFlight !== controller) return;
      job.inFlight = null;
      const endMs = clock.nowMs();
      const timedOut = controller.signal.reason instanceof CheckTimeoutReason;
      const final: CheckResult = timedOut
        ? { ok: false, latencyMs: endMs - startMs, reason: `timeout after ${String(check.timeoutMs)} ms` }
        : result;
      this.options.onResult(check.key, { ...final, atMs: endMs, at: clock.wallNow() });
      // onResult may have reconciled the checks (a reload): only re-arm a job still current
      if (this.jobs.get(check.key) !== job) return;
      const next = job.dueMs + job.check.intervalMs;
      job.dueMs = next < endMs ? endMs : next;
      this.arm(job);
    };
    let promise: Promise<CheckResult>;
    try {
      promise = check.run(controller.signal);
    } catch (err) {
      promise = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    promise.then(settle, (err: unknown) => {
      settle({ ok: false, latencyMs: clock.nowMs() - startMs, reason: describeError(err) });
    });
  }
}
