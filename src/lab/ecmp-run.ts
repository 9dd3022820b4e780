/**
 * `lvs-ha lab up --mode ecmp` on this kernel (OS side of ./ecmp.ts): builds the
 * namespaces, starts the router's FRR, then per director `lvs-ha run` and its
 * routing daemon (FRR's zebra and bgpd, or BIRD), the real servers, and waits
 * until every director sees every real server up and announces the VIP, and
 * the router's route to the VIP has one next hop per director. Then proves
 * from the client that held connections spread over every director.
 *
 * FRR runs in the foreground under a pathspace named after the namespace (-N),
 * so its sockets live in /run/frr/<netns>, apart from any FRR of the host;
 * `lab down` removes those folders with the namespaces.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peekDirector, type DirectorView } from './peek.js';
import { parseIpVsConn } from '../lvs/ipvs/connections.js';
import { inNetns, isAlive, LabError, logTail, sh, startDetached, waitFor, type ProcessRecord } from './procs.js';
import { lvsHaArgv, PACKAGE_ROOT } from './programs.js';
import { LabClient } from './client-run.js';
import { LAB_DIR, readState, writeState, type LabState } from './state.js';
import { addressOf, directorConfig, hostsOf, labPaths, labTopology, type LabHost, type LabOptions, type LabPaths, type LabTopology } from './topology.js';
import { buildNetwork, newLab, startRealServers } from './up.js';
import {
  directorBirdConfig, directorFrrConfig, ECMP_ROUTER_SYSCTLS, parseNextHops, routerFrrConfig, routingDaemonOf,
} from './ecmp.js';

type Say = (line: string) => void;

const FRR_RUN = '/run/frr';
const FRR_DAEMONS = '/usr/lib/frr';

/** FRR and BIRD must be installed (Debian: frr, bird2). */
export function ecmpPreflight(): void {
  for (const [file, pkg] of [[join(FRR_DAEMONS, 'zebra'), 'frr'], [join(FRR_DAEMONS, 'bgpd'), 'frr'], ['/usr/bin/vtysh', 'frr'], ['/usr/sbin/bird', 'bird2']] as const) {
    if (!existsSync(file)) throw new LabError('LVSHA_LAB_PACKAGE', `lab --mode ecmp needs ${file}; install it with: apt-get install -y ${pkg}`);
  }
}

/** The FRR pathspace folder of a lab namespace (removed by `lab down`). */
export function frrRunDir(netns: string): string {
  return join(FRR_RUN, netns);
}

function shipped(name: string): string {
  return readFileSync(join(PACKAGE_ROOT, 'configs', name), 'utf8');
}

function record(state: LabState, paths: LabPaths, p: ProcessRecord): void {
  state.processes.push(p);
  writeState(paths.dir, state);
}

async function startFrr(h: LabHost, config: string, bfd: boolean, state: LabState, paths: LabPaths): Promise<void> {
  const dir = frrRunDir(h.netns);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const uid = Number((await sh('id', ['-u', 'frr'])).trim());
  const gid = Number((await sh('id', ['-g', 'frr'])).trim());
  chownSync(dir, uid, gid);
  const daemons = ['zebra', 'bgpd', ...(bfd ? ['bfdd'] : [])];
  for (const d of daemons) {
    // -f /dev/null: the config is fed through vtysh below, like an integrated frr.conf.
    const argv = [join(FRR_DAEMONS, d), '-N', h.netns, '-u', 'frr', '-g', 'frr', '-f', '/dev/null', '-i', join(dir, `${d}.pid`), '--log', 'stdout', '--log-level', 'warnings'];
    record(state, paths, startDetached(`${h.name}-${d}`, h.netns, argv, paths.log(`${h.name}-frr`)));
  }
  const ready = await waitFor(() => Promise.resolve(daemons.every((d) => existsSync(join(dir, `${d}.vty`))) ? true : null), 30_000, 100);
  if (ready === null) throw new LabError('LVSHA_LAB_FRR', `FRR in ${h.netns} did not open its vty sockets within 30 s\n${logTail(paths.log(`${h.name}-frr`))}`);
  const file = paths.config(`${h.name}-frr`).replace(/\.yaml$/, '.conf');
  writeFileSync(file, config, { mode: 0o600 });
  const out = await inNetns(h.netns, 'vtysh', ['-N', h.netns, '-f', file], 60_000);
  const refused = out.split('\n').filter((l) => /^%|No such command|Unknown command/.test(l));
  if (refused.length > 0) throw new LabError('LVSHA_LAB_FRR', `FRR in ${h.netns} refused ${file}:\n${refused.join('\n')}`);
}

function birdSocket(paths: LabPaths, h: LabHost): string {
  return join(paths.dir, `${h.name}.bird.ctl`);
}

