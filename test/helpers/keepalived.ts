/**
 * Keepalived 2.2.7 (the Debian package) as a VRRPv3 peer in a VrrpLab router namespace.
 *
 * It runs VRRP only (`--vrrp`), in the foreground (`-n`), logging to the console (`-l`) with
 * detail (`-D`), with pid files of its own in the lab folder so several copies never collide.
 * Its state is read from its log: every "(NAME) Entering X STATE" line is recorded with the time
 * it reached us (Date.now(), milliseconds; the console log has no timestamps of its own).
 *
 *   const ka = new Keepalived(lab, 'a', { priority: 200, advertInt: '0.1', vip: '10.77.0.100/24' });
 *   ka.start();
 *   await ka.waitForState('MASTER');
 *   ka.crash();            // SIGKILL, no priority-0 advert
 *   await ka.stop();       // SIGTERM: priority 0, VIP removed
 *   ka.reload();           // SIGHUP: re-read the config (counted in `reloadsLogged`)
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, type VrrpLab } from './vrrp-lab.js';

export type KeepalivedState = 'MASTER' | 'BACKUP' | 'FAULT' | 'INIT';

export interface KeepalivedOptions {
  readonly instance?: string;
  readonly vrid?: number;
  readonly priority: number;
  /** advert_int in seconds as Keepalived writes it, e.g. '1', '0.1', '0.01'. */
  readonly advertInt: string;
  readonly vip: string;
  readonly preempt?: boolean;
  readonly interface?: string;
  /** keepalived.conf text appended after the instance (e.g. virtual_server blocks). */
  readonly extraConfig?: string;
  /** Lines added inside the vrrp_instance block (e.g. `use_vmac`). */
  readonly instanceLines?: readonly string[];
}

export interface KeepalivedTransition {
  readonly state: KeepalivedState;
  /** Date.now() when the log line reached us. */
  readonly at: number;
}

const STATE_LINE = /\((\S+)\) Entering (MASTER|BACKUP|FAULT|INIT) STATE/;
/** What Keepalived 2.2.7 logs when a SIGHUP reload starts. */
const RELOAD_TEXT = 'Reloading ...';

/** The keepalived.conf text for one instance (vrrp_version 3, no scripts). */
export function keepalivedConfig(routerId: string, o: KeepalivedOptions): string {
  return [
    'global_defs {',
    `  router_id ${routerId}`,
    '  vrrp_version 3',
    '}',
    `vrrp_instance ${o.instance ?? 'web'} {`,
    '  state BACKUP',
    `  interface ${o.interface ?? 'eth0'}`,
    `  virtual_router_id ${String(o.vrid ?? 51)}`,
    `  priority ${String(o.priority)}`,
    `  advert_int ${o.advertInt}`,
    ...(o.preempt === false ? ['  nopreempt'] : []),
    ...(o.instanceLines ?? []).map((line) => `  ${line}`),
    '  virtual_ipaddress {',
    `    ${o.vip}`,
    '  }',
    '}',
    '',
  ].join('\n') + (o.extraConfig ?? '');
}

export class Keepalived {
  readonly transitions: KeepalivedTransition[] = [];
  /** "Reloading ..." lines seen in its log (Keepalived 2.2.7 logs one per reload). */
  reloadsLogged = 0;
  output = '';
  private proc: ChildProcess | undefined;
  private readonly conf: string;
  private readonly pidFile: string;
  private readonly vrrpPidFile: string;
  private partial = '';

  constructor(
    private readonly lab: VrrpLab,
    readonly router: string,
    readonly options: KeepalivedOptions,
  ) {
    this.conf = join(lab.dir, `ka-${router}.conf`);
    this.pidFile = join(lab.dir, `ka-${router}.pid`);
    this.vrrpPidFile = join(lab.dir, `ka-${router}-vrrp.pid`);
  }

  get instance(): string {
    return this.options.instance ?? 'web';
  }

  /** Write the config and start keepalived in the router's namespace. */
  start(): ChildProcess {
    writeFileSync(this.conf, keepalivedConfig(`${this.lab.netns.prefix}-${this.router}`, this.options));
    const argv = ['keepalived', '-f', this.conf, '--vrrp', '-n', '-l', '-D', '-p', this.pidFile, '-r', this.vrrpPidFile];
    const proc = this.lab.spawn(this.router, argv);
    const onData = (chunk: Buffer): void => {
      this.onOutput(chunk.toString());
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.proc = proc;
    return proc;
  }

  private onOutput(text: string): void {
    const at = Date.now();
    this.output += text;
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = STATE_LINE.exec(line);
      if (m?.[1] === this.instance) this.transitions.push({ state: m[2] as KeepalivedState, at });
      if (line.includes(RELOAD_TEXT)) this.reloadsLogged += 1;
    }
  }

  /** The state of its last "Entering ... STATE" line, or INIT before the first. */
  get state(): KeepalivedState {
    return this.transitions.at(-1)?.state ?? 'INIT';
  }

  get running(): boolean {
    return this.proc?.exitCode === null && this.proc.signalCode === null;
  }

  /** First transition to `state` at or after `after` (Date.now() ms). */
  enteredAt(state: KeepalivedState, after: number): number | undefined {
    return this.transitions.find((t) => t.state === state && t.at >= after)?.at;
  }

  async waitForState(state: KeepalivedState, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.state === state) return;
      if (!this.running) throw new Error(`keepalived on ${this.router} exited while waiting for ${state}:\n${this.output}`);
      await sleep(20);
    }
    throw new Error(`keepalived on ${this.router} not ${state} within ${String(timeoutMs)} ms (is ${this.state}):\n${this.output}`);
  }

  private vrrpPid(): number | undefined {
    if (!existsSync(this.vrrpPidFile)) return undefined;
    const pid = Number(readFileSync(this.vrrpPidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /**
   * A crash: the VRRP child is frozen first (so it cannot send a priority-0 advert when its
   * parent dies), then both are killed. The VIP stays on the interface, as after a real crash.
   */
  async crash(): Promise<void> {
    const child = this.vrrpPid();
    if (child !== undefined) signal(child, 'SIGSTOP');
    const exited = this.exited(5000);
    this.proc?.kill('SIGKILL');
    if (child !== undefined) signal(child, 'SIGKILL');
    await exited;
  }

  /** SIGHUP: Keepalived re-reads its config file (the whole of it) and keeps running. */
  reload(): void {
    this.proc?.kill('SIGHUP');
  }

  /** SIGTERM: Keepalived sends priority 0 and removes the VIP before it exits. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const exited = this.exited(timeoutMs);
    this.proc?.kill('SIGTERM');
    await exited;
  }

  private exited(timeoutMs: number): Promise<void> {
    const proc = this.proc;
    if (proc?.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        reject(new Error(`keepalived on ${this.router} did not exit within ${String(timeoutMs)} ms`));
      }, timeoutMs);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
