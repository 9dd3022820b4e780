/**
 * The `status` result. The daemon core contributes the fixed keys (node,
 * config_path, ...); each engine contributes one section (`instances`,
 * `virtual_servers`, `ipvs_sync`, ...) through a StatusProvider registered at
 * composition. Pure: the caller passes the times.
 */
import type { ConfigIssue } from '../config/types.js';
import { LvsHaError } from '../core/errors.js';
import type { JsonObject, JsonValue } from '../control/protocol.js';
import type { ConfigState, ReloadError } from './config-state.js';

/** One engine's contribution to `status`: a JSON-ready snapshot under its own key. */
export interface StatusProvider {
  readonly section: string;
  snapshot(): JsonValue;
  /**
   * Bring the snapshot up to date before a `status` answer (the VRRP isolate pushes its
   * snapshot at most every 100 ms; `status` asks for the current one). Bounded by the provider.
   */
  refresh?(): Promise<void>;
}

/** Keys the core owns; a provider may not claim them. */
export const CORE_STATUS_KEYS = [
  'node', 'config_path', 'loaded_at', 'started_at', 'uptime_s', 'reload_count',
  'last_reload_error', 'pid', 'version',
] as const;

const SECTION_NAME = /^[a-z][a-z0-9_]*$/;

export class StatusRegistryError extends LvsHaError {
  readonly code = 'LVSHA_STATUS_SECTION';
}

/** The providers of one daemon, in registration order. Built once in the composition root. */
export class StatusRegistry {
  private readonly providers: StatusProvider[] = [];

  register(provider: StatusProvider): void {
    const { section } = provider;
    if (!SECTION_NAME.test(section)) {
      throw new StatusRegistryError(`status section '${section}' must be snake_case`);
    }
    if ((CORE_STATUS_KEYS as readonly string[]).includes(section)) {
      throw new StatusRegistryError(`status section '${section}' is reserved for the daemon core`);
    }
    if (this.providers.some((p) => p.section === section)) {
      throw new StatusRegistryError(`status section '${section}' is already registered`);
    }
    this.providers.push(provider);
  }

  list(): readonly StatusProvider[] {
    return this.providers;
  }

  /** Let every provider that can refresh its snapshot do so (for a `status` answer). */
  async refresh(): Promise<void> {
    await Promise.all(this.providers.map((p) => (p.refresh ? p.refresh() : Promise.resolve())));
  }
}

export interface CoreStatusInput {
  readonly state: ConfigState;
  readonly startedAt: Date;
  /** Monotonic milliseconds since the daemon started. */
  readonly uptimeMs: number;
  readonly pid: number;
  readonly version: string;
}

function issueJson(issue: ConfigIssue): JsonObject {
  const base: Record<string, JsonValue> = {
    file: issue.file, line: issue.line, column: issue.column, path: issue.path, message: issue.message,
  };
  if (issue.found !== undefined) base.found = issue.found;
  if (issue.expected !== undefined) base.expected = issue.expected;
  return base;
}

export function reloadErrorJson(error: ReloadError): JsonObject {
  return { at: error.at.toISOString(), message: error.message, errors: error.errors.map(issueJson) };
}

/** One engine's failure to describe itself must not take `status` down with it. */
function safeSnapshot(provider: StatusProvider): JsonValue {
  try {
    return provider.snapshot();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Build the status result: core keys first, then each provider's section. */
export function buildStatus(core: CoreStatusInput, providers: readonly StatusProvider[]): JsonObject {
  const { state } = core;
  const result: Record<string, JsonValue> = {
    node: state.config.node,
    config_path: state.configPath,
    loaded_at: state.loadedAt.toISOString(),
    started_at: core.startedAt.toISOString(),
    uptime_s: Math.max(0, Math.round(core.uptimeMs) / 1000),
    reload_count: state.reloadCount,
    last_reload_error: state.lastReloadError ? reloadErrorJson(state.lastReloadError) : null,
    pid: core.pid,
    version: core.version,
  };
  for (const provider of providers) {
    result[provider.section] = safeSnapshot(provider);
  }
  return result;
}
