/**
 * The addon's notifySend (src/native/lvsha_net.c) against a real AF_UNIX
 * datagram receiver. Node cannot receive on AF_UNIX datagram sockets, so the
 * receiver is a few lines of python3: it binds a path or an abstract name,
 * asks for SCM_CREDENTIALS as systemd does, and prints what arrived and the
 * sender's pid, which must be this process (NotifyAccess=main depends on it).
 * Needs the addon built (`npm ci` or `npx node-gyp rebuild`); no root.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/log.js';
import { addonNotifySend, notifierFromEnv } from '../../../src/daemon/sd-notify.js';
import { loadLvshaNet } from '../../../src/native/lvsha-net.js';

const RECEIVER = `
import json, socket, struct, sys
name = sys.argv[1]
addr = '\\0' + name[1:] if name.startswith('@') else name
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(addr)
s.settimeout(5)
print('bound', flush=True)
out = []
for _ in range(int(sys.argv[2])):
    data, anc, flags, _a = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', payload[:12])[0]
    out.append({'data': data.decode(), 'pid': pid})
print(json.dumps(out), flush=True)
`;

interface Received {
  readonly data: string;
  readonly pid: number | null;
}

let dir: string;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvd-notify-'));
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Start the receiver; resolves once it is bound, with a promise of the datagrams it got. */
async function receiver(name: string, count: number): Promise<{ got: Promise<Received[]> }> {
  const child = spawn('python3', ['-c', RECEIVER, name, String(count)]);
  children.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const got = new Promise<Received[]>((resolve, reject) => {
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(JSON.parse(last) as Received[]);
      else reject(new Error(`receiver exited ${String(code)}: ${err}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('bound\n')) resolve();
    });
    child.on('error', reject);
    child.on('close', () => { reject(new Error(`receiver did not bind: ${err}`)); });
  });
  return { got };
}

describe('native notifySend', () => {
  it('delivers one datagram per message to a path, sent by this very pid', async () => {
    const path = join(dir, 'notify');
    const r = await receiver(path, 2);
    const net = loadLvshaNet();
    net.notifySend(path, 'READY=1\nSTATUS=up');
    net.notifySend(path, 'WATCHDOG=1');
    expect(await r.got).toEqual([
      { data: 'READY=1\nSTATUS=up', pid: process.pid },
      { data: 'WATCHDOG=1', pid: process.pid },
    ]);
  });

  it('delivers to an abstract name given with a leading @ (the name has no trailing NUL)', async () => {
    const name = `@lvd-notify-${String(process.pid)}-${String(Date.now())}`;
    const r = await receiver(name, 1);
    loadLvshaNet().notifySend(name, 'STOPPING=1');
    expect(await r.got).toEqual([{ data: 'STOPPING=1', pid: process.pid }]);
  });

  it('the production notifier sends READY and STATUS in one datagram', async () => {
    const path = join(dir, 'notify');
    const r = await receiver(path, 1);
    notifierFromEnv({ NOTIFY_SOCKET: path }, addonNotifySend(), silentLogger())?.ready('running as a');
    expect(await r.got).toEqual([{ data: 'READY=1\nSTATUS=running as a', pid: process.pid }]);
  });

  it('throws with the errno name when nobody listens, and rejects bad names', () => {
    const net = loadLvshaNet();
    expect(() => { net.notifySend(join(dir, 'absent'), 'READY=1'); }).toThrow(expect.objectContaining({ code: 'ENOENT', message: expect.stringContaining('sendto') as unknown }));
    expect(() => { net.notifySend(`@lvd-absent-${String(process.pid)}`, 'READY=1'); }).toThrow(expect.objectContaining({ code: 'ECONNREFUSED' }));
    for (const bad of ['', '@', 'relative/path', `/${'x'.repeat(120)}`, '/a\0b']) {
      expect(() => { net.notifySend(bad, 'READY=1'); }, bad).toThrow(expect.objectContaining({ code: 'LVSHA_ARGS' }));
    }
  });
});
