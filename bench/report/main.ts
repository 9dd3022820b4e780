/**
 * The report step of bench/run.sh (compiled by it; the thin I/O around the pure generator):
 *   node main.js --logs DIR --out RESULTS.json --docs DIR --command TEXT [--quick] [--vm-runs DIR]
 *                [--ipvs-run NAME]
 * (--ipvs-run: bench/ipvs's --run-name, whose results files are read if it printed no BENCH line.)
 * For each sub-benchmark run.sh leaves in DIR `<name>.meta` ("<exit code> <seconds> <ISO start>"),
 * `<name>.args` (one option per line), `<name>.out` (stdout) and `<name>.err` (stderr). Writes the
 * results file, <docs>/benchmarks.md and <docs>/benchmarks-failover.svg; exits 1 when a
 * sub-benchmark failed.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keptSections, machineCell, renderMarkdown } from './markdown.js';
import { failureReason, ipvsFromResultFiles, ipvsFromTable, lastBench, newestKernel, parseCpuinfo } from './parse.js';
import { gapPanels } from './rows.js';
import { failoverSvg } from './svg.js';
import { BENCH_NAMES, type BenchName, type BenchRun, type Machine, type Results } from './types.js';

const { values: opt } = parseArgs({
  options: {
    logs: { type: 'string' },
    out: { type: 'string' },
    docs: { type: 'string', default: 'docs' },
    command: { type: 'string', default: 'bash bench/run.sh' },
    quick: { type: 'boolean', default: false },
    'vm-runs': { type: 'string', default: '.vm/runs' },
    'ipvs-run': { type: 'string', default: 'lvb-bench' },
  },
});

/** Files that hold the VM harness's qemu arguments (for its -smp). */
const VM_HARNESS = ['src/vm/qemu.ts', 'test/helpers/vm/run-in-vm.ts'];

const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

function machine(): Machine {
  const cpu = parseCpuinfo(read('/proc/cpuinfo'));
  // The VM harness's qemu command line (where it lives has moved once: try both places).
  const harness = VM_HARNESS.map(read).join('\n');
  const smp = /'-smp',\s*'(\d+)'/.exec(harness)?.[1];
  return {
    cores: cpu.cores,
    cpu: cpu.model,
    kernel: release(),
    vmKernel: newestKernel(existsSync('/boot') ? readdirSync('/boot') : []),
    vmCpus: smp === undefined ? null : Number(smp),
  };
}

/** bench/ipvs without a BENCH line: its VM results files, else its printed table. */
function ipvsFallback(stdout: string): { bench: unknown; source: string } | null {
  const dir = join(opt['vm-runs'], opt['ipvs-run']);
  const files = existsSync(dir) ? readdirSync(dir).map((name) => ({ name, text: read(join(dir, name)) })) : [];
  const fromFiles = ipvsFromResultFiles(files);
  if (fromFiles !== null) return { bench: fromFiles, source: `results files (${dir})` };
  const fromTable = ipvsFromTable(stdout);
  return fromTable === null ? null : { bench: fromTable, source: 'printed table' };
}

function collect(logs: string, name: BenchName): BenchRun {
  const base = join(logs, name);
  const meta = read(`${base}.meta`).trim().split(/\s+/);
  const args = read(`${base}.args`).split('\n').filter((l) => l !== '');
  if (meta[0] === undefined || meta[0] === '') {
    return { name, status: 'not run', reason: 'not selected (--only)', startedAt: null, seconds: null, args, bench: null, source: null };
  }
  const rc = Number(meta[0]);
  const seconds = Number(meta[1]);
  const startedAt = meta[2] ?? null;
  const out = read(`${base}.out`);
  const common = { name, startedAt, seconds: Number.isFinite(seconds) ? seconds : null, args };
  let bench = lastBench(out);
  let source: string | null = bench === null ? null : 'BENCH line';
  if (bench === null && name === 'ipvs' && rc === 0) {
    const fb = ipvsFallback(out);
    if (fb !== null) ({ bench, source } = fb);
  }
  if (rc !== 0) return { ...common, status: 'failed', reason: failureReason(rc, `${out}\n${read(`${base}.err`)}`), bench, source };
  if (bench === null) return { ...common, status: 'failed', reason: 'exit 0 but no BENCH line in its output', bench, source };
  return { ...common, status: 'ok', reason: null, bench, source };
}

function main(): number {
  if (opt.logs === undefined || opt.out === undefined) {
    console.error('usage: main.js --logs DIR --out RESULTS.json [--docs DIR] [--command TEXT] [--quick]');
    return 64;
  }
  const logs = opt.logs;
  const results: Results = {
    version: 1,
    date: new Date().toISOString(),
    command: opt.command,
    quick: opt.quick,
    machine: machine(),
    runs: BENCH_NAMES.map((n) => collect(logs, n)),
  };
  writeFileSync(opt.out, `${JSON.stringify(results, null, 2)}\n`);
  const target = join(opt.docs, 'benchmarks.md');
  writeFileSync(target, renderMarkdown(results, existsSync(target) ? keptSections(readFileSync(target, 'utf8')) : ''));
  const vrrp = results.runs.find((r) => r.name === 'vrrp');
  const caption = `${results.date.slice(0, 10)}${results.quick ? ' (quick run)' : ''} · median reply gap · ${machineCell(results.machine, 'host')}`;
  // A VRRP run that was not selected or failed leaves the chart of the last successful run.
  if (vrrp?.status === 'ok') writeFileSync(join(opt.docs, 'benchmarks-failover.svg'), failoverSvg(gapPanels(vrrp.bench), caption));
  for (const r of results.runs) {
    console.log(`${r.name.padEnd(9)} ${r.status}${r.reason === null ? '' : ` (${r.reason})`}${r.seconds === null ? '' : `, ${r.seconds.toFixed(0)} s`}`);
  }
  console.log(`results: ${opt.out}\nwrote ${join(opt.docs, 'benchmarks.md')}${vrrp?.status === 'ok' ? ` and ${join(opt.docs, 'benchmarks-failover.svg')}` : ''}`);
  return results.runs.some((r) => r.status === 'failed') ? 1 : 0;
}

process.exitCode = main();
