/**
 * `lvs-ha run`: load the config (refuse to start if invalid), build the daemon,
 * wire the process signals, and resolve with the exit code once it stops.
 */
import { resolve } from 'node:path';
import { formatIssue } from '../config/format.js';
import type { ConfigLoadResult } from '../config/types.js';
import { systemClock, type Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import { createRootLogger, type Logger } from '../core/log.js';
import { startDaemon, type Daemon } from './daemon.js';
import { directorCommands } from './director-commands.js';
import { defaultEngines, type DaemonEngine, type EngineContext } from './engines.js';
import { EventQueue } from '../core/event-queue.js';
import { Operator } from './operator.js';
import { addonNotifySend, notifierFromEnv, watchdogPingMs } from './sd-notify.js';
import { installSignalHandlers, type SignalTarget } from './signals.js';
import { packageVersion } from './version.js';

export interface RunDaemonOptions {
  readonly configPath: string;
  readonly socketPath?: string;
  readonly loadConfig: (path: string) => Promise<ConfigLoadResult>;
  /** Human-readable refusals (invalid config, socket in use) go here as well as to the log. */
  readonly stderr: (text: string) => void;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly signals?: SignalTarget;
  /** The engines to compose; default: the production ones (VRRP). */
  readonly engines?: (logger: Logger, clock: Clock, context: EngineContext) => DaemonEngine[];
}

/**
 * Signals arrive whenever they like, also while the config is still being
 * read: handlers go in first, and a stop requested during startup is honoured
 * as soon as the daemon exists. A SIGHUP during startup (the engines may take
 * a moment: first reconcile, first checks) is remembered and run once the
 * daemon exists; re-reading an unchanged file is harmless.
 */
class SignalRouter {
  private daemon: Daemon | null = null;
  private stopRequested: NodeJS.Signals | null = null;
  private reloadPending = false;

  constructor(private readonly logger: Logger) {}

  attach(daemon: Daemon): void {
    this.daemon = daemon;
    if (this.stopRequested) {
      void daemon.stop(this.stopRequested);
    } else if (this.reloadPending) {
      this.reloadPending = false;
      this.reload();
    }
  }

  reload(): void {
    if (!this.daemon) {
      this.logger.info('SIGHUP during startup: reloading once the daemon is up');
      this.reloadPending = true;
      return;
    }
    // Failures are logged and recorded in status by the reload itself.
    this.daemon.reload('SIGHUP').catch((err: unknown) => {
      this.logger.error({ err: describeError(err) }, 'reload not run');
    });
  }

  stop(signal: NodeJS.Signals): void {
    if (this.daemon) void this.daemon.stop(signal);
    else this.stopRequested = signal;
  }
}

export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const configPath = resolve(options.configPath);
  const logger = options.logger ?? createRootLogger();
  const router = new SignalRouter(logger);
  const removeHandlers = installSignalHandlers(options.signals ?? process, {
    reload: () => {
      router.reload();
    },
    stop: (signal) => {
      router.stop(signal);
    },
  });
  try {
    const daemon = await startFromFile(configPath, options, logger);
    if (!daemon) return 1;
    router.attach(daemon);
    await daemon.stopped;
    return 0;
  } finally {
    removeHandlers();
  }
}

/** Load, validate and start; null (after saying why) if the daemon cannot start. */
async function startFromFile(configPath: string, options: RunDaemonOptions, logger: Logger): Promise<Daemon | null> {
  const result = await options.loadConfig(configPath);
  if (!result.ok) {
    logger.error({ config_path: configPath, errors: result.errors }, 'invalid configuration; not starting');
    const count = result.errors.length === 1 ? '1 error' : `${result.errors.length} errors`;
    const lines = result.errors.map((i) => `  ${formatIssue(i)}\n`).join('');
    options.stderr(`lvs-ha run: not starting: ${count} in ${configPath}:\n${lines}`);
    return null;
  }
  const clock = options.clock ?? systemClock;
  const context: EngineContext = { queue: new EventQueue() };
  const engines = (options.engines ?? defaultEngines)(logger, clock, context);
  const operator = context.vrrp ? new Operator(context.vrrp, context.queue, clock) : null;
  try {
    return await startDaemon({
      config: result.config,
      configPath,
      ...(options.socketPath === undefined ? {} : { socketPathOverride: options.socketPath }),
      loadConfig: options.loadConfig,
      logger,
      clock,
      pid: process.pid,
      engines,
      queue: context.queue,
      notifier: notifierFromEnv(process.env, addonNotifySend(), logger),
      watchdogMs: watchdogPingMs(process.env, process.pid),
      ...(context.director ? { extraCommands: directorCommands(context.director, operator, context.announce ?? null) } : {}),
      ...(operator ? { statusProviders: [{ section: 'maintenance', snapshot: () => operator.maintenanceStatus() }] } : {}),
      version: packageVersion(),
    });
  } catch (err) {
    logger.error({ err: describeError(err) }, 'cannot start');
    options.stderr(`lvs-ha run: ${describeError(err)}\n`);
    return null;
  }
}
