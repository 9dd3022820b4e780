#!/usr/bin/env node
/**
 * Process tracking cost (issue 16): with N extra processes running (default 3000 `sleep`s), how
 * long one /proc scan takes in the worker thread, and how long the main (VRRP) event loop is
 * held while scans run there (it should only see the reply message). For contrast, the same scan
 * run directly on the main loop (without the worker's command-line cache, so every scan reads
 * every cmdline: the cost the cache saves after the first scan). Runs from dist/ (npm run build first):
 *   node bench/vrrp/process-scan.js [N] [scans]
 * Prints one `BENCH {json}` line. Starts and kills only its own sleep processes.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../dist/core/clock.js';
import { demoteThread, ProcessScanner } from '../../dist/vrrp/track/process-watch.js';
import { scanProc } from '../../dist/vrrp/track/processes.js';

const n = Number(process.argv[2] ?? 3000);
const scans = Number(process.argv[3] ?? 20);
const children = [];
for (let i = 0; i < n; i += 1) children.push(spawn('/bin/sleep', ['600'], { stdio: 'ignore' }));
await sleep(1000);

const byName = { process: 'haproxy', commandLine: null, match: 'exact' };
const byArgv = { process: null, commandLine: ['/usr/sbin/haproxy', '-f'], match: 'prefix' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function inWorker(patterns) {
  const scanner = new ProcessScanner(systemClock, (tid) => { void demoteThread(tid); });
  await scanner.scan(patterns); // worker start-up not counted
  const h = monitorEventLoopDelay({ resolution: 1 });
  const elapsed = [];
  let processes = 0;
  h.enable();
  for (let i = 0; i < scans; i += 1) {
    const r = await scanner.scan(patterns);
    elapsed.push(r.elapsedMs);
    processes = r.processes;
  }
  h.disable();
  scanner.close();
  return { processes, scan_ms_median: median(elapsed), scan_ms_max: Math.max(...elapsed), loop_delay_max_ms: h.max / 1e6, loop_delay_p99_ms: h.percentile(99) / 1e6 };
}

function onLoop(patterns) {
  const elapsed = [];
  // No cache: every scan reads every cmdline (what a scan without the worker's cache costs).
  for (let i = 0; i < scans; i += 1) elapsed.push(scanProc(patterns).elapsedMs);
  return { loop_held_ms_median: median(elapsed), loop_held_ms_max: Math.max(...elapsed) };
}

/** The loop delay of an idle loop over the same time: what the machine's load alone gives. */
async function idle(ms) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await sleep(ms);
  h.disable();
  return { loop_delay_max_ms: h.max / 1e6, loop_delay_p99_ms: h.percentile(99) / 1e6 };
}

const result = {
  extra_processes: n,
  idle_baseline_2s: await idle(2000),
  scans,
  worker_by_name: await inWorker([byName]),
  worker_by_command_line: await inWorker([byName, byArgv]),
  main_loop_by_name: onLoop([byName]),
  main_loop_by_command_line: onLoop([byName, byArgv]),
};
for (const c of children) c.kill('SIGKILL');
console.log(JSON.stringify(result, null, 2));
console.log(`BENCH ${JSON.stringify(result)}`);
