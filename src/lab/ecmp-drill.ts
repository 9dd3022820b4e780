/**
 * `lvs-ha lab drill` in ECMP mode: the client holds keep-alive connections
 * through the router (spread over every director by the router's L4 hash) and
 * opens a new connection every 50 ms; then, one step at a time:
 *  1. kill: SIGKILL of d1's lvs-ha and its routing daemon (an unplanned loss);
 *  2. drain: `lvs-ha maintenance on --wait` on d2 until it reports safe to stop,
 *     then stop it (SIGTERM) and its routing daemon (a planned removal);
 *  3. return (unless --no-return): both start again and join (a director added).
 * For each: connections held (and how many sat on the director in question),
 * kept (answered again by the same real server), new connections failed, and
 * the time until the router's FIB no longer (or again) lists the director.
 * Each step uses a fresh client, so its figures are its own.
 */
import { execFile } from 'node:child_process';
import { sessionsKept, type SessionVerdict } from './drill-core.js';
import { LabClient, type ProbeSummary } from './client-run.js';
import { clientOf, countHeld, ecmpLab, isDirectorProcess, nextHops, startEcmpDirector, waitForEcmp, whereHeld } from './ecmp-run.js';
import { isAlive, LabError, stopProcess, waitFor } from './procs.js';
import { lvsHaArgv } from './programs.js';
import { LAB_DIR } from './state.js';
import { addressOf, hostsOf, type LabHost, type LabPaths, type LabTopology } from './topology.js';
import { peekDirector } from './peek.js';

export interface EcmpDrillOptions {
  readonly connections: number;
  readonly returnAfter: boolean;
}

export interface EcmpDrillStep {
  readonly step: 'kill' | 'drain' | 'return';
  readonly directors: string[];
  readonly how: string;
  /** The step's held connections per director, by their entries in its IPVS table before the step. */
  readonly held_by: Record<string, number>;
  readonly sessions: SessionVerdict;
  /**
   * The held connections the router moved during the step: after it, a director's IPVS table
   * holds the connection (by client port) that did not before (a moved flow creates an entry on
   * the director it lands on, sloppy_tcp). Whether each was kept is the question mh answers and
   * rr does not.
   */
  readonly moved: SessionVerdict;
  /** Per held connection: its client port, the directors holding it before and after, its answers. */
  readonly trace: FlowTrace[];
  /**
   * kill: the SIGKILL until the router no longer lists the director; drain: the director's
   * withdrawal (maintenance since) until then; return: the start until it lists both again.
   */
  readonly router_ms: number | null;
  /** drain only: what `maintenance on --wait` reported, and whether the router still listed the director when it stopped. */
  readonly drain: { readonly state: string; readonly exit_code: number; readonly listed_at_stop: boolean } | null;
  /**
   * return only: per director, when the router first listed it (ms from the start) and whether
   * its own checks had passed then (every real server up in its status).
   */
  readonly joined?: Record<string, { readonly ms: number; readonly checks_passed: boolean }>;
  readonly new_connections: ProbeSummary;
}

export interface FlowTrace {
  readonly port: number | null;
  readonly before_on: string[];
  readonly after_on: string[];
  readonly first: string | null;
  readonly after: string | null;
}

/**
 * Pure: each held connection's trace (by index: first answer, answer after the step, client
 * port as of the first round), and the verdict over the moved ones (a director holds it after
 * the step that did not before).
 */
export function traceFlows(
  first: readonly (string | null)[], after: readonly (string | null)[], ports: readonly (number | null)[],
  before: ReadonlyMap<number, readonly string[]>, now: ReadonlyMap<number, readonly string[]>,
): { trace: FlowTrace[]; moved: SessionVerdict } {
  const trace = first.map((answer, i): FlowTrace => {
    const port = ports[i] ?? null;
    return {
      port, first: answer, after: after[i] ?? null,
      before_on: port === null ? [] : [...(before.get(port) ?? [])], after_on: port === null ? [] : [...(now.get(port) ?? [])],
    };
  });
  const moved = trace.filter((f) => f.after_on.some((d) => !f.before_on.includes(d)));
  return { trace, moved: sessionsKept(moved.map((f) => f.first), moved.map((f) => f.after)) };
}

export interface EcmpDrillReport {
  readonly mode: 'ecmp';
  readonly scheduler: string;
  readonly bfd: boolean;
  readonly steps: EcmpDrillStep[];
}

