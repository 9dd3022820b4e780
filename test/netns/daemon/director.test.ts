/**
 * The compiled daemon with the director engine on the host kernel, which has
 * NO IPVS: status keeps answering, VRRP runs, health checks run, the
 * reconciler reports IPVS unavailable (counted, retried slowly), drains are
 * accepted and listed, and /metrics serves the Prometheus text.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestControl } from '../../../src/control/client.js';
import type { ControlCommand, JsonObject } from '../../../src/control/protocol.js';
import { NetnsLab, removeLeftovers } from '../../helpers/netns.js';

const repo = resolve(import.meta.dirname, '../../..');
const bin = join(repo, 'bin', 'lvs-ha.js');
const PREFIX = 'lvx';

let lab: NetnsLab | undefined;
let ns: string;
let dir: string | undefined;
let socketPath: string;
let daemon: ChildProcess;
let stderr = '';

const SERVER = `import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.98.0.21', 80)); s.listen(16)
while True:
    c, _ = s.accept(); c.close()
`;

function configText(): string {
  return `node: lvx-director
control: { socket: ${socketPath}, metrics_listen: "127.0.0.1:19650" }
vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 77
      priority: 150
      advert_interval: 100ms
      virtual_addresses: [10.98.0.100/24]
      track: { virtual_servers: [{ name: http, weight: -50 }] }
virtual_servers:
  - name: http
    address: 10.98.0.100
    port: 80
    scheduler: wrr
    forwarding: dr
    check: { type: tcp, interval: 200ms, timeout: 100ms, rise: 1, fall: 1 }
    real_servers:
      - { address: 10.98.0.21, port: 80, weight: 2 }
      - { address: 10.98.0.22, port: 80, weight: 1 }
scripts: { user: nobody }
`;
}

async function ask(cmd: ControlCommand, args: JsonObject = {}): Promise<{ ok: boolean; result: Record<string, unknown>; code: string | null }> {
  const reply = await requestControl(socketPath, cmd, { timeoutMs: 3000, args });
  return reply.ok ? { ok: true, result: reply.result, code: null } : { ok: false, result: {}, code: reply.error.code };
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
    if (daemon.exitCode !== null) throw new Error(`daemon exited (${String(daemon.exitCode)}) while waiting for ${what}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last error: ${String(last)}`);
}

/** GET a URL from inside the namespace (the metrics listener is on its loopback). */
function fetchInNs(url: string): { status: number; body: string; type: string } {
  if (!lab) throw new Error('no lab');
  const script = `const r = await fetch(${JSON.stringify(url)}); console.log(JSON.stringify({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }));`;
  const out = lab.exec(ns, [process.execPath, '--input-type=module', '-e', script], 20_000);
  if (out.status !== 0) throw new Error(`fetch failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as { status: number; body: string; type: string };
}

beforeAll(() => {
  expect(process.getuid?.(), 'the netns tier runs as root').toBe(0);
  const built = join(repo, 'dist/director/engine.js');
  expect(existsSync(built), 'run `npm run build` first').toBe(true);
  expect(statSync(built).mtimeMs).toBeGreaterThanOrEqual(statSync(join(repo, 'src/director/engine.ts')).mtimeMs);
  removeLeftovers(PREFIX);
  lab = new NetnsLab(PREFIX);
  ns = lab.addNamespace('d');
  lab.addVeth({ ns, ifname: 'eth0' }, { ns, ifname: 'peer0' });
  lab.addAddress(ns, 'eth0', '10.98.0.11/24');
  lab.up(ns, 'eth0');
  lab.addAddress(ns, 'peer0', '10.98.0.21/24');
  lab.up(ns, 'peer0');
  dir = mkdtempSync(join(tmpdir(), 'lvx-director-'));
  socketPath = join(dir, 'control.sock');
  const configPath = join(dir, 'lvs-ha.yaml');
  writeFileSync(configPath, configText());
  writeFileSync(join(dir, 'server.py'), SERVER);
  lab.spawn(ns, ['/usr/bin/python3', join(dir, 'server.py')]);
  daemon = lab.spawn(ns, [process.execPath, bin, 'run', '--config', configPath]);
  daemon.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
});

afterAll(() => {
  lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Rs { address: string; health: string; weight: number | null; configured_weight: number; drained: boolean }

describe('the director on a kernel without IPVS', () => {
  it('keeps answering status: IPVS unavailable (counted), VRRP master, health checked', async () => {
    const s = await until('checks and VRRP', async () => {
      const r = await ask('status');
      const inst = (r.result.instances as { state: string }[] | undefined)?.[0];
      const vs = (r.result.virtual_servers as { real_servers: Rs[] }[] | undefined)?.[0];
      return inst?.state === 'MASTER' && vs?.real_servers[1]?.health === 'down' ? r.result : undefined;
    });
    expect(s.reconcile).toMatchObject({ ipvs: 'unavailable', connect_errors: 1 });
    expect((s.reconcile as { last_connect_error: string }).last_connect_error).toMatch(/IPVS/);
    const vs = (s.virtual_servers as { in_kernel: boolean; real_servers: Rs[] }[])[0];
    expect(vs?.in_kernel).toBe(false);
    expect(vs?.real_servers.map((r) => [r.address, r.health, r.weight, r.configured_weight])).toEqual([
      ['10.98.0.21', 'up', null, 2],
      ['10.98.0.22', 'down', null, 1],
    ]);
    expect(s.ipvs_sync).toMatchObject({ master: null, backup: null, follow: null, role: 'MASTER' });
  });

  it('accepts a drain, lists it in status, and refuses an undrain of what is not drained', async () => {
    const d = await ask('drain', { address: '10.98.0.21', port: 80, virtual_server: null });
    expect(d).toMatchObject({ ok: true, result: { drained: true } });
    const s = await ask('status');
    expect(s.result.drains).toEqual([{ address: '10.98.0.21', port: 80, virtual_server: null }]);
    expect((s.result.virtual_servers as { real_servers: Rs[] }[])[0]?.real_servers[0]?.drained).toBe(true);
    expect(await ask('undrain', { address: '10.98.0.21', port: 80, virtual_server: null })).toMatchObject({ ok: true });
    expect(await ask('undrain', { address: '10.98.0.21', port: 80, virtual_server: null })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await ask('drain', { address: 'nonsense', port: 1 })).toMatchObject({ ok: false, code: 'bad_request' });
  });

  it('maintenance on holds the instance at priority 1 (listed in status); off restores it; drill refused on bad args', async () => {
    const on = await ask('maintenance', { on: true });
    expect(on).toMatchObject({ ok: true, result: { maintenance: { on: true, held_instances: ['web'] } } });
    const held = await until('priority 1', async () => {
      const r = await ask('status');
      const inst = (r.result.instances as { effective_priority: number }[])[0];
      return inst?.effective_priority === 1 ? r.result : undefined;
    });
    expect(held.maintenance).toMatchObject({ on: true, held_instances: ['web'] });
    // No peer: a held director still becomes MASTER again (it never leaves the service without one).
    await until('MASTER while held without a peer', async () => ((await ask('status')).result.instances as { state: string }[])[0]?.state === 'MASTER' ? true : undefined);
    expect(await ask('maintenance', { on: 'yes' })).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await ask('maintenance', { on: false })).toMatchObject({ ok: true, result: { maintenance: { on: false, held_instances: [] } } });
    const s = await ask('status');
    expect((s.result.instances as { effective_priority: number }[])[0]?.effective_priority).toBe(150);
  });

  it('serves Prometheus text at /metrics, 404 elsewhere', () => {
    const m = fetchInNs('http://127.0.0.1:19650/metrics');
    expect(m.status).toBe(200);
    expect(m.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(m.body).toContain('# TYPE lvs_ha_vrrp_state gauge\n');
    expect(m.body).toContain('lvs_ha_vrrp_state{instance="web",state="MASTER"} 1\n');
    expect(m.body).toMatch(/^lvs_ha_vrrp_adverts_sent_total\{instance="web"\} [1-9]\d*$/m);
    expect(m.body).toContain('lvs_ha_real_server_health{virtual_server="http",real_server="10.98.0.21:80",state="up"} 1\n');
    expect(m.body).toContain('lvs_ha_real_server_health{virtual_server="http",real_server="10.98.0.22:80",state="down"} 1\n');
    expect(m.body).toContain('lvs_ha_ipvs_available 0\n');
    expect(m.body).toMatch(/^lvs_ha_checks_total [1-9]\d*$/m);
    expect(fetchInNs('http://127.0.0.1:19650/other').status).toBe(404);
  });
});
