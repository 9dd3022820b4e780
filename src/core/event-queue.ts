/**
 * The daemon's one serialised event queue. Reloads, control commands and
 * (later) VRRP transitions, health changes and timers run here one at a time,
 * in arrival order, so no two of them ever interleave their effects.
 */
import { LvsHaError } from '../core/errors.js';

export class QueueClosedError extends LvsHaError {
  readonly code = 'LVSHA_QUEUE_CLOSED';
}

export interface QueuedTask<T> {
  /** A short label for logs, e.g. 'reload' or 'control:status'. */
  readonly label: string;
  run(): Promise<T> | T;
}

export class EventQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private closed = false;

  /** Run task after everything enqueued before it. Rejects with the task's error, or QueueClosedError after close(). */
  enqueue<T>(task: QueuedTask<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new QueueClosedError(`the daemon is stopping; '${task.label}' was not run`));
    }
    this.pending += 1;
    const result = this.tail.then(() => task.run());
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.tail = settled.then(() => {
      this.pending -= 1;
    });
    return result;
  }

  /** Tasks enqueued and not yet finished. */
  size(): number {
    return this.pending;
  }

  /** Refuse new tasks; resolve once the ones already queued have run. */
  close(): Promise<void> {
    this.closed = true;
    return this.tail.then(() => undefined);
  }

  isClosed(): boolean {
    return this.closed;
  }
}
