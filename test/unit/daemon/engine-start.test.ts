/**
 * An engine the config needs must start, or the daemon does not run: a
 * director that cannot check or program IPVS must not hold the VIPs. An
 * engine the config does not need may fail and is only logged.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { DaemonStartError, startDaemon } from '../../../src/daemon/daemon.js';
import type { DaemonEngine } from '../../../src/daemon/engines.js';
import { okResult, scriptedLoader, testConfig } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvd-eng-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function engine(name: string, log: string[], opts: { fails?: boolean; required?: boolean } = {}): DaemonEngine {
  return {
    name,
    status: null,
    start: () => {
      log.push(`start ${name}`);
      return opts.fails === true ? Promise.reject(new Error('user lvs-ha-script not found')) : Promise.resolve();
    },
    ...(opts.required === undefined ? {} : { required: () => opts.required === true }),
    applyConfig: () => Promise.resolve(),
    stop: () => {
      log.push(`stop ${name}`);
      return Promise.resolve();
    },
  };
}

function start(engines: DaemonEngine[]): ReturnType<typeof startDaemon> {
  const file = join(dir, 'a.yaml');
  const socket = join(dir, 'c.sock');
  return startDaemon({
    config: testConfig('a', socket), configPath: file, loadConfig: scriptedLoader([okResult(file, testConfig('a', socket))]).load,
    logger: silentLogger(), clock: new FakeClock(), pid: 1, version: 't', engines,
  });
}

describe('engine start failures', () => {
  it('a needed engine failing stops the started ones, closes the socket and throws with the reason', async () => {
    const log: string[] = [];
    await expect(start([engine('vrrp', log), engine('director', log, { fails: true, required: true })]))
      .rejects.toThrow(DaemonStartError);
    expect(log).toEqual(['start vrrp', 'start director', 'stop vrrp']);
    expect(existsSync(join(dir, 'c.sock'))).toBe(false);
    const log2: string[] = [];
    await expect(start([engine('director', log2, { fails: true })])).rejects.toThrow(/the director engine failed to start: user lvs-ha-script not found/);
  });

  it('an engine the config does not need may fail: the daemon runs on', async () => {
    const log: string[] = [];
    const daemon = await start([engine('vrrp', log), engine('director', log, { fails: true, required: false })]);
    expect(log).toEqual(['start vrrp', 'start director']);
    await daemon.stop('test');
    expect(log).toContain('stop vrrp');
  });
});