async function startBird(h: LabHost, config: string, state: LabState, paths: LabPaths): Promise<void> {
  const file = paths.config(`${h.name}-bird`).replace(/\.yaml$/, '.conf');
  writeFileSync(file, config, { mode: 0o600 });
  const socket = birdSocket(paths, h);
  rmSync(socket, { force: true });
  record(state, paths, startDetached(`${h.name}-bird`, h.netns, ['/usr/sbin/bird', '-f', '-c', file, '-s', socket], paths.log(`${h.name}-bird`)));
  const ready = await waitFor(() => Promise.resolve(existsSync(socket) ? true : null), 30_000, 100);
  if (ready === null) throw new LabError('LVSHA_LAB_BIRD', `BIRD in ${h.netns} did not open its control socket within 30 s\n${logTail(paths.log(`${h.name}-bird`))}`);
}

/** lvs-ha itself (named like the director) or its routing daemon (d2-bird, d1-zebra...). */
export function isDirectorProcess(p: ProcessRecord, d: LabHost): boolean {
  return p.name === d.name || p.name.startsWith(`${d.name}-`);
}

/** Starts one director: `lvs-ha run` on its generated config, then its routing daemon. */
export async function startEcmpDirector(t: LabTopology, d: LabHost, state: LabState, paths: LabPaths): Promise<void> {
  // A restart (the drill's return) replaces the records of this director's dead processes.
  for (let i = state.processes.length - 1; i >= 0; i--) {
    const p = state.processes[i];
    if (p !== undefined && isDirectorProcess(p, d) && !isAlive(p)) state.processes.splice(i, 1);
  }
  writeFileSync(paths.config(d.name), directorConfig(t, d, paths), { mode: 0o600 });
  record(state, paths, startDetached(d.name, d.netns, lvsHaArgv(['run', '--config', paths.config(d.name)]), paths.log(d.name)));
  const bfd = t.options.bfd === true;
  if (routingDaemonOf(d) === 'bird') await startBird(d, directorBirdConfig(shipped('bird-ecmp.conf'), addressOf(d), bfd), state, paths);
  else await startFrr(d, directorFrrConfig(shipped('frr-ecmp.conf'), addressOf(d), bfd), bfd, state, paths);
}

export function routerOf(t: LabTopology): LabHost {
  const g = hostsOf(t, 'router')[0];
  if (g === undefined) throw new LabError('LVSHA_LAB_TOPOLOGY', 'no router in the topology');
  return g;
}

export function clientOf(t: LabTopology): LabHost {
  const c = hostsOf(t, 'client')[0];
  if (c === undefined) throw new LabError('LVSHA_LAB_TOPOLOGY', 'no client in the topology');
  return c;
}

/** The router's next hops for the VIP, from its kernel FIB. */
export async function nextHops(t: LabTopology): Promise<string[]> {
  return parseNextHops(await sh('ip', ['-n', routerOf(t).netns, 'route', 'show', `${t.vip}/32`]));
}

/** Whether a director sees every real server up and announces every VIP. */
export function ecmpDirectorReady(v: DirectorView, reals: readonly string[]): boolean {
  const allUp = reals.every((a) => v.health.get(a) === 'up' && (v.weights.get(a) ?? 0) > 0);
  const announce = v.raw.announce as { vips?: { state?: string }[] } | null | undefined;
  const vips = announce?.vips ?? [];
  return allUp && vips.length > 0 && vips.every((x) => x.state === 'announced');
}

/** Waits until `directors` are ready and are exactly the router's next hops (bounded). */
export async function waitForEcmp(t: LabTopology, paths: LabPaths, state: LabState, directors: readonly LabHost[], timeoutMs: number): Promise<void> {
  const reals = hostsOf(t, 'real_server').map(addressOf);
  const want = directors.map(addressOf).sort().join(',');
  const ok = await waitFor(async () => {
    const dead = state.processes.find((p) => !isAlive(p) && directors.some((d) => isDirectorProcess(p, d)));
    if (dead !== undefined) throw new LabError('LVSHA_LAB_DIED', `${dead.name} exited\n${logTail(dead.log)}`);
    const views = await Promise.all(directors.map((d) => peekDirector(d.name, paths.socket(d.name), 5_000)));
    if (!views.every((v) => ecmpDirectorReady(v, reals))) return null;
    return (await nextHops(t)).join(',') === want ? true : null;
  }, timeoutMs, 500);
  if (ok !== null) return;
  const logs = directors.map((d) => `--- ${paths.log(d.name)} ---\n${logTail(paths.log(d.name), 8)}`).join('\n');
  throw new LabError('LVSHA_LAB_NOT_READY', `the directors did not all announce ${t.vip} with every real server up (router next hops wanted ${want}, have ${(await nextHops(t).catch(() => [])).join(',') || 'none'}) within ${String(timeoutMs / 1000)} s\n${logs}`);
}

/**
 * Which directors' IPVS tables hold an entry for each of `ports` (the client's ports of the held
 * connections), by port. Only the held connections count, not the probes or earlier steps'
 * entries. A director whose lvs-ha is gone still has its kernel table (read all the same).
 */
