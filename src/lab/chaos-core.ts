/**
 * The pure parts of `lvs-ha lab chaos`: a seeded schedule of faults for the
 * lab pair, which held connections a fault may legitimately break, and the
 * verdict on what was observed after each fault healed.
 *
 * The same seed gives the same schedule (mulberry32), so a failing run is
 * repeated by its seed. Invariants checked after every fault (issue 18):
 * exactly one MASTER (the preempting d1) within a bound, the IPVS table of
 * both directors equal to the one their config asks for, and every held
 * connection that connection sync should keep answered by the same real
 * server.
 */
import { pickOne, seededRandom } from '../core/random.js';

export const CHAOS_FAULT_KINDS = [
  'link-flap', 'kill-daemon', 'reload', 'reload-changed', 'ipvs-module-reload', 'control-flood', 'real-server-restart',
] as const;
export type ChaosFaultKind = (typeof CHAOS_FAULT_KINDS)[number];

export interface ChaosFault {
  readonly kind: ChaosFaultKind;
  /** A director (d1, d2) or, for real-server-restart, a real server (r1..r3). */
  readonly target: string;
  /** link-flap: how long the link stays down; real-server-restart: how long the server stays dead. */
  readonly holdMs: number;
}

export interface ChaosScheduleOptions {
  readonly seed: number;
  readonly faults: number;
  readonly directors: readonly string[];
  readonly realServers: readonly string[];
  /** Unloading ip_vs is only done inside the lab's own VM (never on a host kernel). */
  readonly moduleReload: boolean;
}

/**
 * The schedule. Every kind appears once before any repeats (in a seeded
 * order), so a short CI run still covers each fault; after that kinds are
 * drawn at random. Link flaps last 1..5 s: shorter than the 3.6 s master-down
 * interval of the lab's 1 s adverts (no takeover should follow) and longer.
 */
export function chaosSchedule(o: ChaosScheduleOptions): ChaosFault[] {
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new Error(`chaos: seed must be a whole number 0..4294967295, not ${String(o.seed)}`);
  if (!Number.isInteger(o.faults) || o.faults < 1 || o.faults > 1000) throw new Error(`chaos: faults must be a whole number 1..1000, not ${String(o.faults)}`);
  if (o.directors.length === 0 || o.realServers.length === 0) throw new Error('chaos: the lab has no directors or no real servers');
  const random = seededRandom(o.seed);
  const kinds = CHAOS_FAULT_KINDS.filter((k) => o.moduleReload || k !== 'ipvs-module-reload');
  // Every kind once, in a seeded order: draw without replacement.
  const left = [...kinds];
  const firstRound: ChaosFaultKind[] = [];
  while (left.length > 0) firstRound.push(...left.splice(Math.floor(random() * left.length), 1));
  const out: ChaosFault[] = [];
  for (let i = 0; i < o.faults; i++) {
    const kind = firstRound[i] ?? pickOne(random, kinds);
    const target = kind === 'real-server-restart' ? pickOne(random, o.realServers) : pickOne(random, o.directors);
    const holdMs = kind === 'link-flap' ? 1000 + Math.floor(random() * 5) * 1000 : kind === 'real-server-restart' ? 4000 : 0;
    out.push({ kind, target, holdMs });
  }
  return out;
}

/**
 * The held connections a fault may break and still pass: every one after an
 * ip_vs unload (the kernel's connection table goes with the module), those a
 * killed real server answered; none for every other fault.
 */
export function mayBreak(fault: ChaosFault, answeredBy: readonly (string | null)[]): boolean[] {
  return answeredBy.map((server) => fault.kind === 'ipvs-module-reload' || (fault.kind === 'real-server-restart' && server === fault.target));
}

export interface ChaosObservation {
  readonly fault: ChaosFault;
  /** What the fault step itself reported (e.g. 'link down 3000 ms', 'ip_vs busy: not unloaded'). */
  readonly detail: string;
  /** ms from the end of the fault until exactly one MASTER (null: not within the bound). */
  readonly convergedMs: number | null;
  /** Each director's VRRP state(s) at the check. */
  readonly states: Readonly<Record<string, string>>;
  /** Directors whose kernel IPVS table differs from the expected one, with the first difference. */
  readonly tableProblems: readonly string[];
  /** The real server that answered each held connection before the fault, and after. */
  readonly before: readonly (string | null)[];
  readonly after: readonly (string | null)[];
  /** New connections opened during the fault (one every 50 ms). */
  readonly newOk: number;
  readonly newFailed: number;
  /** Lab processes (directors, real servers) found dead that the fault did not kill. */
  readonly deadProcesses: readonly string[];
  /** The fault step itself failed (e.g. a restarted director never answered). */
  readonly faultError?: string;
}

export interface ChaosStepVerdict {
  readonly n: number;
  readonly fault: ChaosFault;
  readonly detail: string;
  readonly convergedMs: number | null;
  readonly oneMaster: boolean;
  readonly tablesOk: boolean;
  readonly held: number;
  readonly kept: number;
  /** Broken although sync should have kept them: the invariant. */
  readonly lost: number;
  /** Broken and allowed to be (see mayBreak). */
  readonly excused: number;
  readonly newOk: number;
  readonly newFailed: number;
  readonly problems: readonly string[];
}

