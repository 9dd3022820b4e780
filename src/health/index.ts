/**
 * Composition helper for the daemon: wires the real checkers into a
 * HealthService, and resolves the scripts user when (and only when) an exec
 * check needs it. Usage:
 *
 *   const health = await createHealthService({ clock, scriptsUser: config.scripts.user,
 *     publish: (e) => bus.publish(e), onHealthChange: (c) => queue.push(c) });
 *   await health.prepare(config.virtualServers); // resolves the user if an exec check needs it
 *   health.update(config.virtualServers);      // at start and on every reload
 *   statusProviders.virtual_servers = () => health.status();
 */
import type { VirtualServerConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { LvsHaEvent } from '../alerts/events.js';
import { buildChecker } from './checkers/index.js';
import { resolveScriptUser, type UserIds } from '../os/accounts.js';
import { HealthService, type HealthChange, type HealthServiceOptions } from './service.js';

export { HealthService } from './service.js';
export type { HealthChange, VirtualServerStatus, RealServerStatus } from './service.js';

export interface CreateHealthOptions {
  readonly clock: Clock;
  /** scripts.user from the config; null runs exec checks as the daemon's own user. */
  readonly scriptsUser: string | null;
  readonly publish: (event: LvsHaEvent) => void;
  readonly onHealthChange?: (change: HealthChange) => void;
  /** Every counted check result (metrics: latency histograms). */
  readonly onCheckResult?: HealthServiceOptions['onCheckResult'];
  readonly random?: () => number;
  /** Override the passwd lookup (tests). */
  readonly resolveUser?: (name: string) => Promise<UserIds>;
}

/** Whether any check of these virtual servers runs a script. */
export function needsScriptUser(virtualServers: readonly VirtualServerConfig[]): boolean {
  return virtualServers.some((v) => v.realServers.some((r) => r.check?.type === 'exec'));
}

export type ConfiguredHealthService = HealthService & {
  /**
   * Before update(): resolves scripts.user if an exec check of these virtual
   * servers needs it and it is not resolved yet. Throws ScriptUserError (code
   * LVSHA_SCRIPT_USER) when it does not exist or is uid 0. A director without
   * exec checks never needs the user.
   */
  prepare(virtualServers: readonly VirtualServerConfig[]): Promise<void>;
};

export async function createHealthService(options: CreateHealthOptions): Promise<ConfiguredHealthService> {
  const lookup = options.resolveUser ?? resolveScriptUser;
  const name = options.scriptsUser;
  let user: UserIds | null = null;
  const now = (): number => options.clock.nowMs();
  const service = new HealthService({
    clock: options.clock,
    random: options.random ?? Math.random,
    scriptUser: name,
    publish: options.publish,
    ...(options.onHealthChange ? { onHealthChange: options.onHealthChange } : {}),
    ...(options.onCheckResult ? { onCheckResult: options.onCheckResult } : {}),
    // Reads the user at build time: prepare() ran before any exec check is built.
    makeChecker: (target, check) => buildChecker(target, check, { now, scriptUser: user }),
  });
  const prepare = async (virtualServers: readonly VirtualServerConfig[]): Promise<void> => {
    if (name === null || user !== null || !needsScriptUser(virtualServers)) return;
    user = await lookup(name);
  };
  return Promise.resolve(Object.assign(service, { prepare }));
}
