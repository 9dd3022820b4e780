/**
 * `lvs-ha lab status` on this kernel: both directors' own status (the same
 * view `lvs-ha status` prints) and whether every lab process is alive.
 */
import type { JsonObject } from '../control/protocol.js';
import { renderStatus } from '../control/status-view.js';
import { describeError } from '../core/errors.js';
import { peekDirector } from './peek.js';
import { isAlive, LabError } from './procs.js';
import { LAB_DIR, readState } from './state.js';
import { hostsOf, labPaths, labTopology } from './topology.js';

export interface LabStatus {
  readonly mode: string;
  readonly sync: boolean;
  readonly created_at: string;
  readonly vip: string;
  readonly directors: Record<string, JsonObject | { readonly error: string }>;
  readonly processes: { readonly name: string; readonly pid: number; readonly alive: boolean; readonly log: string }[];
}

export async function labStatusLocal(dir = LAB_DIR): Promise<LabStatus> {
  const state = readState(dir);
  if (state === null) throw new LabError('LVSHA_LAB_NONE', "no lab is up; run 'lvs-ha lab up' first");
  const t = labTopology(state.options);
  const paths = labPaths(dir);
  const directors: LabStatus['directors'] = {};
  for (const d of hostsOf(t, 'director')) {
    try {
      directors[d.name] = (await peekDirector(d.name, paths.socket(d.name), 5_000)).raw;
    } catch (err) {
      directors[d.name] = { error: describeError(err) };
    }
  }
  return {
    mode: state.options.mode, sync: state.options.sync, created_at: state.createdAt, vip: `${t.vip}:${String(t.port)}`,
    directors,
    processes: state.processes.map((p) => ({ name: p.name, pid: p.pid, alive: isAlive(p), log: p.log })),
  };
}

export function renderLabStatus(s: LabStatus): string {
  const out = [`lab: ${s.mode.toUpperCase()}, connection sync ${s.sync ? 'on' : 'off'}, VIP ${s.vip}, up since ${s.created_at}`];
  const dead = s.processes.filter((p) => !p.alive);
  out.push(dead.length === 0
    ? `processes: all ${String(s.processes.length)} running`
    : `processes NOT running: ${dead.map((p) => `${p.name} (log ${p.log})`).join(', ')}`);
  for (const [name, st] of Object.entries(s.directors)) {
    out.push('', `=== director ${name} ===`);
    out.push('error' in st && typeof st.error === 'string' ? `no answer: ${st.error}` : renderStatus(st).trimEnd());
  }
  return `${out.join('\n')}\n`;
}
