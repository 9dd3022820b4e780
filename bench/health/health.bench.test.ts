/**
 * Health-check benchmark (see run.sh): checks per second, CPU seconds per
 * 1,000 checks (this process only; targets run in a child), p50/p99 lateness
 * of run starts against their schedule, peak RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { buildChecker } from '../../src/health/checkers/index.js';
import { HealthService } from '../../src/health/service.js';
import { httpCheck, realServer, tcpCheck, virtualServer } from '../../test/unit/health/fixtures.js';

const seconds = Number(process.env.LVH_BENCH_SECONDS ?? 60);
const tcpCount = Number(process.env.LVH_BENCH_TCP ?? 10_000);
const httpCount = Number(process.env.LVH_BENCH_HTTP ?? 1_000);
const TCP_BASE = 20_000;
const HTTP_BASE = TCP_BASE + tcpCount;

/** The targets, as a plain-JS program run in a child (its CPU is not counted). */
const TARGETS_JS = `
import { createServer as tcp } from 'node:net';
import { createServer as http } from 'node:http';
const [tcpBase, tcpCount, httpBase, httpCount] = process.argv.slice(-4).map(Number);
const servers = [];
const listen = (s, port) => new Promise((resolve, reject) => {
  s.once('error', reject);
  s.listen({ port, host: '127.0.0.1', backlog: 64 }, resolve);
});
for (let i = 0; i < tcpCount; i++) {
  const s = tcp((sock) => { sock.on('error', () => {}); sock.end(); });
  servers.push(s);
  await listen(s, tcpBase + i);
}
for (let i = 0; i < httpCount; i++) {
  const s = http((_req, res) => { res.end('ok'); });
  servers.push(s);
  await listen(s, httpBase + i);
}
console.log('ready');

process.on('SIGTERM', () => process.exit(0));
`;

let targets: ChildProcess | null = null;
afterAll(() => { targets?.kill('SIGTERM'); });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

it(`checks ${String(tcpCount)} TCP + ${String(httpCount)} HTTP targets for ${String(seconds)} s`, async () => {
  targets = spawn(process.execPath, ['--input-type=module', '-e', TARGETS_JS, '--', String(TCP_BASE), String(tcpCount), String(HTTP_BASE), String(httpCount)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(targets.stdout ?? targets, 'data')) as [Buffer];
  expect(chunk.toString()).toContain('ready');

  const lateness: number[] = [];
  let results = 0;
  let failures = 0;
  const reasons = new Map<string, number>();
  const tcp = tcpCheck({ intervalMs: 1000, timeoutMs: 900, rise: 2, fall: 3 });
  const http = httpCheck({ intervalMs: 1000, timeoutMs: 900, rise: 2, fall: 3, path: '/' });
  const servers = [
    ...Array.from({ length: tcpCount }, (_, i) => realServer('127.0.0.1', TCP_BASE + i, tcp)),
    ...Array.from({ length: httpCount }, (_, i) => realServer('127.0.0.1', HTTP_BASE + i, http)),
  ];
  let measuring = false;
  const svc = new HealthService({
    clock: systemClock,
    random: Math.random,
    scriptUser: null,
    publish: () => undefined,
    onRunStart: (_k, late) => { if (measuring) lateness.push(late); },
    makeChecker: (t, c) => {
      const inner = buildChecker(t, c, { now: () => performance.now(), scriptUser: null });
      return async (signal) => {
        const r = await inner(signal);
        if (measuring) {
          results += 1;
          if (!r.ok) {
            failures += 1;
            reasons.set(r.reason ?? '?', (reasons.get(r.reason ?? '?') ?? 0) + 1);
          }
        }
        return r;
      };
    },
  });
  const rssBase = process.memoryUsage().rss;
  svc.update([virtualServer('bench', servers, { minUp: 1, hysteresis: 0 })]);
  await new Promise((r) => setTimeout(r, 2000)); // past the start-up spread
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 250);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  clearInterval(sampler);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  svc.stop();
  lateness.sort((a, b) => a - b);
  const status = svc.status()[0];
  const report = {
    targets: { tcp: tcpCount, http: httpCount },
    seconds: Math.round(wallS * 10) / 10,
    checks_per_second: Math.round(results / wallS),
    expected_per_second: tcpCount + httpCount,
    failures,
    failure_reasons: Object.fromEntries([...reasons].slice(0, 5)),
    cpu_seconds: Math.round(cpuS * 100) / 100,
    cpu_share_of_one_core: Math.round((cpuS / wallS) * 1000) / 1000,
    cpu_seconds_per_1000_checks: Math.round((cpuS / (results / 1000)) * 1000) / 1000,
    lateness_ms: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness.at(-1) },
    rss_mb: { before_checks: Math.round(rssBase / 1e6), peak: Math.round(peakRss / 1e6) },
    up: status?.up_count,
  };
  console.log(`BENCH ${JSON.stringify(report)}`);
  expect(results).toBeGreaterThan(0);
});
