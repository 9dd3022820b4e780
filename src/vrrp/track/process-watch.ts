/**
 * One /proc scan per interval for every tracked process of every instance (ProcessWatch), run in
 * a worker thread (ProcessScanner) so the VRRP event loop only receives the counts: a scan of a
 * few thousand processes takes tens of milliseconds of reads, which must never sit between two
 * adverts (docs/vrrp.md, "Tracking routes, processes and files").
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TrackProcess } from '../../config/types.js';
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { patternKey, patternOf, type ProcessPattern, type ScanResult } from './processes.js';

/** A scan that takes longer than this (a /proc read stuck on a hung process) is abandoned. */
export const SCAN_TIMEOUT_MS = 5000;

export type ScanFn = (patterns: readonly ProcessPattern[]) => Promise<ScanResult>;

/** Nice value of the scan thread: below the daemon, so a scan yields to everything else. */
export const SCAN_NICE = 10;

/** The scheduling policy of a thread (field 41 of its stat): 0 normal, 1 FIFO, 2 RR, ... */
async function threadPolicy(tid: number): Promise<number> {
  const text = await readFile(`/proc/self/task/${String(tid)}/stat`, 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(rest[38] ?? 0);
}

/**
 * Take the scan thread out of real-time scheduling (it inherits SCHED_RR from the isolate's main
 * thread: chrt, argv only, as the isolate's own tuning) and lower its nice value. Best effort:
 * a failure is returned for the log.
 */
export async function demoteThread(tid: number): Promise<string | null> {
  try {
    const policy = await threadPolicy(tid);
    if (policy === 1 || policy === 2) {
      await new Promise<void>((resolve, reject) => {
        execFile('chrt', ['--other', '--pid', '0', String(tid)], { timeout: 5000 }, (err) => {
          if (err) reject(new Error(`chrt: ${err.message}`));
          else resolve();
        });
      });
    }
    setPriority(tid, SCAN_NICE);
    return null;
  } catch (err) {
    return describeError(err);
  }
}

interface Reply {
  readonly tid?: number;
  readonly id: number;
  readonly ok: boolean;
  readonly result?: ScanResult;
  readonly error?: string;
}

/** The worker thread, started on first use; replaced when a scan does not come back in time. */
export class ProcessScanner {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ScanResult) => void; reject: (e: Error) => void; cancel: () => void }>();

  constructor(
    private readonly clock: Clock,
    /** Called with the worker's thread id when it starts (production: demoteThread, logged). */
    private readonly onThread?: (tid: number) => void,
    private readonly procRoot?: string,
  ) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./process-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: Reply) => {
      if (reply.tid !== undefined) {
        this.onThread?.(reply.tid);
        return;
      }
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      p.cancel();
      if (reply.ok && reply.result) p.resolve(reply.result);
      else p.reject(new Error(reply.error ?? 'scan failed'));
    });
    worker.on('error', (err) => {
      this.drop(worker, err);
    });
    worker.on('exit', () => {
      this.drop(worker, new Error('process scanner exited'));
    });
    this.worker = worker;
    return worker;
  }

  /** Forget a worker and fail what waited on it (the next scan starts a fresh one). */
  private drop(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    void worker.terminate();
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      p.cancel();
      p.reject(err);
    }
  }

  scan(patterns: readonly ProcessPattern[]): Promise<ScanResult> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const cancel = this.clock.setTimer(SCAN_TIMEOUT_MS, () => {
        this.drop(worker, new Error(`no answer from the /proc scan within ${String(SCAN_TIMEOUT_MS)} ms`));
      });
      this.pending.set(id, { resolve, reject, cancel });
      worker.postMessage({ id, patterns, ...(this.procRoot ? { procRoot: this.procRoot } : {}) });
    });
  }

  close(): void {
    const worker = this.worker;
    if (worker) this.drop(worker, new Error('process scanner closed'));
  }
}

export interface ProcessSubscriber {
  readonly processes: readonly TrackProcess[];
  /** The count per tracked process name, after each scan. */
  readonly onCounts: (counts: ReadonlyMap<string, number>) => void;
}

/** Schedules scans for all subscribers: one scan every min(interval) of what they track. */
export class ProcessWatch {
  private readonly subscribers = new Map<string, ProcessSubscriber>();
  private cancelTimer: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private failing: string | null = null;
  lastScan: { processes: number; elapsedMs: number } | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly scan: ScanFn,
  ) {}

  /** Set (or, with no processes, remove) what one owner tracks. */
  set(owner: string, sub: ProcessSubscriber): void {
    if (sub.processes.length === 0) this.subscribers.delete(owner);
    else this.subscribers.set(owner, sub);
    if (this.subscribers.size === 0) {
      this.cancelTimer?.();
      this.cancelTimer = null;
    } else if (!this.cancelTimer && !this.running) this.schedule(0);
  }

  remove(owner: string): void {
    this.set(owner, { processes: [], onCounts: () => undefined });
  }

  private intervalMs(): number {
    const all = [...this.subscribers.values()].flatMap((s) => s.processes.map((p) => p.intervalMs));
    return all.length === 0 ? 1000 : Math.min(...all);
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.subscribers.size === 0) return;
    this.cancelTimer?.();
    this.cancelTimer = this.clock.setTimer(delayMs, () => {
      this.cancelTimer = null;
      void this.refresh();
    });
  }

  /** Scan now (joins a scan in flight) and deliver the counts; then the next scan an interval later. */
  refresh(): Promise<void> {
    this.running ??= this.runOnce().finally(() => {
      this.running = null;
      this.schedule(this.intervalMs());
    });
    return this.running;
  }

  private async runOnce(): Promise<void> {
    const subs = [...this.subscribers.values()];
    const patterns = new Map<string, ProcessPattern>();
    for (const s of subs) for (const p of s.processes) patterns.set(patternKey(patternOf(p)), patternOf(p));
    if (patterns.size === 0) return;
    let result: ScanResult;
    try {
      result = await this.scan([...patterns.values()]);
    } catch (err) {
      const message = describeError(err);
      if (message !== this.failing) this.log.error({ err: message }, 'process scan failed; tracked processes keep their last state');
      this.failing = message;
      return;
    }
    if (this.failing !== null) this.log.info({ was: this.failing }, 'process scan works again');
    this.failing = null;
    this.lastScan = { processes: result.processes, elapsedMs: result.elapsedMs };
    if (this.closed) return;
    for (const s of subs) {
      if (![...this.subscribers.values()].includes(s)) continue; // replaced meanwhile
      const counts = new Map(s.processes.map((p) => [p.name, result.counts[patternKey(patternOf(p))] ?? 0]));
      s.onCounts(counts);
    }
  }

  close(): void {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.subscribers.clear();
  }
}
