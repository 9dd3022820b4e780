import { describe, expect, it } from 'vitest';
import type { AlertSinkConfig } from '../../../src/config/types.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { EventBus } from '../../../src/alerts/bus.js';
import { MinIntervalFilter } from '../../../src/alerts/dedup.js';
import { AlertDispatcher } from '../../../src/alerts/dispatcher.js';
import { alertOf, type AlertPayload, type LvsHaEvent } from '../../../src/alerts/events.js';
import { backoffMs, SinkQueue, type Attempt, type Deliver } from '../../../src/alerts/queue.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
const at = new Date('2026-01-01T00:00:00Z');
const down = (address = '10.0.0.11'): LvsHaEvent => ({
  type: 'real_server_down', at, virtualServer: 'web', address, port: 80, from: 'up', reason: '3 consecutive failed checks: timeout',
});

describe('alertOf', () => {
  it('builds the documented payload for a real server event', () => {
    expect(alertOf(down(), 'lb1')).toEqual({
      version: 1,
      event: 'real_server_down',
      node: 'lb1',
      object: { kind: 'real_server', virtual_server: 'web', address: '10.0.0.11', port: 80 },
      key: 'real_server_down real_server:web/10.0.0.11:80',
      reason: '3 consecutive failed checks: timeout',
      at: '2026-01-01T00:00:00.000Z',
      details: { from: 'up' },
    });
  });
  it('builds the payload for quorum events', () => {
    const p = alertOf({ type: 'quorum_lost', at, virtualServer: 'web', upCount: 0, minUp: 2, hysteresis: 1, reason: 'r' }, 'lb1');
    expect(p.object).toEqual({ kind: 'virtual_server', virtual_server: 'web' });
    expect(p.details).toEqual({ up_count: 0, min_up: 2, hysteresis: 1 });
    expect(p.key).toBe('quorum_lost virtual_server:web');
  });
});

describe('EventBus', () => {
  it('delivers to every listener even if one throws, and unsubscribes', () => {
    const errors: unknown[] = [];
    const bus = new EventBus<LvsHaEvent>((e) => errors.push(e));
    const got: string[] = [];
    bus.subscribe(() => { throw new Error('bad listener'); });
    const off = bus.subscribe((e) => got.push(e.type));
    bus.publish(down());
    off();
    bus.publish(down());
    expect(got).toEqual(['real_server_down']);
    expect(errors).toHaveLength(2);
  });
});

describe('MinIntervalFilter', () => {
  it('suppresses a repeat of the same key within the interval only', () => {
    const f = new MinIntervalFilter(1000);
    expect(f.admit('a', 0)).toBe(true);
    expect(f.admit('a', 999)).toBe(false);
    expect(f.admit('b', 999)).toBe(true);
    expect(f.admit('a', 1000)).toBe(true);
  });
  it('passes everything with interval 0', () => {
    const f = new MinIntervalFilter(0);
    expect([f.admit('a', 0), f.admit('a', 0)]).toEqual([true, true]);
  });
});

function queueWith(deliver: Deliver, clock: FakeClock, over: Partial<ConstructorParameters<typeof SinkQueue>[0]> = {}) {
  const failures: string[] = [];
  const q = new SinkQueue({
    clock, deliver, timeoutMs: 1000, retries: 3, maxQueue: 3, backoffBaseMs: 100, backoffCapMs: 250,
    onFailure: (_p, r) => failures.push(r), ...over,
  });
  return { q, failures };
}

async function advance(clock: FakeClock, ms: number, step = 10) {
  for (let t = 0; t < ms; t += step) { clock.advance(step); await flush(); }
}

