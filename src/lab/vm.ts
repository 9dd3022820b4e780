/**
 * The lab inside the throwaway VM, for hosts whose kernel has no IPVS: `up`
 * boots a qemu VM with Debian's kernel (the host's root shared read-only, so
 * the VM runs this very checkout) and runs `lvs-ha lab up --local` inside;
 * `status` and `drill` run inside too; `down` removes the lab inside, powers
 * the VM off and removes its folder.
 */
import { existsSync } from 'node:fs';
import { describeError } from '../core/errors.js';
import { bootPersistentVm, execInVm, findKernel, persistentVmStatus, stopPersistentVm } from '../vm/index.js';
import type { CliIo } from '../cli/verb.js';
import { processStartTicks } from './procs.js';
import type { LabMode } from './topology.js';

/**
 * The host folder of the lab's VM. `LVS_HA_LAB_VM_DIR` moves it, so two labs
 * (say two checkouts under test at once) can run side by side, each in its VM.
 */
export const LAB_VM_DIR = labVmDir(process.env.LVS_HA_LAB_VM_DIR);

export function labVmDir(fromEnv: string | undefined): string {
  if (fromEnv === undefined || fromEnv === '') return '/run/lvs-ha-lab-vm';
  if (!fromEnv.startsWith('/')) throw new Error(`LVS_HA_LAB_VM_DIR must be an absolute path, not ${JSON.stringify(fromEnv)}`);
  return fromEnv;
}

/** Modules the lab's directors and real servers need inside the VM. */
export function labVmModules(mode: LabMode): string[] {
  return ['ip_vs', 'ip_vs_rr', 'veth', 'bridge', ...(mode === 'tun' ? ['ipip'] : []), ...(mode === 'fullnat' ? ['nf_conntrack', 'nf_nat', 'nf_tables', 'nft_chain_nat', 'nft_nat', 'nft_ct'] : [])];
}

export function vmLabState(dir: string): 'none' | 'running' | 'dead' {
  return persistentVmStatus(dir).state;
}

const EXEC_TIMEOUT_MS = 15 * 60_000;

async function inVm(argv: readonly string[], io: CliIo, stream: boolean, timeoutMs = EXEC_TIMEOUT_MS): Promise<{ exitCode: number; stdout: string }> {
  const r = await execInVm(LAB_VM_DIR, ['lab', ...argv, '--local'], {
    timeoutMs,
    ...(stream ? { onStdout: io.stdout } : {}),
    onStderr: io.stderr,
  });
  return { exitCode: r.exitCode, stdout: r.stdout };
}

export async function labUpInVm(passOn: readonly string[], mode: LabMode, reason: string, io: CliIo, json: boolean): Promise<number> {
  const note = json ? io.stderr : io.stdout;
  const kernel = findKernel();
  note(`lab: ${reason}: running the lab inside a throwaway VM (qemu, Debian kernel ${kernel.version}, this checkout shared read-only)\n`);
  const vm = await bootPersistentVm({ runDir: LAB_VM_DIR, modules: labVmModules(mode), memoryMb: 1536, bootTimeoutMs: 300_000 });
  note(`lab: VM up in ${(vm.bootMs / 1000).toFixed(1)} s (qemu pid ${String(vm.pid)}); building the lab inside it\n`);
  try {
    const r = await inVm(['up', ...passOn], io, true);
    if (r.exitCode === 0) return 0;
  } catch (err) {
    io.stderr(`lab: ${describeError(err)}\n`);
  }
  note('lab: up failed inside the VM; powering it off\n');
  await stopPersistentVm(LAB_VM_DIR, { timeoutMs: 30_000 });
  return 1;
}

export async function labInVm(argv: readonly string[], io: CliIo, timeoutMs = EXEC_TIMEOUT_MS): Promise<number> {
  if (vmLabState(LAB_VM_DIR) === 'dead') {
    io.stderr(`lab: the lab VM (${LAB_VM_DIR}) is no longer running; run 'lvs-ha lab down' to clean up\n`);
    return 1;
  }
  return (await inVm(argv, io, true, timeoutMs)).exitCode;
}

/** Alive and not a zombie (a powered-off qemu whose parent has not reaped it yet is gone). */
function isPidAlive(pid: number): boolean {
  return processStartTicks(pid) !== null;
}

export async function labDownInVm(json: boolean, io: CliIo): Promise<number> {
  const before = persistentVmStatus(LAB_VM_DIR);
  let inner: Record<string, unknown> = { wasUp: false };
  let innerOk = true;
  if (before.state === 'running') {
    const r = await inVm(['down', '--json'], io, false).catch((err: unknown) => {
      io.stderr(`lab: down inside the VM failed: ${describeError(err)}\n`);
      return { exitCode: 1, stdout: '{}' };
    });
    innerOk = r.exitCode === 0;
    try {
      inner = JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      inner = { output: r.stdout };
    }
  }
  await stopPersistentVm(LAB_VM_DIR, { timeoutMs: 60_000 });
  const pid = before.state === 'none' ? null : before.pid;
  const vm = { was: before.state, qemu_left: pid !== null && isPidAlive(pid), dir_left: existsSync(LAB_VM_DIR) };
  const clean = innerOk && !vm.qemu_left && !vm.dir_left;
  if (json) {
    io.stdout(`${JSON.stringify({ ...inner, vm }, null, 2)}\n`);
  } else {
    const stopped = Array.isArray(inner.stopped) ? inner.stopped.length : 0;
    const removed = Array.isArray(inner.removedNamespaces) ? inner.removedNamespaces.length : 0;
    io.stdout(`lab down: in the VM stopped ${String(stopped)} processes and removed ${String(removed)} namespaces; VM powered off; left behind: ${clean ? 'nothing' : JSON.stringify({ inner: inner.leftBehind, vm })}\n`);
  }
  return clean ? 0 : 1;
}
