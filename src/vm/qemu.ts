/**
 * What the throwaway and the persistent VM share: qemu's command line, the
 * env.sh stage 2 sources, and text helpers.
 */
import { VmRequestError } from './errors.js';

/** Modules stage 2 loads with modprobe unless the caller says otherwise. */
export const DEFAULT_VM_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'veth', 'bridge'] as const;

/** The 9p mount tag of the writable run folder (also how a VM's qemu is recognised in /proc). */
export const RUN_TAG = 'lvkrun';

export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** env.sh: one exported assignment per variable, values single-quoted. */
export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  const lines = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new VmRequestError(`invalid environment variable name: ${k}`);
    return `${k}=${shellQuote(v)}; export ${k}`;
  });
  return lines.join('\n') + '\n';
}

/** qemu option values double their commas. */
export function qemuEscape(value: string): string {
  return value.replaceAll(',', ',,');
}

/** The string a VM's qemu command line holds for its run folder (see isVmProcess). */
export function runShareOption(runDir: string): string {
  return `local,path=${qemuEscape(runDir)},mount_tag=${RUN_TAG},security_model=none`;
}

export function qemuArgs(kernelImage: string, initrd: string, runDir: string, memoryMb: number): string[] {
  return [
    '-accel', 'tcg,thread=multi', '-cpu', 'max', '-m', String(memoryMb), '-smp', '2',
    '-nographic', '-no-reboot', '-nic', 'none',
    '-kernel', kernelImage, '-initrd', initrd,
    // lvsha_vm=1 tells code inside that this kernel is a throwaway VM's (lab chaos unloads ip_vs only there).
    '-append', 'console=ttyS0 quiet panic=-1 rdinit=/init lvsha_vm=1',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', runShareOption(runDir),
  ];
}
