/**
 * The compiled daemon in a fresh network namespace: `lvs-ha run` from dist/
 * (run `npm run build` first), answering `lvs-ha status` over its control
 * socket, refusing a second daemon, surviving a broken reload, refusing a
 * non-root client, and stopping cleanly on SIGTERM.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestControl } from '../../../src/control/client.js';
import { NetnsLab, removeLeftovers } from '../../helpers/netns.js';

const repo = resolve(import.meta.dirname, '../../..');
const bin = join(repo, 'bin', 'lvs-ha.js');
const PREFIX = 'lvd';

let lab: NetnsLab | undefined;
let ns: string;
let dir: string | undefined;
let configPath: string;
let socketPath: string;
let daemon: ChildProcess;
let daemonStdout = '';
let daemonStderr = '';

function configText(node: string, vrid: number): string {
  return [
    `node: ${node}`,
    `control: { socket: ${socketPath} }`,
    'vrrp:',
    '  instances:',
    '    - name: web',
    '      interface: eth0',
    `      vrid: ${vrid}`,
    '      priority: 150',
    '      advert_interval: 100ms',
    '      virtual_addresses: [10.99.0.100/24]',
    'virtual_servers:',
    '  - name: http',
    '    address: 10.99.0.100',
    '    port: 80',
    '    protocol: tcp',
    '    scheduler: wrr',
    '    forwarding: dr',
    '    real_servers:',
    '      - { address: 10.99.0.11, port: 80, weight: 2 }',
    // Scripts run as Debian's nobody (it exists everywhere); without a script it is not even looked up.
    'scripts: { user: nobody }',
    '',
  ].join('\n');
}
/** 1-based line of `vrid:` in configText. */
const VRID_LINE = 7;

/** Dist must be built from the current sources: the test runs the real executable. */
function assertBuilt(): void {
  for (const [src, out] of [['src/daemon/run.ts', 'dist/daemon/run.js'], ['src/control/server.ts', 'dist/control/server.js'], ['src/cli/verbs/status.ts', 'dist/cli/verbs/status.js']] as const) {
    const built = join(repo, out);
    expect(existsSync(built), `${out} is missing: run \`npm run build\` first`).toBe(true);
    expect(statSync(built).mtimeMs, `${out} is older than ${src}: run \`npm run build\` first`).toBeGreaterThanOrEqual(statSync(join(repo, src)).mtimeMs);
  }
}

async function status(): Promise<Record<string, unknown>> {
  const reply = await requestControl(socketPath, 'status', { timeoutMs: 3000 });
  if (!reply.ok) throw new Error(`status refused: ${reply.error.message}`);
  return reply.result;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (daemon.exitCode !== null) throw new Error(`daemon exited (${daemon.exitCode}) while waiting for ${what}: ${daemonStderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last error: ${String(last)}; daemon stderr: ${daemonStderr}`);
}

