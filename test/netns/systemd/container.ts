/**
 * A real systemd (the host's /lib/systemd/system binary, PID 1 of its own
 * namespaces) for tests that need the service manager itself: Type=notify,
 * NotifyAccess, the watchdog, ExecReload. The test machine does not run
 * systemd as its init, so this starts one:
 *
 * - new pid, mount, network, uts, ipc and cgroup namespaces (`unshare`); the
 *   network namespace has only `lo`, so a daemon inside touches no host link;
 * - a cgroup of its own (`lvd-sdn-*` under this process's cgroup v2 path),
 *   entered before the cgroup namespace is made, and a fresh cgroup2 mount on
 *   /sys/fs/cgroup: systemd runs in unified mode and creates init.scope and
 *   system.slice only under that cgroup, which destroy() removes;
 * - tmpfs over /run, /etc/systemd/system, /lib/systemd/system and
 *   /var/lib/systemd: the host's units and state are invisible; the units the
 *   test gives are placed in /run/systemd/system. systemd starts only
 *   `lvd-idle.target` (no default dependencies), then whatever the test starts.
 *
 * systemctl talks to it through `nsenter` (mount + pid namespaces); files inside
 * are reached through /proc/PID/root. destroy() SIGKILLs PID 1, which ends every
 * process of the namespace; if the test process dies first, the parent-death
 * signal does the same.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SystemdContainer {
  /** Host pid of the container's systemd (PID 1 inside). */
  readonly pid: number;
  systemctl(args: readonly string[], timeoutMs?: number): Run;
  /** `systemctl show -p ...` as a record. */
  show(unit: string, properties: readonly string[]): Record<string, string>;
  /** Run a command in the container's mount, pid and network namespaces. */
  exec(argv: readonly string[], timeoutMs?: number): Run;
  /** A path inside the container as seen from the host (through /proc/PID/root). */
  hostPath(inside: string): string;
  destroy(): Promise<void>;
}

export interface ContainerOptions {
  /** Unit files and drop-ins, by path relative to /run/systemd/system. */
  readonly units: Readonly<Record<string, string>>;
  /** Shell lines run inside the namespaces before systemd starts (addresses on lo, ...). */
  readonly setup?: readonly string[];
}

const SYSTEMD = '/lib/systemd/systemd';
const IDLE_TARGET = '[Unit]\nDescription=lvs-ha test container idle target\nDefaultDependencies=no\n';

function result(r: SpawnSyncReturns<string>): Run {
  return { status: r.status, stdout: r.stdout, stderr: `${r.stderr}${r.error ? String(r.error) : ''}` };
}

/** Mount point of the cgroup2 hierarchy and this process's path in it. */
function cgroup2Location(): { mount: string; path: string } {
  const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' - '))
    .find(([, fs]) => fs?.startsWith('cgroup2 ') === true)?.[0]?.split(' ')[4];
  const path = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3);
  if (mount === undefined || path === undefined) throw new Error('no cgroup2 hierarchy: the systemd container needs one');
  return { mount, path };
}

/** rmdir a cgroup tree, deepest first (cgroup directories hold only pseudo-files). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const child = join(dir, entry);
    if (statSync(child).isDirectory()) removeCgroupTree(child);
  }
  rmdirSync(dir);
}

/** Cgroups left by an earlier test process that died (its pid is in the name); only empty ones go. */
function removeStaleCgroups(parent: string): void {
  for (const name of readdirSync(parent)) {
    const owner = /^lvd-sdn-(\d+)-/.exec(name)?.[1];
    if (owner === undefined || existsSync(`/proc/${owner}`)) continue;
    try {
      removeCgroupTree(join(parent, name));
    } catch {
      // still populated: leave it
    }
  }
}

