/**
 * Engines the daemon composes (VRRP today; health and IPVS later). Each contributes a status
 * section, starts with the initial config, follows applied reloads, and stops gracefully before
 * the control socket closes.
 */
import type { Config } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { VrrpEngine } from '../vrrp/engine.js';
import { openRunnerOs } from '../vrrp/runner-os.js';
import { resolveScriptUser } from '../vrrp/track/user.js';
import type { StatusProvider } from './status.js';

export interface DaemonEngine {
  readonly name: string;
  readonly status: StatusProvider | null;
  start(config: Config): Promise<void>;
  /** Called inside the event queue after a reload was applied. */
  applyConfig(config: Config): Promise<void>;
  stop(): Promise<void>;
}

export function vrrpDaemonEngine(engine: VrrpEngine): DaemonEngine {
  return {
    name: 'vrrp',
    status: { section: 'instances', snapshot: () => engine.snapshot() },
    start: (config) => engine.start(config),
    applyConfig: (config) => engine.applyConfig(config),
    stop: () => engine.stop(),
  };
}

/** The production engines. */
export function defaultEngines(logger: Logger, clock: Clock): DaemonEngine[] {
  const vrrp = new VrrpEngine({ clock, logger, openOs: openRunnerOs, resolveScriptUser: (name) => resolveScriptUser(name) });
  return [vrrpDaemonEngine(vrrp)];
}