function cli(args: readonly string[], asNobody = false): { status: number | null; stdout: string; stderr: string } {
  const drop = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
  if (!lab) throw new Error('no lab');
  const result = lab.exec(ns, [...drop, process.execPath, bin, ...args], 20_000);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Start `lvs-ha run` in the namespace; it becomes `daemon`, its output is collected. */
function startDaemon(netns: NetnsLab): ChildProcess {
  daemonStdout = '';
  daemonStderr = '';
  daemon = netns.spawn(ns, [process.execPath, bin, 'run', '--config', configPath]);
  daemon.stdout?.on('data', (c: Buffer) => (daemonStdout += c.toString()));
  daemon.stderr?.on('data', (c: Buffer) => (daemonStderr += c.toString()));
  return daemon;
}

function logLines(): Record<string, unknown>[] {
  return daemonStdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(() => {
  expect(process.getuid?.(), 'the netns tier runs as root').toBe(0);
  assertBuilt();
  removeLeftovers(PREFIX);
  lab = new NetnsLab(PREFIX);
  ns = lab.addNamespace('d');
  const base = mkdtempSync(join(tmpdir(), 'lvd-daemon-'));
  dir = base;
  // World-searchable on purpose: a non-root client is then stopped by the socket's own mode.
  chmodSync(base, 0o755);
  configPath = join(base, 'lvs-ha.yaml');
  socketPath = join(base, 'control.sock');
  writeFileSync(configPath, configText('lvd-director', 51));
  daemon = startDaemon(lab);
});

afterAll(() => {
  lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('lvs-ha run in a network namespace', () => {
  it('refuses to start on an invalid file: exit 1, the located issues on stderr, no socket', () => {
    if (dir === undefined) throw new Error('no dir');
    const badPath = join(dir, 'broken.yaml');
    const badSocket = join(dir, 'broken.sock');
    writeFileSync(badPath, configText('lvd-bad', 256).replace(socketPath, badSocket));
    const out = cli(['run', '--config', badPath]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`not starting: 1 error in ${badPath}:`);
    expect(out.stderr).toContain(`${badPath}:${VRID_LINE}:`);
    expect(out.stderr).toContain('vrrp.instances[0].vrid');
    expect(existsSync(badSocket)).toBe(false);
  });

  it('refuses to start when an exec check needs a scripts.user that does not exist: exit 1, the reason on stderr, no socket', () => {
    if (dir === undefined) throw new Error('no dir');
    const badPath = join(dir, 'nouser.yaml');
    const badSocket = join(dir, 'nouser.sock');
    writeFileSync(badPath, configText('lvd-nouser', 52).replace(socketPath, badSocket).replace('user: nobody', 'user: lvd-no-such-user')
      .replace('{ address: 10.99.0.11, port: 80, weight: 2 }', '{ address: 10.99.0.11, port: 80, weight: 2, check: { type: exec, command: [/bin/true] } }'));
    const out = cli(['run', '--config', badPath]);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/the director engine failed to start: .*lvd-no-such-user/);
    expect(existsSync(badSocket)).toBe(false);
  });

  it('answers `lvs-ha status --json` with the node, config path and the other core fields', async () => {
    await until('the control socket', async () => (await status()).node);
    const out = cli(['status', '--json', '--socket', socketPath]);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const result = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      node: 'lvd-director',
      config_path: configPath,
      reload_count: 0,
      last_reload_error: null,
      pid: daemon.pid,
      version: '0.1.0',
    });
    expect(Date.parse(String(result.loaded_at))).not.toBeNaN();
    expect(typeof result.uptime_s).toBe('number');
    // It really runs inside the namespace: its net namespace differs from ours.
    const inode = (pid: number | string): string => spawnSync('readlink', [`/proc/${pid}/ns/net`], { encoding: 'utf8' }).stdout.trim();
    expect(inode(daemon.pid ?? 0)).not.toBe(inode('self'));
  });

  it('status --connections: the daemon reads the IPVS table of its namespace (none on this kernel) and says so', () => {
    const human = cli(['status', '--connections', '--socket', socketPath]);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/IPVS is not loaded in the daemon's network namespace/);
    const json = cli(['status', '--connections', '--json', '--socket', socketPath]);
    expect(JSON.parse(json.stdout)).toEqual({ available: false, skipped: 0, connections: [], matched: 0, scanned: 0, truncated: false });
  });

  it('renders the human view as aligned key: value lines', () => {
    const out = cli(['status', '--socket', socketPath]);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^node: +lvd-director$/m);
    expect(out.stdout).toMatch(new RegExp(`^config path: +${configPath}$`, 'm'));
  });

  it('creates the socket mode 0600', () => {
    const st = statSync(socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(0);
  });

  it('logs JSON lines to stdout', async () => {
    const started = await until('the start log line', () => Promise.resolve(logLines().find((l) => l.msg === 'lvs-ha started')));
    expect(started).toMatchObject({ node: 'lvd-director', component: 'daemon', socket: socketPath });
  });

  it('refuses a second daemon on the same socket while the first keeps answering', async () => {
    const second = cli(['run', '--config', configPath]);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`another lvs-ha daemon is already listening on ${socketPath}`);
    expect(await status()).toMatchObject({ node: 'lvd-director', pid: daemon.pid });
    expect(statSync(socketPath).isSocket()).toBe(true);
  });

  it('SIGHUP with a broken file keeps the running config and reports the located error', async () => {
    writeFileSync(configPath, configText('lvd-broken', 256));
    daemon.kill('SIGHUP');
    const s = await until('the reload error', async () => {
      const r = await status();
      return r.last_reload_error === null ? undefined : r;
    });
    expect(s.node).toBe('lvd-director');
    expect(s.reload_count).toBe(0);
    const error = s.last_reload_error as { message: string; errors: { file: string; line: number; path: string }[] };
    expect(error.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ file: configPath, line: VRID_LINE, path: 'vrrp.instances[0].vrid' }),
    ]));
    expect(error.message).toContain(`${configPath}:${VRID_LINE}:`);
    const logged = await until('the error log line', () =>
      Promise.resolve(logLines().find((l) => l.level === 50 && String(l.msg).startsWith('reload rejected'))));
    expect(JSON.stringify(logged.errors)).toContain('vrrp.instances[0].vrid');
    const human = cli(['status', '--socket', socketPath]);
    expect(human.stdout).toMatch(/^last reload error: .*reload rejected/m);
  });

  it('SIGHUP with a fixed file applies it, clears the error and bumps reload_count', async () => {
    writeFileSync(configPath, configText('lvd-director-2', 52));
    daemon.kill('SIGHUP');
    const s = await until('the good reload', async () => {
      const r = await status();
      return r.reload_count === 1 ? r : undefined;
    });
    expect(s).toMatchObject({ node: 'lvd-director-2', reload_count: 1, last_reload_error: null, pid: daemon.pid });
  });

  it('refuses a non-root client with the permission message', () => {
    const out = cli(['status', '--socket', socketPath], true);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`the control socket ${socketPath} is root-only`);
    expect(out.stdout).toBe('');
  });

  it('SIGTERM stops with exit 0 and removes the socket; status then says no daemon', async () => {
    // 'close' (not 'exit'): fires once stdout has been read to the end too.
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((done) => daemon.once('close', (code, signal) => {
      done([code, signal]);
    }));
    daemon.kill('SIGTERM');
    const [code, signal] = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => {
        reject(new Error('daemon did not exit within 10 s of SIGTERM'));
      }, 10_000)),
    ]);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
    expect(logLines().at(-1)?.msg).toBe('stopped');
    const out = cli(['status', '--socket', socketPath]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`no daemon is listening on ${socketPath} (is lvs-ha running?)`);
  });

  it('after a crash (SIGKILL) the stale socket is replaced by the next daemon', async () => {
    if (!lab) throw new Error('no lab');
    const crashed = startDaemon(lab);
    await until('the second daemon', async () => ((await status()).pid === crashed.pid ? true : undefined));
    const gone = new Promise((done) => crashed.once('close', done));
    crashed.kill('SIGKILL');
    await gone;
    expect(statSync(socketPath).isSocket()).toBe(true);
    const out = cli(['status', '--socket', socketPath]);
    expect(out.stderr).toContain('no daemon is listening');

    const next = startDaemon(lab);
    const s = await until('the daemon after the crash', async () => {
      const r = await status();
      return r.pid === next.pid ? r : undefined;
    });
    expect(s.node).toBe('lvd-director-2');
    const logged = await until('the stale-socket warning', () =>
      Promise.resolve(logLines().find((l) => l.msg === 'replaced a stale control socket left by a dead daemon')));
    expect(logged.socket).toBe(socketPath);
    const done = new Promise<number | null>((resolve) => next.once('close', resolve));
    next.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
  });
});
