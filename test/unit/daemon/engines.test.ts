import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/types.js';
import { requestControl } from '../../../src/control/client.js';
import { silentLogger } from '../../../src/core/log.js';
import type { DaemonEngine } from '../../../src/daemon/engines.js';
import { runDaemon } from '../../../src/daemon/run.js';
import { okResult, scriptedLoader, testConfig } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lve-engines-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An engine that records its life and takes a while to stop (like a VRRP resignation). */
function recordingEngine(events: string[]): DaemonEngine {
  return {
    name: 'fake',
    status: { section: 'instances', snapshot: () => [{ name: 'web', state: 'MASTER' }] },
    start: (c: Config) => {
      events.push(`start:${c.node}`);
      return Promise.resolve();
    },
    applyConfig: (c: Config) => {
      events.push(`apply:${c.node}`);
      return Promise.resolve();
    },
    stop: async () => {
      events.push('stop:begin');
      await new Promise((r) => setTimeout(r, 100));
      events.push('stop:end');
    },
  };
}

describe('daemon engines', () => {
  it('start with the config, follow applied reloads, add their status section, and are awaited on SIGTERM', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    const events: string[] = [];
    const loader = scriptedLoader([okResult(file, testConfig('one', socket)), okResult(file, testConfig('two', socket))]);
    const signals = new EventEmitter();
    const exit = runDaemon({ configPath: file, loadConfig: loader.load, logger: silentLogger(), signals, stderr: () => undefined, engines: () => [recordingEngine(events)] });
    await waitFor(() => events.includes('start:one'), 'engine start');
    const status = await requestControl(socket, 'status');
    expect(status.ok && status.result.instances).toEqual([{ name: 'web', state: 'MASTER' }]);
    const reload = await requestControl(socket, 'reload');
    expect(reload.ok).toBe(true);
    expect(events).toContain('apply:two');
    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(events.slice(-2)).toEqual(['stop:begin', 'stop:end']);
    expect(existsSync(socket)).toBe(false);
  });

  it('a valid reload that an engine cannot apply is reported as failed (reply, status), not as applied', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    const loader = scriptedLoader([okResult(file, testConfig('one', socket)), okResult(file, testConfig('two', socket)), okResult(file, testConfig('three', socket))]);
    const signals = new EventEmitter();
    let fail = true;
    const flaky: DaemonEngine = {
      name: 'director', status: null, required: () => true, start: () => Promise.resolve(), stop: () => Promise.resolve(),
      applyConfig: () => (fail ? Promise.reject(new Error('IPVS unavailable')) : Promise.resolve()),
    };
    const exit = runDaemon({ configPath: file, loadConfig: loader.load, logger: silentLogger(), signals, stderr: () => undefined, engines: () => [flaky] });
    await waitFor(() => existsSync(socket), 'the socket');
    const reload = await requestControl(socket, 'reload');
    expect(reload.ok).toBe(false);
    if (!reload.ok) {
      expect(reload.error.code).toBe('reload_failed');
      expect(reload.error.message).toBe('the new config is valid and in force, but engines could not apply it: director: IPVS unavailable');
      expect(reload.error.details).toMatchObject({ reloaded: true, reload_count: 1, engine_failures: [{ engine: 'director', message: 'IPVS unavailable' }] });
    }
    const status = await requestControl(socket, 'status');
    expect(status.ok && status.result).toMatchObject({ node: 'two', reload_count: 1, last_reload_error: { message: expect.stringContaining('director: IPVS unavailable') as unknown } });
    fail = false;
    const again = await requestControl(socket, 'reload');
    expect(again.ok).toBe(true);
    const after = await requestControl(socket, 'status');
    expect(after.ok && after.result).toMatchObject({ node: 'three', reload_count: 2, last_reload_error: null });
    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('an engine the config does not need that fails to start is logged and the daemon keeps serving', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    const signals = new EventEmitter();
    const broken: DaemonEngine = { name: 'broken', status: null, start: () => Promise.reject(new Error('boom')), required: () => false, applyConfig: () => Promise.resolve(), stop: () => Promise.resolve() };
    const exit = runDaemon({ configPath: file, loadConfig: scriptedLoader([okResult(file, testConfig('one', socket))]).load, logger: silentLogger(), signals, stderr: () => undefined, engines: () => [broken] });
    await waitFor(() => existsSync(socket), 'the socket');
    const status = await requestControl(socket, 'status');
    expect(status.ok).toBe(true);
    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('a needed engine that fails to start: the daemon exits 1 and says why', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    const said: string[] = [];
    const broken: DaemonEngine = { name: 'director', status: null, start: () => Promise.reject(new Error('user lvs-ha-script not found in /etc/passwd')), applyConfig: () => Promise.resolve(), stop: () => Promise.resolve() };
    const exit = runDaemon({ configPath: file, loadConfig: scriptedLoader([okResult(file, testConfig('one', socket))]).load, logger: silentLogger(), signals: new EventEmitter(), stderr: (t) => { said.push(t); }, engines: () => [broken] });
    expect(await exit).toBe(1);
    expect(said.join('')).toMatch(/the director engine failed to start: user lvs-ha-script not found/);
    expect(existsSync(socket)).toBe(false);
  });
});
