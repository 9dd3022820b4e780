/** The director engine against an in-memory IPVS, a scripted health service and a fake clock. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { LvsHaEvent } from '../../../src/alerts/events.js';
import { validateConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import type { FamilyEvent } from '../../../src/os/genl-family-watch.js';
import { Director, type HealthPort } from '../../../src/director/engine.js';
import type { HealthVsStatus } from '../../../src/director/status.js';
import { EventQueue } from '../../../src/core/event-queue.js';
import type { VrrpStateName } from '../../../src/vrrp/machine-types.js';
import { FakeIpvs } from '../lvs/ipvs/fake-ipvs.js';
import { FakeNft } from '../lvs/nft/fake-nft.js';

const BASE = readFileSync(new URL('../../../configs/director-a.yaml', import.meta.url), 'utf8');

function configOf(text: string): Config {
  const r = validateConfigText(text, 'director-a.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

/** A health service whose verdicts the test sets. */
class ScriptedHealth implements HealthPort {
  verdicts = new Map<string, { health: string; weight: number | null }>();
  vs: Config['virtualServers'] = [];
  updates = 0;
  onChange: () => void = () => undefined;
  update(vs: Config['virtualServers']): void {
    this.vs = vs;
    this.updates += 1;
  }
  stop(): void {
    this.vs = [];
  }
  set(address: string, port: number, health: string, weight: number | null = null): void {
    this.verdicts.set(`${address}:${String(port)}`, { health, weight });
    this.onChange();
  }
  status(): HealthVsStatus[] {
    return this.vs.map((v) => ({
      name: v.name, quorum_up: null, up_count: 0, quorum: { state: 'unknown', min_up: 1, hysteresis: 0 },
      real_servers: v.realServers.map((rs) => {
        const h = this.verdicts.get(`${rs.address.text}:${String(rs.port)}`);
        return { address: rs.address.text, port: rs.port, health: h?.health ?? 'unknown', since: '', weight: h?.weight ?? null, last_check: null };
      }),
    }));
  }
}

function setup(options: { ipvsAvailable?: () => boolean; nft?: FakeNft; nftWithoutIpvs?: FakeNft; family?: { emit: ((e: FamilyEvent) => void) | null; closed: boolean } } = {}) {
  const clock = new FakeClock();
  const queue = new EventQueue();
  const ipvs = new FakeIpvs();
  const health = new ScriptedHealth();
  const events: LvsHaEvent[] = [];
  const quorum: string[] = [];
  let connects = 0;
  const director = new Director({
    clock, logger: silentLogger(), queue,
    connectIpvs: () => {
      connects += 1;
      if (options.ipvsAvailable && !options.ipvsAvailable()) return Promise.reject(new Error('this kernel has no IPVS'));
      return Promise.resolve({ ipvs, ...(options.nft ? { nft: options.nft } : {}), close: () => undefined });
    },
    createHealth: (o) => {
      health.onChange = o.onHealthChange;
      return Promise.resolve(health);
    },
    createAlerts: () => Promise.resolve({
      handle: (e: LvsHaEvent) => { events.push(e); },
      update: () => Promise.resolve(),
      close: () => Promise.resolve(),
      status: () => [],
    }),
    setQuorum: (name, ok) => { quorum.push(`${name}=${String(ok)}`); },
    reconnectMs: 30_000,
    ...(options.nftWithoutIpvs ? { nft: options.nftWithoutIpvs } : {}),
    ...(options.family ? {
      watchIpvsFamily: (onEvent: (e: FamilyEvent) => void) => {
        const f = options.family;
        if (f) f.emit = onEvent;
        return { close: () => { if (f) f.closed = true; } };
      },
    } : {}),
  });
  const settle = async (): Promise<void> => {
    await queue.enqueue({ label: 'test', run: () => undefined });
  };
  const weight = (port: number, address: string): number | undefined => {
    for (const s of ipvs.services.values()) {
      if (s.service.key.kind === 'address' && s.service.key.port === port) {
        for (const d of s.dests.values()) if (d.address === address) return d.weight;
      }
    }
    return undefined;
  };
  const transition = (from: VrrpStateName, to: VrrpStateName): void => {
    director.onTransition({ instance: 'web', record: { from, to, reason: 'startup', atMs: 0 }, priority: 150, at: clock.wallNow() });
  };
  return { clock, queue, ipvs, health, events, quorum, director, settle, weight, transition, connects: () => connects };
}

