/**
 * `lvs-ha lab chaos` on this kernel: the lab pair under client traffic while a
 * seeded schedule (./chaos-core.ts) injects one fault at a time; after each
 * fault heals, the invariants are checked and the step is judged.
 *
 * Per fault: a client holds keep-alive connections through the VIP (and opens
 * a new one every 50 ms); once the backup's kernel shows them (synced), the
 * fault runs and heals; then the run waits for exactly one MASTER, for every
 * real server up on both directors, compares both kernels' IPVS tables with
 * the one the config asks for (`ipvsadm -S -n`), and asks every held
 * connection again.
 */
import { connect } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { encodeRequest } from '../control/protocol.js';
import {
  chaosReport, chaosSchedule, expectedIpvsadmSave, ipvsadmSaveDiff, judgeStep,
  type ChaosFault, type ChaosReport, type ChaosStepVerdict,
} from './chaos-core.js';
import { LabClient } from './client-run.js';
import { establishedTo, isBackup, isMaster, peekDirector, type DirectorView } from './peek.js';
import { inNetns, isAlive, LabError, sh, startDetached, waitFor, type ProcessRecord } from './procs.js';
import { LAB_DIR, readState, writeState, type LabState } from './state.js';
import { addressOf, hostsOf, labPaths, labScheduler, labTopology, type LabHost, type LabPaths, type LabTopology } from './topology.js';

export interface ChaosOptions {
  readonly seed: number;
  readonly faults: number;
  /** Held connections per fault. */
  readonly connections: number;
  readonly say?: (line: string) => void;
}

/** The token the lab VM's kernel command line carries (src/vm/qemu.ts): unloading ip_vs is safe only there. */
export const LAB_VM_CMDLINE_TOKEN = 'lvsha_vm=1';

/** Under emulation and load a status answer alone may take seconds (a fresh node process is slow). */
const CONVERGE_MS = 60_000;
/** A restarted director must answer `status` within this (a node start under emulation and load). */
const RESTART_MS = 180_000;
const HEALTHY_MS = 30_000;
/** After an ip_vs reload the daemon finds the family gone on its next run: the repair timer (60 s) at worst. */
const TABLE_AFTER_MODULE_MS = 75_000;
const TABLE_MS = 15_000;
const FLOOD_CLIENTS = 64;
/**
 * Half the flood clients pipeline more requests than the daemon queues per
 * connection (64: it drops them), half fewer (60: all answered, and the
 * replies pile up unread until the daemon stops reading them).
 */
const FLOOD_REQUESTS = [200, 60] as const;
const FLOOD_HOLD_MS = 3_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function inLabVm(): boolean {
  try {
    return readFileSync('/proc/cmdline', 'utf8').split(/\s+/).includes(LAB_VM_CMDLINE_TOKEN);
  } catch {
    return false;
  }
}

function forwardingFlag(t: LabTopology): '-g' | '-m' | '-i' {
  return t.options.mode === 'nat' ? '-m' : t.options.mode === 'tun' ? '-i' : '-g';
}

function rssKb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

class ChaosLab {
  /** Real server address -> configured weight (reload-changed toggles the first one's). */
  readonly weights = new Map<string, number>();
  readonly directors: LabHost[];
  readonly reals: LabHost[];

  constructor(readonly state: LabState, readonly t: LabTopology, readonly paths: LabPaths) {
    this.directors = hostsOf(t, 'director');
    this.reals = hostsOf(t, 'real_server');
    for (const r of this.reals) this.weights.set(addressOf(r), 1);
  }

  process(name: string): ProcessRecord {
    const p = this.state.processes.find((x) => x.name === name);
    if (p === undefined) throw new LabError('LVSHA_LAB_STATE', `the lab has no process '${name}'`);
    return p;
  }

