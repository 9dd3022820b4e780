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

/** Lines a non-blocking logger keeps while stdout does not drain; more are dropped (counted by sonic-boom). */
export const ASYNC_LOG_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * A root logger that never blocks its thread on stdout. pino's default destination writes
 * synchronously, and when the reader (journald, a pipe) is slow a full pipe makes every line
 * sleep 100 ms: acceptable for the daemon, fatal for the VRRP isolate (10 ms adverts). This one
 * buffers (bounded) and writes when stdout drains; flush() before exiting.
 */
export function createAsyncRootLogger(options: { level?: string } = {}): Logger {
  return createRootLogger({
    ...options,
    destination: pino.destination({ dest: 1, sync: false, maxLength: ASYNC_LOG_BUFFER_BYTES }),
  });
}

/** A logger that discards everything, for tests of code that wants one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
