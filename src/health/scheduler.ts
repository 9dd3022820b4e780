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
 *
 * Cost (see docs/health-checks.md, Benchmark): every deadline (run starts and
 * run timeouts) lives in one heap and ONE clock timer is armed for the
 * earliest, so 11,000 checks per second cost about one timer per millisecond
 * instead of two timer handles per run. Each check owns its two heap entries
 * (next start, timeout of the run in flight) and reuses them run after run; a
 * run that settles takes its timeout out of the heap at once, and drops its
 * cancel function (which holds the checker's socket). Nothing of a finished
 * run stays reachable until its timeout, so it dies in the young generation
 * instead of being promoted to the old one.
 */
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { StartRun } from './checkers/types.js';
import type { CheckResult, StampedResult } from './hysteresis.js';
import { DeadlineHeap, type HeapEntry } from './timer-heap.js';

export interface ScheduledCheck {
  /** Identity of the check: target plus check configuration (see checkKey). */
  readonly key: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly run: (signal: AbortSignal) => Promise<CheckResult>;
  /** The same run without AbortSignal and promise (cheaper); used instead of run when present. */
  readonly start?: StartRun;
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

class Job {
  stopped = false;
  /** The job's two deadlines, reused for every run (in the heap or not). */
  readonly start: Deadline;
  readonly timeout: Deadline;
  /** Id of the run in flight, 0 when none; a `done` of another run is ignored. */
  run = 0;
  lastRun = 0;
  runStartMs = 0;
  runTimeoutMs = 0;
  timedOut = false;
  /** Cancels the run in flight (the controller's abort for signal-based runs). */
  cancel: ((reason: Error) => void) | null = null;

  constructor(public check: ScheduledCheck, public dueMs: number) {
    this.start = { atMs: dueMs, order: 0, index: -1, job: this, kind: 'start', recheck: false };
    this.timeout = { atMs: 0, order: 0, index: -1, job: this, kind: 'timeout', recheck: false };
  }
}

/** The next start of a job, or the timeout of its run in flight. */
interface Deadline extends HeapEntry {
  atMs: number;
  readonly job: Job;
  readonly kind: 'start' | 'timeout';
  /** A timeout deadline that came out late and was put back once so that I/O is polled first. */
  recheck: boolean;
}

/** One drain handles due deadlines for at most this long, then yields to I/O. */
const DRAIN_BUDGET_MS = 5;
/** A timeout deadline handled later than this is re-checked after the next I/O poll. */
const LATE_TIMEOUT_MS = 5;

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
  private readonly deadlines = new DeadlineHeap<Deadline>();
  private cancelTimer: (() => void) | null = null;
  private timerAtMs = Infinity;
  /** The last wall-clock stamp and the millisecond of the monotonic clock it is for. */
  private wallMs = NaN;
  private wall = new Date(0);

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
    const now = this.options.clock.nowMs();
    for (const [key, check] of wanted) {
      const job = this.jobs.get(key);
      if (job) {
        job.check = check;
        kept.push(key);
        continue;
      }
      const fresh = new Job(check, now + this.options.random() * check.intervalMs);
      this.jobs.set(key, fresh);
      this.scheduleStart(fresh);
      added.push(key);
    }
    if (this.jobs.size === 0) this.clearDeadlines();
    this.armTimer();
    return { added, kept, removed };
  }

  /** Stop every check (in-flight runs are aborted and their results ignored). */
  stop(): void {
    for (const job of this.jobs.values()) this.stopJob(job);
    this.jobs.clear();
    this.clearDeadlines();
  }

  keys(): string[] {
    return [...this.jobs.keys()];
  }

  isRunning(key: string): boolean {
    const run = this.jobs.get(key)?.run;
    return run !== undefined && run !== 0;
  }

  private stopJob(job: Job): void {
    job.stopped = true;
    this.deadlines.remove(job.start);
    this.deadlines.remove(job.timeout);
    const cancel = job.cancel;
    job.run = 0;
    job.cancel = null;
    cancel?.(new Error('check removed'));
  }

  private clearDeadlines(): void {
    this.deadlines.clear();
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAtMs = Infinity;
  }

  private scheduleStart(job: Job): void {
    job.start.atMs = job.dueMs;
    this.deadlines.push(job.start);
  }

  /** Arm the one clock timer for the earliest deadline (unless it already fires by then). */
  private armTimer(): void {
    const top = this.deadlines.peek();
    if (top === undefined) {
      this.clearDeadlines();
      return;
    }
    if (this.cancelTimer !== null && this.timerAtMs <= top.atMs) return;
    this.cancelTimer?.();
    const { clock } = this.options;
    // whole milliseconds: fractional delays would give every timer its own Node timer list
    const delay = Math.max(0, Math.ceil(top.atMs - clock.nowMs()));
    this.timerAtMs = top.atMs;
    this.cancelTimer = clock.setTimer(delay, () => {
      this.cancelTimer = null;
      this.timerAtMs = Infinity;
      this.drain();
    });
  }

  /**
   * Handle the deadlines due when the timer fired, then re-arm. Two guards for
   * a process that was stalled (GC, a loaded machine): a drain stops after
   * DRAIN_BUDGET_MS and continues on the next timer, so that connection
   * events are polled in between; and a timeout deadline handled more than
   * LATE_TIMEOUT_MS late is looked at again after that poll, so that a run
   * whose answer is already waiting is not declared a timeout because of our
   * own stall. Timers fire in the timers phase, before I/O is polled.
   */
  private drain(): void {
    const { clock } = this.options;
    const nowMs = clock.nowMs();
    for (;;) {
      const top = this.deadlines.peek();
      if (top === undefined || top.atMs > nowMs) break;
      if (clock.nowMs() - nowMs > DRAIN_BUDGET_MS) break;
      this.deadlines.pop();
      const job = top.job;
      if (top.kind === 'start') {
        if (!job.stopped) this.fire(job);
        continue;
      }
      if (job.run === 0) continue; // settled meanwhile (a settled run takes its timeout out)
      if (!top.recheck && nowMs - top.atMs > LATE_TIMEOUT_MS) {
        top.atMs = nowMs + 0.001;
        top.recheck = true;
        this.deadlines.push(top);
        continue;
      }
      job.timedOut = true;
      job.cancel?.(new CheckTimeoutReason(job.runTimeoutMs));
    }
    this.armTimer();
  }

  private fire(job: Job): void {
    const { clock } = this.options;
    const check = job.check;
    const startMs = clock.nowMs();
    this.options.onRunStart?.(check.key, startMs - job.dueMs);
    const run = ++job.lastRun;
    job.run = run;
    job.runStartMs = startMs;
    job.runTimeoutMs = check.timeoutMs;
    job.timedOut = false;
    job.cancel = null;
    job.timeout.atMs = startMs + check.timeoutMs;
    job.timeout.recheck = false;
    this.deadlines.push(job.timeout);
    const failed = (err: unknown): void => {
      this.settle(job, run, { ok: false, latencyMs: this.options.clock.nowMs() - startMs, reason: describeError(err) });
    };
    try {
      if (check.start) {
        const cancel = check.start((result) => { this.settle(job, run, result); });
        if (job.run === run) job.cancel = cancel; // not when it already settled synchronously
        return;
      }
      const controller = new AbortController();
      job.cancel = (reason) => { controller.abort(reason); };
      check.run(controller.signal).then((result) => { this.settle(job, run, result); }, failed);
    } catch (err) {
      queueMicrotask(() => { failed(err); });
    }
  }

  private settle(job: Job, run: number, result: CheckResult): void {
    if (job.stopped || job.run !== run) return;
    job.run = 0;
    // drop the cancel closure (it holds the run's socket) and the timeout deadline now
    job.cancel = null;
    this.deadlines.remove(job.timeout);
    const key = job.check.key;
    const endMs = this.options.clock.nowMs();
    const stamped: StampedResult = job.timedOut
      ? { ok: false, latencyMs: endMs - job.runStartMs, reason: `timeout after ${String(job.runTimeoutMs)} ms`, atMs: endMs, at: this.wallAt(endMs) }
      : stamp(result, endMs, this.wallAt(endMs));
    this.options.onResult(key, stamped);
    // onResult may have reconciled the checks (a reload): only re-arm a job still current
    if (this.jobs.get(key) !== job) return;
    const next = job.dueMs + job.check.intervalMs;
    job.dueMs = next < endMs ? endMs : next;
    this.scheduleStart(job);
    this.armTimer();
  }

  /**
   * The wall-clock time for a result completed at monotonic `atMs`: one Date
   * per millisecond, shared by the results of that millisecond (about 11 at
   * 11,000 checks per second; each Date lives until the check's next result).
   */
  private wallAt(atMs: number): Date {
    const ms = Math.floor(atMs);
    if (ms !== this.wallMs) {
      this.wallMs = ms;
      this.wall = this.options.clock.wallNow();
    }
    return this.wall;
  }
}

function stamp(result: CheckResult, atMs: number, at: Date): StampedResult {
  const out: { -readonly [K in keyof StampedResult]: StampedResult[K] } = { ok: result.ok, latencyMs: result.latencyMs, atMs, at };
  if (result.reason !== undefined) out.reason = result.reason;
  if (result.weight !== undefined) out.weight = result.weight;
  return out;
}