  /**
   * SIGKILL a lab process and start it again with the same argv (as systemd's
   * Restart= would); a director counts as started once it answers `status`
   * (under emulation a node start takes seconds, and a signal before the
   * daemon's handlers exist would kill it). Returns ms until started.
   */
  async restart(name: string, deadMs: number): Promise<number> {
    const p = this.process(name);
    if (isAlive(p)) process.kill(p.pid, 'SIGKILL');
    await waitFor(() => Promise.resolve(isAlive(p) ? null : true), 5_000, 20);
    if (deadMs > 0) await sleep(deadMs);
    const started = performance.now();
    const fresh = startDetached(p.name, p.netns, p.argv, p.log);
    const i = this.state.processes.indexOf(p);
    this.state.processes[i] = fresh;
    writeState(this.paths.dir, this.state);
    if (this.directors.some((d) => d.name === name)) {
      const answered = await waitFor(async () => {
        if (!isAlive(fresh)) throw new LabError('LVSHA_LAB_DIED', `${name} exited after its restart; see ${fresh.log}`);
        await peekDirector(name, this.paths.socket(name), 5_000);
        return true;
      }, RESTART_MS, 250);
      if (answered === null) throw new LabError('LVSHA_LAB_CHAOS', `${name} did not answer 'status' within ${String(RESTART_MS / 1000)} s of its restart; see ${fresh.log}`);
    }
    return Math.round(performance.now() - started);
  }

  /** Signals a lab process; never a dead one (its pid may be reused). */
  signal(name: string, signal: NodeJS.Signals): void {
    const p = this.process(name);
    if (!isAlive(p)) throw new LabError('LVSHA_LAB_DIED', `${name} is not running; see ${p.log}`);
    process.kill(p.pid, signal);
  }

  async views(): Promise<DirectorView[]> {
    return Promise.all(this.directors.map((d) => peekDirector(d.name, this.paths.socket(d.name), 10_000)));
  }

  /** Each director's VRRP state(s), 'no answer' where it does not answer. */
  async states(): Promise<Record<string, string>> {
    const views = await Promise.allSettled(this.directors.map((d) => peekDirector(d.name, this.paths.socket(d.name), 10_000)));
    return Object.fromEntries(this.directors.map((d, i) => {
      const v = views[i];
      return [d.name, v?.status === 'fulfilled' ? v.value.states.join(',') : 'no answer'];
    }));
  }

  expectedTable(): string[] {
    const s = labScheduler(this.state.options.sync);
    return expectedIpvsadmSave(this.t.vip, this.t.port, s.scheduler, s.scheduler_flags ?? [], forwardingFlag(this.t),
      this.reals.map((r) => ({ address: addressOf(r), port: this.t.realPort, weight: this.weights.get(addressOf(r)) ?? 1 })));
  }

  async tableProblems(): Promise<string[]> {
    const expected = this.expectedTable();
    const out: string[] = [];
    for (const d of this.directors) {
      const diff = ipvsadmSaveDiff(await inNetns(d.netns, 'ipvsadm', ['-S', '-n']), expected);
      if (diff.length > 0) out.push(`${d.name}: ${diff.join('; ')}`);
    }
    return out;
  }

  /** Rewrites the weight of one real server in every director's config. */
  setWeight(address: string, weight: number): void {
    for (const d of this.directors) {
      const file = this.paths.config(d.name);
      const doc = parseDocument(readFileSync(file, 'utf8'));
      const servers = doc.getIn(['virtual_servers', 0, 'real_servers']) as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] } | undefined;
      const rs = servers?.items.find((x) => x.get('address') === address);
      if (rs === undefined) throw new LabError('LVSHA_LAB_STATE', `${file}: no real server ${address}`);
      rs.set('weight', weight);
      writeFileSync(file, doc.toString(), { mode: 0o600 });
    }
    this.weights.set(address, weight);
  }
}

async function flood(socket: string): Promise<void> {
  const clients = Array.from({ length: FLOOD_CLIENTS }, (_, i) => {
    const c = connect(socket);
    c.on('error', () => undefined);
    c.on('connect', () => {
      c.write(encodeRequest(1, 'status').repeat(FLOOD_REQUESTS[i % 2] ?? 1));
      // Never read: the replies pile up on the daemon's side until it stops reading us.
      c.pause();
    });
    return c;
  });
  await sleep(FLOOD_HOLD_MS);
  for (const c of clients) c.destroy();
}

