/**
 * A VRRP lab on the host kernel: N router namespaces plus an observer, all joined by a bridge
 * that lives in its own switch namespace. Each router has `eth0` with a fixed MAC, an IPv4
 * address 10.77.0.N/24, an IPv6 link-local fe80::N (no DAD, no automatic link-local) and a
 * global fd77::N/64. Daemons (`node bin/lvs-ha.js run`, from dist: `npm run build` first) are
 * started with generated configs and observed through `status --json` and their JSON log lines.
 * Other programs (Keepalived, tcpdump) can be spawned in a router namespace with spawn().
 *
 *   const lab = await VrrpLab.create('lve', ['a', 'b'], { observer: true });
 *   lab.writeConfig('a', vrrpConfig({ node: 'a', socket: lab.socketPath('a'), instances: [...] }));
 *   lab.startDaemon('a');
 *   await lab.waitForState('a', 'web', 'MASTER');
 *   lab.destroy();
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requestControl } from '../../src/control/client.js';
import { NetnsLab, removeLeftovers } from './netns.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin', 'lvs-ha.js');

export interface LabRouter {
  readonly name: string;
  readonly index: number;
  readonly ns: string;
  readonly ifname: string;
  /** The switch-side end of its veth (cut it to isolate the router). */
  readonly switchPort: string;
  readonly mac: string;
  readonly ipv4: string;
  readonly linkLocal: string;
  readonly ipv6: string;
}

export interface DaemonHandle {
  readonly process: ChildProcess;
  stdout: string;
  stderr: string;
}

export interface LogLine {
  readonly [key: string]: unknown;
  readonly time?: string;
  readonly msg?: string;
}

export interface InstanceYaml {
  readonly name: string;
  readonly vrid: number;
  readonly priority: number;
  readonly advertInterval?: string;
  readonly virtualAddresses: readonly string[];
  readonly preempt?: boolean;
  readonly unicastPeers?: readonly string[];
  readonly extra?: readonly string[];
}

/** A config file for one router: the given instances on eth0. */
export interface VrrpConfigOptions {
  readonly node: string;
  readonly socket: string;
  readonly instances: readonly InstanceYaml[];
  readonly ipv4Checksum?: string;
  readonly ipv6Addresses?: string;
  readonly scriptsUser?: string;
  readonly syncGroups?: readonly { readonly name: string; readonly instances: readonly string[] }[];
}

export function vrrpConfig(options: VrrpConfigOptions): string {
  const lines = [`node: ${options.node}`, `control: { socket: ${options.socket} }`];
  if (options.scriptsUser !== undefined) lines.push(`scripts: { user: ${options.scriptsUser} }`);
  lines.push('vrrp:');
  if (options.ipv4Checksum !== undefined) lines.push(`  ipv4_checksum: ${options.ipv4Checksum}`);
  if (options.ipv6Addresses !== undefined) lines.push(`  ipv6_addresses: ${options.ipv6Addresses}`);
  lines.push('  instances:');
  for (const i of options.instances) {
    lines.push(
      `    - name: ${i.name}`,
      '      interface: eth0',
      `      vrid: ${String(i.vrid)}`,
      `      priority: ${String(i.priority)}`,
      `      advert_interval: ${i.advertInterval ?? '100ms'}`,
      `      virtual_addresses: [${i.virtualAddresses.join(', ')}]`,
    );
    if (i.preempt !== undefined) lines.push(`      preempt: ${String(i.preempt)}`);
    if (i.unicastPeers) lines.push(`      unicast_peers: [${i.unicastPeers.join(', ')}]`);
    for (const extra of i.extra ?? []) lines.push(`      ${extra}`);
  }
  if (options.syncGroups && options.syncGroups.length > 0) {
    lines.push('  sync_groups:');
    for (const g of options.syncGroups) lines.push(`    - { name: ${g.name}, instances: [${g.instances.join(', ')}] }`);
  }
  return `${lines.join('\n')}\n`;
}

