/**
 * Health-check benchmark against the compiled code (dist/). Run it through
 * run.sh (which compiles this file); options:
 *   [--tcp 10000] [--http 1000] [--seconds 60] [--interval 1000] [--timeout 900]
 *   [--bare-seconds 10] [--null-seconds 5] [--warmup 5] [--dist dist] [--floor-bin path]
 * The service is measured from one interval plus --warmup seconds after start.
 * Phases, one after the other against the same targets (a child process):
 * - service: HealthService + buildChecker from dist/ on every target (first,
 *   so that the peak RSS is the service's own);
 * - bare: a minimal loop (net.connect + destroy, one 5 ms tick) at the same
 *   rate against the TCP targets (the original floor);
 * - bare mix: every target at the service's rate with nothing of ours: a
 *   paused socket connected and destroyed (what the tcp checker does) or a
 *   hand-written HTTP/1.1 GET: the floor of this mix of checks in Node;
 * - floor: connect-floor.c, a blocking C loop: the kernel's own cost;
 * - null checkers: the service again with checkers that succeed on the next
 *   event-loop turn (no sockets): our scheduling alone, per check.
 * Prints a summary and one `BENCH {json}` line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { layout, type BenchTarget } from './layout.js';
import type { CheckerLike, Dist, FloorReport, HealthServiceLike, Histogram as HistogramSummary, PhaseReport, Report } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    tcp: { type: 'string', default: '10000' },
    http: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    interval: { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '900' },
    'bare-seconds': { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    dist: { type: 'string', default: resolve(here, '../../dist') },
    'floor-bin': { type: 'string', default: '' },
    'null-seconds': { type: 'string', default: '5' },
  },
});
const tcpCount = Number(opt.tcp);
const httpCount = Number(opt.http);
const seconds = Number(opt.seconds);
const intervalMs = Number(opt.interval);
const timeoutMs = Number(opt.timeout);
const bareSeconds = Number(opt['bare-seconds']);
const warmupSeconds = Number(opt.warmup);
const nullSeconds = Number(opt['null-seconds']);
const dist = resolve(opt.dist);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
const cpuSeconds = (since: NodeJS.CpuUsage): { user: number; system: number; total: number } => {
  const c = process.cpuUsage(since);
  return { user: c.user / 1e6, system: c.system / 1e6, total: (c.user + c.system) / 1e6 };
};

/** Lateness histogram: 0.1 ms buckets up to 10 s, plus the exact max. */
class Histogram {
  buckets = new Uint32Array(100_000);
  count = 0;
  max = 0;
  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    this.count += 1;
    if (v > this.max) this.max = v;
    const i = Math.min(this.buckets.length - 1, Math.floor(v * 10));
    this.buckets[i] = (this.buckets[i] ?? 0) + 1;
  }
  pct(p: number): number {
    const want = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] ?? 0;
      if (seen >= want && want > 0) return i / 10;
    }
    return NaN;
  }
  summary(): HistogramSummary {
    return { p50: this.pct(50), p99: this.pct(99), max: round(this.max, 1) };
  }
}

async function startTargets(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [resolve(here, 'targets.js'), String(tcpCount), String(httpCount)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]: unknown[]) => `targets exited with ${String(code)}`);
  const said = once(child.stdout, 'data').then(([chunk]: unknown[]) => String(chunk));
  const first = await Promise.race([said, exited]);
  if (!first.includes('ready')) throw new Error(first);
  return child;
}

/** CPU seconds used so far by another process (utime + stime from /proc, 100 ticks per second). */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Seconds the main thread has waited for a CPU while runnable (/proc/self/schedstat, field 2). */
function runqueueWaitSeconds(): number {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return NaN;
  }
}

function peakRssMb(): number {
  return round(process.resourceUsage().maxRSS / 1024, 0); // maxRSS is in KiB
}

type Finish = (ok: boolean) => void;

