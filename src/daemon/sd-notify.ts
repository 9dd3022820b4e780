/**
 * systemd readiness and watchdog (sd_notify(3)), sent by the daemon itself.
 *
 * Each message is one datagram on an AF_UNIX socket, sent by the native addon
 * (`notifySend`, src/native/lvsha_net.c) from the daemon's own process: Node's
 * dgram module has no AF_UNIX datagram sockets. systemd reads the sender's
 * pid from the socket credentials, so the unit can say NotifyAccess=main, and
 * there is no child process whose message systemd could fail to attribute.
 *
 * Protocol facts: NOTIFY_SOCKET names the socket (a leading '@' is the
 * abstract namespace); a message is newline-separated VAR=value assignments;
 * RELOADING=1 comes with MONOTONIC_USEC (CLOCK_MONOTONIC, µs; systemd 253+
 * wants it for Type=notify-reload, older versions ignore it); WATCHDOG_USEC
 * is the watchdog period in µs, and WATCHDOG_PID, when set, must be our pid
 * for the watchdog to be ours; pinging at half the period is the documented
 * practice.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { loadLvshaNet, type LvshaNet } from '../native/lvsha-net.js';
import type { EventQueue } from '../core/event-queue.js';

/** Send one notification datagram to the socket named by NOTIFY_SOCKET; throws on failure. */
export type NotifySend = (socketName: string, message: string) => void;

export interface Notifier {
  ready(status: string): void;
  watchdog(): void;
  reloading(): void;
  stopping(): void;
  status(text: string): void;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The production sender: the native addon, loaded on the first message. */
export function addonNotifySend(): NotifySend {
  let net: LvshaNet | null = null;
  return (socketName, message) => {
    net ??= loadLvshaNet();
    net.notifySend(socketName, message);
  };
}

/** CLOCK_MONOTONIC in µs (libuv's hrtime reads CLOCK_MONOTONIC on Linux). */
export const monotonicUsec = (): bigint => process.hrtime.bigint() / 1000n;

/** STATUS= is one line: newlines would start new assignments. */
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ');

/** The notifier when systemd gave us a NOTIFY_SOCKET; null otherwise (not under Type=notify). */
export function notifierFromEnv(env: Env, send: NotifySend, log: Logger, monotonic: () => bigint = monotonicUsec): Notifier | null {
  const socketName = env.NOTIFY_SOCKET;
  if (socketName === undefined || socketName === '') return null;
  const fire = (message: string): void => {
    try {
      send(socketName, message);
    } catch (err) {
      log.warn({ message, socket: socketName, err: err instanceof Error ? err.message : String(err) }, 'sd_notify failed');
    }
  };
  return {
    ready: (status) => { fire(`READY=1\nSTATUS=${oneLine(status)}`); },
    watchdog: () => { fire('WATCHDOG=1'); },
    reloading: () => { fire(`RELOADING=1\nMONOTONIC_USEC=${String(monotonic())}`); },
    stopping: () => { fire('STOPPING=1'); },
    status: (text) => { fire(`STATUS=${oneLine(text)}`); },
  };
}

/** Half the watchdog period in ms when the watchdog is ours; null when there is none. */
export function watchdogPingMs(env: Env, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/**
 * Ping the watchdog from the event loop AND through the event queue: a ping
 * is sent only when a no-op task gets through the queue, so a wedged queue
 * (not just a wedged process) stops the pings and systemd restarts us.
 * Returns the cancel function.
 */
export function startWatchdog(clock: Clock, queue: EventQueue, notifier: Notifier, intervalMs: number): () => void {
  let cancel: (() => void) | null = null;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    queue.enqueue({ label: 'watchdog', run: () => undefined }).then(
      () => { if (!stopped) notifier.watchdog(); },
      () => undefined,
    );
    cancel = clock.setTimer(intervalMs, tick);
  };
  tick();
  return () => {
    stopped = true;
    cancel?.();
  };
}
