import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { createRootLogger, silentLogger } from '../../../src/core/log.js';
import { EventQueue } from '../../../src/core/event-queue.js';
import { monotonicUsec, notifierFromEnv, startWatchdog, watchdogPingMs } from '../../../src/daemon/sd-notify.js';

/** A logger whose warn-level records (msg, err, socket) the test can read back. */
function recordingLogger(): { logger: ReturnType<typeof createRootLogger>; warnings: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return {
    logger: createRootLogger({ level: 'warn', destination }),
    warnings: () => lines.join('').split('\n').filter((l) => l !== '').map((l) => {
      const rec = JSON.parse(l) as Record<string, unknown>;
      return { msg: rec.msg, err: rec.err, socket: rec.socket };
    }),
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('sd_notify', () => {
  it('is off without NOTIFY_SOCKET, and sends sd_notify datagrams to it with it', () => {
    const sent: [string, string][] = [];
    const send = (socket: string, message: string): void => { sent.push([socket, message]); };
    expect(notifierFromEnv({}, send, silentLogger())).toBeNull();
    expect(notifierFromEnv({ NOTIFY_SOCKET: '' }, send, silentLogger())).toBeNull();
    const n = notifierFromEnv({ NOTIFY_SOCKET: '/run/systemd/notify' }, send, silentLogger(), () => 1234567n);
    n?.ready('running as a');
    n?.watchdog();
    n?.reloading();
    n?.status('two\nlines');
    n?.stopping();
    expect(sent).toEqual([
      ['/run/systemd/notify', 'READY=1\nSTATUS=running as a'],
      ['/run/systemd/notify', 'WATCHDOG=1'],
      ['/run/systemd/notify', 'RELOADING=1\nMONOTONIC_USEC=1234567'],
      // A newline in STATUS would start another assignment: it becomes a space.
      ['/run/systemd/notify', 'STATUS=two lines'],
      ['/run/systemd/notify', 'STOPPING=1'],
    ]);
  });

  it('a failing send is logged as a warning, never thrown', () => {
    const { logger, warnings } = recordingLogger();
    const n = notifierFromEnv({ NOTIFY_SOCKET: '@x' }, () => { throw new Error('sendto: Connection refused'); }, logger);
    expect(() => n?.ready('x')).not.toThrow();
    expect(warnings()).toEqual([{ msg: 'sd_notify failed', err: 'sendto: Connection refused', socket: '@x' }]);
  });

  it('MONOTONIC_USEC defaults to CLOCK_MONOTONIC in microseconds', () => {
    const before = process.hrtime.bigint() / 1000n;
    const now = monotonicUsec();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now - before).toBeLessThan(5_000_000n);
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
