import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { EventQueue } from '../../../src/daemon/event-queue.js';
import { notifierFromEnv, startWatchdog, watchdogPingMs } from '../../../src/daemon/sd-notify.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('sd_notify', () => {
  it('is off without NOTIFY_SOCKET, and sends systemd-notify arguments with it', async () => {
    const sent: string[][] = [];
    const send = (args: readonly string[]): Promise<void> => { sent.push([...args]); return Promise.resolve(); };
    expect(notifierFromEnv({}, send, silentLogger())).toBeNull();
    const n = notifierFromEnv({ NOTIFY_SOCKET: '/run/systemd/notify' }, send, silentLogger());
    n?.ready('running as a');
    n?.watchdog();
    n?.stopping();
    await flush();
    expect(sent).toEqual([['--ready', '--status=running as a'], ['WATCHDOG=1'], ['STOPPING=1']]);
  });

  it('a failing systemd-notify is logged, never thrown', async () => {
    const n = notifierFromEnv({ NOTIFY_SOCKET: '@x' }, () => Promise.reject(new Error('ENOENT')), silentLogger());
    expect(() => n?.ready('x')).not.toThrow();
    await flush();
  });

  it('pings at half WATCHDOG_USEC, only when the watchdog is ours', () => {
    expect(watchdogPingMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(watchdogPingMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
    expect(watchdogPingMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42)).toBeNull();
    expect(watchdogPingMs({}, 42)).toBeNull();
    expect(watchdogPingMs({ WATCHDOG_USEC: 'x' }, 42)).toBeNull();
  });

  it('pings only when a task gets through the event queue', async () => {
    const clock = new FakeClock();
    const queue = new EventQueue();
    let pings = 0;
    const notifier = { ready: () => undefined, watchdog: () => { pings += 1; }, reloading: () => undefined, stopping: () => undefined, status: () => undefined };
    const cancel = startWatchdog(clock, queue, notifier, 1000);
    await flush();
    expect(pings).toBe(1);
    // A wedged queue: the next ticks cannot get through, so no pings.
    let release: () => void = () => undefined;
    void queue.enqueue({ label: 'stuck', run: () => new Promise<void>((r) => { release = r; }) });
    clock.advance(1000);
    clock.advance(1000);
    await flush();
    expect(pings).toBe(1);
    release();
    await flush();
    await flush();
    expect(pings).toBe(3);
    cancel();
    clock.advance(5000);
    await flush();
    expect(pings).toBe(3);
  });
});
