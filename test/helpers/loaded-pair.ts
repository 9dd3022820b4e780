/**
 * A VRRP pair whose master carries a director's worth of work, to count false failovers: the
 * backup (b) becoming MASTER while the master (a) is alive and only busy. Shared by
 * test/netns/vrrp/isolation.test.ts and bench/vrrp/false-failover.ts.
 *
 * Router a (priority 200) runs `lvs-ha run` with `tcp` + `http` health-checked real servers
 * (100 per virtual server, 1 s checks). The real servers are addresses of an AnyIP route
 * (10.99.0.0/16 local on lo) inside a's namespace, answered by one small listener process there
 * (TCP: accept and close; HTTP: 200 "ok"), so every check is a real connection. While the load
 * runs, a gets a SIGHUP reload every `reloadEveryMs`, `status` queries (back to back when
 * `statusEveryMs` is 0) and a /metrics scrape every `metricsEveryMs`. Router b (priority 100)
 * runs lvs-ha with VRRP only. Both adverts every `advertMs`.
 *
 * Traffic stays inside the namespaces the lab creates (10.77.0.0/24 on the bridge, 10.99.0.0/16
 * on a's loopback).
 */
import type { ChildProcess } from 'node:child_process';
import { requestControl } from '../../src/control/client.js';
import { sleep, vrrpConfig, VrrpLab } from './vrrp-lab.js';

export const LOAD_VIP = '10.77.0.100';
const PER_VS = 100;
const METRICS_PORT = 9650;

export interface LoadOptions {
  readonly advertMs: number;
  readonly tcp: number;
  readonly http: number;
  readonly reloadEveryMs: number | null;
  /** 0: one query after another; null: none. */
  readonly statusEveryMs: number | null;
  readonly metricsEveryMs: number | null;
  readonly durationMs: number;
  /** Run a's VRRP on its daemon's event loop (LVSHA_VRRP_INLINE=1): the control half. */
  readonly inline: boolean;
}

export interface LoadResult {
  /** b became MASTER while a ran: each one is a false failover. */
  readonly falseFailovers: number;
  /** a left MASTER during the load. */
  readonly masterLosses: number;
  readonly reloads: number;
  readonly statusQueries: number;
  readonly statusMaxMs: number;
  readonly scrapes: number;
  /** a's real servers the last status reported up, of those configured. */
  readonly realServersUp: number;
  readonly realServers: number;
  /** a's VRRP ran in a process of its own (the isolate's pid), or null (inline). */
  readonly isolatePid: number | null;
  /** The `vrrp_isolate` status sections of a and b at the end (loop delay of each isolate). */
  readonly isolates: { readonly a: unknown; readonly b: unknown };
  /** Each false failover: ms after the load started, and ms since the reload before it. */
  readonly failovers: readonly { readonly atMs: number; readonly sinceReloadMs: number | null }[];
}

/** One virtual server of the load: up to PER_VS real servers of one kind. */
export interface LoadVirtualServer {
  readonly kind: 'tcp' | 'http';
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The real servers' IPv4 addresses (AnyIP on a's loopback, all on `port`). */
  readonly realServers: readonly string[];
}

/** The virtual servers of the load, shared by a's config and the Keepalived peer's (bench). */
export function loadLayout(tcp: number, http: number): LoadVirtualServer[] {
  const groups = [{ kind: 'tcp', count: tcp, port: 80 }, { kind: 'http', count: http, port: 8080 }] as const;
  const out: LoadVirtualServer[] = [];
  for (const g of groups) {
    for (let first = 0; first < g.count; first += PER_VS) {
      const vs = out.length + 1;
      const n = Math.min(PER_VS, g.count - first);
      const realServers = Array.from({ length: n }, (_, i) => {
        const k = first + i;
        return `10.99.${String(Math.floor(k / 250) + (g.kind === 'http' ? 128 : 0))}.${String((k % 250) + 1)}`;
      });
      out.push({ kind: g.kind, name: `${g.kind}${String(vs)}`, address: `10.88.${String(Math.floor(vs / 250))}.${String((vs % 250) + 1)}`, port: g.port, realServers });
    }
  }
  return out;
}

const CHECK: Readonly<Record<LoadVirtualServer['kind'], string>> = {
  tcp: '{ type: tcp, interval: 1s, timeout: 900ms, rise: 1, fall: 2 }',
  http: '{ type: http, path: /, interval: 1s, timeout: 900ms, rise: 1, fall: 2 }',
};

/** a's config: VRRP plus the checked virtual servers. */
export function loadedConfig(lab: VrrpLab, options: LoadOptions): string {
  const base = vrrpConfig({
    node: 'load-a', socket: lab.socketPath('a'),
    instances: [{ name: 'web', vrid: 51, priority: 200, advertInterval: `${String(options.advertMs)}ms`, virtualAddresses: [`${LOAD_VIP}/24`] }],
  });
  const control = `control: { socket: ${lab.socketPath('a')}, metrics_listen: 127.0.0.1:${String(METRICS_PORT)} }`;
  const lines = [base.trimEnd().replace(/^control: .*$/m, control), 'scripts: { user: nobody }', 'virtual_servers:'];
  for (const vs of loadLayout(options.tcp, options.http)) {
    lines.push(
      `  - name: ${vs.name}`,
      `    address: ${vs.address}`,
      `    port: ${String(vs.port)}`,
      '    protocol: tcp',
      '    scheduler: wlc',
      '    forwarding: dr',
      `    check: ${CHECK[vs.kind]}`,
      '    real_servers:',
      ...vs.realServers.map((rs) => `      - { address: ${rs}, port: ${String(vs.port)} }`),
    );
  }
  return `${lines.join('\n')}\n`;
}

