/**
 * A small lab of network namespaces for root tests on the host kernel: the
 * sync executor of the project's one network builder (src/lab/netns.ts).
 *
 * Every name carries the caller's prefix plus a per-run id, so parallel suites
 * (each with its own prefix) never collide, and destroy() removes exactly what
 * this lab created: its processes, then its namespaces (which takes their veth,
 * bridge and addresses with them). Nothing is ever created in the host's own
 * namespace: veth pairs are created directly inside their namespaces.
 *
 *   const lab = new NetnsLab('lvd');
 *   const a = lab.addNamespace('a');           // e.g. "lvd-k3f-a", lo up
 *   const b = lab.addNamespace('b');
 *   lab.addVeth({ ns: a, ifname: 'eth0' }, { ns: b, ifname: 'eth0' });
 *   lab.addAddress(a, 'eth0', '10.9.0.1/24'); lab.up(a, 'eth0');
 *   const child = lab.spawn(a, ['ping', '-c1', '10.9.0.2']);
 *   ...
 *   lab.destroy();                             // in afterAll, also on failure
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions, type SpawnSyncReturns } from 'node:child_process';
import { addressCommands, bridgeCommands, execIn, ipIn, namespaceCommands, networkCommands, teardownShell, vethCommands, type NetSpec } from '../../src/lab/netns.js';

const COMMAND_TIMEOUT_MS = 10_000;

export interface LinkEnd {
  readonly ns: string;
  readonly ifname: string;
}

/** Run a command synchronously with a bounded time; throw with its stderr if it fails. */
export function run(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    throw new Error(`${cmd} ${args.join(' ')} failed: ${typeof stderr === 'string' ? stderr.trim() : String(err)}`);
  }
}

function runArgv([cmd = '', ...args]: readonly string[]): string {
  return run(cmd, args);
}

function runAll(commands: readonly (readonly string[])[]): void {
  for (const argv of commands) runArgv(argv);
}

/** Namespaces currently present whose names start with `${prefix}-`. */
export function listNamespaces(prefix: string): string[] {
  const out = run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${prefix}-`));
}

export class NetnsLab {
  readonly runId: string;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();

  constructor(readonly prefix: string) {
    if (!/^[a-z][a-z0-9]{1,5}$/.test(prefix)) throw new Error(`netns prefix '${prefix}' must be 2..6 lowercase letters/digits`);
    // Short and unique enough per run: pid and time, base 36.
    this.runId = `${(process.pid % 1296).toString(36)}${(Date.now() % 46656).toString(36)}`;
  }

  /** The namespace name this lab gives a suffix: `${prefix}-${runId}-${suffix}`. */
  name(suffix: string): string {
    return `${this.prefix}-${this.runId}-${suffix}`;
  }

  /** Build a whole network (names as given, e.g. from name()); destroy() removes its namespaces. */
  build(spec: NetSpec): void {
    this.namespaces.push(...spec.namespaces.map((n) => n.name));
    runAll(networkCommands(spec));
  }

  /** Create a namespace named name(suffix) with lo up; returns its name. */
  addNamespace(suffix: string): string {
    const name = this.name(suffix);
    this.namespaces.push(name);
    runAll(namespaceCommands({ name }));
    return name;
  }

  /** Run `ip ARGS` inside ns. */
  ip(ns: string, args: readonly string[]): string {
    return runArgv(ipIn(ns, args));
  }

  /** A veth pair whose ends are created directly inside their namespaces, both up. */
  addVeth(a: LinkEnd, b: LinkEnd): void {
    runAll(vethCommands({ a: { netns: a.ns, ifname: a.ifname }, b: { netns: b.ns, ifname: b.ifname } }));
  }

  addBridge(ns: string, name: string): void {
    runAll(bridgeCommands({ netns: ns, name }));
  }

  setMaster(ns: string, ifname: string, bridge: string): void {
    this.ip(ns, ['link', 'set', ifname, 'master', bridge]);
  }

  addAddress(ns: string, ifname: string, cidr: string): void {
    runAll(addressCommands({ netns: ns, ifname, cidr }));
  }

  up(ns: string, ifname: string): void {
    this.ip(ns, ['link', 'set', ifname, 'up']);
  }

  /** Run argv inside ns and wait (bounded); never throws on a non-zero exit. */
  exec(ns: string, argv: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): SpawnSyncReturns<string> {
    const [cmd = '', ...args] = execIn(ns, argv);
    return spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  }

  /**
   * Start argv inside ns (`ip netns exec` execs it, so child.pid is the process
   * itself). Tracked: destroy() kills it if it is still running.
   */
  spawn(ns: string, argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const [cmd = '', ...args] = execIn(ns, argv);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kill what this lab started, then everything inside its namespaces, then delete them. Safe to call twice. */
  destroy(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.clear();
    spawnSync('sh', ['-c', teardownShell(this.namespaces.splice(0))], { timeout: COMMAND_TIMEOUT_MS * 3 });
  }
}

/** Remove namespaces left behind by an earlier crashed run of a suite with this prefix. */
export function removeLeftovers(prefix: string, exceptRunId?: string): void {
  for (const ns of listNamespaces(prefix)) {
    if (exceptRunId !== undefined && ns.startsWith(`${prefix}-${exceptRunId}-`)) continue;
    spawnSync('ip', ['netns', 'del', ns], { timeout: COMMAND_TIMEOUT_MS });
  }
}
