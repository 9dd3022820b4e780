/**
 * Real loopback servers the test makes flap, checked by the real service with
 * the real checkers on the system clock.
 */
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LvsHaEvent } from '../../../src/alerts/events.js';
import type { CheckConfig } from '../../../src/config/types.js';
import { systemClock } from '../../../src/core/clock.js';
import { buildChecker } from '../../../src/health/checkers/index.js';
import type { CheckTarget } from '../../../src/health/key.js';
import { HealthService, type HealthChange } from '../../../src/health/service.js';
import { httpCheck, realServer, tcpCheck, virtualServer } from '../../unit/health/fixtures.js';
import { close, httpServer, listen, tcpServer, waitFor, type Handler, type Seen } from './servers.js';

interface Run { port: number; ok: boolean; reason?: string | undefined }

function service() {
  const runs: Run[] = [];
  const events: LvsHaEvent[] = [];
  const changes: { change: HealthChange; runsBefore: Run[] }[] = [];
  const svc = new HealthService({
    clock: systemClock,
    random: () => 0,
    scriptUser: null,
    publish: (e) => events.push(e),
    onHealthChange: (change) => changes.push({ change, runsBefore: runs.filter((r) => r.port === change.port) }),
    makeChecker: (target: CheckTarget, check: CheckConfig) => {
      const inner = buildChecker(target, check, { now: () => performance.now(), scriptUser: null });
      return async (signal) => {
        const r = await inner(signal);
        runs.push({ port: target.port, ok: r.ok, reason: r.reason });
        return r;
      };
    },
  });
  return { svc, runs, events, changes };
}

