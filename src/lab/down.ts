/**
 * `lvs-ha lab down` on this kernel: stops the processes the lab recorded
 * (directors first, with SIGTERM so they leave cleanly), removes the
 * namespaces it recorded (which takes their links, addresses, IPVS tables and
 * sync daemons with them), then looks again and reports anything left.
 */
import { existsSync, rmSync } from 'node:fs';
import { LAB_DIR, readState } from './state.js';
import { frrRunDir } from './ecmp-run.js';
import { isAlive, sh, stopProcess, type ProcessRecord } from './procs.js';
import { teardownShell } from './netns.js';

export interface DownReport {
  readonly stopped: string[];
  readonly removedNamespaces: string[];
  /** What is still there after the removal: empty lists when the lab is gone. */
  readonly leftBehind: { readonly namespaces: string[]; readonly processes: string[]; readonly dir: boolean };
  readonly wasUp: boolean;
}

async function namespacesNow(): Promise<string[]> {
  const out = await sh('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

export async function labDownLocal(dir = LAB_DIR): Promise<DownReport> {
  const state = readState(dir);
  if (state === null) {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    return { stopped: [], removedNamespaces: [], leftBehind: { namespaces: [], processes: [], dir: existsSync(dir) }, wasUp: false };
  }
  const order = (p: ProcessRecord): number => (/^d\d$/.test(p.name) ? 0 : 1);
  const procs = [...state.processes].sort((a, b) => order(a) - order(b));
  const stopped: string[] = [];
  for (const p of procs) {
    if (!isAlive(p)) continue;
    await stopProcess(p, 8_000);
    stopped.push(p.name);
  }
  const present = new Set(await namespacesNow());
  const removed = [...state.namespaces].filter((ns) => present.has(ns));
  await sh('sh', ['-c', teardownShell(removed)]);
  // FRR's pathspace folders of the ECMP lab are named after the namespaces (src/lab/ecmp-run.ts).
  for (const ns of state.namespaces) rmSync(frrRunDir(ns), { recursive: true, force: true });
  const after = new Set(await namespacesNow());
  const leftNamespaces = state.namespaces.filter((ns) => after.has(ns));
  const leftProcesses = state.processes.filter(isAlive).map((p) => `${p.name} (pid ${String(p.pid)})`);
  if (leftNamespaces.length === 0 && leftProcesses.length === 0) rmSync(dir, { recursive: true, force: true });
  return {
    stopped, removedNamespaces: removed, wasUp: true,
    leftBehind: { namespaces: leftNamespaces, processes: leftProcesses, dir: existsSync(dir) },
  };
}
