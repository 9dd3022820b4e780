/**
 * Entry point of the VRRP isolate: the child process `lvs-ha run` forks (see fork.ts). It builds
 * the production VRRP engine (raw sockets, rtnetlink, AF_PACKET) and serves the daemon over the
 * IPC channel. Logs go to the same stdout as the daemon's, as JSON lines with `isolate: 'vrrp'`.
 *
 * SIGTERM and SIGINT are left to the daemon while it is connected: under systemd the whole
 * control group gets the signal, and the daemon stops the engines in order (VRRP resigns after
 * the queue drained). A daemon that is gone closes the channel, and the isolate resigns by itself.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../../core/clock.js';
import { createAsyncRootLogger } from '../../core/log.js';
import { VrrpEngine } from '../engine.js';
import { openRunnerOs } from '../runner-os.js';
import { resolveScriptUser } from '../../os/accounts.js';
import { IsolateServer, type LoopDelayProbe, type ParentChannel } from './server.js';
import type { IsolateMessage } from './protocol.js';

function parentChannel(): ParentChannel {
  return {
    send(message: IsolateMessage, done?: () => void) {
      if (!process.send || !process.connected) throw new Error('no channel to the daemon');
      process.send(message, undefined, {}, () => done?.());
    },
    onMessage(listener) {
      process.on('message', listener);
    },
    onDisconnect(listener) {
      process.on('disconnect', listener);
    },
  };
}

/** perf_hooks' event-loop delay histogram, read and reset per window (10 ms resolution). */
function loopDelayProbe(): LoopDelayProbe {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let maxMs = 0;
  return {
    read() {
      const windowMaxMs = Math.round(histogram.max / 1e5) / 10;
      histogram.reset();
      maxMs = Math.max(maxMs, windowMaxMs);
      return { windowMaxMs, maxMs };
    },
  };
}

function main(): void {
  process.title = 'lvs-ha vrrp';
  const root = createAsyncRootLogger();
  const logger = root.child({ isolate: 'vrrp' });
  if (!process.send) {
    logger.error('the VRRP isolate runs only as a child of `lvs-ha run`');
    process.exitCode = 2;
    return;
  }
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      logger.debug({ signal }, 'signal left to the daemon');
    });
  }
  const server = new IsolateServer({
    clock: systemClock,
    log: logger,
    loopDelay: loopDelayProbe(),
    channel: parentChannel(),
    exit: (code) => {
      root.flush(() => process.exit(code));
    },
  });
  const engine = new VrrpEngine({
    clock: systemClock,
    logger,
    openOs: openRunnerOs,
    resolveScriptUser: (name) => resolveScriptUser(name),
    onTransition: (notice) => {
      server.onTransition(notice);
    },
    afterIo: (fn) => { setImmediate(fn); },
  });
  server.attach(engine);
}

main();
