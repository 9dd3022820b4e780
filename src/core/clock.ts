/**
 * The one clock. Every timer in lvs-ha goes through a Clock so that the pure
 * core can be driven by a fake clock in tests and never reads the wall clock
 * for intervals (wall-clock jumps must not fire or stall timers).
 */
export interface Clock {
  /** Monotonic milliseconds (fractional), for deadlines and intervals. */
  nowMs(): number;
  /** Wall-clock time, for display and timestamps only. */
  wallNow(): Date;
  /** Run fn once after delayMs; returns a cancel function. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowMs: () => performance.now(),
  wallNow: () => new Date(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return () => {
      clearTimeout(handle);
    };
  },
};

interface PendingTimer {
  id: number;
  atMs: number;
  fn: () => void;
}

/** A deterministic clock for unit tests: time moves only when advance() is called. */
export class FakeClock implements Clock {
  private now: number;
  private readonly wallStartMs: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(startMs = 0, wallStart = new Date('2026-01-01T00:00:00Z')) {
    this.now = startMs;
    this.wallStartMs = wallStart.getTime() - startMs;
  }

  nowMs(): number {
    return this.now;
  }

  wallNow(): Date {
    return new Date(this.wallStartMs + this.now);
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer = { id: this.nextId++, atMs: this.now + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t.id !== timer.id);
    };
  }

  /** Move time forward, firing due timers in deadline order (ties: creation order). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => t.atMs <= target)
        .sort((a, b) => a.atMs - b.atMs || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.now = due.atMs;
      due.fn();
    }
    this.now = target;
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}
