// Silent director loss (issue 14): N active directors over BGP/ECMP with BFD off and on, and the
// VRRP pair, in one run. A plain node script that bench/ecmp/run.sh compiles; run on the host as root:
//   node bench.js --dist DIR --measure FILE [--rounds 1] [--connections 30] [--window-ms 15000] [--cases ecmp,ecmp-bfd,vrrp]
// Boots the lab's VM once, then round after round, for each case (forward order in odd rounds,
// reverse in even ones): `lvs-ha lab up --local` (ecmp: `--mode ecmp`, ecmp-bfd: `--mode ecmp
// --bfd`, vrrp: `--mode dr`, the pair with connection sync), FILE (./measure.ts) inside the VM
// (one director's switch port set down under client traffic), `lvs-ha lab down --local`. Prints a
// line per case and round, a table of medians and one `BENCH {json}` line; the VM is powered off
// at the end, also on failure.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

type Vm = typeof import('../../src/vm/index.js');
type LabVm = typeof import('../../src/lab/vm.js');

const CASES = {
  ecmp: { up: ['--mode', 'ecmp'], name: 'ECMP, BFD off (BGP hold time)' },
  'ecmp-bfd': { up: ['--mode', 'ecmp', '--bfd'], name: 'ECMP, BFD on' },
  vrrp: { up: ['--mode', 'dr'], name: 'VRRP pair (DR, sync on)' },
} as const;
type Case = keyof typeof CASES;

interface Result {
  lab: string;
  cut: string;
  detect: string;
  detect_ms: number | null;
  held_by: Record<string, number>;
  synced: number | null;
  sessions: { held: number; kept: number; broken: number; percentKept: number };
  new_connections: { ok: number; failed: number; longest_gap_ms: number; errors: Record<string, number> };
  window_ms: number;
  bgp?: Record<string, { state?: string; hold_ms?: number; keepalive_ms?: number }>;
  bfd?: Record<string, { status?: string; multiplier?: number; rx_ms?: number; tx_ms?: number }>;
  vrrp?: { advert_interval_ms: number; sync: boolean };
}

const { values } = parseArgs({
  options: {
    dist: { type: 'string' },
    measure: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    connections: { type: 'string', default: '30' },
    'window-ms': { type: 'string', default: '15000' },
    cases: { type: 'string', default: Object.keys(CASES).join(',') },
  },
});
function whole(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new Error(`--${name} '${text}': expected a whole number from ${String(min)} to ${String(max)}`);
  return n;
}
const dist = resolve(values.dist ?? 'dist');
if (values.measure === undefined) throw new Error('--measure FILE is required (run.sh compiles bench/ecmp/measure.ts)');
const measure = resolve(values.measure);
const rounds = whole(values.rounds, 'rounds', 1, 10);
const connections = whole(values.connections, 'connections', 1, 200);
const windowMs = whole(values['window-ms'], 'window-ms', 2_000, 120_000);
const cases = values.cases.split(',').map((c) => {
  if (!Object.hasOwn(CASES, c)) throw new Error(`--cases: unknown case '${c}' (expected ${Object.keys(CASES).join(', ')})`);
  return c as Case;
});

async function load<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(resolve(dist, path)).href)) as T;
}

