/**
 * The histogram fed from the health service's result path (onCheckResult), as
 * the daemon wires it (src/daemon/engines.ts): every counted check lands in
 * exactly one bucket of its (type, result) series, so the histogram's counts
 * add up to the service's check and failure totals.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { CheckTarget } from '../../../src/health/key.js';
import { HealthService } from '../../../src/health/service.js';
import { CheckLatencyHistogram } from '../../../src/metrics/check-latency.js';
import { execCheck, realServer, tcpCheck, virtualServer } from '../health/fixtures.js';

const flush = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

describe('check latency from the health service', () => {
  it('observes every result once, by check type and result', async () => {
    const clock = new FakeClock();
    const histogram = new CheckLatencyHistogram();
    const latency: Record<string, { ok: boolean; latencyMs: number }> = {
      '127.0.0.1:8001': { ok: true, latencyMs: 3 },
      '127.0.0.1:8002': { ok: false, latencyMs: 700 },
      '127.0.0.1:8003': { ok: true, latencyMs: 40 },
    };
    const name = (t: CheckTarget): string => `${t.address.text}:${String(t.port)}`;
    const service = new HealthService({
      clock,
      random: () => 0,
      scriptUser: null,
      publish: () => undefined,
      onCheckResult: (type, result) => { histogram.observe(type, result.ok, result.latencyMs); },
      makeChecker: (target) => () => Promise.resolve(latency[name(target)] ?? { ok: false, latencyMs: 0, reason: 'unknown' }),
    });
    const tcp = tcpCheck({ intervalMs: 100, timeoutMs: 50, rise: 1, fall: 1 });
    const exec = execCheck(['/bin/true'], { intervalMs: 100, timeoutMs: 50, rise: 1, fall: 1 });
    service.update([virtualServer('web', [realServer('127.0.0.1', 8001, tcp), realServer('127.0.0.1', 8002, tcp), realServer('127.0.0.1', 8003, exec)])]);
    await flush();
    for (let i = 0; i < 30; i++) {
      clock.advance(10);
      await flush();
    }
    service.stop();
    const totals = service.counters();
    const series = histogram.snapshot().series as { type: string; result: string; count: number; bucket_counts: number[] }[];
    expect(series.map((s) => [s.type, s.result])).toEqual([['exec', 'ok'], ['tcp', 'fail'], ['tcp', 'ok']]);
    const byKey = Object.fromEntries(series.map((s) => [`${s.type}/${s.result}`, s]));
    // Runs at 0, 100, 200, 300 ms: 4 per real server.
    expect(byKey['tcp/ok']?.count).toBe(4);
    expect(byKey['tcp/ok']?.bucket_counts[2]).toBe(4); // 3 ms: le 5 ms
    expect(byKey['tcp/fail']?.bucket_counts[9]).toBe(4); // 700 ms: le 1000 ms
    expect(byKey['exec/ok']?.bucket_counts[5]).toBe(4); // 40 ms: le 50 ms
    expect(series.reduce((a, s) => a + s.count, 0)).toBe(totals.checks);
    expect(byKey['tcp/fail']?.count).toBe(totals.checkFailures);
  });
});
