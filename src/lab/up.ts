/**
 * `lvs-ha lab up` on this kernel: builds the namespaces, starts two directors
 * (`lvs-ha run` on generated configs), prepares three real servers with
 * `lvs-ha real-server up` and starts their HTTP servers, then waits until one
 * director is MASTER, the other BACKUP and every real server is healthy in
 * both kernels' tables, and proves the VIP answers from the client.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { LAB_DIR, readState, writeState, type LabState } from './state.js';
import { addressOf, directorConfig, hostsOf, labNetwork, labPaths, labTopology, type LabOptions, type LabPaths, type LabTopology } from './topology.js';
import { inNetns, inNetnsArgv, isAlive, LabError, logTail, sh, startDetached, waitFor } from './procs.js';
import { isBackup, isMaster, peekDirector, type DirectorView } from './peek.js';
import { labProgram, lvsHaArgv } from './programs.js';
import { runClientRounds } from './client-run.js';
import { FULLNAT_LIP } from './fullnat.js';
import { networkCommands } from './netns.js';

export interface UpReport {
  readonly mode: string;
  readonly sync: boolean;
  readonly master: string;
  readonly backup: string;
  readonly vip: string;
  readonly answeredBy: Record<string, number>;
  readonly seconds: number;
}

type Say = (line: string) => void;

export async function buildNetwork(t: LabTopology, state: LabState, dir: string): Promise<void> {
  const spec = labNetwork(t);
  // Recorded first: `lab down` removes whichever of them a failed build left.
  state.namespaces.push(...spec.namespaces.map((n) => n.name));
  writeState(dir, state);
  // The FULLNAT hosts' conntrack sysctls exist once nf_conntrack is loaded.
  if (t.options.mode === 'fullnat') await sh('modprobe', ['nf_conntrack']);
  for (const [cmd = '', ...args] of networkCommands(spec)) await sh(cmd, args);
}

/** Prepares and starts the real servers in parallel (each `lvs-ha real-server` run is a node start). */
/**
 * One `lvs-ha real-server` run: a node start plus a few commands. Under
 * software emulation on a loaded 2-core host three at once took over 120 s.
 */
const REAL_SERVER_COMMAND_MS = 300_000;

export async function startRealServers(t: LabTopology, state: LabState, paths: LabPaths): Promise<void> {
  const { mode } = t.options;
  await Promise.all(hostsOf(t, 'real_server').map(async (r) => {
    if (mode === 'fullnat') {
      // Nothing to set up: FULLNAT's real servers need no VIP and no route through the directors.
    } else if (mode === 'nat') {
      // NAT needs no VIP on the real server, only the directors' gateway VIP as its route out.
      await inNetnsArgv(r.netns, lvsHaArgv(['real-server', 'check', '--mode', 'nat', '--gateway', t.gatewayVip ?? '']), REAL_SERVER_COMMAND_MS);
    } else {
      // ECMP directors forward by DR: its real servers are DR real servers.
      const rsMode = mode === 'ecmp' ? 'dr' : mode;
      await inNetnsArgv(r.netns, lvsHaArgv(['real-server', 'up', '--vip', t.vip, '--mode', rsMode, '--state-file', paths.rsState(r.name)]), REAL_SERVER_COMMAND_MS);
    }
    state.processes.push(startDetached(`${r.name}-http`, r.netns, labProgram('backend', [r.name, String(t.realPort)]), paths.log(`${r.name}-http`)));
    writeState(paths.dir, state);
  }));
}

