import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeConnectError, requestControl } from '../../../src/control/client.js';
import { ControlSocketError } from '../../../src/control/errors.js';
import { MAX_LINE_BYTES, successReply, type ControlRequest } from '../../../src/control/protocol.js';
import { startControlServer, type ControlServer } from '../../../src/control/server.js';

let dir: string;
const servers: { close(): unknown }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvd-ctl-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(socketPath: string, seen: ControlRequest[] = []): Promise<ControlServer> {
  const server = await startControlServer({
    socketPath,
    probeTimeoutMs: 500,
    handler: (request) => {
      seen.push(request);
      return Promise.resolve(successReply(request.id, { echo: request.cmd }));
    },
  });
  servers.push(server);
  return server;
}

/** A plain net server for misbehaving-peer tests; its connections are destroyed at cleanup. */
async function rawServer(path: string, onConnection: (socket: Socket) => void): Promise<{ connections: number }> {
  const sockets = new Set<Socket>();
  const stats = { connections: 0 };
  const server = createServer((socket) => {
    stats.connections += 1;
    sockets.add(socket);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  servers.push({
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  });
  return stats;
}

/** A real dead daemon: a child binds the path and is killed with SIGKILL, leaving the file. */
async function leaveStaleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => {
      resolve();
    });
    child.once('exit', () => {
      reject(new Error('stale-socket child exited early'));
    });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Send raw bytes, collect `count` reply lines. */
function exchange(socketPath: string, payload: string | Buffer, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timeout; got ${JSON.stringify(text)}`));
    }, 3000);
    socket.on('connect', () => socket.write(payload));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split('\n').filter((l) => l !== '');
      if (lines.length >= count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(lines.map((l) => JSON.parse(l) as unknown));
      }
    });
  });
}

describe('control server', () => {
  it('creates the parent directory 0700 and the socket 0600', async () => {
    const path = join(dir, 'run', 'lvs-ha', 'control.sock');
    await start(path);
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'run', 'lvs-ha')).mode & 0o777).toBe(0o700);
    expect(statSync(path).uid).toBe(process.getuid?.());
  });

  it('answers a request and keeps the connection usable after bad input', async () => {
    const path = join(dir, 'c.sock');
    const seen: ControlRequest[] = [];
    await start(path, seen);
    const replies = await exchange(
      path,
      'not json\n{"v":2,"id":1,"cmd":"status"}\n{"v":1,"id":2,"cmd":"nope"}\n{"v":1,"id":3,"cmd":"status"}\n',
      4,
    );
    expect(replies).toEqual([
      { v: 1, id: null, ok: false, error: { code: 'bad_json', message: expect.any(String) as string } },
      { v: 1, id: 1, ok: false, error: { code: 'unsupported_version', message: expect.any(String) as string } },
      { v: 1, id: 2, ok: false, error: { code: 'unknown_command', message: expect.any(String) as string } },
      { v: 1, id: 3, ok: true, result: { echo: 'status' } },
    ]);
    expect(seen.map((r) => r.id)).toEqual([3]);
  });

  it('still replies to a client that shuts its write side right after the request', async () => {
    const path = join(dir, 'c.sock');
    // A handler that takes real time, like a reload reading its file.
    const server = await startControlServer({
      socketPath: path,
      handler: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return successReply(r.id, { echo: r.cmd });
      },
    });
    servers.push(server);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(path);
      let got = '';
      // The last request has no newline: end of stream terminates it.
      socket.on('connect', () => socket.end('{"v":1,"id":1,"cmd":"status"}\n{"v":1,"id":2,"cmd":"status"}'));
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.on('close', () => {
        resolve(got);
      });
      socket.on('error', reject);
    });
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { v: 1, id: 1, ok: true, result: { echo: 'status' } },
      { v: 1, id: 2, ok: true, result: { echo: 'status' } },
    ]);
  });

  it('refuses an oversized line and still serves the next one', async () => {
    const path = join(dir, 'c.sock');
    await start(path);
    const huge = `{"v":1,"id":1,"cmd":"status","pad":"${'x'.repeat(MAX_LINE_BYTES)}"}\n`;
    const replies = await exchange(path, `${huge}{"v":1,"id":2,"cmd":"status"}\n`, 2);
    expect(replies[0]).toMatchObject({ ok: false, error: { code: 'line_too_long' } });
    expect(replies[1]).toMatchObject({ ok: true, id: 2 });
  });

  it('answers busy beyond the connection limit and closes that connection', async () => {
    const path = join(dir, 'c.sock');
    const server = await startControlServer({ socketPath: path, maxConnections: 1, handler: (r) => Promise.resolve(successReply(r.id, {})) });
    servers.push(server);
    const holder = connect(path);
    await new Promise((resolve) => holder.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const replies = await exchange(path, '{"v":1,"id":1,"cmd":"status"}\n', 1);
    expect(replies[0]).toMatchObject({ ok: false, error: { code: 'busy' } });
    holder.destroy();
  });

  it('turns a throwing handler into an internal error reply', async () => {
    const path = join(dir, 'c.sock');
    const server = await startControlServer({ socketPath: path, handler: () => Promise.reject(new Error('boom')) });
    servers.push(server);
    const reply = await requestControl(path, 'status');
    expect(reply).toMatchObject({ ok: false, error: { code: 'internal', message: 'internal error: boom' } });
  });

  it('refuses to start while another live server answers on the path', async () => {
    const path = join(dir, 'c.sock');
    await start(path);
    await expect(start(path)).rejects.toMatchObject({
      code: 'LVSHA_CONTROL_IN_USE',
      message: expect.stringContaining('another lvs-ha daemon is already listening') as string,
    });
    // The first one still answers.
    expect(await requestControl(path, 'status')).toMatchObject({ ok: true });
  });

  it('replaces a stale socket left by a dead daemon', async () => {
    const path = join(dir, 'c.sock');
    await leaveStaleSocket(path);
    expect(statSync(path).isSocket()).toBe(true);
    const server = await startControlServer({ socketPath: path, handler: (r) => Promise.resolve(successReply(r.id, {})) });
    servers.push(server);
    expect(server.replacedStale).toBe(true);
    expect(await requestControl(path, 'status')).toMatchObject({ ok: true });
  });

  it('refuses to replace a path that is not a socket', async () => {
    const path = join(dir, 'c.sock');
    writeFileSync(path, 'precious');
    await expect(start(path)).rejects.toMatchObject({ code: 'LVSHA_CONTROL_NOT_SOCKET' });
    expect(statSync(path).isFile()).toBe(true);
  });

  it('removes its socket on close, and close is idempotent', async () => {
    const path = join(dir, 'c.sock');
    const server = await start(path);
    await server.close();
    await server.close();
    expect(existsSync(path)).toBe(false);
    await expect(requestControl(path, 'status')).rejects.toMatchObject({ code: 'LVSHA_CONTROL_NO_DAEMON' });
  });
});

describe('control client', () => {
  it('says no daemon is listening when the socket is absent', async () => {
    const path = join(dir, 'absent.sock');
    await expect(requestControl(path, 'status')).rejects.toThrow(`no daemon is listening on ${path} (is lvs-ha running?)`);
  });

  it('times out on a server that never answers', async () => {
    const path = join(dir, 'mute.sock');
    const mute = await rawServer(path, (s) => {
      s.resume();
    });
    const started = performance.now();
    const err: unknown = await requestControl(path, 'status', { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlSocketError);
    expect(err).toMatchObject({ code: 'LVSHA_CONTROL_TIMEOUT', message: expect.stringContaining('did not answer within 150 ms') as string });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(mute.connections).toBe(1);
  });

  it('reports a garbage reply as a protocol error', async () => {
    const path = join(dir, 'junk.sock');
    await rawServer(path, (s) => {
      s.resume();
      s.write('hello\n');
    });
    await expect(requestControl(path, 'status')).rejects.toMatchObject({ code: 'LVSHA_CONTROL_PROTOCOL' });
  });

  it('maps permission errors to the root-only message', () => {
    const eacces = Object.assign(new Error('connect EACCES'), { code: 'EACCES' });
    const err = describeConnectError('/run/lvs-ha/control.sock', eacces);
    expect(err.code).toBe('LVSHA_CONTROL_PERMISSION');
    expect(err.message).toBe('the control socket /run/lvs-ha/control.sock is root-only (permission denied; run as root)');
    const refused = describeConnectError('/x.sock', Object.assign(new Error('x'), { code: 'ECONNREFUSED' }));
    expect(refused.code).toBe('LVSHA_CONTROL_NO_DAEMON');
    expect(describeConnectError('/x.sock', new Error('weird')).code).toBe('LVSHA_CONTROL_IO');
  });
});