const say = (line: string): void => {
  process.stdout.write(`ecmp: ${line}\n`);
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

function line(c: Case, round: number, r: Result): string {
  const s = r.sessions;
  const n = r.new_connections;
  const onVictim = Object.keys(r.held_by).length > 0 ? ` (${JSON.stringify(r.held_by)})` : r.synced !== null ? ` (${String(r.synced)} synced to the backup)` : '';
  return `round ${String(round)} ${c.padEnd(8)} ${r.cut}: ${r.detect} after ${r.detect_ms === null ? 'NEVER (60 s)' : `${String(r.detect_ms)} ms`}; `
    + `held ${String(s.held)}${onVictim}: ${String(s.kept)} kept, ${String(s.broken)} broken; `
    + `new connections in ${String(r.window_ms)} ms: ${String(n.ok)} ok, ${String(n.failed)} failed, longest gap ${String(n.longest_gap_ms)} ms`;
}

async function main(): Promise<void> {
  const vm = await load<Vm>('vm/index.js');
  const labVm = await load<LabVm>('lab/vm.js');
  const runDir = labVm.LAB_VM_DIR;
  if (labVm.vmLabState(runDir) !== 'none') throw new Error(`a lab VM is already there (${runDir}); run 'lvs-ha lab down' first`);
  const modules = [...new Set([...labVm.labVmModules('ecmp'), ...labVm.labVmModules('dr'), 'ip_vs_mh'])];
  const kernel = vm.findKernel();
  const started = performance.now();
  say(`booting the lab VM (qemu, Debian kernel ${kernel.version}) in ${runDir} with ${modules.join(' ')}`);
  const booted = await vm.bootPersistentVm({ runDir, modules, memoryMb: 1536, bootTimeoutMs: 300_000 });
  say(`VM up in ${(booted.bootMs / 1000).toFixed(1)} s; ${String(rounds)} rounds of ${cases.join(', ')}; ${String(connections)} held connections, window ${String(windowMs)} ms`);
  const results: { case: Case; round: number; r: Result }[] = [];
  const failures: string[] = [];
  const stream = (s: string): void => {
    process.stdout.write(s.replace(/^(?=.)/gm, '  | '));
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? cases : [...cases].reverse();
      for (const c of order) {
        // A failed case is reported and the run goes on: one bad lab up does not cost the others.
        try {
          const t0 = performance.now();
          const up = await vm.execInVm(runDir, ['lab', 'up', '--local', ...CASES[c].up, '--json'], { timeoutMs: 400_000, onStderr: stream });
          if (up.exitCode !== 0) throw new Error(`lab up ${CASES[c].up.join(' ')} failed (exit ${String(up.exitCode)}): ${up.stdout.trim().slice(-2000)}`);
          say(`round ${String(round)}: lab up ${CASES[c].up.join(' ')} in ${(Math.round((performance.now() - t0) / 100) / 10).toFixed(1)} s`);
          const m = await vm.execCommandInVm(runDir, [process.execPath, measure, '--dist', dist, '--connections', String(connections), '--window-ms', String(windowMs)], { timeoutMs: windowMs + 240_000, onStderr: stream });
          const out = m.stdout.split('\n').find((l) => l.startsWith('RESULT '));
          if (m.exitCode !== 0 || out === undefined) throw new Error(`measure failed (exit ${String(m.exitCode)})`);
          const r = JSON.parse(out.slice(7)) as Result;
          results.push({ case: c, round, r });
          say(line(c, round, r));
          if (r.bgp !== undefined) say(`  router's BGP sessions: ${JSON.stringify(r.bgp)}`);
          if (r.bfd !== undefined) say(`  router's BFD peers: ${JSON.stringify(r.bfd)}`);
        } catch (err) {
          failures.push(`round ${String(round)} ${c}: ${err instanceof Error ? err.message : String(err)}`);
          say(`round ${String(round)} ${c} FAILED: ${err instanceof Error ? err.message : String(err)}`);
        } finally {
          const down = await vm.execInVm(runDir, ['lab', 'down', '--local', '--json'], { timeoutMs: 120_000, onStderr: stream });
          if (down.exitCode !== 0) say(`round ${String(round)}: lab down (${c}) exited ${String(down.exitCode)}: ${down.stdout.trim()}`);
        }
      }
    }
  } finally {
    await vm.stopPersistentVm(runDir, { timeoutMs: 60_000 });
  }
  const wall = Math.round((performance.now() - started) / 1000);
  const summary: Record<string, unknown> = {};
  const rows = ['| case | detection (ms), median [each round] | held connections kept / held | new connections failed (one every 50 ms) | longest gap without a new connection (ms) |', '|---|---|---|---|---|'];
  for (const c of cases) {
    const mine = results.filter((x) => x.case === c).map((x) => x.r);
    if (mine.length === 0) continue;
    const detect = mine.map((r) => r.detect_ms ?? NaN);
    const kept = mine.reduce((a, r) => a + r.sessions.kept, 0);
    const held = mine.reduce((a, r) => a + r.sessions.held, 0);
    const failed = mine.map((r) => r.new_connections.failed);
    const gaps = mine.map((r) => r.new_connections.longest_gap_ms);
    rows.push(`| ${CASES[c].name} | ${median(detect).toFixed(0)} [${detect.join(', ')}] | ${String(kept)} / ${String(held)} | ${median(failed).toFixed(0)} [${failed.join(', ')}] | ${median(gaps).toFixed(0)} [${gaps.join(', ')}] |`);
    summary[c] = { detect_ms: detect, kept, held, failed, ok: mine.map((r) => r.new_connections.ok), longest_gap_ms: gaps };
  }
  process.stdout.write(`\nmedians over ${String(rounds)} rounds (each round's figure in brackets)\n${rows.join('\n')}\n`);
  for (const f of failures) process.stdout.write(`failed: ${f}\n`);
  process.stdout.write(`\nwall time ${String(wall)} s\n`);
  process.stdout.write(`BENCH ${JSON.stringify({ bench: 'ecmp', kernel: kernel.version, rounds, connections, window_ms: windowMs, wall_s: wall, failures: failures.length, ...summary })}\n`);
  process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`ecmp: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
