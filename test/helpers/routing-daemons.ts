/**
 * FRR and BIRD (Debian's frr 8.4 and bird2) inside a namespace of a NetnsLab,
 * in the foreground so the lab kills them with the namespace. FRR runs zebra
 * and bgpd (and bfdd when asked) under a pathspace of their own (-N), so
 * several FRR instances on one host never share sockets; the config is fed
 * through vtysh like an integrated frr.conf. Nothing outside the lab's
 * namespaces and the per-instance folders is touched.
 */
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { NetnsLab } from './netns.js';

const FRR_RUN = '/var/run/frr';

export interface FrrInstance {
  readonly ns: string;
  readonly pathspace: string;
  vtysh(command: string): string;
  /** SIGKILL bgpd and zebra (a crash). */
  kill(): void;
  cleanup(): void;
}

function frrIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'frr'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'frr'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${String(ms)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startFrr(lab: NetnsLab, ns: string, config: string, opts: { bfd?: boolean } = {}): Promise<FrrInstance> {
  const pathspace = ns;
  const dir = join(FRR_RUN, pathspace);
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = frrIds();
  chownSync(dir, uid, gid);
  const daemons = ['zebra', 'bgpd', ...(opts.bfd ? ['bfdd'] : [])];
  const children = daemons.map((d) => lab.spawn(ns, [`/usr/lib/frr/${d}`, '-N', pathspace, '-u', 'frr', '-g', 'frr', '-f', '/dev/null', '-i', join(dir, `${d}.pid`), '--log', 'stdout', '--log-level', 'warnings']));
  for (const c of children) c.stdout?.resume();
  for (const c of children) c.stderr?.resume();
  await waitFor(() => daemons.every((d) => lab.exec(ns, ['test', '-S', join(dir, `${d}.vty`)]).status === 0), 10_000, `FRR vty sockets in ${ns}`);
  const file = join(dir, 'lvsha-test.conf');
  writeFileSync(file, config);
  const vtysh = (args: readonly string[]): string => {
    const r = lab.exec(ns, ['vtysh', '-N', pathspace, ...args]);
    return `${r.stdout}${r.stderr.split('\n').filter((l) => !l.includes('vtysh.conf')).join('\n')}`;
  };
  const loaded = vtysh(['-f', file]);
  if (/%|No such command|Unknown command/.test(loaded)) throw new Error(`FRR in ${ns} refused the config:\n${loaded}`);
  return {
    ns,
    pathspace,
    vtysh: (command) => vtysh(['-c', command]),
    kill: () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    },
    cleanup: () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BirdInstance {
  birdc(command: string): string;
  kill(): void;
}

export async function startBird(lab: NetnsLab, ns: string, configPath: string, workDir: string): Promise<BirdInstance> {
  const socket = join(workDir, `${ns}.bird.ctl`);
  const child = lab.spawn(ns, ['bird', '-f', '-c', configPath, '-s', socket]);
  child.stdout?.resume();
  child.stderr?.resume();
  await waitFor(() => lab.exec(ns, ['test', '-S', socket]).status === 0, 10_000, `BIRD control socket in ${ns}`);
  return {
    birdc: (command) => lab.exec(ns, ['birdc', '-s', socket, ...command.split(' ')]).stdout,
    kill: () => { if (child.exitCode === null) child.kill('SIGKILL'); },
  };
}
