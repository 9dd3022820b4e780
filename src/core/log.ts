import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * The one pino root. JSON lines to stdout (journald-friendly); components take
 * children: root.child({ component: 'vrrp', instance: 'web' }).
 */
export function createRootLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.LVS_HA_LOG_LEVEL ?? 'info';
  const opts = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that discards everything, for tests of code that wants one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