describe('director: IPVS from config and health', () => {
  test('programs the services at start; checked real servers wait at weight 0 until their first verdict', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    expect(t.ipvs.services.size).toBe(2);
    expect(t.weight(80, '10.0.0.11')).toBe(0);
    t.health.set('10.0.0.11', 80, 'up');
    await t.settle();
    expect(t.weight(80, '10.0.0.11')).toBe(2);
    expect(t.weight(80, '10.0.0.12')).toBe(0);
    t.health.set('10.0.0.11', 80, 'down');
    await t.settle();
    expect(t.weight(80, '10.0.0.11')).toBe(0); // on_failure: inhibit
    const vs = (t.director.statusSections().virtual_servers?.() ?? []) as { name: string; real_servers: { address: string; health: string; weight: number; configured_weight: number }[] }[];
    expect(vs[0]?.real_servers[0]).toMatchObject({ address: '10.0.0.11', health: 'down', weight: 0, configured_weight: 2 });
    await t.director.stop();
  });

  test('ip_vs unloaded and loaded again: the dump answers ENOENT, the director connects afresh and restores the table', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    expect(t.connects()).toBe(1);
    // The module goes away with its table; its family id is unknown to the kernel from now on.
    t.ipvs.services.clear();
    t.ipvs.failWhen = (m) => (m === 'readTable' && t.connects() < 2 ? FakeIpvs.err(2, 'GET_SERVICE') : undefined);
    t.health.set('10.0.0.11', 80, 'up');
    await t.settle();
    expect(t.connects()).toBe(2);
    expect(t.ipvs.services.size).toBe(2);
    expect(t.weight(80, '10.0.0.11')).toBe(2);
    const rec = t.director.statusSections().reconcile?.() as { ipvs: string; family_lost: number };
    expect(rec).toMatchObject({ ipvs: 'connected', family_lost: 1 });
    // Any other dump failure is retried on the same connection.
    t.ipvs.failWhen = (m) => (m === 'readTable' ? FakeIpvs.err(16, 'GET_SERVICE') : undefined);
    t.health.set('10.0.0.11', 80, 'down');
    await t.settle();
    expect(t.connects()).toBe(2);
    await t.director.stop();
  });

  test('nlctrl says the IPVS family went and came back: the director reconnects at once, without waiting for a run or the reconnect timer', async () => {
    const family: { emit: ((e: FamilyEvent) => void) | null; closed: boolean } = { emit: null, closed: false };
    let available = true;
    const t = setup({ family, ipvsAvailable: () => available });
    await t.director.start(configOf(BASE));
    expect(t.connects()).toBe(1);
    available = false;
    t.ipvs.services.clear();
    family.emit?.('removed');
    await t.settle();
    // Dropped and tried again at once (the module is gone: that connect fails).
    expect(t.connects()).toBe(2);
    expect((t.director.statusSections().reconcile?.() as { family_lost: number }).family_lost).toBe(1);
    available = true;
    family.emit?.('added');
    await t.settle();
    await t.settle();
    expect(t.connects()).toBe(3);
    expect(t.ipvs.services.size).toBe(2);
    await t.director.stop();
    expect(family.closed).toBe(true);
  });

  test('a reload with a changed weight edits only that destination', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    t.health.set('10.0.0.11', 80, 'up');
    t.health.set('10.0.0.12', 80, 'up');
    await t.settle();
    t.ipvs.calls.length = 0;
    const updatesBefore = t.health.updates;
    await t.director.applyConfig(configOf(BASE.replace('{ address: 10.0.0.12, port: 80, weight: 1 }', '{ address: 10.0.0.12, port: 80, weight: 5 }')));
    expect(t.ipvs.calls.filter((c) => !c.startsWith('readTable') && !c.startsWith('getTimeouts'))).toEqual([
      'editDest tcp 10.0.0.100:80 -> 10.0.0.12:80',
    ]);
    expect(t.weight(80, '10.0.0.12')).toBe(5);
    expect(t.health.updates).toBe(updatesBefore + 1);
    expect(t.director.reloadChanges().text).toContain('10.0.0.12:80');
    await t.director.stop();
  });

  test('a drain is weight 0, survives a reload, and undrain restores the weight', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    t.health.set('10.0.0.11', 80, 'up');
    await t.settle();
    await t.director.drain({ address: '10.0.0.11', port: 80, virtualServer: null });
    expect(t.weight(80, '10.0.0.11')).toBe(0);
    await t.director.applyConfig(configOf(BASE));
    expect(t.weight(80, '10.0.0.11')).toBe(0);
    expect(t.director.drainList()).toEqual([{ address: '10.0.0.11', port: 80, virtual_server: null }]);
    expect(await t.director.undrain({ address: '10.0.0.11', port: 80, virtualServer: null })).toBe(true);
    expect(t.weight(80, '10.0.0.11')).toBe(2);
    expect(await t.director.undrain({ address: '10.0.0.11', port: 80, virtualServer: null })).toBe(false);
    await t.director.stop();
  });
});

