/**
 * The lab of test/netns/health/proto-checks.test.ts: a client namespace that
 * runs the compiled HealthService (dist/) in a driver process, and a server
 * namespace with real servers (dnsmasq, a UDP echo service, an SMTP server,
 * the kernel's own ICMP echo), joined by a veth pair, IPv4 and IPv6.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { validateConfigText } from '../../../src/config/validate.js';
import type { CheckConfig, VirtualServerConfig } from '../../../src/config/types.js';
import { NetnsLab } from '../../helpers/netns.js';
import { waitFor } from './servers.js';

export const CLI4 = '10.79.0.1';
export const SRV4 = '10.79.0.2';
export const CLI6 = 'fd00:79::1';
export const SRV6 = 'fd00:79::2';

const repo = resolve(import.meta.dirname, '../../..');
const dist = (p: string): string => pathToFileURL(join(repo, 'dist', p)).href;

/** The driver: runs the real HealthService on one virtual server, or one checker once; JSON lines out. */
const DRIVER = `
import { HealthService } from '${dist('health/service.js')}';
import { buildChecker } from '${dist('health/checkers/index.js')}';
import { systemClock } from '${dist('core/clock.js')}';
const input = JSON.parse(process.argv[2]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const deps = { now: () => performance.now(), scriptUser: null };
if (input.once) {
  const rs = input.vs.realServers[0];
  const checker = buildChecker({ address: rs.address, port: rs.port }, rs.check, deps);
  const c = new AbortController();
  const t = setTimeout(() => c.abort(new Error('timeout after ' + rs.check.timeoutMs + ' ms')), rs.check.timeoutMs);
  const r = await checker(c.signal);
  clearTimeout(t);
  out({ once: r });
  process.exit(0);
}
const svc = new HealthService({
  clock: systemClock, random: () => 0, scriptUser: null,
  publish: (e) => out({ event: e.type, reason: e.reason ?? null }),
  onHealthChange: (c) => out({ change: { from: c.transition.from, to: c.transition.to, reason: c.transition.reason ?? null } }),
  makeChecker: (target, check) => {
    const inner = buildChecker(target, check, deps);
    return async (signal) => { const r = await inner(signal); out({ run: { ok: r.ok, reason: r.reason ?? null } }); return r; };
  },
  onCheckResult: (type, r) => out({ result: { type, ok: r.ok, reason: r.reason ?? null } }),
});
svc.update([input.vs]);
setInterval(() => out({ status: svc.status() }), 1000).unref();
process.stdin.resume();
process.stdin.on('end', () => { svc.stop(); process.exit(0); });
`;

export type Line =
  | { run: { ok: boolean; reason: string | null } }
  | { change: { from: string; to: string; reason: string | null } }
  | { event: string; reason: string | null }
  | { result: { type: string; ok: boolean; reason: string | null } }
  | { status: unknown }
  | { once: { ok: boolean; latencyMs: number; reason?: string } };

