/**
 * The control socket against real peers of another uid (root needed to make
 * one): the kernel's SO_PEERCRED decides, through the native addon. nobody
 * (uid 65534, group nogroup) is refused without a read-only group, and with
 * `nogroup` as the read-only group it gets status but not drill.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { successReply } from '../../../src/control/protocol.js';
import { startControlServer, type ControlServer } from '../../../src/control/server.js';
import { resolveGroup } from '../../../src/os/accounts.js';

const NOBODY = 65534;
let dir: string;
const servers: ControlServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvd-acc-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client process running as nobody: sends the commands, prints each reply's cmd or error code, or the connect error. */
function asNobody(socketPath: string, cmds: string[]): Promise<string> {
  const script = `
    const s = require('net').connect(${JSON.stringify(socketPath)});
    let text = '';
    s.on('error', (e) => { console.log('connect ' + e.code); });
    s.on('connect', () => s.write(${JSON.stringify(cmds)}.map((c, i) => JSON.stringify({ v: 1, id: i, cmd: c, args: {} }) + '\\n').join('')));
    s.on('data', (d) => { text += d; });
    s.on('close', () => {
      if (text) console.log(text.trim().split('\\n').map((l) => { const r = JSON.parse(l); return r.ok ? r.result.cmd : r.error.code; }).join(' '));
    });
    setTimeout(() => s.end(), 500);
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, timeout: 10_000 }, (err, stdout) => {
      if (err) reject(new Error(`client as nobody: ${err.message}`));
      else resolve(stdout.trim());
    });
  });
}

async function start(readonlyGid: number | null): Promise<string> {
  const socketPath = join(dir, 'run', 'control.sock');
  const server = await startControlServer({
    socketPath,
    access: { adminUids: [0], readonlyGid },
    handler: (r) => Promise.resolve(successReply(r.id, { cmd: r.cmd })),
  });
  servers.push(server);
  return socketPath;
}

describe('control socket: SO_PEERCRED against a process of another uid', () => {
  it('without a read-only group: the file mode keeps nobody out; opened up by hand, the credentials still refuse it', async () => {
    const path = await start(null);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await asNobody(path, ['status'])).toBe('connect EACCES');
    // Someone loosens the modes by hand: the daemon still knows who is calling.
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'run'), 0o755);
    chmodSync(path, 0o666);
    expect(await asNobody(path, ['status', 'drill'])).toBe('forbidden');
  });

  it('with nogroup as the read-only group: nobody runs status and connections, not drill or reload', async () => {
    const { gid } = await resolveGroup('nogroup');
    const path = await start(gid);
    const st = statSync(path);
    expect({ mode: st.mode & 0o777, gid: st.gid }).toEqual({ mode: 0o660, gid });
    expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o710);
    chmodSync(dir, 0o711); // the test's own temporary directory above the runtime directory
    expect(await asNobody(path, ['status', 'drill', 'connections', 'reload'])).toBe('status forbidden connections forbidden');
  });
});