/** Runs `lvs-ha ARGS` as an operator would; its exit code and stdout (bounded). */
function runCli(args: readonly string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  const [cmd = process.execPath, ...rest] = lvsHaArgv(args);
  return new Promise((resolve) => {
    execFile(cmd, rest, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 99;
      resolve({ code, out: stdout.trim() === '' ? stderr : stdout });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the router every 20 ms until `test(next hops)` holds; the time it took, or null after timeoutMs. */
async function routerUntil(t: LabTopology, test: (hops: string[]) => boolean, since: number, timeoutMs: number): Promise<number | null> {
  const seen = await waitFor(async () => (test(await nextHops(t)) ? performance.now() : null), timeoutMs, 20);
  return seen === null ? null : Math.round(seen - since);
}

/**
 * Watches the router every 20 ms while `joining` directors start: for each, when the router first
 * lists it and whether that director saw every real server up at that moment.
 */
async function watchJoins(t: LabTopology, paths: LabPaths, joining: readonly LabHost[], since: number, timeoutMs: number): Promise<NonNullable<EcmpDrillStep['joined']>> {
  const reals = hostsOf(t, 'real_server').map(addressOf);
  const out: Record<string, { ms: number; checks_passed: boolean }> = {};
  const deadline = since + timeoutMs;
  while (Object.keys(out).length < joining.length && performance.now() < deadline) {
    const hops: string[] = await nextHops(t).catch(() => []);
    for (const d of joining) {
      if (out[d.name] !== undefined || !hops.includes(addressOf(d))) continue;
      const ms = Math.round(performance.now() - since);
      const v = await peekDirector(d.name, paths.socket(d.name), 5_000).catch(() => null);
      out[d.name] = { ms, checks_passed: v !== null && reals.every((a) => v.health.get(a) === 'up') };
    }
    await sleep(20);
  }
  return out;
}

/** When a director's maintenance began (its status), in ms since the epoch; null if unknown. */
async function maintenanceSince(socket: string, name: string): Promise<number | null> {
  const v = await peekDirector(name, socket, 10_000).catch(() => null);
  const announce = v?.raw.announce as { maintenance?: { since?: string | null } } | null | undefined;
  const since = announce?.maintenance?.since;
  return typeof since === 'string' ? Date.parse(since) : null;
}

interface Held {
  client: LabClient;
  first: (string | null)[];
  /** The held connections' client ports as of the first round (a broken one's port is gone later). */
  ports: (number | null)[];
  before: Map<number, string[]>;
  heldBy: Record<string, number>;
}

async function hold(t: LabTopology, n: number, directors: readonly LabHost[]): Promise<Held> {
  const client = LabClient.start(clientOf(t).netns, t, n, 50);
  const first = await client.round('first');
  if (!first.some((a) => a !== null)) {
    client.kill();
    throw new LabError('LVSHA_LAB_NO_SERVICE', `the client could not reach ${t.vip}:${String(t.port)}`);
  }
  const ports = [...client.ports];
  const before = await whereHeld(t, directors, ports);
  return { client, first, ports, before, heldBy: countHeld(before, directors) };
}

/** The step's verdicts once the client asked again: every held connection, and the moved ones. */
async function verdicts(t: LabTopology, h: Held, after: readonly (string | null)[]): Promise<Pick<EcmpDrillStep, 'sessions' | 'moved' | 'trace'>> {
  const now = await whereHeld(t, hostsOf(t, 'director'), h.ports);
  return { sessions: sessionsKept(h.first, after), ...traceFlows(h.first, after, h.ports, h.before, now) };
}

export async function labDrillEcmpLocal(options: EcmpDrillOptions, dir = LAB_DIR): Promise<EcmpDrillReport> {
  const { state, t, paths } = ecmpLab(dir);
  if (state.options.mode !== 'ecmp') throw new LabError('LVSHA_LAB_MODE', 'not an ECMP lab');
  const directors = hostsOf(t, 'director');
  const [killed, drained] = directors;
  if (directors.length < 3 || killed === undefined || drained === undefined) {
    throw new LabError('LVSHA_LAB_TOPOLOGY', `the ECMP drill kills one director and drains another: it needs 3 or more (this lab has ${String(directors.length)})`);
  }
  await waitForEcmp(t, paths, state, directors, 30_000).catch((err: unknown) => {
    throw new LabError('LVSHA_LAB_NOT_READY', `the lab is not in its steady state before the drill (see 'lvs-ha lab status'): ${err instanceof Error ? err.message : String(err)}`);
  });
  const steps: EcmpDrillStep[] = [];
  const procsOf = (d: LabHost) => state.processes.filter((p) => isDirectorProcess(p, d) && isAlive(p));
  const base = { drain: null };

  // 1. kill: no withdrawal; the router learns of the loss from the BGP session ending.
  {
    const h = await hold(t, options.connections, directors);
    try {
      const victims = procsOf(killed);
      const t0 = performance.now();
      for (const p of victims) process.kill(p.pid, 'SIGKILL');
      const routerMs = await routerUntil(t, (hops) => !hops.includes(addressOf(killed)), t0, 60_000);
      const after = await h.client.round('after');
      steps.push({
        ...base, step: 'kill', directors: [killed.name], how: `SIGKILL of ${victims.map((p) => p.name).join(', ')}`,
        held_by: h.heldBy, ...(await verdicts(t, h, after)), router_ms: routerMs, new_connections: await h.client.stop(),
      });
    } finally {
      h.client.kill();
    }
  }

  // 2. drain: withdraw, wait until safe, then stop.
  {
    const alive = directors.filter((d) => d !== killed);
    const h = await hold(t, options.connections, alive);
    try {
      // Timed from the daemon's own withdrawal (its maintenance `since`), not from the command's
      // start: a node CLI start in a loaded emulated VM takes seconds.
      const gone = waitFor(async () => ((await nextHops(t)).includes(addressOf(drained)) ? null : Date.now()), 120_000, 20);
      const wait = await runCli(['maintenance', 'on', '--wait', '--json', '--socket', paths.socket(drained.name)], 120_000);
      const goneAt = await gone;
      const since = await maintenanceSince(paths.socket(drained.name), drained.name);
      const routerMs = goneAt === null || since === null ? null : Math.max(0, goneAt - since);
      let drainState = 'unknown';
      try {
        const parsed = JSON.parse(wait.out) as { drain?: { state?: string } | null };
        drainState = parsed.drain?.state ?? 'none';
      } catch {
        drainState = `not reported: ${wait.out.split('\n')[0] ?? ''}`;
      }
      const listedAtStop = (await nextHops(t)).includes(addressOf(drained));
      const victims = procsOf(drained);
      // lvs-ha first (SIGTERM: it withdraws again, waits stop_grace, stops), then its routing daemon.
      for (const p of victims) await stopProcess(p, 15_000);
      const after = await h.client.round('after');
      steps.push({
        step: 'drain', directors: [drained.name], how: `maintenance on --wait, then SIGTERM of ${victims.map((p) => p.name).join(', ')}`,
        held_by: h.heldBy, ...(await verdicts(t, h, after)), router_ms: routerMs,
        drain: { state: drainState, exit_code: wait.code, listed_at_stop: listedAtStop },
        new_connections: await h.client.stop(),
      });
    } finally {
      h.client.kill();
    }
  }

  // 3. return: both start again; each announces only once its own checks pass.
  if (options.returnAfter) {
    const alive = directors.filter((d) => d !== killed && d !== drained);
    const h = await hold(t, options.connections, alive);
    try {
      const t0 = performance.now();
      const watching = watchJoins(t, paths, [killed, drained], t0, 180_000);
      for (const d of [killed, drained]) await startEcmpDirector(t, d, state, paths);
      const joined = await watching;
      const times = Object.values(joined).map((j) => j.ms);
      const routerMs = times.length === 2 ? Math.max(...times) : null;
      await waitForEcmp(t, paths, state, directors, 60_000);
      // A round now reaches every director: flows the router moved to the new next hops too.
      await sleep(500);
      const after = await h.client.round('after');
      steps.push({
        ...base, step: 'return', directors: [killed.name, drained.name], how: 'lvs-ha and its routing daemon started again',
        held_by: h.heldBy, ...(await verdicts(t, h, after)), router_ms: routerMs, joined, new_connections: await h.client.stop(),
      });
    } finally {
      h.client.kill();
    }
  }
  return { mode: 'ecmp', scheduler: state.options.scheduler ?? 'mh', bfd: state.options.bfd === true, steps };
}

export function renderEcmpDrill(r: EcmpDrillReport): string {
  const lines = [`ECMP drill (scheduler ${r.scheduler}, BFD ${r.bfd ? 'on' : 'off'})`];
  for (const s of r.steps) {
    const v = s.sessions;
    const on = s.directors.map((d) => s.held_by[d] ?? 0).reduce((a, b) => a + b, 0);
    const router = s.router_ms === null ? 'router did not change within the limit'
      : s.step === 'return' ? `router lists ${s.directors.join(', ')} again after ${String(s.router_ms)} ms` : `router dropped the next hop after ${String(s.router_ms)} ms`;
    lines.push(`  ${s.step} ${s.directors.join(', ')} (${s.how})`);
    const where = s.step === 'return' ? `by director ${JSON.stringify(s.held_by)}, ${s.directors.join(', ')} joining` : `${String(on)} in ${s.directors.join(', ')}'s IPVS table; by director ${JSON.stringify(s.held_by)}`;
    lines.push(`    ${String(v.held)} connections held (${where}); ${String(v.kept)} kept on the same real server (${String(v.percentKept)}%), ${String(v.broken)} broken`);
    lines.push(`    moved by the router to another director: ${String(s.moved.held)}, of which ${String(s.moved.kept)} kept, ${String(s.moved.broken)} broken`);
    for (const [d, j] of Object.entries(s.joined ?? {})) lines.push(`    ${d}: listed by the router after ${String(j.ms)} ms, its checks ${j.checks_passed ? 'had passed' : 'had NOT all passed yet (a route left by a crash is kept across the restart)'}`);
    if (s.drain !== null) lines.push(`    drain: ${s.drain.state} (exit ${String(s.drain.exit_code)}); router still listed ${s.directors.join(', ')} when it stopped: ${s.drain.listed_at_stop ? 'YES' : 'no'}`);
    const n = s.new_connections;
    lines.push(`    ${router}; new connections (one every 50 ms): ${String(n.ok)} ok, ${String(n.failed)} failed, longest gap ${String(n.longest_gap_ms)} ms`);
  }
  return `${lines.join('\n')}\n`;
}
