/**
 * Webhook and exec alert sinks against real local endpoints, fed by the real
 * health service checking a loopback listener the test makes flap.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/alerts/bus.js';
import { AlertDispatcher } from '../../../src/alerts/dispatcher.js';
import type { LvsHaEvent } from '../../../src/alerts/events.js';
import type { AlertSinkConfig } from '../../../src/config/types.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { buildChecker } from '../../../src/health/checkers/index.js';
import { HealthService } from '../../../src/health/service.js';
import { realServer, tcpCheck, virtualServer } from '../../unit/health/fixtures.js';
import { close, listen, tcpServer, waitFor, writeScript } from '../health/servers.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

interface Received { at: number; body: Record<string, unknown>; headers: IncomingMessage['headers'] }

/** A webhook endpoint: `reply` decides per request (return false to never answer). */
async function endpoint(reply: (n: number, res: ServerResponse) => boolean = (_n, res) => { res.end('ok'); return true; }) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ at: performance.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, headers: req.headers });
      reply(received.length, res);
    });
  });
  const port = await listen(server);
  cleanup.push(() => close(server));
  return { url: `http://127.0.0.1:${String(port)}/hook`, received };
}

function hook(name: string, url: string, over: Partial<Extract<AlertSinkConfig, { type: 'webhook' }>> = {}): AlertSinkConfig {
  return {
    name, type: 'webhook', url, events: ['real_server_down', 'real_server_up', 'quorum_lost', 'quorum_restored'],
    minIntervalMs: 0, timeoutMs: 1000, retries: 2, headers: { authorization: 'Bearer t0ken' }, ...over,
  };
}

async function flappingTcp() {
  const sockets: Socket[] = [];
  let server: Server = tcpServer(sockets);
  const port = await listen(server);
  cleanup.push(async () => { if (server.listening) await close(server); });
  return {
    port,
    async down() { for (const s of sockets) s.destroy(); await close(server); },
    async up() { server = tcpServer(sockets); await listen(server, '127.0.0.1', port); },
  };
}

function wire(sinks: AlertSinkConfig[], lateness: number[] = []) {
  const dispatcher = new AlertDispatcher({ clock: systemClock, log: silentLogger(), node: 'lb1', scriptUser: null, backoffBaseMs: 50 }, sinks);
  const bus = new EventBus<LvsHaEvent>();
  bus.subscribe((e) => { dispatcher.handle(e); });
  const svc = new HealthService({
    clock: systemClock, random: () => 0, scriptUser: null,
    publish: (e) => { bus.publish(e); },
    onRunStart: (_k, late) => lateness.push(late),
    makeChecker: (t, c) => buildChecker(t, c, { now: () => performance.now(), scriptUser: null }),
  });
  cleanup.push(async () => { svc.stop(); await dispatcher.close(); });
  return { dispatcher, svc };
}

const check = tcpCheck({ intervalMs: 100, timeoutMs: 90, rise: 1, fall: 1 });