function innerScript(dir: string, setup: readonly string[]): string {
  return [
    'set -e',
    'ip link set lo up',
    ...setup,
    // The container's own /proc: systemd reads /proc/PID (a unit's main pid is "alien" when
    // /proc/PID/stat names another parent). With the host's /proc, a host process that had the
    // same pid number made systemd skip the wait after SIGTERM and SIGKILL the daemon at once.
    'mount -t proc proc /proc',
    'mount -t tmpfs -o mode=0755 tmpfs /run',
    'mount -t cgroup2 cgroup2 /sys/fs/cgroup',
    'mkdir -p /run/systemd/system',
    `cp -r ${dir}/units/. /run/systemd/system/`,
    'mount -t tmpfs tmpfs /etc/systemd/system',
    'mount -t tmpfs tmpfs /lib/systemd/system',
    'mount -t tmpfs tmpfs /var/lib/systemd',
    `exec env -i container=lvs-ha-test ${SYSTEMD} --system --unit=lvd-idle.target --log-target=null`,
    '',
  ].join('\n');
}

/** The systemd that unshare forked (PID 1 inside), once it has exec'd. */
function systemdChild(parent: number): number | null {
  try {
    const first = readFileSync(`/proc/${String(parent)}/task/${String(parent)}/children`, 'utf8').trim().split(' ')[0];
    if (first === undefined || first === '') return null;
    return readFileSync(`/proc/${first}/comm`, 'utf8').trim() === 'systemd' ? Number(first) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startSystemdContainer(options: ContainerOptions): Promise<SystemdContainer> {
  if (!existsSync(SYSTEMD)) throw new Error(`${SYSTEMD} is missing (Debian package systemd)`);
  const dir = mkdtempSync(join(tmpdir(), 'lvd-sdn-'));
  for (const [path, text] of Object.entries({ 'lvd-idle.target': IDLE_TARGET, ...options.units })) {
    mkdirSync(dirname(join(dir, 'units', path)), { recursive: true });
    writeFileSync(join(dir, 'units', path), text);
  }
  writeFileSync(join(dir, 'inner.sh'), innerScript(dir, options.setup ?? []));
  const { mount, path } = cgroup2Location();
  removeStaleCgroups(join(mount, path));
  const cgroup = join(mount, path, `lvd-sdn-${String(process.pid)}-${dir.slice(-6)}`);
  mkdirSync(cgroup);
  let stderr = '';
  const unshare: ChildProcess = spawn('sh', ['-c',
    // pdeathsig: if this test process dies, unshare dies, and --kill-child takes systemd (PID 1) and its namespace.
    `echo $$ > ${cgroup}/cgroup.procs && exec setpriv --pdeathsig SIGKILL unshare --pid --fork --kill-child=SIGKILL --mount --net --uts --ipc --cgroup --propagation private /bin/sh ${dir}/inner.sh`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  unshare.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((r) => { unshare.once('close', () => { r(); }); });

  let pid = 0;
  const container: SystemdContainer = {
    get pid() { return pid; },
    systemctl: (args, timeoutMs = 60_000) => result(spawnSync('nsenter', ['-t', String(pid), '-m', '-p', 'systemctl', ...args], { encoding: 'utf8', timeout: timeoutMs })),
    show: (unit, properties) => {
      const out = container.systemctl(['show', unit, ...properties.map((p) => `--property=${p}`)]);
      return Object.fromEntries(out.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    },
    exec: (argv, timeoutMs = 30_000) => result(spawnSync('nsenter', ['-t', String(pid), '-m', '-p', '-n', ...argv], { encoding: 'utf8', timeout: timeoutMs })),
    hostPath: (inside) => `/proc/${String(pid)}/root${inside}`,
    destroy: async () => {
      if (pid > 0) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      unshare.kill('SIGKILL');
      await Promise.race([exited, sleep(5000)]);
      for (let i = 0; i < 50; i++) {
        try {
          removeCgroupTree(cgroup);
          break;
        } catch {
          await sleep(100); // processes of the namespace still exiting
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };

  // Wait (bounded) for systemd to come up and answer on its private socket.
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const child = unshare.pid === undefined ? null : systemdChild(unshare.pid);
    if (child !== null) {
      pid = child;
      const state = container.systemctl(['is-system-running'], 5000).stdout.trim();
      if (state === 'running' || state === 'degraded') return container;
    }
    if (unshare.exitCode !== null) break;
    await sleep(100);
  }
  await container.destroy();
  throw new Error(`the systemd container did not come up: ${stderr}`);
}
