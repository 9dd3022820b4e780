/**
 * The daemon's composition root: everything is built here once and passed down.
 * Today: the running config, the event queue, the status registry and the
 * control server. Later engines (VRRP, health, IPVS) are built here too and
 * register their status sections and queue their events.
 */
import type { Config, ConfigLoadResult } from '../config/types.js';
import type { JsonObject } from '../control/protocol.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { makeControlHandler } from './commands.js';
import { applyReload, initialConfigState, reloadFailure, type ConfigState, type ReloadOutcome } from './config-state.js';
import { EventQueue } from './event-queue.js';
import type { DaemonEngine } from './engines.js';
import { buildStatus, StatusRegistry, type StatusProvider } from './status.js';

export interface DaemonOptions {
  /** The validated config the daemon starts with. */
  readonly config: Config;
  /** Absolute path of the config file (re-read on reload). */
  readonly configPath: string;
  /** Overrides control.socket from the config (the --socket flag). */
  readonly socketPathOverride?: string;
  readonly loadConfig: (path: string) => Promise<ConfigLoadResult>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly pid: number;
  readonly version: string;
  /** Status sections of the engines, registered at composition. */
  readonly statusProviders?: readonly StatusProvider[];
  /** Engines (VRRP, ...): started after the control socket, stopped before it closes. */
  readonly engines?: readonly DaemonEngine[];
}

export interface Daemon {
  readonly socketPath: string;
  /** Queue a reload (SIGHUP, control command). */
  reload(source: string): Promise<ReloadOutcome>;
  status(): JsonObject;
  currentConfig(): Config;
  /** Graceful stop: finish queued work, close the control socket. Idempotent. */
  stop(reason: string): Promise<void>;
  /** Resolves once stop() has completed. */
  readonly stopped: Promise<void>;
}

/** The mutable heart of the daemon, owned by one Daemon instance (never module-level). */
class DaemonCore {
  state: ConfigState;
  readonly startedAt: Date;
  readonly startedMs: number;

  constructor(private readonly options: DaemonOptions, private readonly log: Logger) {
    this.startedAt = options.clock.wallNow();
    this.startedMs = options.clock.nowMs();
    this.state = initialConfigState(options.config, options.configPath, this.startedAt);
  }

  status(registry: StatusRegistry): JsonObject {
    const { clock, pid, version } = this.options;
    return buildStatus(
      { state: this.state, startedAt: this.startedAt, uptimeMs: clock.nowMs() - this.startedMs, pid, version },
      registry.list(),
    );
  }

  private async applyToEngines(config: Config, source: string): Promise<void> {
    for (const engine of this.options.engines ?? []) {
      try {
        await engine.applyConfig(config);
      } catch (err) {
        this.log.error({ source, engine: engine.name, err: describeError(err) }, 'engine could not apply the reloaded config');
      }
    }
  }

  async reloadNow(source: string, socketPath: string): Promise<ReloadOutcome> {
    const { clock, loadConfig } = this.options;
    const path = this.state.configPath;
    this.log.info({ source, config_path: path }, 'reloading config');
    let outcome: ReloadOutcome;
    try {
      outcome = applyReload(this.state, await loadConfig(path), clock.wallNow());
    } catch (err) {
      outcome = reloadFailure(this.state, describeError(err), clock.wallNow());
    }
    this.state = outcome.state;
    if (outcome.kind === 'rejected') {
      this.log.error({ source, config_path: path, errors: outcome.error.errors }, outcome.error.message);
      return outcome;
    }
    this.log.info({ source, config_path: path, reload_count: this.state.reloadCount, node: this.state.config.node }, 'config reloaded');
    await this.applyToEngines(this.state.config, source);
    const wanted = this.state.config.control.socketPath;
    if (this.options.socketPathOverride === undefined && wanted !== socketPath) {
      this.log.warn({ running: socketPath, configured: wanted }, 'control.socket changed; the new path takes effect at the next restart');
    }
    return outcome;
  }
}

/** Start engines in order; a failing engine is logged and the daemon runs on without it. */
async function startEngines(engines: readonly DaemonEngine[], config: Config, log: Logger): Promise<void> {
  for (const engine of engines) {
    try {
      await engine.start(config);
    } catch (err) {
      log.error({ engine: engine.name, err: describeError(err) }, 'engine failed to start');
    }
  }
}

/** Stop engines in reverse order, each one even if another failed. */
async function stopEngines(engines: readonly DaemonEngine[], log: Logger): Promise<void> {
  for (const engine of [...engines].reverse()) {
    try {
      await engine.stop();
    } catch (err) {
      log.error({ engine: engine.name, err: describeError(err) }, 'engine failed to stop cleanly');
    }
  }
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const log = options.logger.child({ component: 'daemon' });
  const core = new DaemonCore(options, log);
  const registry = new StatusRegistry();
  for (const provider of options.statusProviders ?? []) registry.register(provider);
  const engines = options.engines ?? [];
  for (const engine of engines) if (engine.status) registry.register(engine.status);
  const queue = new EventQueue();
  const socketPath = options.socketPathOverride ?? options.config.control.socketPath;
  const target = {
    status: () => core.status(registry),
    reloadNow: (source: string) => core.reloadNow(source, socketPath),
  };
  const controlLog = options.logger.child({ component: 'control' });
  const server: ControlServer & { replacedStale: boolean } = await startControlServer({
    socketPath,
    handler: makeControlHandler(queue, target),
    onConnectionError: (err) => {
      controlLog.warn({ err: err.message }, 'control connection error');
    },
  });
  if (server.replacedStale) controlLog.warn({ socket: socketPath }, 'replaced a stale control socket left by a dead daemon');
  log.info({ node: options.config.node, config_path: options.configPath, socket: socketPath, version: options.version }, 'lvs-ha started');
  await startEngines(engines, options.config, log);

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'stopping');
      await queue.close();
      await stopEngines(engines, log);
      await server.close();
      log.info({ reason }, 'stopped');
      resolveStopped();
    })();
    return stopping;
  };
  return {
    socketPath,
    reload: (source) => queue.enqueue({ label: `reload:${source}`, run: () => target.reloadNow(source) }),
    status: () => core.status(registry),
    currentConfig: () => core.state.config,
    stop,
    stopped,
  };
}