async function startDirectors(t: LabTopology, state: LabState, paths: LabPaths): Promise<void> {
  for (const d of hostsOf(t, 'director')) {
    if (t.options.mode === 'nat') await inNetns(d.netns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    writeFileSync(paths.config(d.name), directorConfig(t, d, paths), { mode: 0o600 });
    state.processes.push(startDetached(d.name, d.netns, lvsHaArgv(['run', '--config', paths.config(d.name)]), paths.log(d.name)));
    writeState(paths.dir, state);
  }
}

function pairReady(views: readonly DirectorView[], t: LabTopology): boolean {
  const reals = hostsOf(t, 'real_server').map(addressOf);
  const allUp = views.every((v) => reals.every((a) => v.health.get(a) === 'up' && (v.weights.get(a) ?? 0) > 0));
  // Converged: d1 (priority 150, preempting) MASTER and d2 BACKUP. A d2 that started faster can be
  // MASTER for a few advert intervals until d1 preempts; that is not the steady state.
  const byName = new Map(views.map((v) => [v.name, v]));
  const d1 = byName.get('d1');
  const d2 = byName.get('d2');
  return allUp && d1 !== undefined && d2 !== undefined && isMaster(d1) && isBackup(d2);
}

/** Waits until one director is MASTER, one BACKUP, and both see every real server up (bounded). */
export async function waitForPair(t: LabTopology, paths: LabPaths, state: LabState, timeoutMs: number): Promise<DirectorView[]> {
  const directors = hostsOf(t, 'director');
  const ready = await waitFor(async () => {
    const dead = state.processes.find((p) => !isAlive(p));
    if (dead !== undefined) throw new LabError('LVSHA_LAB_DIED', `${dead.name} exited\n${logTail(dead.log)}`);
    const views = await Promise.all(directors.map((d) => peekDirector(d.name, paths.socket(d.name), 5_000)));
    return pairReady(views, t) ? views : null;
  }, timeoutMs, 500);
  if (ready !== null) return ready;
  const logs = directors.map((d) => `--- ${paths.log(d.name)} ---\n${logTail(paths.log(d.name))}`).join('\n');
  throw new LabError('LVSHA_LAB_NOT_READY', `the directors did not reach d1 MASTER, d2 BACKUP with every real server up within ${String(timeoutMs / 1000)} s\n${logs}`);
}

/** A new lab's empty record in `dir` (refused while a lab is up), its topology and paths. */
export async function newLab(options: LabOptions, dir: string): Promise<{ t: LabTopology; paths: LabPaths; state: LabState }> {
  const existing = readState(dir);
  if (existing !== null) throw new LabError('LVSHA_LAB_EXISTS', `a lab is already up (created ${existing.createdAt}); run 'lvs-ha lab down' first`);
  if (existsSync(dir)) await sh('rm', ['-rf', '--', dir]);
  const state: LabState = { version: 1, createdAt: new Date().toISOString(), options, namespaces: [], processes: [] };
  writeState(dir, state);
  return { t: labTopology(options), paths: labPaths(dir), state };
}

export async function labUpLocal(options: LabOptions, say: Say, dir = LAB_DIR): Promise<UpReport> {
  const started = performance.now();
  const { t, paths, state } = await newLab(options, dir);
  say(`building ${String(t.hosts.length + 1)} namespaces (${t.switchNetns} holds the bridge${t.bridges.length > 1 ? 's' : ''})`);
  await buildNetwork(t, state, dir);
  say(`directors: lvs-ha run on ${paths.config('d1')} and ${paths.config('d2')}`);
  await startDirectors(t, state, paths);
  const rsSetup = options.mode === 'nat' ? 'default route via the gateway VIP'
    : options.mode === 'fullnat' ? `behind router g, no VIP, no route to the client; they see the LIP ${FULLNAT_LIP}` : `lvs-ha real-server up --mode ${options.mode}`;
  say(`real servers: ${rsSetup}, HTTP on :${String(t.realPort)}`);
  await startRealServers(t, state, paths);
  const views = await waitForPair(t, paths, state, 180_000);
  const master = views.find(isMaster)?.name ?? '?';
  const backup = views.find(isBackup)?.name ?? '?';
  say(`${master} is MASTER, ${backup} is BACKUP; every real server up on both`);
  const client = hostsOf(t, 'client')[0];
  if (client === undefined) throw new LabError('LVSHA_LAB_TOPOLOGY', 'no client in the topology');
  // rr answers 6 connections from each real server twice. mh (with sync) spreads by a hash of
  // the client's address and port: 24 connections reach all three but for a chance of
  // 3 x (2/3)^24 (2 in 10,000).
  const rounds = await runClientRounds(client.netns, t, options.sync ? 24 : 6, []);
  const answeredBy: Record<string, number> = {};
  for (const a of rounds.first) answeredBy[a ?? 'no answer'] = (answeredBy[a ?? 'no answer'] ?? 0) + 1;
  if (rounds.first.some((a) => a === null)) {
    throw new LabError('LVSHA_LAB_NO_SERVICE', `the client got no answer from ${t.vip}:${String(t.port)} on some connections: ${JSON.stringify(answeredBy)}`);
  }
  return {
    mode: options.mode, sync: options.sync, master, backup, vip: `${t.vip}:${String(t.port)}`, answeredBy,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

