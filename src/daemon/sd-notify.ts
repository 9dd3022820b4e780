/**
 * systemd readiness and watchdog (sd_notify(3)) without a native addon.
 *
 * Node's dgram module has no AF_UNIX datagram sockets, so the messages are
 * sent by the `systemd-notify` binary (systemd's own client) run as a child.
 * Its datagrams carry the child's pid, hence NotifyAccess=all in the unit.
 * Known limit (systemd < 254): systemd attributes a message by looking up
 * the sender's cgroup, which can fail when the short-lived child has already
 * exited; the unit's TimeoutStartSec and WatchdogSec are generous for that
 * reason (docs/operations.md). A native sendto(2) would remove the race.
 *
 * Protocol facts: NOTIFY_SOCKET names the socket (a leading '@' is the
 * abstract namespace); WATCHDOG_USEC is the watchdog period in µs, and
 * WATCHDOG_PID, when set, must be our pid for the watchdog to be ours;
 * pinging at half the period is the documented practice.
 */
import { execFile } from 'node:child_process';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { EventQueue } from './event-queue.js';

export type NotifySend = (args: readonly string[]) => Promise<void>;

export interface Notifier {
  ready(status: string): void;
  watchdog(): void;
  reloading(): void;
  stopping(): void;
  status(text: string): void;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Run `systemd-notify ARGS` (bounded to 5 s); rejects on failure. */
export const systemdNotifyBinary: NotifySend = (args) =>
  new Promise((resolve, reject) => {
    execFile('systemd-notify', [...args], { timeout: 5000 }, (err) => {
      if (err) reject(new Error(`systemd-notify: ${err.message}`));
      else resolve();
    });
  });

/** The notifier when systemd gave us a NOTIFY_SOCKET; null otherwise (not under Type=notify). */
export function notifierFromEnv(env: Env, send: NotifySend, log: Logger): Notifier | null {
  if (env.NOTIFY_SOCKET === undefined || env.NOTIFY_SOCKET === '') return null;
  const fire = (args: readonly string[]): void => {
    send(args).catch((err: unknown) => {
      log.warn({ args, err: err instanceof Error ? err.message : String(err) }, 'systemd-notify failed');
    });
  };
  return {
    ready: (status) => { fire(['--ready', `--status=${status}`]); },
    watchdog: () => { fire(['WATCHDOG=1']); },
    reloading: () => { fire(['RELOADING=1']); },
    stopping: () => { fire(['STOPPING=1']); },
    status: (text) => { fire([`--status=${text}`]); },
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
