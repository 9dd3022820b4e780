/**
 * The kernel side of the ECMP contract on the host kernel, in a namespace this
 * test creates (prefix lve): the rtnetlink route adapter and the announcer
 * engine writing, keeping and withdrawing its routes, never another owner's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnounceEngine } from '../../../src/announce/engine.js';
import { openKernelAnnounce } from '../../../src/announce/daemon-engine.js';
import { validateConfigText } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { EventQueue } from '../../../src/core/event-queue.js';
import type { QuorumState } from '../../../src/health/quorum.js';
import { openRouteManager, type RouteManager } from '../../../src/os/route-table.js';
import { NetnsLab } from '../../helpers/netns.js';
import { loadLvshaNet, withNetns } from '../os/lab.js';

const net = loadLvshaNet();
const lab = new NetnsLab('lve');
let ns = '';
let routes: RouteManager;
const owner = { table: 240, protocol: 240 };
const local = (): string => lab.ip(ns, ['route', 'show', 'table', 'local']) + lab.ip(ns, ['-6', 'route', 'show', 'table', 'local']);
const show = (table: number): string => lab.ip(ns, ['route', 'show', 'table', String(table)]) + lab.ip(ns, ['-6', 'route', 'show', 'table', String(table)]);

beforeAll(() => {
  ns = lab.addNamespace('rt');
  routes = withNetns(net, ns, () => openRouteManager());
});
afterAll(() => {
  routes.close();
  lab.destroy();
});

function config(): Config {
  const r = validateConfigText(`node: d1
ecmp: { stop_grace: 200ms }
virtual_servers:
  - { name: web, address: 192.0.2.10, port: 80, protocol: tcp, scheduler: mh, real_servers: [{ address: 10.1.0.11, port: 80 }] }
  - { name: v6, address: 2001:db8::10, port: 80, protocol: tcp, scheduler: mh, real_servers: [{ address: 2001:db8:1::11, port: 80 }] }
`, 't.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

describe('rtnetlink routes of one table', () => {
  it('adds, lists and deletes idempotently, IPv4 and IPv6, with our table and protocol', async () => {
    const lo = 1;
    expect(await routes.addRoute({ address: '192.0.2.77', prefixLength: 32, ifindex: lo }, owner)).toBe('added');
    expect(await routes.addRoute({ address: '192.0.2.77', prefixLength: 32, ifindex: lo }, owner)).toBe('already-present');
    expect(await routes.addRoute({ address: '2001:db8::77', prefixLength: 128, ifindex: lo }, owner)).toBe('added');
    expect(show(240)).toMatch(/192\.0\.2\.77 dev lo proto 240 scope link/);
    expect(show(240)).toMatch(/2001:db8::77 dev lo proto 240/);
    const listed = await routes.listRoutes(240);
    expect(listed).toEqual(expect.arrayContaining([
      { address: '192.0.2.77', prefixLength: 32, table: 240, protocol: 240, ifindex: lo, type: 1 },
      expect.objectContaining({ address: '2001:db8::77', prefixLength: 128, table: 240, protocol: 240, ifindex: lo }),
    ]));
    expect(await routes.listRoutes(241)).toEqual([]);
    expect(await routes.deleteRoute({ address: '192.0.2.77', prefixLength: 32, ifindex: lo }, owner)).toBe('removed');
    expect(await routes.deleteRoute({ address: '192.0.2.77', prefixLength: 32, ifindex: lo }, owner)).toBe('already-absent');
    expect(await routes.deleteRoute({ address: '2001:db8::77', prefixLength: 128, ifindex: lo }, owner)).toBe('removed');
    expect(show(240).trim()).toBe('');
  });

  it('makes an address local by a local route of our protocol, and removes only that', async () => {
    expect(await routes.addLocal('192.0.2.99', 1, 240)).toBe('added');
    expect(await routes.addLocal('192.0.2.99', 1, 240)).toBe('already-present');
    expect(lab.exec(ns, ['ping', '-c1', '-W1', '192.0.2.99']).status).toBe(0);
    expect(await routes.deleteLocal('192.0.2.99', 240)).toBe('removed');
    expect(await routes.deleteLocal('192.0.2.99', 240)).toBe('already-absent');
    // an interface address's local route (proto kernel) is not ours to remove
    lab.ip(ns, ['addr', 'add', '192.0.2.98/32', 'dev', 'lo']);
    expect(await routes.addLocal('192.0.2.98', 1, 240)).toBe('already-present');
    expect(await routes.deleteLocal('192.0.2.98', 240)).toBe('already-absent');
    expect(local()).toContain('local 192.0.2.98 dev lo proto kernel');
    lab.ip(ns, ['addr', 'del', '192.0.2.98/32', 'dev', 'lo']);
  });

  it('a delete with our protocol never removes another owner\'s route for the same prefix', async () => {
    lab.ip(ns, ['route', 'add', '192.0.2.88/32', 'dev', 'lo', 'table', '240', 'proto', 'static']);
    expect(await routes.deleteRoute({ address: '192.0.2.88', prefixLength: 32, ifindex: 1 }, owner)).toBe('already-absent');
    expect(show(240)).toContain('192.0.2.88 dev lo proto static');
    lab.ip(ns, ['route', 'del', '192.0.2.88/32', 'table', '240']);
  });
});

describe('the announcer on the kernel', () => {
  it('places the VIPs on lo, announces on quorum, survives a restart unchanged, withdraws on stop after the grace', async () => {
    lab.ip(ns, ['route', 'add', '198.51.100.1/32', 'dev', 'lo', 'table', '240', 'proto', 'static']);
    const quorum = new Map<string, QuorumState>();
    const listeners = new Set<() => void>();
    const make = (queue: EventQueue): AnnounceEngine => new AnnounceEngine({
      clock: systemClock, logger: silentLogger(),
      enqueue: (label, run) => queue.enqueue({ label, run }),
      // Sockets opened inside the namespace (the thread moves there only for the synchronous open).
      openKernel: () => withNetns(net, ns, () => openKernelAnnounce()),
      quorum: () => quorum,
      onHealthChange: (l) => { listeners.add(l); return () => listeners.delete(l); },
    });
    const healthy = async (queue: EventQueue): Promise<void> => {
      quorum.set('web', 'held');
      quorum.set('v6', 'held');
      for (const l of listeners) l();
      await queue.enqueue({ label: 'barrier', run: () => undefined });
    };
    let queue = new EventQueue();
    let engine = make(queue);
    await engine.start(config());
    expect(local()).toContain('local 192.0.2.10 dev lo proto 240 scope host');
    expect(local()).toContain('local 2001:db8::10 dev lo proto 240');
    expect(show(240)).not.toContain('192.0.2.10');
    await healthy(queue);
    expect(show(240)).toContain('192.0.2.10 dev lo proto 240 scope link');
    expect(show(240)).toContain('2001:db8::10 dev lo proto 240');

    // "crash": a second engine on the same kernel, health still unknown: nothing changes
    const before = show(240);
    quorum.clear();
    listeners.clear();
    queue = new EventQueue();
    engine = make(queue);
    await engine.start(config());
    expect(show(240)).toBe(before);
    expect((engine.snapshot() as { counters: { route_ops: number } }).counters.route_ops).toBe(0);
    await healthy(queue);

    // a route deleted by hand is put back by the next evaluation
    lab.ip(ns, ['route', 'del', '192.0.2.10/32', 'table', '240', 'proto', '240']);
    await healthy(queue);
    expect(show(240)).toContain('192.0.2.10 dev lo proto 240');

    await queue.close();
    const t0 = Date.now();
    const stopping = engine.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(show(240)).not.toContain('proto 240');
    expect(local()).toContain('local 192.0.2.10 dev lo');
    await stopping;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(local()).not.toContain('192.0.2.10');
    expect(local()).not.toContain('2001:db8::10');
    // the kernel's own local routes (lo's 127.0.0.1) were never touched
    expect(local()).toContain('local 127.0.0.1 dev lo');
    // the other owner's route in the same table is still there
    expect(show(240)).toContain('198.51.100.1 dev lo proto static');
  });
});
