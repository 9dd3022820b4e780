import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { CheckResult, StampedResult } from '../../../src/health/hysteresis.js';
import { CheckScheduler, type ScheduledCheck } from '../../../src/health/scheduler.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

interface Harness {
  clock: FakeClock;
  scheduler: CheckScheduler;
  results: { key: string; r: StampedResult }[];
  starts: { key: string; at: number; late: number }[];
}

function harness(random: () => number = () => 0): Harness {
  const clock = new FakeClock();
  const results: Harness['results'] = [];
  const starts: Harness['starts'] = [];
  const scheduler = new CheckScheduler({
    clock,
    random,
    onResult: (key, r) => results.push({ key, r }),
    onRunStart: (key, late) => starts.push({ key, at: clock.nowMs(), late }),
  });
  return { clock, scheduler, results, starts };
}

function instant(key: string, intervalMs = 1000, timeoutMs = 500, ok = true): ScheduledCheck {
  return { key, intervalMs, timeoutMs, run: () => Promise.resolve({ ok, latencyMs: 0 }) };
}

/** A check whose runs settle only when the test says so. */
function manual(key: string, intervalMs: number, timeoutMs: number) {
  const pending: { resolve: (r: CheckResult) => void; signal: AbortSignal }[] = [];
  const check: ScheduledCheck = {
    key,
    intervalMs,
    timeoutMs,
    run: (signal) => new Promise<CheckResult>((resolve) => pending.push({ resolve, signal })),
  };
  return { check, pending };
}

async function advance(h: Harness, ms: number, step = 10) {
  for (let t = 0; t < ms; t += step) {
    h.clock.advance(step);
    await flush();
  }
}

describe('CheckScheduler', () => {
  it('runs each check every interval', async () => {
    const h = harness();
    h.scheduler.update([instant('a', 1000)]);
    await advance(h, 3500);
    expect(h.starts.map((s) => s.at)).toEqual([0, 1000, 2000, 3000]);
    expect(h.results).toHaveLength(4);
    h.scheduler.stop();
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('spreads first runs with the injected random source', async () => {
    const values = [0.1, 0.5, 0.9];
    const h = harness(() => values.shift() ?? 0);
    h.scheduler.update([instant('a'), instant('b'), instant('c')]);
    await advance(h, 990);
    expect(h.starts.map((s) => [s.key, s.at])).toEqual([['a', 100], ['b', 500], ['c', 900]]);
  });

  it('spreads 1,000 new checks evenly over one interval', async () => {
    let seed = 42;
    const lcg = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const h = harness(lcg);
    h.scheduler.update(Array.from({ length: 1000 }, (_, i) => instant(`c${String(i)}`, 1000)));
    await advance(h, 1000, 100);
    const firstRuns = new Map<string, number>();
    for (const s of h.starts) if (!firstRuns.has(s.key)) firstRuns.set(s.key, s.at);
    expect(firstRuns.size).toBe(1000);
    const buckets = Array.from({ length: 10 }, () => 0);
    for (const at of firstRuns.values()) buckets[Math.min(9, Math.floor(at / 100))] = (buckets[Math.min(9, Math.floor(at / 100))] ?? 0) + 1;
    for (const b of buckets) expect(b).toBeGreaterThan(60); // about 100 each; no bucket empty or dominant
    for (const b of buckets) expect(b).toBeLessThan(140);
    h.scheduler.stop();
  });

  it('never overlaps two runs of one check; a long run delays the next', async () => {
    const h = harness();
    const m = manual('slow', 100, 1000);
    h.scheduler.update([m.check]);
    await advance(h, 350);
    expect(m.pending).toHaveLength(1);
    expect(h.scheduler.isRunning('slow')).toBe(true);
    m.pending[0]?.resolve({ ok: true, latencyMs: 350 });
    await flush();
    expect(h.results).toHaveLength(1);
    // outlasted its interval: the next run starts right away, then every 100 ms again
    await advance(h, 10);
    expect(m.pending).toHaveLength(2);
    expect(h.starts[1]?.at).toBe(350);
    m.pending[1]?.resolve({ ok: true, latencyMs: 0 });
    await advance(h, 100);
    expect(h.starts.map((s) => s.at)).toEqual([0, 350, 450]);
  });

  it('aborts the signal at the timeout and reports a timeout failure', async () => {
    const h = harness();
    const m = manual('hang', 1000, 300);
    h.scheduler.update([m.check]);
    await advance(h, 290);
    expect(m.pending[0]?.signal.aborted).toBe(false);
    await advance(h, 10);
    expect(m.pending[0]?.signal.aborted).toBe(true);
    m.pending[0]?.resolve({ ok: true, latencyMs: 0 }); // a late "success" does not count
    await flush();
    expect(h.results[0]?.r.ok).toBe(false);
    expect(h.results[0]?.r.reason).toBe('timeout after 300 ms');
  });

  it('reports a thrown or rejected run as a failure with its message', async () => {
    const h = harness();
    h.scheduler.update([
      { key: 'throws', intervalMs: 1000, timeoutMs: 100, run: () => { throw new Error('boom'); } },
      { key: 'rejects', intervalMs: 1000, timeoutMs: 100, run: () => Promise.reject(new Error('nope')) },
    ]);
    await advance(h, 20);
    expect(h.results.map((x) => [x.key, x.r.ok, x.r.reason])).toEqual([
      ['throws', false, 'boom'],
      ['rejects', false, 'nope'],
    ]);
  });

  it('update keeps unchanged keys on schedule, adds new ones and stops removed ones', async () => {
    const h = harness(() => 0.5);
    h.scheduler.update([instant('keep', 1000), instant('drop', 1000)]);
    await advance(h, 1200);
    const m = manual('drop2', 1000, 100);
    const summary = h.scheduler.update([instant('keep', 1000), m.check]);
    expect(summary).toEqual({ added: ['drop2'], kept: ['keep'], removed: ['drop'] });
    await advance(h, 2000);
    const keepStarts = h.starts.filter((s) => s.key === 'keep').map((s) => s.at);
    expect(keepStarts).toEqual([500, 1500, 2500]); // not restarted by the update
    expect(h.starts.filter((s) => s.key === 'drop').map((s) => s.at)).toEqual([500]);
    expect(h.starts.find((s) => s.key === 'drop2')?.at).toBe(1700);
  });

  it('removing a check aborts its in-flight run and ignores its result', async () => {
    const h = harness();
    const m = manual('x', 1000, 5000);
    h.scheduler.update([m.check]);
    await advance(h, 10);
    h.scheduler.update([]);
    expect(m.pending[0]?.signal.aborted).toBe(true);
    m.pending[0]?.resolve({ ok: true, latencyMs: 0 });
    await flush();
    expect(h.results).toHaveLength(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });
});
