/**
 * FRR and BIRD both pick up and drop lvs-ha's announcements from the kernel
 * contract (netns tier, host kernel, prefix lve: routes and BGP need no IPVS).
 *
 *   director d1 (lvs-ha announcer + FRR, configs/frr-ecmp.conf)  10.0.1.2 --- 10.0.1.1 \
 *                                                                                       router r (FRR multipath,
 *   director d2 (lvs-ha announcer + BIRD, configs/bird-ecmp.conf) 10.0.2.2 --- 10.0.2.1 /  configs/frr-ecmp-router.conf)
 *
 * The announcers run in this process with their sockets opened inside the
 * directors' namespaces; quorum is driven by the test. What is checked is the
 * router's kernel FIB: the VIP's next hops, one per announcing director.
 *
 * IPv6: both directors also serve an IPv6 VIP (2001:db8::10, a /128 in table
 * 240 like the IPv4 one) and the links carry IPv6 too. BIRD announces it over
 * the same IPv4 session (multiprotocol BGP, next hop its link's IPv6 address);
 * FRR 8.4 cannot (zebra imports only IPv4 from a table), so the router's IPv6
 * route has one next hop, d2's link, although d1 owns the route as well.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKernelAnnounce } from '../../../src/announce/daemon-engine.js';
import { AnnounceEngine } from '../../../src/announce/engine.js';
import { validateConfigText } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { EventQueue } from '../../../src/core/event-queue.js';
import type { QuorumState } from '../../../src/health/quorum.js';
import { NetnsLab } from '../../helpers/netns.js';
import { startBird, startFrr, type BirdInstance, type FrrInstance } from '../../helpers/routing-daemons.js';
import { loadLvshaNet, withNetns } from '../os/lab.js';

const VIP = '192.0.2.10';
const VIP6 = '2001:db8::10';
const D1 = '10.0.1.2';
const D2 = '10.0.2.2';
/** The router's links to d1 and d2: its IPv6 next hops are named by link (BIRD sends a link-local one too). */
const TO_D1 = 'eth1';
const TO_D2 = 'eth2';
const repo = join(import.meta.dirname, '../../..');
const net = loadLvshaNet();
const lab = new NetnsLab('lve');
const work = mkdtempSync(join(tmpdir(), 'lve-bgp-'));
let r = '';
let d1 = '';
let d2 = '';
const frr: FrrInstance[] = [];
let bird: BirdInstance | null = null;

interface Director {
  readonly engine: AnnounceEngine;
  readonly queue: EventQueue;
  /** Both virtual servers (IPv4 web, IPv6 web6), or only those named. */
  setQuorum(state: QuorumState, names?: readonly string[]): Promise<void>;
}

function config(): Config {
  const res = validateConfigText(`node: d
ecmp: { stop_grace: 2s }
virtual_servers:
  - { name: web, address: ${VIP}, port: 80, protocol: tcp, scheduler: mh, scheduler_flags: [mh-port], real_servers: [{ address: 10.9.0.11, port: 80 }] }
  - { name: web6, address: ${VIP6}, port: 80, protocol: tcp, scheduler: mh, scheduler_flags: [mh-port], real_servers: [{ address: 2001:db8:9::11, port: 80 }] }
`, 't.yaml');
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
  return res.config;
}

async function director(ns: string): Promise<Director> {
  const queue = new EventQueue();
  const quorum = new Map<string, QuorumState>();
  const listeners = new Set<() => void>();
  const engine = new AnnounceEngine({
    clock: systemClock, logger: silentLogger(),
    enqueue: (label, run) => queue.enqueue({ label, run }),
    openKernel: () => withNetns(net, ns, () => openKernelAnnounce()),
    quorum: () => quorum,
    onHealthChange: (l) => { listeners.add(l); return () => listeners.delete(l); },
  });
  await engine.start(config());
  return {
    engine, queue,
    setQuorum: async (state, names = ['web', 'web6']) => {
      for (const name of names) quorum.set(name, state);
      for (const l of listeners) l();
      await queue.enqueue({ label: 'barrier', run: () => undefined });
    },
  };
}