describe('director: role drives the sync daemons', () => {
  test('INIT/BACKUP run the backup daemon, MASTER the master daemon; transitions are alerts', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    expect(t.ipvs.daemons.map((d) => d.state)).toEqual(['backup']);
    t.transition('INIT', 'BACKUP');
    await t.settle();
    expect(t.ipvs.daemons.map((d) => d.state)).toEqual(['backup']);
    t.transition('BACKUP', 'MASTER');
    await t.settle();
    expect(t.ipvs.daemons.map((d) => d.state)).toEqual(['master']);
    expect(t.director.currentRole()).toBe('MASTER');
    expect(t.events.flatMap((e) => (e.type === 'vrrp_transition' ? [e.to] : []))).toEqual(['BACKUP', 'MASTER']);
    const sync = t.director.statusSections().ipvs_sync?.() as { master: unknown; backup: unknown; role: string };
    expect(sync.role).toBe('MASTER');
    expect(sync.master).not.toBeNull();
    expect(sync.backup).toBeNull();
    await t.director.stop();
    expect(t.ipvs.daemons).toEqual([]);
  });

  test('backup_while_master keeps the backup daemon while MASTER', async () => {
    const t = setup();
    await t.director.start(configOf(BASE.replace('  max_len: 1472', '  max_len: 1472\n  backup_while_master: true')));
    t.transition('INIT', 'MASTER');
    await t.settle();
    expect(t.ipvs.daemons.map((d) => d.state).sort()).toEqual(['backup', 'master']);
    await t.director.stop();
  });

  test('a sync daemon stopped by hand runs again after the next drift-repair run', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    t.transition('INIT', 'MASTER');
    await t.settle();
    expect(t.ipvs.daemons.map((d) => d.state)).toEqual(['master']);
    t.ipvs.daemons = [];
    t.clock.advance(60_000);
    await t.settle();
    await t.settle();
    expect(t.ipvs.daemons.map((d) => d.state)).toEqual(['master']);
    await t.director.stop();
  });

  test('a refused daemon start raises sync_daemon_error and the director keeps running', async () => {
    const t = setup();
    t.ipvs.failWhen = (method) => (method === 'startDaemon' ? FakeIpvs.err(19, 'NEW_DAEMON') : undefined);
    await t.director.start(configOf(BASE));
    expect(t.events.some((e) => e.type === 'sync_daemon_error')).toBe(true);
    const sync = t.director.statusSections().ipvs_sync?.() as { last_error: string | null };
    expect(sync.last_error).toMatch(/NEW_DAEMON|backup/);
    expect(t.ipvs.services.size).toBe(2);
    await t.director.stop();
  });

  test('quorum events feed VRRP tracking', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    const at = t.clock.wallNow();
    t.director.publish({ type: 'quorum_lost', at, virtualServer: 'http', upCount: 0, minUp: 1, hysteresis: 0, reason: 'none up' });
    t.director.publish({ type: 'quorum_restored', at, virtualServer: 'http', upCount: 1, minUp: 1, hysteresis: 0, reason: 'one up' });
    t.director.publish({ type: 'real_server_down', at, virtualServer: 'http', address: '10.0.0.11', port: 80, from: 'up', reason: 'x' });
    expect(t.quorum).toEqual(['http=false', 'http=true']);
    await t.director.stop();
  });
});

