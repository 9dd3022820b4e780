/**
 * The scheduler's reused heap entries under churn: 200 start-style checks
 * whose runs settle at random times (a tenth never, so their timeouts fire),
 * with reloads that remove and re-add checks, on the fake clock. Whatever
 * the interleaving: runs of one check never overlap, every run ends exactly
 * once (settled, or timed out at its timeout), removed checks have no run left,
 * and one clock timer at most is pending.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { StartRun } from '../../../src/health/checkers/types.js';
import type { CheckResult, StampedResult } from '../../../src/health/hysteresis.js';
import { CheckScheduler, type ScheduledCheck } from '../../../src/health/scheduler.js';

interface Run { key: string; startMs: number; done: ((r: CheckResult) => void) | null; ended: number }

describe('CheckScheduler under churn (fake clock)', () => {
  it('keeps its invariants with random settle times, timeouts and reloads', () => {
    let seed = 42;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const clock = new FakeClock();
    const results: { key: string; r: StampedResult }[] = [];
    const s = new CheckScheduler({ clock, random: rnd, onResult: (key, r) => results.push({ key, r }) });
    const open = new Map<string, Run>(); // the run in flight per key, as the checker sees it
    const runs: Run[] = [];
    const checkOf = (key: string, intervalMs: number, timeoutMs: number): ScheduledCheck => {
      const start: StartRun = (done) => {
        expect(open.has(key)).toBe(false); // never two runs of one check at once
        const run: Run = { key, startMs: clock.nowMs(), done, ended: 0 };
        open.set(key, run);
        runs.push(run);
        return (reason) => { end(run, { ok: false, latencyMs: 0, reason: reason.message }); };
      };
      return { key, intervalMs, timeoutMs, start, run: () => Promise.reject(new Error('unused')) };
    };
    const end = (run: Run, r: CheckResult): void => {
      run.ended += 1;
      if (open.get(run.key) === run) open.delete(run.key);
      const done = run.done;
      run.done = null;
      done?.(r);
    };
    const all = Array.from({ length: 200 }, (_, i) => checkOf(`c${String(i)}`, 100 + (i % 7) * 20, 50 + (i % 5) * 10));
    let active = all;
    s.update(active);
    for (let step = 0; step < 400; step++) {
      clock.advance(5);
      for (const run of [...open.values()]) {
        if (Number(run.key.slice(1)) % 10 === 0) continue; // these never answer: every run times out
        const x = rnd();
        if (x < 0.3) end(run, { ok: x < 0.2, latencyMs: clock.nowMs() - run.startMs }); // else: wait, maybe time out
      }
      if (step % 50 === 25) {
        active = all.filter(() => rnd() < 0.8); // a reload: about a fifth removed, the rest kept or re-added
        const summary = s.update(active);
        for (const key of summary.removed) expect(open.has(key)).toBe(false); // cancelled
      }
      expect(clock.pendingTimers()).toBeLessThanOrEqual(1);
    }
    expect(runs.length).toBeGreaterThan(2000);
    expect(runs.filter((r) => r.ended > 1)).toEqual([]);
    const timeouts = results.filter((x) => x.r.reason?.startsWith('timeout after'));
    expect(timeouts.length).toBeGreaterThan(100);
    for (const t of timeouts) {
      const timeoutMs = 50 + (Number(t.key.slice(1)) % 5) * 10;
      expect(t.r.reason).toBe(`timeout after ${String(timeoutMs)} ms`);
      // cancelled at its timeout (the one timer is armed in whole milliseconds: up to 1 ms later)
      expect(t.r.latencyMs).toBeGreaterThanOrEqual(timeoutMs);
      expect(t.r.latencyMs).toBeLessThan(timeoutMs + 1);
    }
    const activeKeys = new Set(active.map((c) => c.key));
    expect(results.every((x) => x.r.reason !== 'check removed')).toBe(true); // removed runs report nothing
    s.stop();
    expect(open.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(activeKeys.size).toBeGreaterThan(100);
  });
});
