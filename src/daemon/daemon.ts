/**
 * The daemon's composition root: everything is built here once and passed down.
 * Today: the running config, the event queue, the status registry and the
 * control server. Later engines (VRRP, health, IPVS) are built here too and
 * register their status sections and queue their events.
 */
import type { Config, ConfigLoadResult } from '../config/types.js';
import { errorReply, type ControlReply, type ControlRequest, type JsonObject, type StreamedReply } from '../control/protocol.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { streamIpVsConnections } from '../lvs/ipvs/connections-read.js';
import { parseConnectionArgs } from './connections-command.js';
import type { Clock } from '../core/clock.js';
import { describeError, LvsHaError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { makeControlHandler, type ExtraCommands } from './commands.js';
import { applyReload, initialConfigState, reloadFailure, withEngineFailures, type ConfigState, type EngineFailure, type ReloadOutcome } from './config-state.js';
import { startMetricsServer, type MetricsServer } from '../metrics/server.js';
import { EventQueue } from '../core/event-queue.js';
import { resolveGroup } from '../os/accounts.js';
import { startWatchdog, type Notifier } from './sd-notify.js';
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
  /** The one event queue (shared with the engines); default: a new one. */
  readonly queue?: EventQueue;
  /** Control commands beyond status/reload (drain, ...); default: none answer. */
  readonly extraCommands?: ExtraCommands;
  /** systemd notification (Type=notify): READY after the first reconcile attempt, STOPPING at stop. */
  readonly notifier?: Notifier | null;
  /** Watchdog ping period (half of WATCHDOG_USEC), or null/absent for none. */
  readonly watchdogMs?: number | null;
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

  private async applyToEngines(config: Config, source: string): Promise<EngineFailure[]> {
    const failures: EngineFailure[] = [];
    for (const engine of this.options.engines ?? []) {
      try {
        await engine.applyConfig(config);
      } catch (err) {
        failures.push({ engine: engine.name, message: describeError(err) });
        this.log.error({ source, engine: engine.name, err: describeError(err) }, 'engine could not apply the reloaded config');
      }
    }
    return failures;
  }

  async reloadNow(source: string, socketPath: string): Promise<ReloadOutcome> {
    const { clock, loadConfig } = this.options;
    const path = this.state.configPath;
    const runningGroup = this.state.config.control.readonlyGroup;
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
    const failures = await this.applyToEngines(this.state.config, source);
    outcome = withEngineFailures(outcome, failures, clock.wallNow());
    this.state = outcome.state;
    const wanted = this.state.config.control.socketPath;
    if (this.options.socketPathOverride === undefined && wanted !== socketPath) {
      this.log.warn({ running: socketPath, configured: wanted }, 'control.socket changed; the new path takes effect at the next restart');
    }
    if (this.state.config.control.readonlyGroup !== runningGroup) {
      this.log.warn({ running: runningGroup, configured: this.state.config.control.readonlyGroup }, 'control.readonly_group changed; it takes effect at the next restart');
    }
    return outcome;
  }
}

/** The daemon cannot run: an engine this config needs did not start. */
export class DaemonStartError extends LvsHaError {
  readonly code = 'LVSHA_DAEMON_START';
}

/**
 * Start engines in order. An engine the config does not need (e.g. the
 * director with no virtual servers, alerts or sync) may fail: it is logged and
 * the daemon runs on without it. A needed one failing stops the engines
 * already started and throws, so the daemon exits instead of holding VIPs it
 * cannot serve.
 */
