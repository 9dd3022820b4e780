/**
 * The scheduler's cheaper paths: one clock timer for all deadlines, checkers
 * with `start` (no AbortSignal), the drain budget and the re-check of a
 * timeout deadline handled late (a stalled process must not turn a run whose
 * answer is waiting into a timeout).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock, type Clock } from '../../../src/core/clock.js';
import type { StartRun } from '../../../src/health/checkers/types.js';
import type { CheckResult, StampedResult } from '../../../src/health/hysteresis.js';
import { CheckScheduler, type ScheduledCheck } from '../../../src/health/scheduler.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

/** A clock whose time and timers move only when the test says so (fires late on purpose). */
class ManualClock implements Clock {
  now = 0;
  timers: { delay: number; fn: () => void }[] = [];
  nowMs(): number { return this.now; }
  wallNow(): Date { return new Date(this.now); }
  setTimer(delayMs: number, fn: () => void): () => void {
    const t = { delay: delayMs, fn };
    this.timers.push(t);
    return () => { this.timers = this.timers.filter((x) => x !== t); };
  }
  /** Fire the one pending timer at time `at` (later than asked: a stall). */
  fireAt(at: number): void {
    const t = this.timers.shift();
    if (!t) throw new Error('no timer pending');
    this.now = at;
    t.fn();
  }
}

/** A start-style check whose runs the test settles; records cancels. */
function startable(key: string, intervalMs: number, timeoutMs: number) {
  const runs: { done: (r: CheckResult) => void; cancelled: string | null }[] = [];
  const start: StartRun = (done) => {
    const run = { done, cancelled: null as string | null };
    runs.push(run);
    return (reason) => {
      run.cancelled = reason.message;
      done({ ok: false, latencyMs: 0, reason: reason.message });
    };
  };
  const check: ScheduledCheck = {
    key, intervalMs, timeoutMs, start,
    run: () => Promise.reject(new Error('run must not be used when start exists')),
  };
  return { check, runs };
}

function scheduler(clock: Clock, results: StampedResult[], starts: string[] = []) {
  return new CheckScheduler({
    clock, random: () => 0,
    onResult: (_k, r) => results.push(r),
    onRunStart: (k) => starts.push(k),
  });
}

