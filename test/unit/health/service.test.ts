import { describe, expect, it } from 'vitest';
import type { LvsHaEvent } from '../../../src/alerts/events.js';
import { FakeClock } from '../../../src/core/clock.js';
import type { CheckTarget } from '../../../src/health/key.js';
import { HealthService, type HealthChange } from '../../../src/health/service.js';
import { realServer, tcpCheck, virtualServer } from './fixtures.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup() {
  const clock = new FakeClock();
  const events: LvsHaEvent[] = [];
  const changes: HealthChange[] = [];
  const alive = new Map<string, boolean>();
  const calls = new Map<string, number>();
  const name = (t: CheckTarget) => `${t.address.text}:${String(t.port)}`;
  const service = new HealthService({
    clock,
    random: () => 0,
    scriptUser: null,
    publish: (e) => events.push(e),
    onHealthChange: (c) => changes.push(c),
    makeChecker: (target) => () => {
      const n = name(target);
      calls.set(n, (calls.get(n) ?? 0) + 1);
      return Promise.resolve(alive.get(n) === false ? { ok: false, latencyMs: 1, reason: 'connect: ECONNREFUSED' } : { ok: true, latencyMs: 1 });
    },
  });
  const tick = async (n = 1) => {
    await flush();
    for (let i = 0; i < n * 10; i++) {
      clock.advance(10);
      await flush();
    }
  };
  return { clock, events, changes, alive, calls, service, tick };
}

const check = tcpCheck({ intervalMs: 100, timeoutMs: 50, rise: 2, fall: 3 });
const config = () => [
  virtualServer('web', [realServer('127.0.0.1', 8001, check), realServer('127.0.0.1', 8002, check)], { minUp: 2, hysteresis: 0 }),
  virtualServer('api', [realServer('127.0.0.1', 8001, check), realServer('127.0.0.1', 8003, null)]),
];

describe('HealthService', () => {
  it('checks a real server shared by two virtual servers once', async () => {
    const h = setup();
    h.service.update(config());
    await h.tick(3);
    expect(h.calls.get('127.0.0.1:8001')).toBe(4); // runs at 0, 100, 200, 300
    expect(h.calls.get('127.0.0.1:8002')).toBe(4);
    expect(h.calls.has('127.0.0.1:8003')).toBe(false);
    h.service.stop();
  });

  it('a different check on the same address is a separate check', async () => {
    const h = setup();
    const other = tcpCheck({ intervalMs: 100, timeoutMs: 60, rise: 2, fall: 3 });
    h.service.update([virtualServer('a', [realServer('127.0.0.1', 8001, check)]), virtualServer('b', [realServer('127.0.0.1', 8001, other)])]);
    await h.tick(1);
    expect(h.calls.get('127.0.0.1:8001')).toBe(4);
    h.service.stop();
  });

  it('start into up reports changes but no real_server_up alert; quorum held silently', async () => {
    const h = setup();
    h.service.update(config());
    await h.tick(0);
    expect(h.service.status()[0]?.real_servers[0]?.health).toBe('unknown');
    await h.tick(1); // second success = rise
    expect(h.changes.map((c) => `${c.virtualServer} ${String(c.port)} ${c.transition.from}->${c.transition.to}`)).toEqual([
      'web 8001 unknown->up', 'api 8001 unknown->up', 'web 8002 unknown->up',
    ]);
    expect(h.events).toEqual([]);
    const web = h.service.status()[0];
    expect(web).toMatchObject({ name: 'web', quorum_up: true, up_count: 2 });
    h.service.stop();
  });

  it('exactly fall failures mark down (alert in every virtual server), quorum lost; rise successes restore', async () => {
    const h = setup();
    h.service.update(config());
    await h.tick(2);
    h.alive.set('127.0.0.1:8001', false);
    await h.tick(2); // two failures: still up
    expect(h.events).toEqual([]);
    await h.tick(1); // third failure
    expect(h.events.map((e) => `${e.type} ${e.virtualServer}`)).toEqual([
      'real_server_down web', 'real_server_down api', 'quorum_lost web', // api keeps quorum: 8003 has no check
    ]);
    expect(h.service.counters()).toEqual({ checks: 12, checkFailures: 3, transitions: 3, scheduledChecks: 2 });
    const rs = h.service.status()[0]?.real_servers[0];
    expect(rs).toMatchObject({ health: 'down', last_check: { error: 'connect: ECONNREFUSED', latency_ms: 1 } });
    h.events.length = 0;
    h.alive.set('127.0.0.1:8001', true);
    await h.tick(1);
    expect(h.events).toEqual([]);
    await h.tick(1);
    expect(h.events.map((e) => `${e.type} ${e.virtualServer}`)).toEqual([
      'real_server_up web', 'real_server_up api', 'quorum_restored web',
    ]);
    h.service.stop();
  });

  it('a real server without a check is always up', () => {
    const h = setup();
    h.service.update(config());
    expect(h.service.status()[1]?.real_servers[1]).toMatchObject({ health: 'up', port: 8003, last_check: null });
    h.service.stop();
  });

  it('reload with equal configuration keeps state; a changed check starts over', async () => {
    const h = setup();
    h.service.update(config());
    await h.tick(2);
    const before = h.service.status();
    h.alive.set('127.0.0.1:8002', false);
    await h.tick(1); // one failure counted
    h.service.update(config()); // fresh but equal objects
    expect(h.service.status()[0]?.real_servers.map((r) => r.health)).toEqual(['up', 'up']);
    expect(h.service.status()[0]?.real_servers[0]?.since).toBe(before[0]?.real_servers[0]?.since);
    await h.tick(2); // failures 2 and 3: the count survived the reload
    expect(h.events.map((e) => e.type)).toContain('real_server_down');
    h.events.length = 0;
    const changed = tcpCheck({ intervalMs: 100, timeoutMs: 50, rise: 2, fall: 4 });
    h.service.update([virtualServer('web', [realServer('127.0.0.1', 8001, changed), realServer('127.0.0.1', 8002, check)], { minUp: 2, hysteresis: 0 })]);
    expect(h.service.status()[0]?.real_servers.map((r) => r.health)).toEqual(['unknown', 'down']);
    expect(h.service.status()).toHaveLength(1);
    h.service.stop();
    expect(h.clock.pendingTimers()).toBe(0);
  });
});
