/**
 * The lab's record of what it created (state.json in the lab folder): the
 * namespaces and the processes, so `lab down` removes exactly those and
 * nothing else. Written after every step of `lab up`, so a failed or
 * interrupted `up` can still be undone.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_MODES, type LabOptions } from './topology.js';
import { LabError, type ProcessRecord } from './procs.js';
import { ECMP_MAX_DIRECTORS, ECMP_SCHEDULERS, type EcmpScheduler } from './ecmp.js';

export const LAB_DIR = '/run/lvs-ha-lab';
export const STATE_VERSION = 1;

export interface LabState {
  readonly version: number;
  readonly createdAt: string;
  readonly options: LabOptions;
  readonly namespaces: string[];
  readonly processes: ProcessRecord[];
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export function writeState(dir: string, state: LabState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${statePath(dir)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, statePath(dir));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isProcess(v: unknown): v is ProcessRecord {
  return isRecord(v) && typeof v.name === 'string' && typeof v.netns === 'string' && typeof v.pid === 'number'
    && typeof v.startTicks === 'string' && Array.isArray(v.argv) && typeof v.log === 'string';
}

/** Validates a parsed state file; a file we cannot trust is an error, never a guess. */
export function parseState(text: string, path: string): LabState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LabError('LVSHA_LAB_STATE', `${path} is not JSON; remove the lab by hand (ip netns del lvl-...) and the file`, { cause: err });
  }
  const bad = (what: string): never => {
    throw new LabError('LVSHA_LAB_STATE', `${path}: ${what}`);
  };
  if (!isRecord(raw)) return bad('not an object');
  if (raw.version !== STATE_VERSION) return bad(`version ${String(raw.version)}, this lvs-ha writes ${String(STATE_VERSION)}`);
  const o = raw.options;
  if (!isRecord(o) || !LAB_MODES.includes(o.mode as never) || typeof o.sync !== 'boolean' || typeof o.advertIntervalMs !== 'number') return bad('bad options');
  if (o.directors !== undefined && (typeof o.directors !== 'number' || !Number.isInteger(o.directors) || o.directors < 1 || o.directors > ECMP_MAX_DIRECTORS)) return bad('bad options.directors');
  if (o.scheduler !== undefined && !ECMP_SCHEDULERS.includes(o.scheduler as never)) return bad('bad options.scheduler');
  if (o.bfd !== undefined && typeof o.bfd !== 'boolean') return bad('bad options.bfd');
  const { namespaces, processes } = raw;
  if (!Array.isArray(namespaces) || !namespaces.every((n) => typeof n === 'string' && n.startsWith('lvl-'))) return bad('bad namespaces');
  if (!Array.isArray(processes) || !processes.every(isProcess)) return bad('bad processes');
  return {
    version: STATE_VERSION,
    createdAt: typeof raw.createdAt === 'string' ? raw.createdAt : '',
    options: {
      mode: o.mode as LabOptions['mode'], sync: o.sync, advertIntervalMs: o.advertIntervalMs,
      ...(typeof o.directors === 'number' ? { directors: o.directors } : {}),
      ...(o.scheduler !== undefined ? { scheduler: o.scheduler as EcmpScheduler } : {}),
      ...(typeof o.bfd === 'boolean' ? { bfd: o.bfd } : {}),
    },
    namespaces: namespaces as string[],
    processes: processes,
  };
}

export function readState(dir: string): LabState | null {
  const path = statePath(dir);
  if (!existsSync(path)) return null;
  return parseState(readFileSync(path, 'utf8'), path);
}
