/** The announcer against a fake kernel (routes and addresses in memory), a fake clock and the real event queue. */
import { describe, expect, test } from 'vitest';
import { AnnounceEngine, type AnnounceKernel } from '../../../src/announce/engine.js';
import type { AnnounceChange } from '../../../src/announce/decide.js';
import type { LiveRoute } from '../../../src/announce/route-plan.js';
import { validateConfigText } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { EventQueue } from '../../../src/core/event-queue.js';
import type { QuorumState } from '../../../src/health/quorum.js';

class FakeKernel implements AnnounceKernel {
  routes: LiveRoute[] = [];
  addresses = new Set<string>();
  devices = new Map([['lo', 1]]);
  failAdds = false;
  ops: string[] = [];
  closed = 0;
  listRoutes(table: number): Promise<LiveRoute[]> {
    return Promise.resolve(this.routes.filter((r) => r.table === table));
  }
  addRoute(route: { address: string; prefixLength: number; ifindex: number }, owner: { table: number; protocol: number }): Promise<'added'> {
    if (this.failAdds) return Promise.reject(new Error('add route: Request rejected: EPERM'));
    this.ops.push(`add ${route.address}`);
    this.routes.push({ ...route, table: owner.table, protocol: owner.protocol, type: 1 });
    return Promise.resolve('added');
  }
  deleteRoute(route: { address: string }, owner: { table: number; protocol: number }): Promise<'removed'> {
    this.ops.push(`delete ${route.address}`);
    this.routes = this.routes.filter((r) => !(r.address === route.address && r.table === owner.table && r.protocol === owner.protocol));
    return Promise.resolve('removed');
  }
  interfaceByName(name: string): Promise<{ ifindex: number; name: string; mac: null; up: true; running: true; lowerUp: true } | undefined> {
    const ifindex = this.devices.get(name);
    return Promise.resolve(ifindex === undefined ? undefined : { ifindex, name, mac: null, up: true, running: true, lowerUp: true });
  }
  addLocal(address: string): Promise<'added'> {
    this.addresses.add(address);
    return Promise.resolve('added');
  }
  removeLocal(address: string): Promise<'removed'> {
    this.addresses.delete(address);
    return Promise.resolve('removed');
  }
  close(): void {
    this.closed += 1;
  }
}

