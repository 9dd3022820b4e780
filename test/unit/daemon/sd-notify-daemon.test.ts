/**
 * What the daemon tells systemd, in order: READY=1 only once the engines have
 * started (their start awaits the first reconcile), RELOADING=1 then READY=1
 * around each reload, STOPPING=1 at stop; and a reload that arrives while the
 * engines are still starting must not announce readiness early.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestControl } from '../../../src/control/client.js';
import type { ConfigLoadResult } from '../../../src/config/types.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { startDaemon } from '../../../src/daemon/daemon.js';
import type { DaemonEngine } from '../../../src/daemon/engines.js';
import type { Notifier } from '../../../src/daemon/sd-notify.js';
import { okResult, scriptedLoader, testConfig } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvd-sdd-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function recordingNotifier(): { notifier: Notifier; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    notifier: {
      ready: (status) => { sent.push(`READY ${status}`); },
      watchdog: () => { sent.push('WATCHDOG'); },
      reloading: () => { sent.push('RELOADING'); },
      stopping: () => { sent.push('STOPPING'); },
      status: (text) => { sent.push(`STATUS ${text}`); },
    },
  };
}

/** An engine whose start() resolves only when the test says so (a slow first reconcile). */
function gatedEngine(): { engine: DaemonEngine; open: () => void; started: Promise<void> } {
  let open: () => void = () => undefined;
  let signalStarted: () => void = () => undefined;
  const gate = new Promise<void>((r) => { open = r; });
  const started = new Promise<void>((r) => { signalStarted = r; });
  return {
    open: () => { open(); },
    started,
    engine: {
      name: 'gated',
      status: null,
      start: async () => { signalStarted(); await gate; },
      applyConfig: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    },
  };
}

describe('daemon notifications', () => {
  it('READY after the engines started, RELOADING/READY around reloads, STOPPING at stop', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    const loader = scriptedLoader([okResult(file, testConfig('b', socket))]);
    const { notifier, sent } = recordingNotifier();
    const gated = gatedEngine();
    const starting = startDaemon({
      config: testConfig('a', socket), configPath: file, loadConfig: loader.load, logger: silentLogger(),
      clock: new FakeClock(), pid: 1, version: 't', notifier, engines: [gated.engine],
    });
    await gated.started;
    // The control socket already answers while the engines start: a reload now stays silent.
    const early = await requestControl(socket, 'reload');
    expect(early.ok, JSON.stringify(early)).toBe(true);
    expect(sent).toEqual([]);
    gated.open();
    const daemon = await starting;
    expect(sent).toEqual(['READY running as b']);

    await daemon.reload('SIGHUP');
    expect(sent).toEqual(['READY running as b', 'RELOADING', 'READY running as b']);
    await daemon.stop('test');
    expect(sent.at(-1)).toBe('STOPPING');
    expect(sent.filter((s) => s.startsWith('READY'))).toHaveLength(2);
  });

  it('a reload still running when the daemon stops does not say READY after STOPPING', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const loadConfig = async (): Promise<ConfigLoadResult> => {
      await gate;
      return okResult(file, testConfig('a', socket));
    };
    const { notifier, sent } = recordingNotifier();
    const daemon = await startDaemon({
      config: testConfig('a', socket), configPath: file, loadConfig, logger: silentLogger(),
      clock: new FakeClock(), pid: 1, version: 't', notifier,
    });
    const reload = daemon.reload('SIGHUP');
    await new Promise((r) => setImmediate(r));
    const stop = daemon.stop('test');
    release();
    await reload;
    await stop;
    expect(sent).toEqual(['READY running as a', 'RELOADING', 'STOPPING']);
  });

  it('a daemon without a notifier (not under systemd) starts and stops as usual', async () => {
    const socket = join(dir, 'c.sock');
    const file = join(dir, 'a.yaml');
    const daemon = await startDaemon({
      config: testConfig('a', socket), configPath: file, loadConfig: scriptedLoader([okResult(file, testConfig('a', socket))]).load,
      logger: silentLogger(), clock: new FakeClock(), pid: 1, version: 't', notifier: null,
    });
    await daemon.reload('SIGHUP');
    await daemon.stop('test');
    await daemon.stopped;
  });
});
