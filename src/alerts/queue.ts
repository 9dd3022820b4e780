/**
 * One sink's delivery queue: bounded, delivered one at a time in order, with
 * retries and capped exponential backoff on the injected clock. Enqueueing
 * never waits, so a slow or dead endpoint never delays checks or other sinks.
 * When full, the oldest queued alert is dropped (the newest state matters most).
 */
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { AlertPayload } from './events.js';

/** The outcome of one delivery attempt. */
export type Attempt = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retryable: boolean };

export type Deliver = (payload: AlertPayload, signal: AbortSignal) => Promise<Attempt>;

export interface SinkCounters {
  sent: number;
  failed: number;
  dropped: number;
  deduplicated: number;
  retries: number;
}

export interface QueueOptions {
  readonly clock: Clock;
  readonly deliver: Deliver;
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly maxQueue: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  readonly onFailure: (payload: AlertPayload, reason: string) => void;
}

export const DEFAULT_QUEUE = { maxQueue: 256, backoffBaseMs: 500, backoffCapMs: 30_000 } as const;

/** Backoff before retry n (1-based): base * 2^(n-1), capped. */
export function backoffMs(retry: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
}

export class SinkQueue {
  readonly counters: SinkCounters = { sent: 0, failed: 0, dropped: 0, deduplicated: 0, retries: 0 };
  private readonly items: AlertPayload[] = [];
  private busy = false;
  private closed = false;
  private cancelWait: (() => void) | null = null;
  private inFlight: AbortController | null = null;

  constructor(private readonly options: QueueOptions) {}

  get length(): number {
    return this.items.length;
  }

  enqueue(payload: AlertPayload): void {
    if (this.closed) return;
    if (this.items.length >= this.options.maxQueue) {
      this.items.shift();
      this.counters.dropped += 1;
    }
    this.items.push(payload);
    if (!this.busy) void this.drain();
  }

  /** Stop delivering; queued alerts are counted as dropped. */
  close(): void {
    this.closed = true;
    this.counters.dropped += this.items.length;
    this.items.length = 0;
    this.cancelWait?.();
    this.inFlight?.abort(new Error('sink closed'));
  }

  /** A method, not a field read, so checks after an await are not narrowed away. */
  private isClosed(): boolean {
    return this.closed;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (let next = this.items.shift(); next !== undefined && !this.closed; next = this.items.shift()) {
        await this.deliverWithRetries(next);
      }
    } finally {
      this.busy = false;
    }
  }

  private async deliverWithRetries(payload: AlertPayload): Promise<void> {
    const { retries, backoffBaseMs, backoffCapMs } = this.options;
    let reason = 'not attempted';
    for (let attempt = 0; attempt <= retries && !this.closed; attempt++) {
      if (attempt > 0) {
        this.counters.retries += 1;
        await this.wait(backoffMs(attempt, backoffBaseMs, backoffCapMs));
        if (this.isClosed()) break;
      }
      const result = await this.attempt(payload);
      if (result.ok) {
        this.counters.sent += 1;
        return;
      }
      reason = result.reason;
      if (!result.retryable) break;
    }
    this.counters.failed += 1;
    this.options.onFailure(payload, reason);
  }

  private async attempt(payload: AlertPayload): Promise<Attempt> {
    const controller = new AbortController();
    this.inFlight = controller;
    const cancel = this.options.clock.setTimer(this.options.timeoutMs, () => {
      controller.abort(new Error(`timeout after ${String(this.options.timeoutMs)} ms`));
    });
    try {
      const result = await this.options.deliver(payload, controller.signal);
      if (!result.ok && controller.signal.aborted) return { ok: false, reason: abortReason(controller.signal), retryable: true };
      return result;
    } catch (err) {
      const reason = controller.signal.aborted ? abortReason(controller.signal) : describeError(err);
      return { ok: false, reason, retryable: true };
    } finally {
      cancel();
      this.inFlight = null;
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.options.clock.setTimer(ms, () => {
        this.cancelWait = null;
        resolve();
      });
      this.cancelWait = () => {
        cancel();
        this.cancelWait = null;
        resolve();
      };
    });
  }
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : 'aborted';
}