function config(extra = ''): Config {
  const text = `node: d1
ecmp: { stop_grace: 3s${extra} }
virtual_servers:
  - { name: web, address: 192.0.2.10, port: 80, protocol: tcp, scheduler: mh, real_servers: [{ address: 10.1.0.11, port: 80 }] }
  - { name: dns, address: 192.0.2.20, port: 53, protocol: udp, scheduler: mh, real_servers: [{ address: 10.1.0.11, port: 53 }] }
`;
  const r = validateConfigText(text, 't.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

function rig(kernel = new FakeKernel(), packets: { n: bigint | null } = { n: null }) {
  const clock = new FakeClock();
  const queue = new EventQueue();
  const quorum = new Map<string, QuorumState>();
  const listeners = new Set<() => void>();
  const changes: AnnounceChange[] = [];
  const engine = new AnnounceEngine({
    clock, logger: silentLogger(),
    enqueue: (label, run) => queue.enqueue({ label, run }),
    openKernel: () => kernel,
    quorum: () => quorum,
    onHealthChange: (l) => { listeners.add(l); return () => listeners.delete(l); },
    onChange: (c) => { changes.push(c); },
    packetsTo: () => Promise.resolve(packets.n),
    drainPollMs: 100,
  });
  const health = async (states: Record<string, QuorumState>): Promise<void> => {
    for (const [k, v] of Object.entries(states)) quorum.set(k, v);
    for (const l of listeners) l();
    await queue.enqueue({ label: 'test:barrier', run: () => undefined });
  };
  const vipStates = (): Record<string, string> => {
    const snap = engine.snapshot() as { vips: { address: string; state: string }[] };
    return Object.fromEntries(snap.vips.map((v) => [v.address, v.state]));
  };
  return { clock, queue, kernel, engine, health, changes, vipStates, listeners };
}

const FOREIGN: LiveRoute = { address: '198.51.100.1', prefixLength: 32, table: 240, protocol: 4, ifindex: 1, type: 1 };

describe('AnnounceEngine', () => {
  test('a joining director places its VIPs but announces only after its first checks pass', async () => {
    const r = rig();
    r.kernel.routes.push(FOREIGN);
    await r.engine.start(config());
    expect([...r.kernel.addresses]).toEqual(['192.0.2.10', '192.0.2.20']);
    expect(r.kernel.ops).toEqual([]);
    expect(r.vipStates()).toEqual({ '192.0.2.10': 'withdrawn', '192.0.2.20': 'withdrawn' });
    await r.health({ web: 'held' });
    expect(r.kernel.ops).toEqual(['add 192.0.2.10']);
    expect(r.changes).toEqual([{ vip: '192.0.2.10', announced: true, reason: 'quorum held: web' }]);
    await r.health({ dns: 'held' });
    await r.health({ web: 'lost' });
    expect(r.kernel.ops).toEqual(['add 192.0.2.10', 'add 192.0.2.20', 'delete 192.0.2.10']);
    expect(r.vipStates()).toEqual({ '192.0.2.10': 'withdrawn', '192.0.2.20': 'announced' });
    // the operator's route in the same table was never touched
    expect(r.kernel.routes).toContainEqual(FOREIGN);
  });

  test('a restart with the routes in place changes nothing, even before the first checks', async () => {
    const kernel = new FakeKernel();
    const first = rig(kernel);
    await first.engine.start(config());
    await first.health({ web: 'held', dns: 'held' });
    // crash: no stop(); a new daemon starts on the same kernel
    const second = rig(kernel);
    kernel.ops = [];
    await second.engine.start(config());
    expect(kernel.ops).toEqual([]);
    expect(second.vipStates()).toEqual({ '192.0.2.10': 'announced', '192.0.2.20': 'announced' });
    await second.health({ web: 'held', dns: 'held' });
    expect(kernel.ops).toEqual([]);
  });

  test('a route deleted by hand comes back at the repair timer', async () => {
    const r = rig();
    await r.engine.start(config());
    await r.health({ web: 'held', dns: 'held' });
    r.kernel.routes = r.kernel.routes.filter((x) => x.address !== '192.0.2.20');
    r.clock.advance(30_000);
    await r.queue.enqueue({ label: 'barrier', run: () => undefined });
    await r.queue.enqueue({ label: 'barrier', run: () => undefined });
    expect(r.kernel.routes.map((x) => x.address).sort()).toEqual(['192.0.2.10', '192.0.2.20']);
  });

  test('maintenance withdraws every VIP and gives them back', async () => {
    const r = rig();
    await r.engine.start(config());
    await r.health({ web: 'held', dns: 'held' });
    await r.engine.setMaintenance(true);
    expect(r.kernel.routes).toEqual([]);
    expect((r.engine.snapshot() as { vips: { reason: string }[] }).vips[0]?.reason).toBe('node in maintenance');
    await r.health({ web: 'held' });
    expect(r.kernel.routes).toEqual([]);
    await r.engine.setMaintenance(false);
    expect(r.kernel.routes).toHaveLength(2);
  });

  test('maintenance on watches the kernel counters until the router moved the flows', async () => {
    const packets = { n: 10n as bigint | null };
    const r = rig(new FakeKernel(), packets);
    await r.engine.start(config(', drain_quiet: 500ms'));
    await r.health({ web: 'held', dns: 'held' });
    await r.engine.setMaintenance(true);
    const drain = (): Record<string, unknown> => (r.engine.snapshot() as { maintenance: { drain: Record<string, unknown> } }).maintenance.drain;
    const step = async (ms: number): Promise<void> => {
      r.clock.advance(ms);
      for (let i = 0; i < 5; i += 1) await Promise.resolve();
    };
    expect(drain()).toMatchObject({ state: 'draining' });
    packets.n = 25n;
    await step(100);
    await step(100);
    expect(drain()).toMatchObject({ state: 'draining', packets_since_withdrawal: 15 });
    for (let i = 0; i < 5; i += 1) await step(100);
    expect(drain()).toMatchObject({ state: 'safe', packets_since_withdrawal: 15 });
    await r.engine.setMaintenance(false);
    expect((r.engine.snapshot() as { maintenance: { on: boolean; drain: unknown } }).maintenance).toMatchObject({ on: false, drain: null });
  });

  test('stop withdraws first, keeps the VIP addresses through the grace, then drops them', async () => {
    const r = rig();
    await r.engine.start(config());
    await r.health({ web: 'held', dns: 'held' });
    await r.queue.close();
    const stopped = r.engine.stop();
    let done = false;
    void stopped.then(() => { done = true; });
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
    await new Promise((res) => setImmediate(res));
    expect(r.kernel.routes).toEqual([]);
    expect(r.kernel.addresses.size).toBe(2);
    expect(done).toBe(false);
    r.clock.advance(3_000);
    await stopped;
    expect(r.kernel.addresses.size).toBe(0);
    expect(r.kernel.closed).toBe(1);
    expect(r.changes.filter((c) => !c.announced).map((c) => c.reason)).toEqual(['daemon stopping', 'daemon stopping']);
  });

  test('a route the kernel refuses is reported withdrawn with the reason', async () => {
    const r = rig();
    r.kernel.failAdds = true;
    await r.engine.start(config());
    await r.health({ web: 'held' });
    const snap = r.engine.snapshot() as { vips: { state: string; reason: string }[]; last_error: string; counters: { route_errors: number } };
    expect(snap.vips[0]).toMatchObject({ state: 'withdrawn' });
    expect(snap.vips[0]?.reason).toContain('route not written');
    expect(snap.counters.route_errors).toBe(1);
    expect(r.changes).toEqual([]);
  });

  test('a missing device announces nothing and says why', async () => {
    const r = rig();
    r.kernel.devices.clear();
    await r.engine.start(config());
    await r.health({ web: 'held', dns: 'held' });
    expect(r.kernel.routes).toEqual([]);
    expect((r.engine.snapshot() as { vips: { reason: string }[] }).vips[0]?.reason).toBe('device lo not found');
  });

  test('a reload moving the table withdraws from the old one; removing ecmp withdraws all and drops the VIPs', async () => {
    const r = rig();
    await r.engine.start(config());
    await r.health({ web: 'held', dns: 'held' });
    await r.engine.applyConfig(config(', route_table: 100'));
    expect(r.kernel.routes.map((x) => x.table)).toEqual([100, 100]);
    const plain = validateConfigText('node: d1\n', 't.yaml');
    if (!plain.ok) throw new Error('bad');
    await r.engine.applyConfig(plain.config);
    expect(r.kernel.routes).toEqual([]);
    expect(r.kernel.addresses.size).toBe(0);
    expect(r.engine.snapshot()).toBeNull();
  });

  test('without an ecmp section nothing is opened', async () => {
    let opened = 0;
    const engine = new AnnounceEngine({
      clock: new FakeClock(), logger: silentLogger(), enqueue: () => Promise.resolve(),
      openKernel: () => { opened += 1; return new FakeKernel(); },
      quorum: () => new Map(), onHealthChange: () => () => undefined,
    });
    const plain = validateConfigText('node: d1\n', 't.yaml');
    if (!plain.ok) throw new Error('bad');
    await engine.start(plain.config);
    await engine.stop();
    expect(opened).toBe(0);
    expect(engine.snapshot()).toBeNull();
  });
});

describe('announce alerts', () => {
  test('vip_announced / vip_withdrawn project to alert payloads keyed by VIP', async () => {
    const { alertOf } = await import('../../../src/alerts/events.js');
    const at = new Date('2026-01-01T00:00:00Z');
    const p = alertOf({ type: 'vip_withdrawn', at, vip: '192.0.2.10', reason: 'node in maintenance' }, 'd1');
    expect(p).toMatchObject({ event: 'vip_withdrawn', node: 'd1', object: { kind: 'vip', vip: '192.0.2.10' }, key: 'vip_withdrawn vip:192.0.2.10', reason: 'node in maintenance' });
  });
});

describe('human status', () => {
  test('the announce section is a table of VIPs; absent without ecmp', async () => {
    const { renderStatus } = await import('../../../src/control/status-view.js');
    const text = renderStatus({
      node: 'd1',
      announce: {
        route_table: 240, route_protocol: 240, device: 'lo', phase: 'running',
        maintenance: { on: true, since: 'x', drain: { state: 'safe' } },
        vips: [{ address: '192.0.2.10', state: 'withdrawn', reason: 'node in maintenance', since: '2026-01-01T00:00:00.000Z' }],
        last_error: null, conflict: null, counters: {},
      },
    });
    expect(text).toContain('ECMP announcements (table 240, protocol 240, device lo; maintenance on, drain safe)');
    expect(text).toMatch(/ {2}192\.0\.2\.10 {2}withdrawn {2}2026-01-01T00:00:00\.000Z {2}node in maintenance/);
    expect(renderStatus({ node: 'd1', announce: null })).not.toContain('announce');
  });
});