describe('SinkQueue', () => {
  it('backoff doubles and is capped', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, 100, 250))).toEqual([100, 200, 250, 250, 250]);
  });

  it('retries with backoff until the cap, then counts one failure', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const { q, failures } = queueWith(() => { times.push(clock.nowMs()); return Promise.resolve({ ok: false, reason: 'HTTP 503', retryable: true }); }, clock);
    q.enqueue(alertOf(down(), 'n'));
    await advance(clock, 1000);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // each gap is the backoff, plus at most one test step (the failure settles asynchronously)
    [100, 200, 250].forEach((b, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(b);
      expect(gaps[i]).toBeLessThanOrEqual(b + 10);
    });
    expect(q.counters).toMatchObject({ sent: 0, failed: 1, retries: 3 });
    expect(failures).toEqual(['HTTP 503']);
  });

  it('does not retry a permanent failure', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const { q } = queueWith(() => { calls += 1; return Promise.resolve({ ok: false, reason: 'HTTP 400', retryable: false }); }, clock);
    q.enqueue(alertOf(down(), 'n'));
    await advance(clock, 1000);
    expect(calls).toBe(1);
    expect(q.counters.failed).toBe(1);
  });

  it('times out a hanging attempt through its signal', async () => {
    const clock = new FakeClock();
    const hang: Deliver = (_p, signal) => new Promise<Attempt>((resolve) => {
      signal.addEventListener('abort', () => { resolve({ ok: false, reason: 'aborted', retryable: true }); });
    });
    const { q, failures } = queueWith(hang, clock, { retries: 0, timeoutMs: 300 });
    q.enqueue(alertOf(down(), 'n'));
    await advance(clock, 400);
    expect(failures).toEqual(['timeout after 300 ms']);
  });

  it('never blocks the producer and drops the oldest when full', async () => {
    const clock = new FakeClock();
    const delivered: string[] = [];
    const slow: Deliver = (p) => new Promise<Attempt>((resolve) => {
      clock.setTimer(500, () => { delivered.push(p.object.kind === 'real_server' ? p.object.address : ''); resolve({ ok: true }); });
    });
    const { q } = queueWith(slow, clock);
    for (let i = 1; i <= 6; i++) q.enqueue(alertOf(down(`10.0.0.${String(i)}`), 'n'));
    // 1 in flight, 3 queued (2 and 3 dropped for 4, 5, 6)
    expect(q.length).toBe(3);
    expect(q.counters.dropped).toBe(2);
    await advance(clock, 2100);
    expect(delivered).toEqual(['10.0.0.1', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(q.counters.sent).toBe(4);
  });
});

describe('AlertDispatcher', () => {
  const hook = (name: string, over: Partial<Extract<AlertSinkConfig, { type: 'webhook' }>> = {}): AlertSinkConfig => ({
    name, type: 'webhook', url: 'http://127.0.0.1:9/', events: ['real_server_down', 'real_server_up'],
    minIntervalMs: 1000, timeoutMs: 500, retries: 0, headers: {}, ...over,
  });

  it('filters by event, deduplicates per key within min_interval, and keeps sinks independent', async () => {
    const clock = new FakeClock();
    const got = new Map<string, AlertPayload[]>();
    const d = new AlertDispatcher(
      {
        clock, log: silentLogger(), node: 'lb1', scriptUser: null,
        makeDelivery: (c) => ({
          deliver: (p) => {
            if (c.name === 'dead') return new Promise<Attempt>(() => undefined);
            got.set(c.name, [...(got.get(c.name) ?? []), p]);
            return Promise.resolve({ ok: true });
          },
          close: () => Promise.resolve(),
        }),
      },
      [hook('a'), hook('dead'), hook('quorum-only', { events: ['quorum_lost'] })],
    );
    d.handle(down('10.0.0.1'));
    d.handle(down('10.0.0.1')); // same key within min_interval
    d.handle(down('10.0.0.2'));
    clock.advance(1000);
    d.handle(down('10.0.0.1'));
    await flush();
    expect(got.get('a')?.map((p) => p.key)).toEqual([
      'real_server_down real_server:web/10.0.0.1:80',
      'real_server_down real_server:web/10.0.0.2:80',
      'real_server_down real_server:web/10.0.0.1:80',
    ]);
    expect(got.get('quorum-only')).toBeUndefined();
    const status = d.status();
    expect(status.find((s) => s.name === 'a')).toMatchObject({ sent: 3, deduplicated: 1 });
    expect(status.find((s) => s.name === 'log')).toMatchObject({ sent: 4 });
    expect(status.find((s) => s.name === 'dead')).toMatchObject({ sent: 0, queued: 2 });
    await d.close();
  });
});

describe('AlertDispatcher reload', () => {
  it('keeps an unchanged sink (counters, dedup window) and rebuilds a changed one', async () => {
    const clock = new FakeClock();
    let built = 0;
    const cfg = (name: string, minIntervalMs: number): AlertSinkConfig => ({
      name, type: 'exec', command: ['/bin/true'], events: ['real_server_down'], minIntervalMs, timeoutMs: 500,
    });
    const d = new AlertDispatcher(
      {
        clock, log: silentLogger(), node: 'lb1', scriptUser: null,
        makeDelivery: () => { built += 1; return { deliver: () => Promise.resolve({ ok: true }), close: () => Promise.resolve() }; },
      },
      [cfg('same', 60_000), cfg('changed', 60_000)],
    );
    d.handle(down());
    await flush();
    await d.update([cfg('same', 60_000), cfg('changed', 1)]);
    expect(built).toBe(3);
    d.handle(down());
    await flush();
    const st = d.status();
    expect(st.find((s) => s.name === 'same')).toMatchObject({ sent: 1, deduplicated: 1 });
    expect(st.find((s) => s.name === 'changed')).toMatchObject({ sent: 1, deduplicated: 0 });
    await d.close();
  });
});
