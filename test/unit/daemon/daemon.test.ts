import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestControl } from '../../../src/control/client.js';
import { FakeClock } from '../../../src/core/clock.js';
import { createRootLogger } from '../../../src/core/log.js';
import { isLoopbackHost } from '../../../src/daemon/daemon.js';
import { runDaemon } from '../../../src/daemon/run.js';
import { badResult, issue, okResult, scriptedLoader, testConfig } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvd-daemon-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function capture(): { logger: ReturnType<typeof createRootLogger>; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    logger: createRootLogger({ level: 'debug', destination }),
    lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function status(socket: string): Promise<Record<string, unknown>> {
  const reply = await requestControl(socket, 'status');
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result;
}

describe('runDaemon', () => {
  it('refuses to start on an invalid config: exit 1 with the located issues, no socket', async () => {
    const file = join(dir, 'bad.yaml');
    const socket = join(dir, 'c.sock');
    const loader = scriptedLoader([badResult(file, [issue(file, 3, 'vrrp.instances[0].vrid', 'out of range')])]);
    let stderr = '';
    const code = await runDaemon({
      configPath: file, socketPath: socket, loadConfig: loader.load, logger: capture().logger,
      stderr: (t) => { stderr += t; }, signals: new EventEmitter(),
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`not starting: 1 error in ${file}:`);
    expect(stderr).toContain(`  ${file}:3:3: vrrp.instances[0].vrid: out of range (found 256)`);
    expect(existsSync(socket)).toBe(false);
  });

  it('serves status, reloads on SIGHUP (keeping the old config on error), stops on SIGTERM', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'run', 'c.sock');
    const loader = scriptedLoader([
      okResult(file, testConfig('director-a', socket)),
      badResult(file, [issue(file, 7, 'node', 'must not be empty')]),
      okResult(file, testConfig('director-a2', socket)),
    ]);
    const signals = new EventEmitter();
    const clock = new FakeClock(1000);
    const { logger, lines } = capture();
    let stderr = '';
    const exit = runDaemon({ configPath: file, loadConfig: loader.load, logger, clock, signals, stderr: (t) => { stderr += t; } });
    await waitFor(() => existsSync(socket), 'the socket');
    expect(statSync(socket).mode & 0o777).toBe(0o600);

    clock.advance(2500);
    const s0 = await status(socket);
    expect(s0).toMatchObject({ node: 'director-a', config_path: file, reload_count: 0, last_reload_error: null, pid: process.pid, uptime_s: 2.5 });
    expect(s0.loaded_at).toBe('2026-01-01T00:00:00.000Z');

    signals.emit('SIGHUP');
    await waitFor(async () => (await status(socket)).last_reload_error !== null, 'the failed reload');
    const s1 = await status(socket);
    expect(s1.node).toBe('director-a');
    expect(s1.reload_count).toBe(0);
    expect(JSON.stringify(s1.last_reload_error)).toContain('"line":7');
    expect(lines().some((l) => l.level === 50 && String(l.msg).startsWith('reload rejected'))).toBe(true);

    clock.advance(1000);
    const reply = await requestControl(socket, 'reload');
    expect(reply).toMatchObject({ ok: true, result: { reloaded: true, reload_count: 1 } });
    const s2 = await status(socket);
    expect(s2).toMatchObject({ node: 'director-a2', reload_count: 1, last_reload_error: null, loaded_at: '2026-01-01T00:00:03.500Z' });
    expect(loader.calls).toEqual([file, file, file]);

    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(signals.listenerCount('SIGHUP')).toBe(0);
    expect(stderr).toBe('');
    expect(lines().map((l) => l.msg)).toEqual(expect.arrayContaining(['lvs-ha started', 'stopping', 'stopped']));
  });

  it('a reload over the control socket with a broken file answers reload_failed with the issues', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    const loader = scriptedLoader([okResult(file, testConfig('a', socket)), badResult(file, [issue(file, 2, 'vrrp', 'unknown key')])]);
    const signals = new EventEmitter();
    const exit = runDaemon({ configPath: file, loadConfig: loader.load, logger: capture().logger, signals, stderr: () => undefined });
    await waitFor(() => existsSync(socket), 'the socket');
    const reply = await requestControl(socket, 'reload');
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('reload_failed');
      expect(JSON.stringify(reply.error.details)).toContain('unknown key');
    }
    signals.emit('SIGINT');
    expect(await exit).toBe(0);
  });

  it('a second daemon on the same socket refuses to start and leaves the first untouched', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    const signals = new EventEmitter();
    const first = runDaemon({ configPath: file, loadConfig: scriptedLoader([okResult(file, testConfig('one', socket))]).load, logger: capture().logger, signals, stderr: () => undefined });
    await waitFor(() => existsSync(socket), 'the socket');
    let stderr = '';
    const code = await runDaemon({
      configPath: file, loadConfig: scriptedLoader([okResult(file, testConfig('two', socket))]).load, logger: capture().logger,
      signals: new EventEmitter(), stderr: (t) => { stderr += t; },
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`another lvs-ha daemon is already listening on ${socket}`);
    expect((await status(socket)).node).toBe('one');
    signals.emit('SIGTERM');
    expect(await first).toBe(0);
  });

  it('a SIGTERM during startup is honoured once the daemon is up; handlers are removed on every exit path', async () => {
    const file = join(dir, 'a.yaml');
    const socket = join(dir, 'c.sock');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slowLoad = async () => {
      await gate;
      return okResult(file, testConfig('slow', socket));
    };
    const signals = new EventEmitter();
    const exit = runDaemon({ configPath: file, loadConfig: slowLoad, logger: capture().logger, signals, stderr: () => undefined });
    signals.emit('SIGHUP');
    signals.emit('SIGTERM');
    release();
    expect(await exit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(signals.listenerCount('SIGTERM')).toBe(0);

    const refused = new EventEmitter();
    const code = await runDaemon({
      configPath: file, loadConfig: scriptedLoader([badResult(file, [issue(file, 1, 'node', 'x')])]).load,
      logger: capture().logger, signals: refused, stderr: () => undefined,
    });
    expect(code).toBe(1);
    expect(refused.listenerCount('SIGHUP')).toBe(0);
  });
});

describe('isLoopbackHost (the /metrics bind warning)', () => {
  it('127.0.0.0/8 and ::1 are loopback; anything else is warned about', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', '2001:db8::1', '128.0.0.1'].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
  });
});
