/**
 * Composition helper for the daemon: resolves the scripts user once and wires
 * the real checkers into a HealthService. Usage:
 *
 *   const health = await createHealthService({ clock, scriptsUser: config.scripts.user,
 *     publish: (e) => bus.publish(e), onHealthChange: (c) => queue.push(c) });
 *   health.update(config.virtualServers);      // at start and on every reload
 *   statusProviders.virtual_servers = () => health.status();
 */
import type { Clock } from '../core/clock.js';
import type { LvsHaEvent } from '../alerts/events.js';
import { buildChecker } from './checkers/index.js';
import { resolveUser, type UserIds } from './checkers/user.js';
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

/** Throws UnknownUserError (code LVSHA_UNKNOWN_USER) when scripts.user does not exist. */
export async function createHealthService(options: CreateHealthOptions): Promise<HealthService> {
  const lookup = options.resolveUser ?? resolveUser;
  const user = options.scriptsUser === null ? null : await lookup(options.scriptsUser);
  const now = (): number => options.clock.nowMs();
  return new HealthService({
    clock: options.clock,
    random: options.random ?? Math.random,
    scriptUser: user?.name ?? null,
    publish: options.publish,
    ...(options.onHealthChange ? { onHealthChange: options.onHealthChange } : {}),
    ...(options.onCheckResult ? { onCheckResult: options.onCheckResult } : {}),
    makeChecker: (target, check) => buildChecker(target, check, { now, scriptUser: user }),
  });
}
