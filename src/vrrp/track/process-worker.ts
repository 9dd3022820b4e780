/**
 * The worker thread behind ProcessScanner: answers each { id, patterns } with one /proc scan,
 * keeping the command lines it read across scans. First it reports its thread id, so the
 * isolate can take it out of real-time scheduling (a thread inherits SCHED_RR from the thread
 * that created it, and a scan must never compete with the event loop at its priority).
 */
import { readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { scanProc, type CmdlineCache, type ProcessPattern } from './processes.js';

interface ScanRequest {
  readonly id: number;
  readonly patterns: readonly ProcessPattern[];
  readonly procRoot?: string;
}

const cache: CmdlineCache = new Map();

try {
  // "PID/task/TID"
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid)) parentPort?.postMessage({ tid });
} catch {
  // no /proc/thread-self: scheduling stays as inherited
}

parentPort?.on('message', (req: ScanRequest) => {
  try {
    parentPort?.postMessage({ id: req.id, ok: true, result: scanProc(req.patterns, req.procRoot, cache) });
  } catch (err) {
    parentPort?.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