/** Number of results of one kind at the end of a run list. */
function tail(runs: Run[], ok: boolean): number {
  let n = 0;
  for (let i = runs.length - 1; i >= 0 && runs[i]?.ok === ok; i--) n += 1;
  return n;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A TCP listener the test can stop and start on the same port. */
async function flappingTcp() {
  const sockets: Socket[] = [];
  let server: Server = tcpServer(sockets);
  const port = await listen(server);
  const ctl = {
    port,
    async down() {
      for (const s of sockets) s.destroy();
      await close(server);
    },
    async up() {
      server = tcpServer(sockets);
      await listen(server, '127.0.0.1', port);
    },
  };
  cleanup.push(async () => { if (server.listening) await close(server); });
  return ctl;
}

describe('flapping real servers (loopback, system clock)', () => {
  it('exactly fall failures mark down and exactly rise successes mark up', async () => {
    const tcp = await flappingTcp();
    const { svc, changes, events } = service();
    cleanup.push(() => { svc.stop(); return Promise.resolve(); });
    const check = tcpCheck({ intervalMs: 100, timeoutMs: 90, rise: 2, fall: 3 });
    svc.update([virtualServer('web', [realServer('127.0.0.1', tcp.port, check)])]);
    expect(await waitFor(() => changes.length === 1, 2000)).toBe(true);
    expect(changes[0]?.change.transition).toMatchObject({ from: 'unknown', to: 'up' });
    expect(tail(changes[0]?.runsBefore ?? [], true)).toBe(2);

    await tcp.down();
    expect(await waitFor(() => changes.length === 2, 3000)).toBe(true);
    const down = changes[1];
    expect(down?.change.transition).toMatchObject({ from: 'up', to: 'down' });
    expect(tail(down?.runsBefore ?? [], false)).toBe(3); // exactly fall, not fewer
    expect(down?.change.transition.reason).toBe('3 consecutive failed checks: connect: ECONNREFUSED');

    await tcp.up();
    expect(await waitFor(() => changes.length === 3, 3000)).toBe(true);
    const up = changes[2];
    expect(up?.change.transition).toMatchObject({ from: 'down', to: 'up' });
    expect(tail(up?.runsBefore ?? [], true)).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['real_server_down', 'quorum_lost', 'real_server_up', 'quorum_restored']);
    expect(svc.status()[0]?.real_servers[0]).toMatchObject({ health: 'up', last_check: { error: null } });
  });

  it('an HTTP server that accepts but never answers is down after the timeout, with that reason', async () => {
    const seen: Seen = { connections: 0, requests: [] };
    const state: { handler: Handler } = { handler: () => undefined };
    const server = httpServer(seen, state);
    const port = await listen(server);
    cleanup.push(() => close(server));
    const { svc, events, runs } = service();
    cleanup.push(() => { svc.stop(); return Promise.resolve(); });
    const t0 = performance.now();
    svc.update([virtualServer('web', [realServer('127.0.0.1', port, httpCheck({ intervalMs: 1000, timeoutMs: 250, rise: 1, fall: 1 }))])]);
    expect(await waitFor(() => events.length >= 1, 3000)).toBe(true);
    const took = performance.now() - t0;
    expect(events[0]).toMatchObject({ type: 'real_server_down', reason: '1 consecutive failed checks: timeout after 250 ms' });
    expect(took).toBeGreaterThanOrEqual(245);
    expect(took).toBeLessThan(2000);
    expect(runs).toHaveLength(1);
  });

  it('a wrong status, body or digest is down with that reason', async () => {
    const seen: Seen = { connections: 0, requests: [] };
    const state: { handler: Handler } = { handler: (_q, s) => { s.statusCode = 500; s.end('fine'); } };
    const server = httpServer(seen, state);
    const port = await listen(server);
    cleanup.push(() => close(server));
    const { svc, events } = service();
    cleanup.push(() => { svc.stop(); return Promise.resolve(); });
    const base = { intervalMs: 500, timeoutMs: 400, rise: 1, fall: 1 };
    svc.update([
      virtualServer('status', [realServer('127.0.0.1', port, httpCheck(base))]),
      virtualServer('body', [realServer('127.0.0.1', port, httpCheck({ ...base, expectStatus: [[500, 500]], expectBody: '^ok$' }))]),
      virtualServer('digest', [realServer('127.0.0.1', port, httpCheck({ ...base, expectStatus: [[500, 500]], expectDigest: '0'.repeat(64) }))]),
    ]);
    expect(await waitFor(() => events.filter((e) => e.type === 'real_server_down').length === 3, 3000)).toBe(true);
    const reasons = new Map(events.filter((e) => e.type === 'real_server_down').map((e) => [e.virtualServer, e.reason]));
    expect(reasons.get('status')).toBe('1 consecutive failed checks: status 500 not in 200-299');
    expect(reasons.get('body')).toBe('1 consecutive failed checks: body does not match /^ok$/');
    expect(reasons.get('digest')).toMatch(/^1 consecutive failed checks: body sha256 [0-9a-f]{64} != expected 0{64}$/);
  });

  it('a reload with unchanged checks keeps their state (no false down/up)', async () => {
    const tcp = await flappingTcp();
    const { svc, changes, events, runs } = service();
    cleanup.push(() => { svc.stop(); return Promise.resolve(); });
    const check = tcpCheck({ intervalMs: 100, timeoutMs: 90, rise: 3, fall: 3 });
    const cfg = () => [virtualServer('web', [realServer('127.0.0.1', tcp.port, check)])];
    svc.update(cfg());
    expect(await waitFor(() => changes.length === 1, 2000)).toBe(true);
    const since = svc.status()[0]?.real_servers[0]?.since;
    const runsBefore = runs.length;
    for (let i = 0; i < 5; i++) {
      svc.update(cfg());
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(svc.status()[0]?.real_servers[0]).toMatchObject({ health: 'up', since });
    expect(changes).toHaveLength(1);
    expect(events).toEqual([]);
    // still checked on its interval, not restarted by every reload: a restart would run
    // at once (spread 0) on each of the 5 reloads; on schedule it is about 150 ms / 100 ms
    expect(runs.length - runsBefore).toBeGreaterThanOrEqual(1);
    expect(runs.length - runsBefore).toBeLessThanOrEqual(3);
  });
});
