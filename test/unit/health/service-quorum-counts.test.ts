/** The quorum counts are kept per transition (no scan): they must match the real servers' states. */
import { expect, it } from 'vitest';
import type { LvsHaEvent } from '../../../src/alerts/events.js';
import { FakeClock } from '../../../src/core/clock.js';
import { HealthService } from '../../../src/health/service.js';
import { realServer, tcpCheck, virtualServer } from './fixtures.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

it('up counts and quorum events follow 300 real servers, one shared by two virtual servers', async () => {
  const clock = new FakeClock();
  const events: LvsHaEvent[] = [];
  const dead = new Set<number>();
  const service = new HealthService({
    clock, random: () => 0, scriptUser: null, publish: (e) => events.push(e),
    makeChecker: (target) => () => Promise.resolve(dead.has(target.port) ? { ok: false, latencyMs: 0, reason: 'down' } : { ok: true, latencyMs: 0 }),
  });
  const check = tcpCheck({ intervalMs: 100, timeoutMs: 50, rise: 1, fall: 1 });
  const big = Array.from({ length: 300 }, (_, i) => realServer('127.0.0.1', 10_000 + i, check));
  service.update([
    virtualServer('big', big, { minUp: 150, hysteresis: 0 }),
    virtualServer('small', [realServer('127.0.0.1', 10_000, check), realServer('127.0.0.1', 9_999, null)], { minUp: 2, hysteresis: 0 }),
  ]);
  const step = async () => { clock.advance(100); await flush(); };
  const upCounts = () => {
    const states = service.status().map((v) => [v.up_count, v.quorum.state]);
    // quorumStates() (the ECMP announcer's O(virtual servers) read) agrees with status()
    expect([...service.quorumStates().values()]).toEqual(states.map(([, q]) => q));
    return states;
  };
  clock.advance(0);
  await flush();
  expect(upCounts()).toEqual([[300, 'held'], [2, 'held']]);
  for (let p = 10_000; p < 10_151; p++) dead.add(p); // 151 down: 149 up < 150
  await step();
  expect(upCounts()).toEqual([[149, 'lost'], [1, 'lost']]);
  expect(events.filter((e) => e.type === 'quorum_lost').map((e) => e.virtualServer).sort()).toEqual(['big', 'small']);
  dead.delete(10_000); // the shared one comes back: 150 up
  await step();
  expect(upCounts()).toEqual([[150, 'held'], [2, 'held']]);
  expect(events.filter((e) => e.type === 'quorum_restored')).toHaveLength(2);
  service.stop();
});