/** dist/ must be at least as new as the sources the daemon runs. */
export function assertBuilt(pairs: readonly (readonly [string, string])[]): void {
  for (const [src, out] of pairs) {
    const built = join(REPO, out);
    if (!existsSync(built)) throw new Error(`${out} is missing: run \`npm run build\` first`);
    if (statSync(built).mtimeMs < statSync(join(REPO, src)).mtimeMs) throw new Error(`${out} is older than ${src}: run \`npm run build\` first`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class VrrpLab {
  readonly routers = new Map<string, LabRouter>();
  readonly daemons = new Map<string, DaemonHandle>();
  readonly switchNs: string;

  private constructor(
    readonly netns: NetnsLab,
    readonly dir: string,
  ) {
    this.switchNs = netns.addNamespace('sw');
    netns.addBridge(this.switchNs, 'br0');
    netns.ip(this.switchNs, ['link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
  }

  /** Build the lab: routers named as given (plus 'obs' when observer is set), all on the bridge. */
  static async create(prefix: string, names: readonly string[], options: { observer?: boolean } = {}): Promise<VrrpLab> {
    removeLeftovers(prefix);
    const netns = new NetnsLab(prefix);
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-vrrp-`));
    const lab = new VrrpLab(netns, dir);
    try {
      const all = options.observer === true ? [...names, 'obs'] : [...names];
      all.forEach((name, i) => {
        lab.addRouter(name, i + 1);
      });
      await lab.waitLinksUp();
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  private addRouter(name: string, index: number): void {
    const ns = this.netns.addNamespace(name);
    const hex = index.toString(16).padStart(2, '0');
    const router: LabRouter = {
      name,
      index,
      ns,
      ifname: 'eth0',
      switchPort: `p-${name}`.slice(0, 15),
      mac: `02:77:00:00:00:${hex}`,
      ipv4: `10.77.0.${String(index)}`,
      linkLocal: `fe80::${index.toString(16)}`,
      ipv6: `fd77::${index.toString(16)}`,
    };
    this.plug(router);
    this.routers.set(name, router);
  }

  /** The router's eth0: a veth to its switch port on the bridge, with its MAC and addresses. */
  private plug(router: LabRouter): void {
    const { ns } = router;
    this.netns.addVeth({ ns, ifname: 'eth0' }, { ns: this.switchNs, ifname: router.switchPort });
    this.netns.setMaster(this.switchNs, router.switchPort, 'br0');
    this.netns.up(this.switchNs, router.switchPort);
    this.sysctl(ns, [`net.ipv6.conf.eth0.accept_dad=0`, `net.ipv6.conf.eth0.addr_gen_mode=1`]);
    this.netns.ip(ns, ['link', 'set', 'eth0', 'address', router.mac]);
    this.netns.addAddress(ns, 'eth0', `${router.ipv4}/24`);
    this.netns.ip(ns, ['addr', 'add', `${router.linkLocal}/64`, 'dev', 'eth0', 'nodad']);
    this.netns.ip(ns, ['addr', 'add', `${router.ipv6}/64`, 'dev', 'eth0', 'nodad']);
    this.netns.up(ns, 'eth0');
  }

  /** Delete the router's eth0 (the veth pair: its switch port goes with it). */
  deleteLink(name: string): void {
    this.netns.ip(this.router(name).ns, ['link', 'del', 'eth0']);
  }

  /** Create the router's eth0 again as at the start (same name, MAC and addresses; a new ifindex). */
  recreateLink(name: string): void {
    this.plug(this.router(name));
  }

  /** The kernel's ifindex of the router's eth0. */
  ifindex(name: string): number {
    const out = this.netns.ip(this.router(name).ns, ['-j', 'link', 'show', 'dev', 'eth0']);
    return (JSON.parse(out) as { ifindex: number }[])[0]?.ifindex ?? -1;
  }

  private sysctl(ns: string, settings: readonly string[]): void {
    for (const s of settings) {
      const r = this.netns.exec(ns, ['sysctl', '-qw', s]);
      if (r.status !== 0) throw new Error(`sysctl ${s} in ${ns}: ${r.stderr}`);
    }
  }

  private async waitLinksUp(): Promise<void> {
    const deadline = performance.now() + 5000;
    for (;;) {
      const allUp = [...this.routers.values()].every(
        (r) => this.netns.exec(r.ns, ['cat', '/sys/class/net/eth0/operstate']).stdout.trim() === 'up',
      );
      if (allUp) break;
      if (performance.now() > deadline) throw new Error('lab links did not come up within 5 s');
      await sleep(50);
    }
    await sleep(100); // linkwatch swaps the qdisc just after operstate flips
  }

  router(name: string): LabRouter {
    const r = this.routers.get(name);
    if (!r) throw new Error(`no router ${name}`);
    return r;
  }

  socketPath(name: string): string {
    return join(this.dir, `${name}.sock`);
  }

  configPath(name: string): string {
    return join(this.dir, `${name}.yaml`);
  }

  writeConfig(name: string, text: string): void {
    writeFileSync(this.configPath(name), text);
  }

  /** Start `lvs-ha run` in the router's namespace; collects its output. */
  startDaemon(name: string, env: Readonly<Record<string, string>> = {}): DaemonHandle {
    const r = this.router(name);
    const proc = this.netns.spawn(r.ns, [process.execPath, BIN, 'run', '--config', this.configPath(name)], {
      env: { ...process.env, LVS_HA_LOG_LEVEL: 'debug', ...env },
    });
    const handle: DaemonHandle = { process: proc, stdout: '', stderr: '' };
    proc.stdout?.on('data', (c: Buffer) => (handle.stdout += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (handle.stderr += c.toString()));
    this.daemons.set(name, handle);
    return handle;
  }

  daemon(name: string): DaemonHandle {
    const d = this.daemons.get(name);
    if (!d) throw new Error(`no daemon on ${name}`);
    return d;
  }

  /** The pid of the daemon's VRRP isolate (its child process), if it runs. */
  isolatePid(name: string): number | undefined {
    const pid = this.daemon(name).process.pid;
    if (pid === undefined) return undefined;
    return childPids(pid)[0];
  }

  /**
   * Send a signal; resolves with the exit once the process is gone (bounded). SIGKILL stands for
   * a crash of the whole director: the VRRP isolate is killed first, so it cannot resign when
   * its daemon disappears (that is what a lone `kill -9` of the daemon does; see isolation tests).
   */
  async stopDaemon(name: string, signal: NodeJS.Signals, timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const { process: proc } = this.daemon(name);
    if (signal === 'SIGKILL' && proc.pid !== undefined) {
      for (const child of childPids(proc.pid)) {
        try { process.kill(child, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      if (proc.exitCode !== null || proc.signalCode !== null) res({ code: proc.exitCode, signal: proc.signalCode });
      else proc.once('exit', (code, sig) => { res({ code, signal: sig }); });
    });
    proc.kill(signal);
    const timeout = sleep(timeoutMs).then(() => null);
    const result = await Promise.race([exited, timeout]);
    if (!result) throw new Error(`daemon ${name} did not exit within ${String(timeoutMs)} ms after ${signal}`);
    return result;
  }

  logLines(name: string): LogLine[] {
    return this.daemon(name)
      .stdout.split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as LogLine];
        } catch {
          return [];
        }
      });
  }

  /** Transition log lines of an instance, in order. */
  transitions(name: string, instance: string): LogLine[] {
    return this.logLines(name).filter((l) => l.component === 'vrrp' && l.instance === instance && typeof l.from === 'string' && typeof l.to === 'string');
  }

  async status(name: string): Promise<Record<string, unknown>> {
    const reply = await requestControl(this.socketPath(name), 'status', { timeoutMs: 3000 });
    if (!reply.ok) throw new Error(`status refused: ${reply.error.message}`);
    return reply.result;
  }

  async instance(name: string, instance: string): Promise<Record<string, unknown>> {
    const s = await this.status(name);
    const list = s.instances as Record<string, unknown>[] | undefined;
    const found = list?.find((i) => i.name === instance);
    if (!found) throw new Error(`status of ${name} has no instance ${instance}`);
    return found;
  }

  /** Poll until probe returns a value (bounded); fails early if a daemon being watched died. */
  async until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, watch?: string): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    let last: unknown;
    while (performance.now() < deadline) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (watch !== undefined) {
        const d = this.daemon(watch);
        const { exitCode, signalCode } = d.process;
        if (exitCode !== null || signalCode !== null) {
          throw new Error(`daemon ${watch} exited (${String(exitCode ?? signalCode)}) while waiting for ${what}: ${d.stderr}${d.stdout.slice(-2000)}`);
        }
      }
      await sleep(50);
    }
    throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}; last error: ${String(last)}`);
  }

  waitForState(name: string, instance: string, state: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return this.until(`${name}/${instance} ${state}`, async () => {
      const i = await this.instance(name, instance);
      return i.state === state ? i : undefined;
    }, timeoutMs, name);
  }

  /** Addresses on the router's eth0 (`ip -j addr`), as "addr/prefix". */
  addresses(name: string): string[] {
    const r = this.router(name);
    const out = this.netns.ip(r.ns, ['-j', 'addr', 'show', 'dev', 'eth0']);
    const parsed = JSON.parse(out) as { addr_info?: { local: string; prefixlen: number }[] }[];
    return parsed.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${String(a.prefixlen)}`));
  }

  hasAddress(name: string, address: string): boolean {
    return this.addresses(name).some((a) => a.split('/')[0] === address);
  }

  /**
   * Cut (or restore) the router's link at the switch. Its eth0 stays administratively up but
   * loses its carrier (a veth whose peer is down), which VRRP sees as its own interface down.
   */
  setSwitchPort(name: string, up: boolean): void {
    this.netns.ip(this.switchNs, ['link', 'set', this.router(name).switchPort, up ? 'up' : 'down']);
  }

  spawn(name: string, argv: readonly string[]): ChildProcess {
    return this.netns.spawn(this.router(name).ns, argv);
  }

  exec(name: string, argv: readonly string[], timeoutMs?: number): ReturnType<NetnsLab['exec']> {
    return this.netns.exec(this.router(name).ns, argv, timeoutMs);
  }

  /** Stop every daemon (SIGKILL), remove namespaces and files. Safe to call twice. */
  destroy(): void {
    this.netns.destroy();
    this.daemons.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Direct children of a process (from /proc/PID/task/PID/children). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8').trim().split(/\s+/).filter((t) => t !== '').map(Number);
  } catch {
    return [];
  }
}