describe('director: without IPVS', () => {
  test('logs, counts and alerts once, retries slowly, and programs the table once IPVS appears', async () => {
    let available = false;
    const t = setup({ ipvsAvailable: () => available });
    await t.director.start(configOf(BASE));
    const rec = (): { ipvs: string; connect_errors: number } => t.director.statusSections().reconcile?.() as { ipvs: string; connect_errors: number };
    expect(rec()).toMatchObject({ ipvs: 'unavailable', connect_errors: 1 });
    expect(t.events.filter((e) => e.type === 'reconcile_error')).toHaveLength(1);
    t.clock.advance(29_000);
    await t.settle();
    expect(t.connects()).toBe(1);
    t.clock.advance(1_000);
    await t.settle();
    expect(t.connects()).toBe(2);
    expect(t.events.filter((e) => e.type === 'reconcile_error')).toHaveLength(1); // same error: not raised again
    // Role changes still work (status answers, VRRP runs) while IPVS is absent.
    t.transition('INIT', 'MASTER');
    await t.settle();
    expect(t.director.currentRole()).toBe('MASTER');
    available = true;
    t.clock.advance(30_000);
    await t.settle();
    expect(rec().ipvs).toBe('connected');
    expect(t.ipvs.services.size).toBe(2);
    expect(t.ipvs.daemons.map((d) => d.state)).toEqual(['master']);
    await t.director.stop();
  });
});

describe('director: drift repair through the queue', () => {
  test('a destination re-weighted by hand is put back by the next timer run; a failed run is retried sooner', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    t.health.set('10.0.0.11', 80, 'up');
    await t.settle();
    for (const s of t.ipvs.services.values()) for (const [k, d] of s.dests) if (d.address === '10.0.0.11' && d.port === 80) s.dests.set(k, { ...d, weight: 9 });
    expect(t.weight(80, '10.0.0.11')).toBe(9);
    t.clock.advance(59_000);
    await t.settle();
    expect(t.weight(80, '10.0.0.11')).toBe(9);
    t.clock.advance(1_000);
    await t.settle();
    await t.settle();
    expect(t.weight(80, '10.0.0.11')).toBe(2);
    // A failing run: retried after 5 s, and raised as reconcile_error.
    t.ipvs.failWhen = (method) => (method === 'readTable' ? FakeIpvs.err(105, 'GET_SERVICE') : undefined);
    t.health.set('10.0.0.12', 80, 'up');
    await t.settle();
    expect(t.events.filter((e) => e.type === 'reconcile_error')).toHaveLength(1);
    t.ipvs.failWhen = () => undefined;
    t.clock.advance(5_000);
    await t.settle();
    await t.settle();
    expect(t.weight(80, '10.0.0.12')).toBe(1);
    await t.director.stop();
  });

  test('one repair timer (the reconciler\'s), and its run waits its turn on the queue', async () => {
    const t = setup();
    await t.director.start(configOf(BASE));
    t.health.set('10.0.0.11', 80, 'up');
    await t.settle();
    // Only the reconciler's repair timer is armed: no second scheduler beside it.
    expect(t.clock.pendingTimers()).toBe(1);
    for (const s of t.ipvs.services.values()) for (const [k, d] of s.dests) if (d.address === '10.0.0.11' && d.port === 80) s.dests.set(k, { ...d, weight: 9 });
    let release = (): void => undefined;
    const busy = t.queue.enqueue({ label: 'busy', run: () => new Promise<void>((resolve) => { release = resolve; }) });
    t.clock.advance(60_000);
    await Promise.resolve();
    // The repair is due but queued behind the busy task: the hand-made weight is still there.
    expect(t.weight(80, '10.0.0.11')).toBe(9);
    release();
    await busy;
    await t.settle();
    await t.settle();
    expect(t.weight(80, '10.0.0.11')).toBe(2);
    expect(t.clock.pendingTimers()).toBe(1);
    await t.director.stop();
    expect(t.clock.pendingTimers()).toBe(0);
  });
});

