import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { VrrpEngine, START_RETRY_MS } from '../../../src/vrrp/engine.js';
import { RESOLVE_TIMEOUT_MS } from '../../../src/vrrp/instance-slot.js';
import { serializeAddressManager } from '../../../src/vrrp/runner-os.js';
import { decodeAdvert } from '../../../src/vrrp/packet.js';
import { configWith, engineHarness, FakeAddresses, fakeOs, flush, instanceConfig, packetFrom, type FakeOs } from './runner-fakes.js';

function makeEngine(os: FakeOs = fakeOs()) {
  return engineHarness({}, os);
}

type Row = Record<string, unknown>;
const rows = (engine: VrrpEngine): Row[] => engine.snapshot() as Row[];
const stateOf = (engine: VrrpEngine, name: string): unknown => rows(engine).find((r) => r.name === name)?.state;

const web = instanceConfig();
const api = instanceConfig({ name: 'api', vrid: 52, virtualAddresses: [{ text: '10.0.0.101', family: 'ipv4', prefixLength: 24 }] });

describe('VrrpEngine', () => {
  it('opens nothing without instances', async () => {
    let opened = 0;
    const engine = new VrrpEngine({ clock: new FakeClock(), logger: silentLogger(), openOs: () => { opened++; return Promise.resolve(fakeOs()); }, resolveScriptUser: () => Promise.resolve(null) });
    await engine.start(configWith([]));
    expect(opened).toBe(0);
    expect(engine.snapshot()).toEqual([]);
    await engine.stop();
  });

  it('status rows carry the fields issue 3 asks for', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    t.clock.advance(400);
    const row = rows(t.engine)[0];
    expect(row).toMatchObject({
      name: 'web', vrid: 51, interface: 'eth0', state: 'MASTER', priority: 150, effective_priority: 150,
      master_address: '10.0.0.1', advert_interval_ms: 100, virtual_addresses: ['10.0.0.100/24'],
      last_transition: { from: 'BACKUP', to: 'MASTER', reason: 'master_down_timer', at: '2026-01-01T00:00:00.341Z' },
    });
    expect(row?.counters).toMatchObject({ adverts_sent: expect.any(Number) as number, adverts_received: 0, transitions: 2, drops: {} });
    await t.engine.stop();
  });

  it('sync group: a member becoming MASTER pulls its BACKUP sibling; a fault puts the whole group in FAULT', async () => {
    const tracked = instanceConfig({ ...api, track: { interfaces: [{ name: 'eth1', weight: 0 }], scripts: [], virtualServers: [], routes: [], processes: [], files: [] } });
    const os = fakeOs();
    os.fakeLinks.set('eth1', true);
    const t = makeEngine(os);
    await t.engine.start(configWith([web, { ...tracked, priority: 100 }], [{ name: 'g', instances: ['web', 'api'] }]));
    t.clock.advance(345); // web (150) fires first: 341.4 ms; api (100) would need 360.9 ms
    expect(stateOf(t.engine, 'web')).toBe('MASTER');
    expect(stateOf(t.engine, 'api')).toBe('MASTER');
    expect(t.notices.find((n) => n.instance === 'api' && n.record.to === 'MASTER')?.record.reason).toBe('sync_group');
    os.fakeLinks.set('eth1', false);
    expect(stateOf(t.engine, 'api')).toBe('FAULT');
    expect(stateOf(t.engine, 'web')).toBe('FAULT');
    await flush();
    expect(os.fakeAddresses.present.size).toBe(0);
    os.fakeLinks.set('eth1', true);
    expect(stateOf(t.engine, 'web')).toBe('BACKUP');
    expect(stateOf(t.engine, 'api')).toBe('BACKUP');
    await t.engine.stop();
  });

  it('weighted tracking lowers the effective priority; the virtual-server quorum hook feeds it', async () => {
    const inst = instanceConfig({ track: { interfaces: [], scripts: [], virtualServers: [{ name: 'http', weight: -100 }], routes: [], processes: [], files: [] } });
    const t = makeEngine();
    await t.engine.start(configWith([inst]));
    t.clock.advance(400);
    t.engine.setVirtualServerQuorum('http', false);
    expect(rows(t.engine)[0]).toMatchObject({ state: 'MASTER', effective_priority: 50 });
    const last = t.os.transports[0]?.sent.at(-1);
    const d = decodeAdvert(last?.payload ?? Buffer.alloc(0), { family: 'ipv4', src: '10.0.0.1', dst: '224.0.0.18', hopLimit: 255 });
    expect(d.ok && d.value.advert.priority).toBe(50);
    t.engine.setVirtualServerQuorum('http', true);
    expect(rows(t.engine)[0]).toMatchObject({ effective_priority: 150 });
    await t.engine.stop();
  });

  it('an instance whose interface is missing shows FAULT with the reason and starts once it appears', async () => {
    const addresses = new FakeAddresses({});
    const t = makeEngine(fakeOs(addresses));
    await t.engine.start(configWith([web]));
    expect(rows(t.engine)[0]).toMatchObject({ state: 'FAULT', error: 'interface eth0 does not exist' });
    (addresses as unknown as { ifaces: Record<string, unknown> }).ifaces.eth0 = { ifindex: 2, ipv4: '10.0.0.1' };
    t.clock.advance(START_RETRY_MS);
    await flush();
    expect(rows(t.engine)[0]).toMatchObject({ state: 'BACKUP', error: null });
    await t.engine.stop();
  });

  it('a wedged rtnetlink lookup times out into FAULT with a reason (and is retried)', async () => {
    const addresses = new FakeAddresses();
    addresses.interfaceByName = () => new Promise(() => undefined);
    const t = makeEngine(fakeOs(addresses));
    const started = t.engine.start(configWith([web]));
    await flush();
    t.clock.advance(RESOLVE_TIMEOUT_MS);
    await started;
    expect(rows(t.engine)[0]).toMatchObject({ state: 'FAULT', error: `no answer from rtnetlink within ${String(RESOLVE_TIMEOUT_MS)} ms` });
    await t.engine.stop();
  });

  it('serializeAddressManager runs one rtnetlink request at a time, in call order', async () => {
    const inner = new FakeAddresses();
    let active = 0;
    let maxActive = 0;
    const order: string[] = [];
    inner.listAddresses = async (ifindex) => {
      active++;
      maxActive = Math.max(maxActive, active);
      order.push(`list${String(ifindex)}`);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      return [];
    };
    const m = serializeAddressManager(inner);
    await Promise.all([m.listAddresses(1), m.listAddresses(2), m.listAddresses(3)]);
    expect(maxActive).toBe(1);
    expect(order).toEqual(['list1', 'list2', 'list3']);
  });

  it('reload: a kept instance changes in place (no transition); a removed one stops', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web, api]));
    t.clock.advance(400);
    const before = t.notices.length;
    const apiChanged = { ...api, priority: 120 };
    await t.engine.applyConfig(configWith([web, apiChanged]));
    expect(t.notices.slice(before)).toEqual([]);
    expect(stateOf(t.engine, 'web')).toBe('MASTER');
    expect(rows(t.engine).find((r) => r.name === 'api')).toMatchObject({ state: 'MASTER', priority: 120, effective_priority: 120 });
    await t.engine.applyConfig(configWith([web]));
    expect(rows(t.engine).map((r) => r.name)).toEqual(['web']);
    await t.engine.stop();
  });

  it('setHold with resign: make-before-break; MASTER (resigning: true) with its VIPs until the peer is heard', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    t.clock.advance(400);
    await flush();
    expect(t.engine.setHold('web', true, true)).toBe(true);
    await flush();
    expect(rows(t.engine)[0]).toMatchObject({ state: 'MASTER', resigning: true, effective_priority: 1 });
    expect(t.os.fakeAddresses.present.has('10.0.0.100')).toBe(true);
    expect(t.notices.map((n) => n.record.to)).toEqual(['BACKUP', 'MASTER']); // no INIT: not a shutdown
    t.os.transports[0]?.deliver(packetFrom('10.0.0.2', 100));
    await flush();
    expect(rows(t.engine)[0]).toMatchObject({ state: 'BACKUP', resigning: false, master_address: '10.0.0.2' });
    expect(t.os.fakeAddresses.present.size).toBe(0);
    await t.engine.stop();
  });

  it('stop: every MASTER resigns with priority 0 and removes its VIPs before stop() resolves', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    t.clock.advance(400);
    await flush();
    expect(t.os.fakeAddresses.present.has('10.0.0.100')).toBe(true);
    await t.engine.stop();
    expect(t.os.fakeAddresses.present.size).toBe(0);
    const last = t.os.transports[0]?.sent.at(-1);
    const d = decodeAdvert(last?.payload ?? Buffer.alloc(0), { family: 'ipv4', src: '10.0.0.1', dst: '224.0.0.18', hopLimit: 255 });
    expect(d.ok && d.value.advert.priority).toBe(0);
    expect(t.os.transports[0]?.closed).toBe(true);
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('afterIo: a master-down expiry that is due together with a waiting advert loses to the advert (our own stall is not a dead master)', async () => {
    for (const deferred of [true, false]) {
      const pending: (() => void)[] = [];
      const clock = new FakeClock(0);
      const os = fakeOs();
      const became: string[] = [];
      const engine = new VrrpEngine({
        clock, logger: silentLogger(), openOs: () => Promise.resolve(os), resolveScriptUser: () => Promise.resolve(null),
        onTransition: (n) => became.push(n.record.to),
        ...(deferred ? { afterIo: (fn: () => void) => { pending.push(fn); } } : {}),
      });
      await engine.start(configWith([web]));
      os.transports[0]?.deliver(packetFrom('10.0.0.2', 200));
      await flush();
      // A stall: the down timer is due, and an advert from the master waits in the socket.
      clock.advance(1000);
      os.transports[0]?.deliver(packetFrom('10.0.0.2', 200));
      for (const fn of pending.splice(0)) fn();
      await flush();
      expect(became).toEqual(deferred ? ['BACKUP'] : ['BACKUP', 'MASTER', 'BACKUP']);
      expect(stateOf(engine, 'web')).toBe('BACKUP');
      await engine.stop();
    }
  });
});