/** Empties IPVS in every director's namespace: services, and the sync daemons (which keep ip_vs in use). */
async function emptyIpvs(lab: ChaosLab): Promise<void> {
  for (const d of lab.directors) {
    for (const role of ['master', 'backup']) await inNetns(d.netns, 'ipvsadm', ['--stop-daemon', role]).catch(() => undefined);
    await inNetns(d.netns, 'ipvsadm', ['-C']).catch(() => undefined);
  }
}

async function moduleReload(lab: ChaosLab): Promise<string> {
  await emptyIpvs(lab);
  let refused = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await sh('modprobe', ['-r', 'ip_vs_mh', 'ip_vs_rr', 'ip_vs']);
      refused = '';
      break;
    } catch (err) {
      refused = err instanceof Error ? err.message.split('\n').slice(-1)[0] ?? '' : String(err);
      // A daemon may have put its table (or sync daemons) back meanwhile.
      await emptyIpvs(lab);
      await sleep(200);
    }
  }
  await sh('modprobe', ['ip_vs']);
  return refused === '' ? 'ip_vs unloaded and loaded again (one kernel: both directors lose their tables and connections)' : `ip_vs stayed loaded (${refused}); tables cleared by hand instead`;
}

async function inject(lab: ChaosLab, f: ChaosFault): Promise<string> {
  const d = lab.directors.find((h) => h.name === f.target);
  switch (f.kind) {
    case 'link-flap': {
      if (d === undefined) break;
      await inNetns(d.netns, 'ip', ['link', 'set', 'eth0', 'down']);
      await sleep(f.holdMs);
      await inNetns(d.netns, 'ip', ['link', 'set', 'eth0', 'up']);
      return `eth0 down ${String(f.holdMs)} ms`;
    }
    case 'kill-daemon':
      return `SIGKILL, restarted at once, answering after ${String(await lab.restart(f.target, 0))} ms`;
    case 'reload':
      lab.signal(f.target, 'SIGHUP');
      return 'SIGHUP, config unchanged';
    case 'reload-changed': {
      const first = lab.reals[0];
      if (first === undefined) break;
      const address = addressOf(first);
      const weight = lab.weights.get(address) === 1 ? 2 : 1;
      lab.setWeight(address, weight);
      for (const h of lab.directors) lab.signal(h.name, 'SIGHUP');
      return `weight of ${first.name} -> ${String(weight)} on both, SIGHUP both`;
    }
    case 'ipvs-module-reload':
      return moduleReload(lab);
    case 'control-flood': {
      const pid = lab.process(f.target).pid;
      const before = rssKb(pid);
      await flood(lab.paths.socket(f.target));
      const after = rssKb(pid);
      return `${String(FLOOD_CLIENTS)} clients x ${FLOOD_REQUESTS.join(' or ')} status requests, replies unread for ${String(FLOOD_HOLD_MS)} ms; RSS ${String(before)} -> ${String(after)} kB`;
    }
    case 'real-server-restart':
      await lab.restart(`${f.target}-http`, f.holdMs);
      return `HTTP server killed for ${String(f.holdMs)} ms`;
  }
  throw new LabError('LVSHA_LAB_CHAOS', `no target '${f.target}' for ${f.kind}`);
}

/** Waits for d1 MASTER and the others BACKUP; the time from now, or null. */
async function converge(lab: ChaosLab, expectedMaster: string): Promise<{ ms: number | null; states: Record<string, string> }> {
  const start = performance.now();
  const ok = await waitFor(async () => {
    const views = await lab.views();
    const masters = views.filter(isMaster);
    return masters.length === 1 && masters[0]?.name === expectedMaster && views.filter((v) => v !== masters[0]).every(isBackup) ? true : null;
  }, CONVERGE_MS, 100);
  const ms = ok === null ? null : Math.round(performance.now() - start);
  return { ms, states: await lab.states() };
}