export async function whereHeld(t: LabTopology, directors: readonly LabHost[], ports: readonly (number | null)[]): Promise<Map<number, string[]>> {
  const wanted = new Set(ports.filter((p): p is number => p !== null));
  const out = new Map<number, string[]>();
  for (const d of directors) {
    const text = await inNetns(d.netns, 'cat', ['/proc/net/ip_vs_conn']).catch(() => '');
    const mine = new Set(parseIpVsConn(text).connections
      .filter((c) => c.virtual.address === t.vip && c.virtual.port === t.port && wanted.has(c.client.port))
      .map((c) => c.client.port));
    for (const port of mine) out.set(port, [...(out.get(port) ?? []), d.name]);
  }
  return out;
}

/** How many of the held connections each director's IPVS table holds, from whereHeld. */
export function countHeld(where: ReadonlyMap<number, readonly string[]>, directors: readonly LabHost[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of directors) out[d.name] = [...where.values()].filter((on) => on.includes(d.name)).length;
  return out;
}

/** How many of the held connections (by client port) each director's IPVS table holds. */
export async function heldOn(t: LabTopology, directors: readonly LabHost[], ports: readonly (number | null)[]): Promise<Record<string, number>> {
  return countHeld(await whereHeld(t, directors, ports), directors);
}

export interface EcmpUpReport {
  readonly mode: 'ecmp';
  readonly directors: string[];
  readonly scheduler: string;
  readonly bfd: boolean;
  readonly vip: string;
  /** The router's next hops for the VIP once every director announced. */
  readonly next_hops: string[];
  /** Held test connections: which real server answered, and which director's IPVS table holds them. */
  readonly answeredBy: Record<string, number>;
  readonly heldBy: Record<string, number>;
  readonly seconds: number;
}

const UP_CONNECTIONS = 30;

export async function labUpEcmpLocal(options: LabOptions, say: Say, dir = LAB_DIR): Promise<EcmpUpReport> {
  ecmpPreflight();
  const started = performance.now();
  const { t, paths, state } = await newLab(options, dir);
  const directors = hostsOf(t, 'director');
  const g = routerOf(t);
  say(`building ${String(t.hosts.length + 1)} namespaces: router g, ${String(directors.length)} directors, 3 real servers, client c (${t.switchNetns} holds the bridges)`);
  await buildNetwork(t, state, dir);
  await inNetns(g.netns, 'sysctl', ['-qw', ...ECMP_ROUTER_SYSCTLS]);
  say('router g: FRR (configs/frr-ecmp-router.conf: multipath, BGP listen range for the directors), L4 ECMP hashing');
  await startFrr(g, routerFrrConfig(shipped('frr-ecmp-router.conf'), options.bfd === true), options.bfd === true, state, paths);
  say(`real servers: lvs-ha real-server up --mode dr --vip ${t.vip}, HTTP on :${String(t.realPort)}`);
  await startRealServers(t, state, paths);
  say(`directors: lvs-ha run with an ecmp section; routing daemons ${directors.map((d) => `${d.name} ${routingDaemonOf(d) === 'bird' ? 'BIRD' : 'FRR'}`).join(', ')}`);
  for (const d of directors) await startEcmpDirector(t, d, state, paths);
  await waitForEcmp(t, paths, state, directors, 300_000);
  const hops = await nextHops(t);
  say(`every director announces ${t.vip}; router next hops: ${hops.join(', ')}`);
  const client = LabClient.start(clientOf(t).netns, t, UP_CONNECTIONS, 200);
  let first: (string | null)[];
  let heldBy: Record<string, number>;
  try {
    first = await client.round('first');
    heldBy = await heldOn(t, directors, client.ports);
    await client.stop();
  } finally {
    client.kill();
  }
  const answeredBy: Record<string, number> = {};
  for (const a of first) answeredBy[a ?? 'no answer'] = (answeredBy[a ?? 'no answer'] ?? 0) + 1;
  if (first.some((a) => a === null)) {
    throw new LabError('LVSHA_LAB_NO_SERVICE', `the client got no answer from ${t.vip}:${String(t.port)} on some connections: ${JSON.stringify(answeredBy)}`);
  }
  return {
    mode: 'ecmp', directors: directors.map((d) => d.name), scheduler: options.scheduler ?? 'mh', bfd: options.bfd === true,
    vip: `${t.vip}:${String(t.port)}`, next_hops: hops, answeredBy, heldBy,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

export function renderEcmpUp(r: EcmpUpReport): string {
  return `lab is up (${String(r.seconds)} s): ECMP, VIP ${r.vip}, ${String(r.directors.length)} active directors (scheduler ${r.scheduler}${r.bfd ? ', BFD' : ''}); router next hops ${r.next_hops.join(', ')}\n`
    + `  ${String(Object.values(r.answeredBy).reduce((a, b) => a + b, 0))} held connections answered by ${JSON.stringify(r.answeredBy)}; in the directors' IPVS tables ${JSON.stringify(r.heldBy)}\n`
    + 'next: lvs-ha lab status | lvs-ha lab drill | lvs-ha lab down\n';
}

/** Re-reads the lab (for the drill). */
export function ecmpLab(dir: string): { state: LabState; t: LabTopology; paths: LabPaths } {
  const state = readState(dir);
  if (state === null) throw new LabError('LVSHA_LAB_NONE', "no lab is up; run 'lvs-ha lab up' first");
  return { state, t: labTopology(state.options), paths: labPaths(dir) };
}