/** The router's FIB next hops for the VIP (empty: no route). */
function nextHops(): string[] {
  const out = lab.ip(r, ['route', 'show', `${VIP}/32`]);
  return [...out.matchAll(/via (\S+)/g)].map((m) => m[1] ?? '').sort();
}

/** The router's FIB links toward the IPv6 VIP (empty: no route). */
function nextHops6(): string[] {
  const out = lab.ip(r, ['-6', 'route', 'show', `${VIP6}/128`]);
  return [...new Set([...out.matchAll(/dev (\S+)/g)].map((m) => m[1] ?? ''))].sort();
}

/**
 * Wait until the router's next hops are exactly `want` (IPv4: the directors' addresses; with
 * family 6: the router's links to them); the time it took (ms).
 */
async function until(want: readonly string[], timeoutMs = 30_000, family: 4 | 6 = 4): Promise<number> {
  const t0 = Date.now();
  const target = [...want].sort().join(',');
  const hops = family === 4 ? nextHops : nextHops6;
  for (;;) {
    if (hops().join(',') === target) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) {
      const diag = family === 4
        ? frr.map((f) => `--- ${f.ns}\n${f.vtysh('show bgp summary')}\n${f.vtysh('show ip route')}\n${f.vtysh(`show ip bgp ${VIP}/32`)}`).join('\n')
        : frr.map((f) => `--- ${f.ns}\n${f.vtysh('show bgp ipv6 unicast summary')}\n${f.vtysh('show ipv6 route')}\n${f.vtysh(`show bgp ipv6 unicast ${VIP6}/128`)}`).join('\n');
      throw new Error(`router IPv${String(family)} next hops ${JSON.stringify(hops())}, wanted ${JSON.stringify(want)} (${String(timeoutMs)} ms)\n${diag}\n--- d2 bird\n${bird?.birdc('show protocols all uplink') ?? ''}\n${bird?.birdc('show route all') ?? ''}`);
    }
    await new Promise((res) => setTimeout(res, 20));
  }
}
const until6 = (want: readonly string[], timeoutMs = 30_000): Promise<number> => until(want, timeoutMs, 6);

const timings: Record<string, number> = {};

