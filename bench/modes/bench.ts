// Forwarding-method benchmark (issue 19): DR, NAT, TUN and FULLNAT on the same lab, one VM boot.
// A plain node script that bench/modes/run.sh compiles; run on the host as root:
//   node bench.js --dist DIR --responder FILE [--rounds 1] [--seconds 8] [--connections 16] [--modes dr,nat,tun,fullnat]
// Boots the lab's VM once (every module the four methods need), then, round after round, for each
// method (forward order in odd rounds, reverse order in even ones, so drift and position in the
// round touch every method alike): `lvs-ha lab up --local --no-sync --mode M` inside the VM,
// bench/modes/measure.sh (directors' processes paused, real servers answering with FILE, wrk from
// the client namespace, CPU and IPVS counters around it),
// `lvs-ha lab down --local`. Prints a table per workload and one `BENCH {json}` line; the VM is
// powered off at the end, also on failure.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

type Vm = typeof import('../../src/vm/index.js');
type Topo = typeof import('../../src/lab/topology.js');
type LabVm = typeof import('../../src/lab/vm.js');

const MODES = ['dr', 'nat', 'tun', 'fullnat'] as const;
/** What measure.sh runs: through the VIP, and (DR lab only) from the client to r1 directly. */
type Workload = 'keepalive' | 'close' | 'direct-keepalive' | 'direct-close';
type Mode = (typeof MODES)[number];

interface Sample {
  mode: Mode;
  workload: Workload | 'idle';
  seconds: number;
  connections: number;
  requests: number;
  rps: number;
  errors: number;
  non2xx: number;
  ticks: Record<'user' | 'nice' | 'system' | 'idle' | 'iowait' | 'irq' | 'softirq' | 'steal', number>;
  hz: number;
  /** The run's wall time inside the VM, in centiseconds. */
  window_cs: number;
  ipvs: { conns: number; in_packets: number; out_packets: number };
  round: number;
}

const { values } = parseArgs({
  options: {
    dist: { type: 'string' },
    responder: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '16' },
    modes: { type: 'string', default: MODES.join(',') },
  },
});
function whole(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new Error(`--${name} '${text}': expected a whole number from ${String(min)} to ${String(max)}`);
  return n;
}
const dist = resolve(values.dist ?? 'dist');
if (values.responder === undefined) throw new Error('--responder FILE is required (run.sh compiles bench/modes/responder.c)');
const responder = resolve(values.responder);
const rounds = whole(values.rounds, 'rounds', 1, 10);
const seconds = whole(values.seconds, 'seconds', 2, 120);
const connections = whole(values.connections, 'connections', 1, 256);
const modes = values.modes.split(',').map((m) => {
  if (!(MODES as readonly string[]).includes(m)) throw new Error(`--modes: unknown method '${m}' (expected ${MODES.join(', ')})`);
  return m as Mode;
});
if (!modes.includes('dr')) throw new Error('--modes must include dr: every figure is reported relative to it');

async function load<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(resolve(dist, path)).href)) as T;
}