const LISTENER = `
const net = require('node:net'); const http = require('node:http');
net.createServer((s) => { s.on('error', () => {}); s.destroy(); }).listen({ port: 80, backlog: 4096 });
http.createServer((q, r) => { r.setHeader('connection', 'close'); r.end('ok'); }).listen({ port: 8080, backlog: 4096 });
`;

/** The real servers: AnyIP addresses on a's loopback, answered by one listener process. */
export function startTargets(lab: VrrpLab): ChildProcess {
  lab.exec('a', ['ip', 'route', 'add', 'local', '10.99.0.0/16', 'dev', 'lo']);
  return lab.spawn('a', [process.execPath, '-e', LISTENER]);
}

/** Elect a as MASTER and b as BACKUP, with a's checks running. */
export async function startLoadedPair(lab: VrrpLab, options: LoadOptions): Promise<void> {
  lab.writeConfig('a', loadedConfig(lab, options));
  lab.writeConfig('b', vrrpConfig({
    node: 'load-b', socket: lab.socketPath('b'),
    instances: [{ name: 'web', vrid: 51, priority: 100, advertInterval: `${String(options.advertMs)}ms`, virtualAddresses: [`${LOAD_VIP}/24`] }],
  }));
  const quiet = { LVS_HA_LOG_LEVEL: 'info' };
  lab.startDaemon('b', quiet);
  lab.startDaemon('a', options.inline ? { ...quiet, LVSHA_VRRP_INLINE: '1' } : quiet);
  await lab.until('a MASTER and b BACKUP', async () => {
    const [a, b] = [await lab.instance('a', 'web'), await lab.instance('b', 'web')];
    return a.state === 'MASTER' && b.state === 'BACKUP' ? true : undefined;
  }, 90_000);
}

/** Wait until a has checked (nearly) every real server once: the load is really there. */
export async function waitChecksUp(lab: VrrpLab, want: number, timeoutMs = 90_000): Promise<void> {
  await lab.until('a checks its real servers', async () => (countUp(await lab.status('a')).up >= want ? true : undefined), timeoutMs);
}

function scrape(lab: VrrpLab): Promise<void> {
  return new Promise((resolve) => {
    const proc = lab.spawn('a', ['curl', '-s', '-o', '/dev/null', '--max-time', '10', `http://127.0.0.1:${String(METRICS_PORT)}/metrics`]);
    proc.on('exit', () => { resolve(); });
  });
}

function countUp(status: Record<string, unknown>): { up: number; all: number } {
  const vss = (status.virtual_servers ?? []) as { real_servers?: { health?: string }[] }[];
  let up = 0;
  let all = 0;
  for (const vs of vss) {
    for (const rs of vs.real_servers ?? []) {
      all += 1;
      if (rs.health === 'up') up += 1;
    }
  }
  return { up, all };
}

/** Run the load for options.durationMs and count what moved. */
export async function runLoad(lab: VrrpLab, options: LoadOptions): Promise<LoadResult> {
  const startedAt = Date.now();
  const deadline = startedAt + options.durationMs;
  const socket = lab.socketPath('a');
  const daemon = lab.daemon('a').process;
  let reloads = 0;
  let statusQueries = 0;
  let statusMaxMs = 0;
  let scrapes = 0;
  let last: Record<string, unknown> = {};
  const reloadTimes: number[] = [];
  const reloadLoop = async (): Promise<void> => {
    if (options.reloadEveryMs === null) return;
    while (Date.now() + options.reloadEveryMs < deadline) {
      await sleep(options.reloadEveryMs);
      daemon.kill('SIGHUP');
      reloadTimes.push(Date.now());
      reloads += 1;
    }
  };
  const statusLoop = async (): Promise<void> => {
    if (options.statusEveryMs === null) return;
    while (Date.now() < deadline) {
      const t0 = Date.now();
      const reply = await requestControl(socket, 'status', { timeoutMs: 30_000 }).catch(() => null);
      statusMaxMs = Math.max(statusMaxMs, Date.now() - t0);
      statusQueries += 1;
      if (reply?.ok) last = reply.result;
      if (options.statusEveryMs > 0) await sleep(options.statusEveryMs);
    }
  };
  const metricsLoop = async (): Promise<void> => {
    if (options.metricsEveryMs === null) return;
    while (Date.now() + options.metricsEveryMs < deadline) {
      await sleep(options.metricsEveryMs);
      await scrape(lab);
      scrapes += 1;
    }
  };
  await Promise.all([reloadLoop(), statusLoop(), metricsLoop(), sleep(options.durationMs)]);
  const after = (name: string, to: string | null): number =>
    lab.transitions(name, 'web').filter((t) => Date.parse(String(t.time)) >= startedAt && (to === null ? t.from === 'MASTER' : t.to === to)).length;
  if (statusQueries === 0) last = await lab.status('a');
  const failovers = lab.transitions('b', 'web')
    .filter((t) => t.to === 'MASTER')
    .map((t) => Date.parse(String(t.time)))
    .filter((at) => at >= startedAt)
    .map((at) => {
      const before = reloadTimes.filter((r) => r <= at);
      const lastReload = before[before.length - 1];
      return { atMs: at - startedAt, sinceReloadMs: lastReload === undefined ? null : at - lastReload };
    });
  const { up, all } = countUp(last);
  return {
    falseFailovers: after('b', 'MASTER'),
    masterLosses: after('a', null),
    reloads, statusQueries, statusMaxMs, scrapes,
    realServersUp: up, realServers: all,
    isolatePid: lab.isolatePid('a') ?? null,
    isolates: { a: (await lab.status('a')).vrrp_isolate ?? null, b: (await lab.status('b')).vrrp_isolate ?? null },
    failovers,
  };
}

