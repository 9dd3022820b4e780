/**
 * The control server's guards with injected peer credentials: the access
 * policy (root / read-only group / refused) and the bound on replies a client
 * leaves unread. The real SO_PEERCRED path, with a process of another uid, is
 * in test/netns/daemon/control-access.test.ts (it needs root).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessLevel, permits } from '../../../src/control/access.js';
import { successReply, type ControlRequest } from '../../../src/control/protocol.js';
import { MAX_BUFFERED_BYTES, startControlServer, type ControlServer } from '../../../src/control/server.js';
import type { PeerCred } from '../../../src/native/lvsha-net.js';

let dir: string;
const servers: ControlServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvd-ctlg-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const cred = (uid: number, gid: number, groups: number[] = []): PeerCred => ({ pid: 4242, uid, gid, groups });

async function start(peer: PeerCred | null, readonlyGid: number | null, replyBytes = 10, seen: ControlRequest[] = []): Promise<ControlServer> {
  const server = await startControlServer({
    socketPath: join(dir, 'c.sock'),
    probeTimeoutMs: 300,
    access: { adminUids: [0], readonlyGid },
    peerCred: () => peer,
    handler: (request) => {
      seen.push(request);
      return Promise.resolve(successReply(request.id, { cmd: request.cmd, pad: 'x'.repeat(replyBytes) }));
    },
  });
  servers.push(server);
  return server;
}

/** Sends lines, collects `count` reply lines or the close. */
function exchange(path: string, lines: string[], count: number): Promise<{ replies: { ok: boolean; error?: { code: string; message: string }; result?: { cmd: string } }[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = '';
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies: text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as never), closed });
    };
    const timer = setTimeout(() => { reject(new Error(`timeout; got ${text}`)); }, 3000);
    socket.on('connect', () => socket.write(lines.join('')));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.split('\n').filter((l) => l !== '').length >= count) done(false);
    });
    socket.on('close', () => { done(true); });
  });
}

const req = (cmd: string, id = 1): string => `${JSON.stringify({ v: 1, id, cmd, args: {} })}\n`;

describe('control access (policy)', () => {
  it('root and the daemon uid may do everything; a read-only group member only status and connections; others nothing', () => {
    const policy = { adminUids: [0, 990], readonlyGid: 500 };
    expect(accessLevel(cred(0, 0), policy)).toBe('admin');
    expect(accessLevel(cred(990, 990), policy)).toBe('admin');
    expect(accessLevel(cred(1000, 500), policy)).toBe('read');
    expect(accessLevel(cred(1000, 1000, [27, 500]), policy)).toBe('read');
    expect(accessLevel(cred(1000, 1000, [27]), policy)).toBeNull();
    expect(accessLevel(cred(1000, 500), { adminUids: [0], readonlyGid: null })).toBeNull();
    expect(accessLevel(null, policy)).toBeNull();
    expect(['status', 'connections', 'reload', 'drain', 'undrain', 'drill', 'maintenance'].map((c) => permits('read', c as never)))
      .toEqual([true, true, false, false, false, false, false]);
  });
});

describe('control server guards', () => {
  it('refuses a peer outside the policy before reading anything, and says who may', async () => {
    const seen: ControlRequest[] = [];
    await start(cred(1000, 1000), null, 10, seen);
    const r = await exchange(join(dir, 'c.sock'), [req('status')], 1);
    expect(r.replies[0]?.error?.code).toBe('forbidden');
    expect(r.replies[0]?.error?.message).toBe('uid 1000 (pid 4242) refused: only root may use the control socket');
    expect(seen).toEqual([]);
  });

  it('a read-only group member gets status and connections, not reload or drill', async () => {
    const seen: ControlRequest[] = [];
    await start(cred(1000, 1000, [500]), 500, 10, seen);
    const r = await exchange(join(dir, 'c.sock'), [req('status', 1), req('drill', 2), req('connections', 3), req('reload', 4)], 4);
    expect(r.replies.map((x) => (x.ok ? x.result?.cmd : x.error?.code))).toEqual(['status', 'forbidden', 'connections', 'forbidden']);
    expect(seen.map((s) => s.cmd)).toEqual(['status', 'connections']);
  });

  it('a client that never reads its replies holds at most one reply beyond the bound, and is not answered further', async () => {
    const seen: ControlRequest[] = [];
    const replyBytes = 200 * 1024;
    const server = await start(cred(0, 0), null, replyBytes, seen);
    const socket = connect(join(dir, 'c.sock'));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.pause(); // never reads
    // One request at a time (so the pipelining limit is not what stops it), 60 in all: unbounded,
    // that would be 12 MB of replies waiting in the daemon.
    for (let i = 0; i < 60; i++) {
      socket.write(req('status', i));
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 200));
    const { bufferedBytes } = server.stats();
    expect(bufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED_BYTES + replyBytes + 1024);
    // The kernel's socket buffers take some replies too; the rest are never produced.
    expect(seen.length).toBeLessThan(20);
    expect(seen.length).toBeGreaterThan(1);
    socket.destroy();
  });
});