describe('webhook sink', () => {
  it('receives the documented JSON once per transition and dedups repeats within min_interval', async () => {
    const ep = await endpoint();
    const tcp = await flappingTcp();
    const { dispatcher, svc } = wire([hook('ops', ep.url, { minIntervalMs: 60_000, events: ['real_server_down', 'real_server_up'] })]);
    svc.update([virtualServer('web', [realServer('127.0.0.1', tcp.port, check)])]);
    await new Promise((r) => setTimeout(r, 250)); // start into up: no alert
    expect(ep.received).toHaveLength(0);
    for (let i = 0; i < 2; i++) {
      await tcp.down();
      expect(await waitFor(() => svc.status()[0]?.real_servers[0]?.health === 'down', 2000)).toBe(true);
      await tcp.up();
      expect(await waitFor(() => svc.status()[0]?.real_servers[0]?.health === 'up', 2000)).toBe(true);
    }
    expect(await waitFor(() => ep.received.length >= 2, 2000)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(ep.received.map((r) => r.body.event)).toEqual(['real_server_down', 'real_server_up']);
    const body = ep.received[0]?.body ?? {};
    expect(Object.keys(body).sort()).toEqual(['at', 'details', 'event', 'key', 'node', 'object', 'reason', 'version']);
    expect(body).toMatchObject({
      version: 1, event: 'real_server_down', node: 'lb1',
      object: { kind: 'real_server', virtual_server: 'web', address: '127.0.0.1', port: tcp.port },
      key: `real_server_down real_server:web/127.0.0.1:${String(tcp.port)}`,
      reason: '1 consecutive failed checks: connect: ECONNREFUSED',
      details: { from: 'up' },
    });
    expect(Number.isNaN(Date.parse(String(body.at)))).toBe(false);
    expect(ep.received[0]?.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer t0ken' });
    expect(dispatcher.status().find((s) => s.name === 'ops')).toMatchObject({ sent: 2, deduplicated: 2, failed: 0 });
  });

  it('retries a failing endpoint with backoff and counts the delivery once', async () => {
    const ep = await endpoint((n, res) => { res.statusCode = n <= 2 ? 503 : 200; res.end(); return true; });
    const tcp = await flappingTcp();
    await tcp.down();
    const { dispatcher, svc } = wire([hook('flaky', ep.url, { retries: 3 })]);
    svc.update([virtualServer('web', [realServer('127.0.0.1', tcp.port, check)])]);
    // start into down: real_server_down and quorum_lost, the first needs three attempts
    expect(await waitFor(() => dispatcher.status().find((s) => s.name === 'flaky')?.sent === 2, 3000)).toBe(true);
    expect(ep.received.map((r) => r.body.event)).toEqual(['real_server_down', 'real_server_down', 'real_server_down', 'quorum_lost']);
    const gaps = [1, 2].map((i) => (ep.received[i]?.at ?? 0) - (ep.received[i - 1]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(45); // backoff 50 ms, then 100 ms
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(dispatcher.status().find((s) => s.name === 'flaky')).toMatchObject({ sent: 2, retries: 2, failed: 0 });
  });

  it('a sink that never answers delays neither the checks nor another sink', async () => {
    const dead = await endpoint(() => false);
    const good = await endpoint();
    const tcp = await flappingTcp();
    const lateness: number[] = [];
    const { dispatcher, svc } = wire(
      [hook('dead', dead.url, { timeoutMs: 5000, retries: 0 }), hook('good', good.url)],
      lateness,
    );
    svc.update([virtualServer('web', [realServer('127.0.0.1', tcp.port, check)])]);
    await new Promise((r) => setTimeout(r, 200));
    await tcp.down();
    expect(await waitFor(() => good.received.length >= 2, 2000)).toBe(true);
    expect(dead.received.length).toBe(1); // the dead sink holds its first alert, the rest queue
    const before = lateness.length;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 500));
    const runs = lateness.length - before;
    const window = performance.now() - t0;
    // still on schedule every 100 ms while the dead sink holds an alert for up to 5 s
    // (bounds leave room for a loaded CI machine; a blocked scheduler would show seconds)
    expect(runs).toBeGreaterThanOrEqual(Math.floor(window / 100) - 2);
    expect(Math.max(...lateness.slice(before))).toBeLessThan(200);
    const st = dispatcher.status();
    expect(st.find((s) => s.name === 'dead')).toMatchObject({ sent: 0, queued: 1 });
    expect(st.find((s) => s.name === 'good')).toMatchObject({ sent: 2 });
  });
});

describe('exec sink', () => {
  it('runs argv with the event JSON on stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvh-alert-'));
    chmodSync(dir, 0o777);
    cleanup.push(() => { rmSync(dir, { recursive: true, force: true }); return Promise.resolve(); });
    const out = join(dir, 'events.jsonl');
    const script = writeScript(dir, 'alert.sh', `cat >> ${out}`);
    const tcp = await flappingTcp();
    await tcp.down();
    const sink: AlertSinkConfig = { name: 'pager', type: 'exec', command: [script], events: ['real_server_down'], minIntervalMs: 0, timeoutMs: 2000 };
    const { dispatcher, svc } = wire([sink]);
    svc.update([virtualServer('web', [realServer('127.0.0.1', tcp.port, check)])]);
    expect(await waitFor(() => dispatcher.status().find((s) => s.name === 'pager')?.sent === 1, 3000)).toBe(true);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ event: 'real_server_down', node: 'lb1', object: { port: tcp.port } });
  });

  it('counts a failing or hanging command as failed', async () => {
    const tcp = await flappingTcp();
    await tcp.down();
    const sinks: AlertSinkConfig[] = [
      { name: 'false', type: 'exec', command: ['/bin/false'], events: ['real_server_down'], minIntervalMs: 0, timeoutMs: 2000 },
      { name: 'hang', type: 'exec', command: ['/bin/sleep', '30'], events: ['real_server_down'], minIntervalMs: 0, timeoutMs: 200 },
    ];
    const { dispatcher, svc } = wire(sinks);
    svc.update([virtualServer('web', [realServer('127.0.0.1', tcp.port, check)])]);
    expect(await waitFor(() => dispatcher.status().filter((s) => s.failed === 1).length === 2, 3000)).toBe(true);
  });
});