describe('CheckScheduler fast paths', () => {
  it('keeps one clock timer for 1,000 checks and their timeouts', async () => {
    const clock = new FakeClock();
    let i = 0;
    const s = new CheckScheduler({ clock, random: () => (i++ % 100) / 100, onResult: () => undefined });
    s.update(Array.from({ length: 1000 }, (_, k) => ({
      key: `c${String(k)}`, intervalMs: 1000, timeoutMs: 500,
      run: () => new Promise<CheckResult>(() => undefined), // never settles: every run times out
    })));
    expect(clock.pendingTimers()).toBe(1);
    for (let t = 0; t < 1500; t += 50) {
      clock.advance(50);
      await flush();
      expect(clock.pendingTimers()).toBeLessThanOrEqual(1);
    }
    s.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('uses start instead of run; the timeout cancels it and a late done is ignored', async () => {
    const clock = new FakeClock();
    const results: StampedResult[] = [];
    const s = scheduler(clock, results);
    const c = startable('t', 1000, 300);
    s.update([c.check]);
    clock.advance(0);
    expect(c.runs).toHaveLength(1);
    clock.advance(299);
    expect(c.runs[0]?.cancelled).toBeNull();
    clock.advance(1);
    expect(c.runs[0]?.cancelled).toBe('timeout after 300 ms');
    expect(results.map((r) => [r.ok, r.reason])).toEqual([[false, 'timeout after 300 ms']]);
    c.runs[0]?.done({ ok: true, latencyMs: 1 }); // a second call after the cancel
    await flush();
    expect(results).toHaveLength(1);
    clock.advance(700);
    expect(c.runs).toHaveLength(2); // next run on schedule at 1000
    c.runs[1]?.done({ ok: true, latencyMs: 2 });
    expect(results[1]?.ok).toBe(true);
    s.stop();
  });

  it('removing a start-style check cancels its run and ignores the result', () => {
    const clock = new FakeClock();
    const results: StampedResult[] = [];
    const s = scheduler(clock, results);
    const c = startable('r', 1000, 5000);
    s.update([c.check]);
    clock.advance(10);
    s.update([]);
    expect(c.runs[0]?.cancelled).toBe('check removed');
    expect(results).toHaveLength(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a timeout handled late is re-checked after I/O: an answer already there counts', () => {
    const clock = new ManualClock();
    const results: StampedResult[] = [];
    const s = scheduler(clock, results);
    const c = startable('late', 1000, 300);
    s.update([c.check]);
    clock.fireAt(0); // run 1 starts
    clock.fireAt(2000); // the process stalled past the timeout (300)
    expect(c.runs[0]?.cancelled).toBeNull(); // not yet: its answer may be waiting
    c.runs[0]?.done({ ok: true, latencyMs: 1 }); // the I/O poll delivers it
    expect(results.map((r) => r.ok)).toEqual([true]);
    s.stop();
  });

  it('a timeout handled late still fires when no answer came after the poll', () => {
    const clock = new ManualClock();
    const results: StampedResult[] = [];
    const s = scheduler(clock, results);
    const c = startable('late', 10_000, 300);
    s.update([c.check]);
    clock.fireAt(0);
    clock.fireAt(2000);
    expect(c.runs[0]?.cancelled).toBeNull();
    clock.fireAt(2001); // the re-check, after a poll with nothing for this run
    expect(c.runs[0]?.cancelled).toBe('timeout after 300 ms');
    expect(results.map((r) => r.reason)).toEqual(['timeout after 300 ms']);
    s.stop();
  });

  it('a drain yields after its time budget and goes on at the next timer', () => {
    const clock = new ManualClock();
    const results: StampedResult[] = [];
    const starts: string[] = [];
    const s = scheduler(clock, results, starts);
    const slow: StartRun = () => { clock.now += 2; return () => undefined; }; // each start costs 2 ms
    s.update(Array.from({ length: 10 }, (_, k) => ({
      key: `s${String(k)}`, intervalMs: 1000, timeoutMs: 900, start: slow,
      run: () => Promise.reject(new Error('unused')),
    })));
    clock.fireAt(0);
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.length).toBeLessThan(10);
    expect(clock.timers[0]?.delay).toBe(0); // the rest is due now: continue at once
    while (starts.length < 10) clock.fireAt(clock.now);
    expect(new Set(starts).size).toBe(10);
    s.stop();
  });

  it('a run that settles takes its timeout out; its deadlines are reused run after run', () => {
    const clock = new ManualClock();
    const results: StampedResult[] = [];
    const s = scheduler(clock, results);
    const c = startable('quick', 1000, 300);
    s.update([c.check]);
    for (let i = 0; i < 3; i++) {
      clock.fireAt(i * 1000);
      expect(c.runs).toHaveLength(i + 1);
      expect(clock.timers[0]?.delay).toBe(300); // the run's timeout
      clock.now = i * 1000 + 10;
      c.runs[i]?.done({ ok: true, latencyMs: 10 });
      expect(clock.timers).toHaveLength(1); // still armed for 300: fires for nothing
      clock.fireAt(i * 1000 + 300);
      expect(c.runs[i]?.cancelled).toBeNull();
      expect(clock.timers[0]?.delay).toBe(700); // then the next start at (i + 1) * 1000
    }
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    s.stop();
    expect(clock.timers).toHaveLength(0);
  });

  it('results of one millisecond share the wall-clock stamp; the next millisecond gets its own', () => {
    const clock = new ManualClock();
    const results: StampedResult[] = [];
    const s = scheduler(clock, results);
    const a = startable('a', 1000, 300);
    const b = startable('b', 1000, 300);
    s.update([a.check, b.check]);
    clock.fireAt(0);
    clock.now = 5.2;
    a.runs[0]?.done({ ok: true, latencyMs: 5 });
    clock.now = 5.9;
    b.runs[0]?.done({ ok: true, latencyMs: 5 });
    expect(results[1]?.at).toBe(results[0]?.at);
    expect(results.map((r) => r.atMs)).toEqual([5.2, 5.9]); // the monotonic stamps stay exact
    clock.fireAt(1000);
    clock.now = 1001.5;
    a.runs[1]?.done({ ok: true, latencyMs: 1 });
    expect(results[2]?.at.getTime()).toBe(1001); // Date keeps whole milliseconds
    expect(results[2]?.at).not.toBe(results[0]?.at);
    s.stop();
  });
});
