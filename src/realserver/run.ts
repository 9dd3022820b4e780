/**
 * up / down / check: the sequence of snapshot, plan, apply, record, verify,
 * over an injected RealServerSystem and StateStore (fakes in tests).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LvsHaError } from '../core/errors.js';
import { planDown, planUp, type Action } from './plan.js';
import { findProblems } from './problems.js';
import { desiredState } from './settings.js';
import { decodeState, EMPTY_STATE, encodeState, recordApplied, type RealServerState } from './state.js';
import type { RealServerSystem } from './system.js';
import type { Problem, RealServerSpec, Snapshot } from './types.js';

export class StateFileError extends LvsHaError {
  readonly code = 'LVSHA_RS_STATE';
}

export interface StateStore {
  readonly path: string;
  load(): Promise<RealServerState | null>;
  save(state: RealServerState): Promise<void>;
  remove(): Promise<void>;
}

export function fileStateStore(path: string): StateStore {
  return {
    path,
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new StateFileError(`cannot read state file ${path}: ${String(err)}`, { cause: err });
      }
      const r = decodeState(text);
      if (!r.ok) throw new StateFileError(`state file ${path} is not usable: ${r.reason}`);
      return r.value;
    },
    async save(state) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}`;
      await writeFile(tmp, encodeState(state), { mode: 0o600 });
      await rename(tmp, path);
    },
    async remove() {
      await rm(path, { force: true });
    },
  };
}

const EMPTY_SNAPSHOT: Snapshot = { links: [], addresses: [], defaultRoutes: [], sysctls: {}, fouPorts: [] };

function needsFou(spec: RealServerSpec): boolean {
  return spec.mode === 'tun' && spec.tunType === 'gue';
}

export interface UpResult {
  readonly applied: readonly Action[];
  /** What is still wrong afterwards (empty on success). */
  readonly problems: readonly Problem[];
}

/** Apply what is missing, record it (also when an action fails half-way), then check. */
export async function realServerUp(sys: RealServerSystem, store: StateStore, spec: RealServerSpec): Promise<UpResult> {
  await sys.loadModules(desiredState(spec, EMPTY_SNAPSHOT).modules);
  const fou = needsFou(spec);
  const snap = await sys.snapshot({ fou });
  const actions = planUp(spec, snap);
  const applied: Action[] = [];
  if (actions.length > 0) {
    const before = (await store.load()) ?? EMPTY_STATE;
    try {
      for (const action of actions) {
        await sys.apply(action, snap);
        applied.push(action);
      }
    } finally {
      if (applied.length > 0) await store.save(recordApplied(before, applied));
    }
  }
  return { applied, problems: findProblems(spec, await sys.snapshot({ fou })) };
}

export interface DownResult {
  /** False when there was no state file: nothing to undo. */
  readonly found: boolean;
  readonly applied: readonly Action[];
  readonly skipped: readonly string[];
}

/** Undo what the state file records, then remove it. */
export async function realServerDown(sys: RealServerSystem, store: StateStore): Promise<DownResult> {
  const state = await store.load();
  if (state === null) return { found: false, applied: [], skipped: [] };
  const snap = await sys.snapshot({ fou: state.fouPorts.length > 0 });
  const plan = planDown(state, snap);
  const applied: Action[] = [];
  for (const action of plan.actions) {
    await sys.apply(action, snap);
    applied.push(action);
  }
  await store.remove();
  return { found: true, applied, skipped: plan.skipped };
}

export async function realServerCheck(sys: RealServerSystem, spec: RealServerSpec): Promise<Problem[]> {
  return findProblems(spec, await sys.snapshot({ fou: needsFou(spec) }));
}