describe('director: the fullnat SNAT table beside IPVS', () => {
  const FULLNAT = `node: d
virtual_servers:
  - name: app
    address: 203.0.113.20
    port: 443
    forwarding: fullnat
    fullnat: { local_addresses: [10.20.0.100] }
    real_servers: [{ address: 198.51.100.11, port: 8443 }]
`;

  test('created at start, shown in status, an nft failure raised as reconcile_error, drift repaired by the next run', async () => {
    const nft = new FakeNft();
    const t = setup({ nft });
    await t.director.start(configOf(FULLNAT));
    expect(nft.scripts).toHaveLength(1);
    expect(nft.scripts[0]).toContain('snat ip to 10.20.0.100');
    const status = (): Record<string, unknown> => t.director.statusSections().reconcile?.() as Record<string, unknown>;
    expect(status().nftables).toMatchObject({ table: 'inet lvs_ha', state: 'in_sync', applies: 1 });
    // Deleted by hand, and nft refuses the repair once: raised, retried after 5 s, repaired.
    nft.json = null;
    nft.failApply = new Error('nft -f -: exit 1: Error: Could not process rule: No such file or directory');
    t.clock.advance(60_000);
    await t.settle();
    await t.settle();
    expect(t.events.filter((e) => e.type === 'reconcile_error')).toMatchObject([{ kind: 'nftables' }]);
    expect(status().nftables).toMatchObject({ state: 'error' });
    nft.failApply = null;
    t.clock.advance(5_000);
    await t.settle();
    await t.settle();
    expect(status().nftables).toMatchObject({ state: 'in_sync', applies: 2 });
    expect(nft.scripts).toHaveLength(2);
    await t.director.stop();
  });
});

describe('director: accept_mode VIP filter follows the VRRP transitions', () => {
  // configs/director-a.yaml: instance web, accept_mode false, VIP 10.0.0.100 (two virtual servers on it).
  const chains = (nft: FakeNft): string[] => {
    const doc = JSON.parse(nft.json ?? '{"nftables":[]}') as { nftables: Record<string, { name?: string }>[] };
    return doc.nftables.flatMap((i) => (i.chain?.name ? [i.chain.name] : []));
  };

  test('with IPVS: MASTER adds the chain through the reconciler, BACKUP removes it; a repeated MASTER writes nothing', async () => {
    const nft = new FakeNft();
    const t = setup({ nft });
    await t.director.start(configOf(BASE));
    expect(chains(nft)).toEqual([]);
    t.transition('BACKUP', 'MASTER');
    await t.settle();
    expect(chains(nft)).toEqual(['vip_filter']);
    expect(nft.scripts.at(-1)).toContain('ip daddr 10.0.0.100 meta l4proto tcp th dport 80 accept');
    expect(nft.scripts.at(-1)).toMatch(/ip daddr \{ 10\.0\.0\.100(, [0-9.]+)* \} drop/);
    const writes = nft.scripts.length;
    t.clock.advance(60_000); // drift-repair run: in sync, nothing written
    await t.settle();
    await t.settle();
    expect(nft.scripts).toHaveLength(writes);
    t.transition('MASTER', 'BACKUP');
    await t.settle();
    expect(chains(nft)).toEqual([]);
    await t.director.stop();
  });

  test('without IPVS: the same table from the director\'s own owner, repaired at each reconnect attempt; accept_mode true: never', async () => {
    const nft = new FakeNft();
    const t = setup({ ipvsAvailable: () => false, nftWithoutIpvs: nft });
    await t.director.start(configOf(BASE));
    t.transition('BACKUP', 'MASTER');
    await t.settle();
    expect(chains(nft)).toEqual(['vip_filter']);
    const status = t.director.statusSections().reconcile?.() as { ipvs: string; nftables: { chains: Record<string, string[]> } };
    expect(status.ipvs).toBe('unavailable');
    expect(Object.keys(status.nftables.chains)).toEqual(['vip_filter']);
    nft.json = null; // deleted by hand
    t.clock.advance(30_000);
    await t.settle();
    await t.settle();
    expect(chains(nft)).toEqual(['vip_filter']);
    t.transition('MASTER', 'FAULT');
    await t.settle();
    expect(chains(nft)).toEqual([]);
    await t.director.stop();

    const open = new FakeNft();
    const u = setup({ ipvsAvailable: () => false, nftWithoutIpvs: open });
    await u.director.start(configOf(BASE.replace('accept_mode: false', 'accept_mode: true')));
    u.transition('BACKUP', 'MASTER');
    await u.settle();
    expect(open.scripts).toEqual([]);
    await u.director.stop();
  });
});
