/**
 * The daemon's view of its configuration over time: the running Config, where
 * it came from, when it was loaded, and how reloads went. Pure: the caller
 * supplies the load result and the wall-clock time.
 */
import { formatIssue } from '../config/format.js';
import type { Config, ConfigIssue, ConfigLoadResult } from '../config/types.js';

export interface ReloadError {
  /** When the failed reload was attempted. */
  readonly at: Date;
  readonly message: string;
  readonly errors: readonly ConfigIssue[];
}

export interface ConfigState {
  readonly config: Config;
  /** Absolute path of the config file; reloads read it again. */
  readonly configPath: string;
  /** When the running config was loaded (start or last successful reload). */
  readonly loadedAt: Date;
  /** Successful reloads since start. */
  readonly reloadCount: number;
  /** The last failed reload, cleared by the next successful one. */
  readonly lastReloadError: ReloadError | null;
}

/** An engine that could not apply a valid config (the reload then reports failure). */
export interface EngineFailure {
  readonly engine: string;
  readonly message: string;
}

export type ReloadOutcome =
  | { readonly kind: 'applied'; readonly state: ConfigState; readonly previous: Config; readonly engineFailures?: readonly EngineFailure[] }
  | { readonly kind: 'rejected'; readonly state: ConfigState; readonly error: ReloadError };

export function initialConfigState(config: Config, configPath: string, loadedAt: Date): ConfigState {
  return { config, configPath, loadedAt, reloadCount: 0, lastReloadError: null };
}

/** One line that says where the first issue is, plus how many more there are. */
export function summariseIssues(file: string, issues: readonly ConfigIssue[]): string {
  const first = issues[0];
  if (!first) return `${file}: invalid configuration`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${formatIssue(first)}${more}`;
}

/**
 * Apply the result of re-reading the config file. A valid file replaces the
 * Config whole and clears any earlier error; an invalid one keeps the running
 * Config and records why.
 */
export function applyReload(state: ConfigState, result: ConfigLoadResult, now: Date): ReloadOutcome {
  if (result.ok) {
    const next: ConfigState = {
      config: result.config,
      configPath: state.configPath,
      loadedAt: now,
      reloadCount: state.reloadCount + 1,
      lastReloadError: null,
    };
    return { kind: 'applied', state: next, previous: state.config };
  }
  const error: ReloadError = {
    at: now,
    message: `reload rejected, keeping the running config: ${summariseIssues(result.file, result.errors)}`,
    errors: result.errors,
  };
  return { kind: 'rejected', state: { ...state, lastReloadError: error }, error };
}

/** A reload that could not even be attempted (the loader itself failed). */
export function reloadFailure(state: ConfigState, message: string, now: Date): ReloadOutcome {
  const error: ReloadError = { at: now, message: `reload failed, keeping the running config: ${message}`, errors: [] };
  return { kind: 'rejected', state: { ...state, lastReloadError: error }, error };
}

/**
 * A valid config that some engines could not apply: the config stands (the
 * others run it), the reload is reported as failed, and status keeps the
 * reason until the next successful reload.
 */
export function withEngineFailures(outcome: ReloadOutcome, failures: readonly EngineFailure[], now: Date): ReloadOutcome {
  if (outcome.kind !== 'applied' || failures.length === 0) return outcome;
  const list = failures.map((f) => `${f.engine}: ${f.message}`).join('; ');
  const error: ReloadError = { at: now, message: `the new config is valid and in force, but engines could not apply it: ${list}`, errors: [] };
  return { ...outcome, state: { ...outcome.state, lastReloadError: error }, engineFailures: failures };
}