/** A virtual server from YAML through the real config loader (so the check is what an operator gets). */
export function virtualServerFromYaml(vsYaml: string): VirtualServerConfig {
  const text = `node: t\nvirtual_servers:\n${vsYaml.replace(/^/gm, '  ')}\n`;
  const r = validateConfigText(text, 'proto-checks.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${String(e.line)}:${String(e.column)} ${e.message}`).join('\n'));
  const vs = r.config.virtualServers[0];
  if (!vs) throw new Error('no virtual server');
  return vs;
}

export class ProtoLab {
  readonly lab = new NetnsLab('lvchk');
  readonly cli: string;
  readonly srv: string;
  readonly dir = mkdtempSync(join(tmpdir(), 'lvchk-'));
  private readonly driverFile = join(this.dir, 'driver.mjs');

  constructor() {
    this.cli = this.lab.addNamespace('cli');
    this.srv = this.lab.addNamespace('srv');
    this.lab.addVeth({ ns: this.cli, ifname: 'eth0' }, { ns: this.srv, ifname: 'eth0' });
    for (const [ns, v4, v6] of [[this.cli, CLI4, CLI6], [this.srv, SRV4, SRV6]] as const) {
      this.lab.addAddress(ns, 'eth0', `${v4}/24`);
      this.lab.ip(ns, ['addr', 'add', `${v6}/64`, 'dev', 'eth0', 'nodad']);
      this.lab.up(ns, 'eth0');
    }
    writeFileSync(this.driverFile, DRIVER);
    // The veth carrier and the IPv6 routes come up a moment after `link set up`: wait for both families.
    for (const dst of [SRV4, SRV6]) {
      let ok = false;
      for (let i = 0; i < 20 && !ok; i++) ok = this.lab.exec(this.cli, ['ping', '-c1', '-W1', dst]).status === 0;
      if (!ok) throw new Error(`${dst} does not answer ping from the client namespace`);
    }
  }

  /** Write a file into the lab's temp dir; returns its path. */
  file(name: string, body: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, body);
    return p;
  }

  /** Start a server in the server namespace and wait until `ready` says it listens. */
  async server(argv: readonly string[], ready: () => boolean): Promise<ChildProcess> {
    const child = this.lab.spawn(this.srv, argv);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    if (!(await waitFor(() => ready() || child.exitCode !== null, 10_000, 25)) || child.exitCode !== null) {
      throw new Error(`${argv.join(' ')} did not start: ${stderr}`);
    }
    return child;
  }

  /** Are at least `sockets` sockets listening on `port` (udp or tcp) in the server namespace? */
  listening(proto: 'udp' | 'tcp', port: number, sockets = 1): boolean {
    const r = this.lab.exec(this.srv, ['ss', '-Hln', proto === 'udp' ? '-u' : '-t', `sport = :${String(port)}`]);
    return r.stdout.split('\n').filter((l) => l.trim() !== '').length >= sockets;
  }

  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, 5000);
  }

  nft(script: string): void {
    execFileSync('ip', ['netns', 'exec', this.srv, 'nft', '-f', '-'], { input: script, timeout: 10_000 });
  }

  /** The driver on one virtual server, in the client namespace; its lines as they come. */
  watch(vs: VirtualServerConfig): { lines: Line[]; stop: () => Promise<void> } {
    const child = this.lab.spawn(this.cli, [process.execPath, this.driverFile, JSON.stringify({ vs })], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: Line[] = [];
    createInterface({ input: child.stdout ?? process.stdin }).on('line', (l) => { lines.push(JSON.parse(l) as Line); });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => { if (code !== 0 && code !== null) lines.push({ event: 'driver_exit', reason: `${String(code)} ${stderr}` }); });
    return {
      lines,
      stop: async () => {
        child.stdin?.end();
        await waitFor(() => child.exitCode !== null || child.signalCode !== null, 5000);
        if (child.exitCode === null) child.kill('SIGKILL');
      },
    };
  }

  /** One run of the check of `vs`'s first real server, in the client namespace. */
  once(vs: VirtualServerConfig): { ok: boolean; latencyMs: number; reason?: string } {
    const r = this.lab.exec(this.cli, [process.execPath, this.driverFile, JSON.stringify({ vs, once: true })], 20_000);
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    if (r.status !== 0 || last === '') throw new Error(`driver failed: ${r.stderr}`);
    return (JSON.parse(last) as { once: { ok: boolean; latencyMs: number; reason?: string } }).once;
  }

  destroy(): void {
    this.lab.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The changes seen, each with the runs since the previous change: what decided it. */
export function changesWithRuns(lines: readonly Line[]): { change: { from: string; to: string; reason: string | null }; runs: { ok: boolean; reason: string | null }[] }[] {
  const out: ReturnType<typeof changesWithRuns> = [];
  let runs: { ok: boolean; reason: string | null }[] = [];
  for (const l of lines) {
    if ('run' in l) runs.push(l.run);
    else if ('change' in l) {
      out.push({ change: l.change, runs });
      runs = [];
    }
  }
  return out;
}

/** Number of results of one kind at the end of a run list. */
export function tail(runs: readonly { ok: boolean }[], ok: boolean): number {
  let n = 0;
  for (let i = runs.length - 1; i >= 0 && runs[i]?.ok === ok; i--) n += 1;
  return n;
}

export function checkOf(vs: VirtualServerConfig): CheckConfig {
  const c = vs.realServers[0]?.check;
  if (!c) throw new Error('no check');
  return c;
}