async function startEngines(engines: readonly DaemonEngine[], config: Config, log: Logger): Promise<void> {
  const started: DaemonEngine[] = [];
  for (const engine of engines) {
    try {
      await engine.start(config);
      started.push(engine);
    } catch (err) {
      const needed = engine.required?.(config) ?? true;
      log.error({ engine: engine.name, err: describeError(err), fatal: needed }, 'engine failed to start');
      if (needed) {
        await stopEngines(started, log);
        throw new DaemonStartError(`the ${engine.name} engine failed to start: ${describeError(err)}`, { cause: err });
      }
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

/** The /metrics listener when control.metrics_listen is set; a bind failure is logged, not fatal. */
/** 127.0.0.0/8 and ::1 (the metrics host is an IP literal, validated by the config). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h.startsWith('127.') || h === '::1' || h.startsWith('::ffff:127.');
}

async function startMetrics(options: DaemonOptions, status: () => JsonObject, log: Logger): Promise<MetricsServer | null> {
  const listen = options.config.control.metricsListen;
  if (listen === null) return null;
  try {
    const server = await startMetricsServer({
      host: listen.host,
      port: listen.port,
      status,
      onError: (err) => { log.debug({ err: err.message }, 'metrics request error'); },
    });
    log.info({ host: listen.host, port: server.port }, 'metrics listening');
    if (!isLoopbackHost(listen.host)) {
      log.warn({ host: listen.host, port: server.port }, `/metrics listens on ${listen.host}, not loopback: anyone who reaches that address reads this director's state (instances, real servers, addresses); restrict it with a firewall or listen on 127.0.0.1`);
    }
    return server;
  } catch (err) {
    log.error({ host: listen.host, port: listen.port, err: describeError(err) }, 'cannot listen for metrics; running without /metrics');
    return null;
  }
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const log = options.logger.child({ component: 'daemon' });
  const core = new DaemonCore(options, log);
  const registry = new StatusRegistry();
  for (const provider of options.statusProviders ?? []) registry.register(provider);
  const engines = options.engines ?? [];
  const sections = engines.flatMap((e) => [...(e.status ? [e.status] : []), ...(e.moreStatus ?? [])]);
  // VRRP instances first, then the other sections in engine order.
  for (const provider of [...sections].sort((a, b) => Number(b.section === 'instances') - Number(a.section === 'instances'))) {
    registry.register(provider);
  }
  const queue = options.queue ?? new EventQueue();
  const socketPath = options.socketPathOverride ?? options.config.control.socketPath;
  // systemd sees RELOADING=1 .. READY=1 around every reload (SIGHUP or the control verb),
  // once the first READY=1 went out: a reload during startup must not announce readiness.
  const notifier = options.notifier ?? null;
  let announced = false;
  let stopping: Promise<void> | null = null;
  const target = {
    status: async () => {
      await registry.refresh();
      return core.status(registry);
    },
    reloadNow: async (source: string) => {
      const notify = announced ? notifier : null;
      notify?.reloading();
      try {
        return await core.reloadNow(source, socketPath);
      } finally {
        // After STOPPING=1 a reload finishing in the queue must not say READY=1 again.
        if (stopping === null) notify?.ready(`running as ${core.state.config.node}`);
      }
    },
    extra: options.extraCommands ?? null,
    connections: (request: ControlRequest): ControlReply | StreamedReply => {
      const parsed = parseConnectionArgs(request.args, core.state.config.virtualServers);
      if (!parsed.ok) return errorReply(request.id, { code: parsed.code, message: parsed.message });
      return { id: request.id, parts: streamIpVsConnections(parsed.filter) };
    },
  };
  const controlLog = options.logger.child({ component: 'control' });
  const group = options.config.control.readonlyGroup;
  const readonlyGid = group === null ? null : (await resolveGroup(group).catch((err: unknown) => {
    throw new DaemonStartError(`control.readonly_group: ${describeError(err)}`, { cause: err });
  })).gid;
  const server: ControlServer & { replacedStale: boolean } = await startControlServer({
    socketPath,
    handler: makeControlHandler(queue, target),
    access: { adminUids: [0, process.geteuid?.() ?? 0], readonlyGid },
    onConnectionError: (err) => {
      controlLog.warn({ err: err.message }, 'control connection error');
    },
    onRefused: (message, cred) => {
      controlLog.warn({ uid: cred?.uid ?? null, pid: cred?.pid ?? null }, message);
    },
  });
  if (server.replacedStale) controlLog.warn({ socket: socketPath }, 'replaced a stale control socket left by a dead daemon');
  log.info({ node: options.config.node, config_path: options.configPath, socket: socketPath, version: options.version }, 'lvs-ha started');
  try {
    await startEngines(engines, options.config, log);
  } catch (err) {
    await server.close();
    throw err;
  }
  const metrics = await startMetrics(options, () => core.status(registry), log);
  // The engines' start awaited the first reconcile (or the first failed IPVS attempt).
  notifier?.ready(`running as ${core.state.config.node}`);
  announced = true;
  const stopWatchdog = notifier && options.watchdogMs ? startWatchdog(options.clock, queue, notifier, options.watchdogMs) : null;

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'stopping');
      notifier?.stopping();
      stopWatchdog?.();
      await queue.close();
      await stopEngines(engines, log);
      await metrics?.close();
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