beforeAll(async () => {
  r = lab.addNamespace('r');
  d1 = lab.addNamespace('d1');
  d2 = lab.addNamespace('d2');
  lab.addVeth({ ns: r, ifname: 'eth1' }, { ns: d1, ifname: 'eth0' });
  lab.addVeth({ ns: r, ifname: 'eth2' }, { ns: d2, ifname: 'eth0' });
  for (const [ns, ifname, cidr, cidr6] of [
    [r, TO_D1, '10.0.1.1/24', '2001:db8:1::1/64'], [r, TO_D2, '10.0.2.1/24', '2001:db8:2::1/64'],
    [d1, 'eth0', `${D1}/24`, '2001:db8:1::2/64'], [d2, 'eth0', `${D2}/24`, '2001:db8:2::2/64'],
  ] as const) {
    lab.addAddress(ns, ifname, cidr);
    // nodad: usable at once (BIRD takes the link's IPv6 address as the IPv6 next hop).
    lab.ip(ns, ['-6', 'address', 'add', cidr6, 'dev', ifname, 'nodad']);
    lab.up(ns, ifname);
  }
  lab.exec(r, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.fib_multipath_hash_policy=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv6.fib_multipath_hash_policy=1']);
  frr.push(await startFrr(lab, r, readFileSync(join(repo, 'configs/frr-ecmp-router.conf'), 'utf8')));
  frr.push(await startFrr(lab, d1, readFileSync(join(repo, 'configs/frr-ecmp.conf'), 'utf8')));
  const birdConf = join(work, 'bird.conf');
  writeFileSync(birdConf, readFileSync(join(repo, 'configs/bird-ecmp.conf'), 'utf8'));
  bird = await startBird(lab, d2, birdConf, work);
}, 60_000);

afterAll(() => {
  for (const f of frr) f.cleanup();
  lab.destroy();
  rmSync(work, { recursive: true, force: true });
  console.log(`ECMP contract timings (ms): ${JSON.stringify(timings)}`);
});

describe('FRR and BIRD export the announcement table', () => {
  let a: Director;
  let b: Director;

  it('both announce once their checks pass: the router holds the VIP with 2 next hops', async () => {
    a = await director(d1);
    b = await director(d2);
    // Checks pending: VIP placed locally, nothing announced.
    expect(lab.ip(d1, ['route', 'show', 'table', 'local'])).toContain(`local ${VIP} dev lo proto 240`);
    await new Promise((res) => setTimeout(res, 1000));
    expect(nextHops()).toEqual([]);
    await a.setQuorum('held');
    await b.setQuorum('held');
    timings.first_announce = await until([D1, D2], 45_000);
    timings.first_announce6 = await until6([TO_D2], 45_000);
  }, 60_000);

  it('IPv6: BIRD announces the IPv6 VIP over the IPv4 session; FRR 8.4 announces only IPv4', () => {
    // Both directors own the IPv6 route in table 240 ...
    for (const ns of [d1, d2]) expect(lab.ip(ns, ['-6', 'route', 'show', 'table', '240'])).toContain(`${VIP6} dev lo proto 240`);
    // ... the router learns it by BGP from BIRD's director alone, and installs it toward d2's link.
    const routerBgp = JSON.parse(frr[0]?.vtysh(`show bgp ipv6 unicast ${VIP6}/128 json`) ?? '{}') as { paths?: { peer?: { peerId?: string } }[] };
    expect(routerBgp.paths?.map((p) => p.peer?.peerId)).toEqual([D2]);
    expect(lab.ip(r, ['-6', 'route', 'show', `${VIP6}/128`])).toMatch(/proto bgp/);
    // FRR on d1 has nothing to announce: zebra 8.4's import-table reads IPv4 routes only.
    expect(frr[1]?.vtysh(`show bgp ipv6 unicast ${VIP6}/128`)).toMatch(/Network not in table/);
  });

  it('IPv6: BIRD drops the IPv6 VIP when its virtual server loses quorum (the IPv4 VIP stays), and picks it up again', async () => {
    await b.setQuorum('lost', ['web6']);
    timings.bird_withdraw6 = await until6([]);
    expect(nextHops()).toEqual([D1, D2]);
    await b.setQuorum('held', ['web6']);
    timings.bird_announce6 = await until6([TO_D2]);
  }, 40_000);

  it('FRR drops the announcement when its director loses quorum, and picks it up again', async () => {
    await a.setQuorum('lost');
    timings.frr_withdraw = await until([D2]);
    await a.setQuorum('held');
    timings.frr_announce = await until([D1, D2]);
  }, 40_000);

  it('BIRD drops the announcement when its director goes into maintenance (both families), and picks it up again', async () => {
    await b.engine.setMaintenance(true);
    timings.bird_withdraw = await until([D1]);
    await until6([]);
    await b.engine.setMaintenance(false);
    timings.bird_announce = await until([D1, D2]);
    await until6([TO_D2]);
  }, 40_000);

  it('a restarted BIRD finds the announcement in the kernel again (the contract survives the routing daemon)', async () => {
    bird?.kill();
    await until([D1], 20_000);
    const birdConf = join(work, 'bird.conf');
    bird = await startBird(lab, d2, birdConf, work);
    timings.bird_restart_announce = await until([D1, D2], 30_000);
    await until6([TO_D2], 30_000);
  }, 60_000);

  it('stop withdraws first: the router no longer lists the director before the stop completes', async () => {
    await a.queue.close();
    let stopped = false;
    const stopping = a.engine.stop().then(() => { stopped = true; });
    timings.stop_withdraw = await until([D2], 10_000);
    expect(stopped).toBe(false);
    await stopping;
    expect(lab.ip(d1, ['route', 'show', 'table', 'local'])).not.toContain(VIP);
    await b.queue.close();
    await b.engine.stop();
    await until([], 10_000);
    await until6([], 10_000);
  }, 40_000);
});