export function judgeStep(n: number, o: ChaosObservation, expectedMaster: string): ChaosStepVerdict {
  const problems: string[] = [];
  const masters = Object.entries(o.states).filter(([, s]) => s === 'MASTER').map(([d]) => d);
  const others = Object.entries(o.states).filter(([d]) => !masters.includes(d));
  const oneMaster = o.convergedMs !== null && masters.length === 1 && masters[0] === expectedMaster && others.every(([, s]) => s === 'BACKUP');
  if (!oneMaster) problems.push(`not exactly one MASTER (${expectedMaster}) with the others BACKUP: ${JSON.stringify(o.states)}`);
  if (o.tableProblems.length > 0) problems.push(...o.tableProblems.map((p) => `IPVS table: ${p}`));
  if (o.deadProcesses.length > 0) problems.push(`died: ${o.deadProcesses.join(', ')}`);
  if (o.faultError !== undefined) problems.push(`the fault step failed: ${o.faultError}`);
  const excusable = mayBreak(o.fault, o.before);
  let held = 0, kept = 0, lost = 0, excused = 0;
  o.before.forEach((server, i) => {
    if (server === null) return;
    held++;
    if (o.after[i] === server) kept++;
    else if (excusable[i] === true) excused++;
    else lost++;
  });
  if (lost > 0) problems.push(`${String(lost)} of ${String(held)} held connections lost that sync should have kept`);
  return {
    n, fault: o.fault, detail: o.detail, convergedMs: o.convergedMs, oneMaster, tablesOk: o.tableProblems.length === 0,
    held, kept, lost, excused, newOk: o.newOk, newFailed: o.newFailed, problems,
  };
}

export interface ChaosReport {
  readonly seed: number;
  readonly steps: readonly ChaosStepVerdict[];
  readonly ok: boolean;
  readonly totals: { readonly faults: number; readonly held: number; readonly kept: number; readonly lost: number; readonly excused: number; readonly newOk: number; readonly newFailed: number; readonly longestConvergeMs: number | null };
}

export function chaosReport(seed: number, steps: readonly ChaosStepVerdict[]): ChaosReport {
  const sum = (f: (s: ChaosStepVerdict) => number): number => steps.reduce((a, s) => a + f(s), 0);
  const converged = steps.map((s) => s.convergedMs).filter((v): v is number => v !== null);
  return {
    seed, steps, ok: steps.every((s) => s.problems.length === 0),
    totals: {
      faults: steps.length, held: sum((s) => s.held), kept: sum((s) => s.kept), lost: sum((s) => s.lost), excused: sum((s) => s.excused),
      newOk: sum((s) => s.newOk), newFailed: sum((s) => s.newFailed), longestConvergeMs: converged.length === 0 ? null : Math.max(...converged),
    },
  };
}

export function renderChaos(r: ChaosReport): string {
  const lines = [`chaos run, seed ${String(r.seed)}: ${String(r.totals.faults)} faults`];
  for (const s of r.steps) {
    const head = `  ${String(s.n).padStart(2)}. ${s.fault.kind} ${s.fault.target}${s.detail === '' ? '' : ` (${s.detail})`}`;
    const body = `one master after ${s.convergedMs === null ? 'NEVER' : `${String(s.convergedMs)} ms`}, tables ${s.tablesOk ? 'ok' : 'WRONG'}, held ${String(s.kept)}/${String(s.held)} kept${s.excused > 0 ? ` (${String(s.excused)} broken as the fault must)` : ''}, new ${String(s.newOk)} ok ${String(s.newFailed)} failed`;
    lines.push(`${head}: ${body}`);
    for (const p of s.problems) lines.push(`      FAILED: ${p}`);
  }
  const t = r.totals;
  lines.push(`held connections: ${String(t.kept)} kept, ${String(t.lost)} lost that sync should have kept, ${String(t.excused)} broken by the fault itself; new connections: ${String(t.newOk)} ok, ${String(t.newFailed)} failed`);
  lines.push(r.ok ? 'every invariant held' : `INVARIANTS BROKEN in ${String(r.steps.filter((s) => s.problems.length > 0).length)} of ${String(r.steps.length)} faults (repeat with --seed ${String(r.seed)})`);
  return `${lines.join('\n')}\n`;
}

/**
 * The expected kernel table of a lab director as `ipvsadm -S -n` lines
 * (order-free): the service and each real server with its weight.
 */
export function expectedIpvsadmSave(vip: string, port: number, scheduler: string, flags: readonly string[], forwarding: '-g' | '-m' | '-i', dests: readonly { address: string; port: number; weight: number }[]): string[] {
  const service = `-A -t ${vip}:${String(port)} -s ${scheduler}${flags.length > 0 ? ` -b ${flags.join(',')}` : ''}`;
  return [service, ...dests.map((d) => `-a -t ${vip}:${String(port)} -r ${d.address}:${String(d.port)} ${forwarding} -w ${String(d.weight)}`)].sort();
}

/** The differences between an `ipvsadm -S -n` output and the expected lines ([] when equal). */
export function ipvsadmSaveDiff(actual: string, expected: readonly string[]): string[] {
  const have = actual.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l !== '').sort();
  const missing = expected.filter((l) => !have.includes(l));
  const extra = have.filter((l) => !expected.includes(l));
  return [...missing.map((l) => `missing '${l}'`), ...extra.map((l) => `unexpected '${l}'`)];
}
