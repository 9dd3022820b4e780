/**
 * The real daemon (bin/lvs-ha.js run) as an ECMP director in a namespace of
 * this test (prefix lve), on the host kernel (no IPVS: the director runs on
 * without it, health checks and the announcer do not need it): announce
 * after the first check passes, withdraw on lost health and on maintenance,
 * status shows why and since, and SIGTERM withdraws first, waits the grace,
 * then exits.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestControl } from '../../../src/control/client.js';
import { NetnsLab } from '../../helpers/netns.js';

const repo = join(import.meta.dirname, '../../..');
const bin = join(repo, 'bin', 'lvs-ha.js');
const VIP = '192.0.2.10';
const lab = new NetnsLab('lve');
let ns = '';
let dir = '';
let socketPath = '';
let daemon: ChildProcess;
let server: ChildProcess | null = null;
let stderr = '';

const SERVER = `import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.97.0.21', 80)); s.listen(16)
while True:
    c, _ = s.accept(); c.close()
`;

interface Vip { address: string; state: string; reason: string; since: string | null }

async function announce(): Promise<{ vips: Vip[]; maintenance: { on: boolean; drain: { state: string } | null } }> {
  const reply = await requestControl(socketPath, 'status', { timeoutMs: 3000 });
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result.announce as never;
}

const routes = (): string => lab.ip(ns, ['route', 'show', 'table', '240']);

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 15_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    try {
      if (await ok()) return Date.now() - t0;
    } catch { /* not yet */ }
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}\n${stderr.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startServer(): void {
  server = lab.spawn(ns, ['/usr/bin/python3', join(dir, 'server.py')]);
}

beforeAll(async () => {
  ns = lab.addNamespace('dm');
  lab.addVeth({ ns, ifname: 'eth0' }, { ns, ifname: 'peer0' });
  lab.addAddress(ns, 'eth0', '10.97.0.11/24');
  lab.addAddress(ns, 'peer0', '10.97.0.21/24');
  lab.up(ns, 'eth0');
  lab.up(ns, 'peer0');
  dir = mkdtempSync(join(tmpdir(), 'lve-daemon-'));
  socketPath = join(dir, 'control.sock');
  writeFileSync(join(dir, 'server.py'), SERVER);
  writeFileSync(join(dir, 'lvs-ha.yaml'), `node: lve-director
control: { socket: ${socketPath} }
ecmp: { stop_grace: 1500ms, drain_quiet: 300ms, drain_timeout: 5s }
ipvs: { sloppy_tcp: true }
virtual_servers:
  - name: web
    address: ${VIP}
    port: 80
    scheduler: mh
    scheduler_flags: [mh-port]
    forwarding: dr
    check: { type: tcp, interval: 200ms, timeout: 100ms, rise: 1, fall: 1 }
    real_servers:
      - { address: 10.97.0.21, port: 80 }
scripts: { user: nobody }
`);
  startServer();
  await until('the real server listening', () => lab.exec(ns, ['ss', '-Hltn', 'sport = :80']).stdout.includes('10.97.0.21:80'));
  daemon = lab.spawn(ns, [process.execPath, bin, 'run', '--config', join(dir, 'lvs-ha.yaml')]);
  daemon.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  daemon.stdout?.on('data', (c: Buffer) => (stderr += c.toString()));
});

afterAll(() => {
  lab.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('an ECMP director daemon', () => {
  it('makes the VIP local and announces it once its check passed; status says why and since', async () => {
    // The daemon's start under a loaded host (other VMs) can take a while: a generous bound.
    await until('announced', async () => (await announce()).vips[0]?.state === 'announced', 45_000);
    expect(routes()).toContain(`${VIP} dev lo proto 240 scope link`);
    expect(lab.ip(ns, ['route', 'show', 'table', 'local'])).toContain(`local ${VIP} dev lo proto 240`);
    const v = (await announce()).vips[0];
    expect(v?.reason).toBe('quorum held: web');
    expect(Date.parse(v?.since ?? '')).not.toBeNaN();
    const human = spawnSync('ip', ['netns', 'exec', ns, process.execPath, bin, 'status', '--socket', socketPath], { encoding: 'utf8' });
    expect(human.status).toBe(0);
  });

  it('withdraws when its only real server fails its check, announces again when it is back', async () => {
    server?.kill('SIGKILL');
    const ms = await until('withdrawn', async () => (await announce()).vips[0]?.state === 'withdrawn');
    expect(routes()).not.toContain('proto 240');
    expect((await announce()).vips[0]?.reason).toBe('quorum lost: web');
    // fall 1 x interval 200 ms + the check timeout: well under 2 s
    expect(ms).toBeLessThan(2000);
    startServer();
    await until('announced again', async () => (await announce()).vips[0]?.state === 'announced');
  });

  it('maintenance on --wait withdraws and reports (no IPVS here: no counters to tell); off announces again', async () => {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, bin, 'maintenance', 'on', '--wait', '--socket', socketPath], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout).toContain('no IPVS counters');
    expect(r.status).toBe(3);
    expect(routes()).not.toContain('proto 240');
    const a = await announce();
    expect(a.vips[0]).toMatchObject({ state: 'withdrawn', reason: 'node in maintenance' });
    expect(a.maintenance).toMatchObject({ on: true, drain: { state: 'no_counters' } });
    const off = spawnSync('ip', ['netns', 'exec', ns, process.execPath, bin, 'maintenance', 'off', '--socket', socketPath], { encoding: 'utf8', timeout: 20_000 });
    expect(off.status).toBe(0);
    await until('announced after maintenance', async () => (await announce()).vips[0]?.state === 'announced');
  });

  it('SIGTERM: withdraws at once, keeps the VIP local through stop_grace, then exits', async () => {
    const t0 = Date.now();
    daemon.kill('SIGTERM');
    const withdrawnMs = await until('withdrawn on SIGTERM', () => !routes().includes('proto 240'), 3000);
    expect(withdrawnMs).toBeLessThan(1000);
    expect(lab.ip(ns, ['route', 'show', 'table', 'local'])).toContain(`local ${VIP}`);
    await new Promise<void>((resolve) => { if (daemon.exitCode !== null) resolve(); else daemon.once('exit', () => { resolve(); }); });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(daemon.exitCode).toBe(0);
    expect(lab.ip(ns, ['route', 'show', 'table', 'local'])).not.toContain(VIP);
  });
});