/** One bare check of one target, with nothing of ours around it. */
const bareStarters = {
  /** net.connect, destroyed on connect (the original floor). */
  connect: (t: BenchTarget, finish: Finish): void => {
    const s = connect({ host: t.host, port: t.port });
    s.once('connect', () => { s.destroy(); finish(true); });
    s.once('error', () => { s.destroy(); finish(false); });
  },
  /** The same on a paused socket (Node never starts reading it): what our tcp checker does. */
  paused: (t: BenchTarget, finish: Finish): void => {
    const s = new Socket();
    s.pause();
    s.once('connect', () => { s.destroy(); finish(true); });
    s.once('error', () => { s.destroy(); finish(false); });
    s.connect({ host: t.host, port: t.port });
  },
  /** A hand-written HTTP/1.1 GET over net.connect: status line checked, read to the close. */
  http: (t: BenchTarget, finish: Finish): void => {
    const s = connect({ host: t.host, port: t.port });
    let ok = false;
    let first = true;
    s.once('connect', () => {
      s.write(`GET / HTTP/1.1\r\nhost: ${t.host}:${String(t.port)}\r\nconnection: close\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => {
      if (first) ok = d.toString('latin1', 0, 10) === 'HTTP/1.1 2';
      first = false;
    });
    s.once('end', () => { s.destroy(); finish(ok); });
    s.once('error', () => { s.destroy(); finish(false); });
  },
};

/** A bare loop: every target started once per interval (one 5 ms tick), for --bare-seconds. */
async function barePhase(targets: readonly BenchTarget[], start: (t: BenchTarget, finish: Finish) => void): Promise<PhaseReport | null> {
  if (targets.length === 0 || bareSeconds <= 0) return null;
  let done = 0;
  let failures = 0;
  const finish = (ok: boolean): void => { done += 1; if (!ok) failures += 1; };
  const due = targets.map((_t, i) => (i / targets.length) * intervalMs);
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const wait0 = runqueueWaitSeconds();
  const tick = setInterval(() => {
    const now = performance.now() - t0;
    // targets are due in index order, cyclically
    for (let n = 0; n < targets.length && (due[next] ?? Infinity) <= now; n++) {
      const t = targets[next];
      if (t === undefined) break;
      due[next] = (due[next] ?? 0) + intervalMs;
      next = (next + 1) % targets.length;
      start(t, finish);
    }
  }, 5);
  await sleep(bareSeconds * 1000);
  clearInterval(tick);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(cpu0);
  const waited = runqueueWaitSeconds() - wait0;
  await sleep(200);
  return {
    seconds: round(wall, 1),
    per_second: round(done / wall, 0),
    failures,
    cpu_share_of_one_core: round(cpu.total / wall),
    runqueue_wait_share: round(waited / wall),
    cpu_seconds_per_1000: round(cpu.total / (done / 1000)),
    user_system_per_1000: [round(cpu.user / (done / 1000)), round(cpu.system / (done / 1000))],
  };
}

/** The compiled connect-floor.c (run.sh builds it when gcc exists): kernel cost per connection. */
async function floorPhase(tcpTargets: number): Promise<FloorReport[] | null> {
  const bin = opt['floor-bin'];
  if (bin === '' || tcpTargets === 0) return null;
  const out: FloorReport[] = [];
  for (const mode of ['fin', 'rst']) {
    const child = spawn(bin, ['20000', String(tcpTargets), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => { text += String(d); });
    await once(child, 'exit');
    out.push(JSON.parse(text) as FloorReport);
    await sleep(500);
  }
  return out;
}

async function load<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(resolve(dist, path)).href)) as T;
}

/** A checker that succeeds on the next turn of the event loop: no socket, only our scheduling. */
function nullChecker(now: () => number): CheckerLike {
  const start = (done: (r: { ok: boolean; latencyMs: number }) => void): (() => void) => {
    const t0 = now();
    setImmediate(() => { done({ ok: true, latencyMs: now() - t0 }); });
    return () => undefined;
  };
  const run = (): Promise<unknown> => new Promise((resolve) => { start(resolve); });
  return Object.assign(run, { start });
}

/** The service on every target for `measureSeconds`; `nullChecks` replaces the checkers with nullChecker. */
async function servicePhase(targets: readonly BenchTarget[], measureSeconds: number, nullChecks = false): Promise<PhaseReport> {
  const { HealthService } = await load<Dist['service']>('health/service.js');
  const { buildChecker } = await load<Dist['checkers']>('health/checkers/index.js');
  const { systemClock } = await load<Dist['clock']>('core/clock.js');
  const base = { intervalMs, timeoutMs, rise: 2, fall: 3, connectAddress: null, connectPort: null, bindAddress: null };
  const tcp = { type: 'tcp', ...base };
  const http = {
    type: 'http', ...base, method: 'GET', path: '/', host: null, expectStatus: [[200, 299]], expectBody: null,
    expectDigest: null, tlsVerify: true, tlsServerName: null, caFile: null, maxBodyBytes: 65536,
  };
  const realServers = targets.map((t) => ({
    address: { text: t.host, family: 'ipv4' }, port: t.port, weight: 1, upperThreshold: 0, lowerThreshold: 0,
    check: t.kind === 'tcp' ? tcp : http,
  }));
  const vs = {
    name: 'bench', key: { kind: 'address', address: { text: '10.0.0.100', family: 'ipv4' }, port: 80, protocol: 'tcp' },
    scheduler: 'wlc', schedulerFlags: [], persistence: null, forwarding: { method: 'dr' }, onFailure: 'inhibit',
    quorum: { minUp: 1, hysteresis: 0 }, sorryServer: null, realServers,
  };
  const lateness = new Histogram();
  let measuring = false;
  const reasons = new Map<string, number>();
  const svc: HealthServiceLike = new HealthService({
    clock: systemClock,
    random: Math.random,
    scriptUser: null,
    publish: () => undefined,
    onRunStart: (_key: string, late: number) => { if (measuring) lateness.add(late); },
    // the service's per-result hook (absent from older builds: then no reasons are counted)
    onCheckResult: (type: string, r: { ok: boolean; reason?: string }) => {
      if (!measuring || r.ok) return;
      const k = `${type}: ${r.reason ?? '?'}`;
      reasons.set(k, (reasons.get(k) ?? 0) + 1);
    },
    makeChecker: (t: unknown, c: unknown) => nullChecks
      ? nullChecker(() => systemClock.nowMs())
      : buildChecker(t, c, { now: () => systemClock.nowMs(), scriptUser: null }),
  });
  const rssBefore = round(process.memoryUsage().rss / 1e6, 0);
  svc.update([vs]);
  await sleep(intervalMs + warmupSeconds * 1000); // past the start-up spread and the first verdicts
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const c0 = svc.counters();
  measuring = true;
  loop.enable();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const wait0 = runqueueWaitSeconds();
  let rssPeak = 0;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 500);
  await sleep(measureSeconds * 1000);
  const cpu = cpuSeconds(cpu0);
  const wall = (performance.now() - t0) / 1000;
  const waited = runqueueWaitSeconds() - wait0;
  measuring = false;
  loop.disable();
  clearInterval(sampler);
  const c1 = svc.counters();
  const mem = process.memoryUsage();
  const status = svc.status()[0] ?? { up_count: 0, real_servers: [] };
  svc.stop();
  const checks = c1.checks - c0.checks;
  const errors = new Map<string, number>();
  for (const rs of status.real_servers) {
    const e = rs.last_check?.error;
    if (e) errors.set(e, (errors.get(e) ?? 0) + 1);
  }
  return {
    seconds: round(wall, 1),
    per_second: round(checks / wall, 0),
    expected_per_second: round(targets.length * (1000 / intervalMs), 0),
    failures: c1.checkFailures - c0.checkFailures,
    last_errors: Object.fromEntries([...errors].slice(0, 5)),
    failure_reasons: Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    up_at_end: status.up_count,
    cpu_share_of_one_core: round(cpu.total / wall),
    runqueue_wait_share: round(waited / wall),
    cpu_seconds_per_1000: round(cpu.total / (checks / 1000)),
    user_system_per_1000: [round(cpu.user / (checks / 1000)), round(cpu.system / (checks / 1000))],
    lateness_ms: lateness.summary(),
    event_loop_delay_ms: { p50: round(loop.percentile(50) / 1e6 - 5, 1), p99: round(loop.percentile(99) / 1e6 - 5, 1), max: round(loop.max / 1e6 - 5, 1) },
    rss_mb: {
      before: rssBefore, peak_sampled: round(rssPeak / 1e6, 0), max_rss: peakRssMb(),
      at_end: { rss: round(mem.rss / 1e6, 0), heap_total: round(mem.heapTotal / 1e6, 0), heap_used: round(mem.heapUsed / 1e6, 0), external: round(mem.external / 1e6, 0) },
    },
  };
}

const load0 = loadavg().map((x) => round(x, 2));
const all = layout(tcpCount, httpCount);
const targets = await startTargets();
let report: Report;
try {
  // the service first, so that its peak RSS (maxRSS) is its own, not the bare loops'
  const targetsCpu0 = processCpuSeconds(targets.pid);
  const t0 = performance.now();
  const service = await servicePhase(all, seconds);
  const targetsShare = (processCpuSeconds(targets.pid) - targetsCpu0) / ((performance.now() - t0) / 1000);
  await sleep(1000);
  const tcpTargets = all.filter((t) => t.kind === 'tcp');
  const bare = await barePhase(tcpTargets, bareStarters.connect);
  // the service's own mix at its own rate: per-check costs depend on the rate (wake-ups per event)
  const bareMix = await barePhase(all, (t, finish) => { (t.kind === 'tcp' ? bareStarters.paused : bareStarters.http)(t, finish); });
  const floor = await floorPhase(tcpCount);
  const ours = nullSeconds > 0 ? await servicePhase(all, nullSeconds, true) : null;
  report = {
    node: process.version,
    dist,
    config: {
      tcp: tcpCount, http: httpCount, interval_ms: intervalMs, timeout_ms: timeoutMs, seconds, warmup_seconds: warmupSeconds,
      bare_seconds: bareSeconds, null_seconds: nullSeconds,
    },
    loadavg: { start: load0, end: loadavg().map((x) => round(x, 2)) },
    bare_connect: bare,
    bare_mix: bareMix,
    service_null_checker: ours,
    kernel_floor_c: floor,
    service,
    targets_cpu_share_during_service: round(targetsShare),
    ratio_service_to_bare_cpu_per_check: bare ? round(service.cpu_seconds_per_1000 / bare.cpu_seconds_per_1000, 2) : null,
    ratio_service_to_bare_mix_cpu_per_check: bareMix ? round(service.cpu_seconds_per_1000 / bareMix.cpu_seconds_per_1000, 2) : null,
  };
} finally {
  targets.kill('SIGTERM');
}
const s = report.service;
const line = (name: string, p: PhaseReport): string =>
  `${name}: ${String(p.per_second)}/s${p.expected_per_second === undefined ? '' : ` of ${String(p.expected_per_second)}/s`}, ` +
  `${String(p.cpu_seconds_per_1000)} CPU-s per 1000 (user/sys ${p.user_system_per_1000.join('/')}), ` +
  `${String(p.cpu_share_of_one_core)} of a core (main thread waited for a CPU ${String(p.runqueue_wait_share)} of the time), ` +
  `${String(p.failures)} failures` +
  (p.failure_reasons && p.failures > 0 ? ` ${JSON.stringify(p.failure_reasons)}` : '');
console.log(`load average ${report.loadavg.start.join(' ')} -> ${report.loadavg.end.join(' ')}`);
if (report.bare_connect) console.log(line('bare net.connect', report.bare_connect));
if (report.bare_mix) console.log(line('bare mix (paused sockets + hand-written GET)', report.bare_mix));
for (const f of report.kernel_floor_c ?? []) {
  console.log(`C connect+close (${f.close}), blocking loop: ${String(f.cpu_seconds_per_1000)} CPU-s per 1000, ${String(f.failures)} failures`);
}
console.log(line('service', s));
if (report.service_null_checker) console.log(line('service with null checkers (our scheduling alone)', report.service_null_checker));
const l = s.lateness_ms ?? { p50: NaN, p99: NaN, max: NaN };
console.log(`lateness p50/p99/max ${String(l.p50)}/${String(l.p99)}/${String(l.max)} ms; ` +
  `event loop delay p99 ${String(s.event_loop_delay_ms?.p99)} ms; peak RSS ${String(s.rss_mb?.max_rss)} MB; ` +
  `CPU per check service/bare ${String(report.ratio_service_to_bare_cpu_per_check)}, ` +
  `service/bare mix ${String(report.ratio_service_to_bare_mix_cpu_per_check)}; ` +
  `targets process ${String(report.targets_cpu_share_during_service)} of a core`);
console.log(`BENCH ${JSON.stringify(report)}`);