const say = (line: string): void => {
  process.stdout.write(`modes: ${line}\n`);
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

const busyTicks = (t: Sample['ticks']): number => t.user + t.nice + t.system + t.irq + t.softirq + t.steal;
const kernelTicks = (t: Sample['ticks']): number => t.system + t.irq + t.softirq;

/**
 * CPU time of the whole VM per request, in microseconds: all of it, and the kernel's part, less
 * the background (the rate measured with no traffic just before, in the same lab).
 */
function cpuPerRequest(s: Sample, all: readonly Sample[]): { busyUs: number; kernelUs: number } {
  const idle = all.find((x) => x.workload === 'idle' && x.mode === s.mode && x.round === s.round);
  const rate = (f: (t: Sample['ticks']) => number): number => (idle === undefined ? 0 : f(idle.ticks) / Math.max(1, idle.window_cs));
  const us = (f: (t: Sample['ticks']) => number): number => (Math.max(0, f(s.ticks) - rate(f) * s.window_cs) / s.hz) * 1e6 / Math.max(1, s.requests);
  return { busyUs: us(busyTicks), kernelUs: us(kernelTicks) };
}

interface Row {
  name: string;
  rps: number;
  rpsRatio: number;
  busyUs: number;
  busyRatio: number;
  kernelUs: number;
  kernelRatio: number;
  /** CPU µs per request over the same workload from the client to r1 directly (DR lab, same round). */
  addedUs: number;
  addedRatio: number;
  outPacketsPerRequest: number;
  errors: number;
  rounds: number;
}

/**
 * Per method (and DR's direct path): medians over rounds, and ratios to DR through the director
 * taken within each round (paired), then the median.
 */
function summarize(samples: readonly Sample[], workload: 'keepalive' | 'close'): Row[] {
  const dr = (round: number): Sample | undefined => samples.find((s) => s.mode === 'dr' && s.round === round && s.workload === workload);
  const row = (name: string, mine: readonly Sample[]): Row => {
    const paired = mine.flatMap((s) => {
      const d = dr(s.round);
      return d === undefined ? [] : [{ s, d }];
    });
    const ratio = (f: (x: Sample) => number): number => median(paired.map(({ s, d }) => f(s) / f(d)));
    const cpu = (x: Sample): { busyUs: number; kernelUs: number } => cpuPerRequest(x, samples);
    const direct = (round: number): Sample | undefined => samples.find((x) => x.mode === 'dr' && x.round === round && x.workload === `direct-${workload}`);
    const added = (x: Sample): number => {
      const d = direct(x.round);
      return d === undefined || x.workload.startsWith('direct') ? NaN : cpu(x).busyUs - cpu(d).busyUs;
    };
    return {
      name,
      rps: median(mine.map((s) => s.rps)),
      rpsRatio: ratio((x) => x.rps),
      busyUs: median(mine.map((s) => cpu(s).busyUs)),
      busyRatio: ratio((x) => cpu(x).busyUs),
      kernelUs: median(mine.map((s) => cpu(s).kernelUs)),
      kernelRatio: ratio((x) => cpu(x).kernelUs),
      addedUs: median(mine.map(added)),
      addedRatio: ratio(added),
      outPacketsPerRequest: median(mine.map((s) => s.ipvs.out_packets / Math.max(1, s.requests))),
      errors: mine.reduce((a, s) => a + s.errors + s.non2xx, 0),
      rounds: mine.length,
    };
  };
  const rows = modes.map((mode) => row(mode.toUpperCase(), samples.filter((s) => s.mode === mode && s.workload === workload)));
  const direct = samples.filter((s) => s.mode === 'dr' && s.workload === `direct-${workload}`);
  return direct.length === 0 ? rows : [...rows, row('no director (client to r1)', direct)];
}

function table(rows: readonly Row[]): string {
  const f = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const lines = ['| method | requests/s | vs DR | VM CPU µs/request | vs DR | of it kernel µs/request | vs DR | over no director µs/request | vs DR | director out-packets/request | errors |', '|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${f(r.rps, 0)} | ${f(r.rpsRatio, 2)} | ${f(r.busyUs, 0)} | ${f(r.busyRatio, 2)} | ${f(r.kernelUs, 0)} | ${f(r.kernelRatio, 2)} | ${f(r.addedUs, 0)} | ${f(r.addedRatio, 2)} | ${f(r.outPacketsPerRequest, 1)} | ${String(r.errors)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const vm = await load<Vm>('vm/index.js');
  const topo = await load<Topo>('lab/topology.js');
  const labVm = await load<LabVm>('lab/vm.js');
  const runDir = labVm.LAB_VM_DIR;
  if (labVm.vmLabState(runDir) !== 'none') throw new Error(`a lab VM is already there (${runDir}); run 'lvs-ha lab down' first`);
  const modules = [...new Set(topo.LAB_MODES.flatMap((m) => labVm.labVmModules(m)))];
  const kernel = vm.findKernel();
  const started = performance.now();
  say(`booting the lab VM (qemu, Debian kernel ${kernel.version}) in ${runDir} with ${modules.join(' ')}`);
  const booted = await vm.bootPersistentVm({ runDir, modules, memoryMb: 1536, bootTimeoutMs: 300_000 });
  say(`VM up in ${(booted.bootMs / 1000).toFixed(1)} s; ${String(rounds)} rounds of ${modes.join(', ')}; wrk ${String(connections)} connections x ${String(seconds)} s per workload`);
  const samples: Sample[] = [];
  const labUpSeconds: Record<string, number[]> = {};
  const stream = (s: string): void => {
    process.stdout.write(s.replace(/^(?=.)/gm, '  | '));
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? modes : [...modes].reverse();
      for (const mode of order) {
        const t0 = performance.now();
        const up = await vm.execInVm(runDir, ['lab', 'up', '--local', '--no-sync', '--mode', mode, '--json'], { timeoutMs: 400_000, onStderr: stream });
        if (up.exitCode !== 0) throw new Error(`round ${String(round)}: lab up --mode ${mode} failed (exit ${String(up.exitCode)})`);
        const upSeconds = Math.round((performance.now() - t0) / 100) / 10;
        (labUpSeconds[mode] ??= []).push(upSeconds);
        say(`round ${String(round)}: lab up --mode ${mode} in ${String(upSeconds)} s`);
        try {
          const m = await vm.execCommandInVm(runDir, ['/bin/bash', join('bench', 'modes', 'measure.sh'), mode, String(seconds), String(connections), responder], { timeoutMs: (6 * seconds + 90) * 1000, onStderr: stream });
          if (m.exitCode !== 0) throw new Error(`round ${String(round)}: measure.sh ${mode} failed (exit ${String(m.exitCode)})`);
          for (const line of m.stdout.split('\n')) {
            if (!line.startsWith('SAMPLE ')) continue;
            const s = { ...(JSON.parse(line.slice(7)) as Omit<Sample, 'round'>), round };
            samples.push(s);
            if (s.workload === 'idle') {
              say(`round ${String(round)} ${mode.toUpperCase().padEnd(7)} background (no traffic, directors paused): ${(busyTicks(s.ticks) / Math.max(1, s.window_cs) * 100).toFixed(0)}% of one CPU`);
              continue;
            }
            const c = cpuPerRequest(s, samples);
            say(`round ${String(round)} ${mode.toUpperCase().padEnd(7)} ${s.workload.padEnd(9)} ${s.rps.toFixed(0).padStart(6)} req/s  ${c.busyUs.toFixed(0).padStart(5)} µs CPU/request (kernel ${c.kernelUs.toFixed(0)})  director out-packets ${String(s.ipvs.out_packets)}  errors ${String(s.errors + s.non2xx)}`);
          }
        } finally {
          const down = await vm.execInVm(runDir, ['lab', 'down', '--local', '--json'], { timeoutMs: 120_000, onStderr: stream });
          if (down.exitCode !== 0) say(`round ${String(round)}: lab down --mode ${mode} exited ${String(down.exitCode)}: ${down.stdout.trim()}`);
        }
      }
    }
  } finally {
    await vm.stopPersistentVm(runDir, { timeoutMs: 60_000 });
  }
  const wall = Math.round((performance.now() - started) / 1000);
  const result: Record<string, unknown> = { bench: 'modes', kernel: kernel.version, rounds, seconds, connections, wall_s: wall, lab_up_s: labUpSeconds };
  for (const workload of ['keepalive', 'close'] as const) {
    const rows = summarize(samples, workload);
    process.stdout.write(`\n${workload === 'keepalive' ? 'keep-alive (requests on held connections)' : 'a new connection per request'}: medians over ${String(rounds)} rounds; "vs DR" = median of the per-round ratios\n${table(rows)}\n`);
    result[workload] = Object.fromEntries(rows.map((r) => [r.name.startsWith('no director') ? 'direct' : r.name.toLowerCase(), {
      rps: Math.round(r.rps), rps_vs_dr: +r.rpsRatio.toFixed(3), cpu_us_per_req: +r.busyUs.toFixed(1), cpu_vs_dr: +r.busyRatio.toFixed(3),
      kernel_us_per_req: +r.kernelUs.toFixed(1), kernel_vs_dr: +r.kernelRatio.toFixed(3),
      ...(Number.isFinite(r.addedUs) ? { over_direct_us_per_req: +r.addedUs.toFixed(1), over_direct_vs_dr: +r.addedRatio.toFixed(3) } : {}), director_out_packets_per_req: +r.outPacketsPerRequest.toFixed(2), errors: r.errors,
    }]));
  }
  process.stdout.write(`\nwall time ${String(wall)} s (lab up per method: ${JSON.stringify(labUpSeconds)})\n`);
  process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
  process.stdout.write(`SAMPLES ${JSON.stringify(samples)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`modes: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