async function allHealthy(lab: ChaosLab): Promise<boolean> {
  const reals = lab.reals.map(addressOf);
  return (await waitFor(async () => {
    const views = await lab.views();
    return views.every((v) => reals.every((a) => v.health.get(a) === 'up' && (v.weights.get(a) ?? 0) > 0)) ? true : null;
  }, HEALTHY_MS, 250)) !== null;
}

export async function labChaosLocal(options: ChaosOptions, dir = LAB_DIR): Promise<ChaosReport> {
  const state = readState(dir);
  if (state === null) throw new LabError('LVSHA_LAB_NONE', "no lab is up; run 'lvs-ha lab up' first");
  if (!state.options.sync) throw new LabError('LVSHA_LAB_CHAOS', "the chaos run checks what connection sync keeps: bring the lab up with sync (without '--no-sync')");
  const t = labTopology(state.options);
  const lab = new ChaosLab(state, t, labPaths(dir));
  const clientHost = hostsOf(t, 'client')[0];
  if (clientHost === undefined) throw new LabError('LVSHA_LAB_TOPOLOGY', 'no client in the topology');
  const expectedMaster = 'd1';
  const schedule = chaosSchedule({
    seed: options.seed, faults: options.faults, directors: lab.directors.map((h) => h.name), realServers: lab.reals.map((h) => h.name), moduleReload: inLabVm(),
  });
  const say = options.say ?? ((): void => undefined);
  say(`seed ${String(options.seed)}: ${schedule.map((f) => `${f.kind} ${f.target}`).join(', ')}`);
  const start = await converge(lab, expectedMaster);
  if (start.ms === null || !(await allHealthy(lab))) throw new LabError('LVSHA_LAB_PAIR', `the pair is not d1 MASTER, d2 BACKUP with every real server up before the run: ${JSON.stringify(start.states)}`);
  const steps: ChaosStepVerdict[] = [];
  for (const [i, fault] of schedule.entries()) {
    const backup = lab.directors.find((h) => h.name !== expectedMaster);
    const client = LabClient.start(clientHost.netns, t, options.connections, 50);
    try {
      const before = await client.round('first');
      const held = before.filter((a) => a !== null).length;
      // The master's sync daemon sends at least every 2 s: wait until the backup holds them all.
      if (backup !== undefined) await waitFor(async () => ((await establishedTo(backup.netns, t.vip, t.port)) >= held ? true : null), 15_000, 250);
      let detail: string;
      let faultError: string | undefined;
      try {
        detail = await inject(lab, fault);
      } catch (err) {
        faultError = err instanceof Error ? err.message : String(err);
        detail = 'failed';
      }
      const c = await converge(lab, expectedMaster);
      await allHealthy(lab);
      const wait = fault.kind === 'ipvs-module-reload' ? TABLE_AFTER_MODULE_MS : TABLE_MS;
      let tableProblems = await lab.tableProblems();
      const deadline = Date.now() + wait;
      while (tableProblems.length > 0 && Date.now() < deadline) {
        await sleep(1000);
        tableProblems = await lab.tableProblems();
      }
      const after = await client.round(`after-${String(i + 1)}`);
      const probes = await client.stop();
      const deadProcesses = lab.state.processes.filter((p) => !isAlive(p)).map((p) => p.name);
      const step = judgeStep(i + 1, { fault, detail, convergedMs: c.ms, states: c.states, tableProblems, before, after, newOk: probes.ok, newFailed: probes.failed, deadProcesses, ...(faultError !== undefined ? { faultError } : {}) }, expectedMaster);
      steps.push(step);
      say(`${String(i + 1)}/${String(schedule.length)} ${fault.kind} ${fault.target}: ${step.problems.length === 0 ? 'ok' : step.problems.join('; ')}`);
      if (deadProcesses.length > 0 || faultError !== undefined) {
        say(`stopping the run: ${faultError ?? `${deadProcesses.join(', ')} died`} (logs in ${lab.paths.dir})`);
        break;
      }
    } finally {
      client.kill();
    }
  }
  return chaosReport(options.seed, steps);
}
