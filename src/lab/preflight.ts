/**
 * What the lab needs before it starts, and where it runs: on this kernel when
 * it has IPVS (loading the module if needed), otherwise in the throwaway VM.
 * Each missing piece is a clear error with the command that fixes it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from './procs.js';
import { LAB_DIR, readState } from './state.js';
import type { LabMode } from './topology.js';
import { LAB_VM_DIR, vmLabState } from './vm.js';

function onPath(program: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => d !== '' && existsSync(join(d, program)));
}

export function preflight(sub: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    return Promise.reject(new LabError('LVSHA_LAB_ROOT', `lab ${sub} needs root (it creates network namespaces and loads kernel modules): run it with sudo`));
  }
  for (const [program, pkg] of [['ip', 'iproute2'], ['modprobe', 'kmod'], ['sysctl', 'procps']] as const) {
    if (!onPath(program)) return Promise.reject(new LabError('LVSHA_LAB_PACKAGE', `'${program}' is not installed; install it with: apt-get install -y ${pkg}`));
  }
  return Promise.resolve();
}

function modprobe(module: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('modprobe', ['-q', module], { timeout: 20_000 }, (err) => {
      resolve(err === null);
    });
  });
}

/** Whether this kernel can run the lab's directors (IPVS, and IPIP for tun). */
export async function kernelHasIpvs(mode: LabMode): Promise<{ ok: boolean; why: string }> {
  if (!existsSync('/proc/net/ip_vs') && !(await modprobe('ip_vs'))) {
    return { ok: false, why: 'this kernel has no IPVS (no /proc/net/ip_vs and modprobe ip_vs failed)' };
  }
  if (mode === 'tun' && !existsSync('/sys/module/ipip') && !(await modprobe('ipip'))) {
    return { ok: false, why: 'this kernel has no IPIP (modprobe ipip failed)' };
  }
  return { ok: existsSync('/proc/net/ip_vs'), why: 'this kernel has no IPVS (/proc/net/ip_vs missing after modprobe)' };
}

export type Where = { readonly kind: 'local' } | { readonly kind: 'vm'; readonly reason: string };

export async function whereToRun(sub: string, forceVm: boolean, mode: LabMode): Promise<Where> {
  const vm = vmLabState(LAB_VM_DIR);
  if (sub !== 'up') return vm === 'none' ? { kind: 'local' } : { kind: 'vm', reason: 'the lab is in the VM' };
  if (vm !== 'none') throw new LabError('LVSHA_LAB_EXISTS', `a lab VM is already ${vm} (${LAB_VM_DIR}); run 'lvs-ha lab down' first`);
  if (readState(LAB_DIR) !== null) throw new LabError('LVSHA_LAB_EXISTS', "a lab is already up; run 'lvs-ha lab down' first");
  if (forceVm) return { kind: 'vm', reason: '--vm given' };
  const k = await kernelHasIpvs(mode);
  return k.ok ? { kind: 'local' } : { kind: 'vm', reason: k.why };
}
