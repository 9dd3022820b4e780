/**
 * The VM with Debian's kernel (real IPVS) for hosts whose own kernel has none:
 * a throwaway run (runInVm: boot, one payload, power off) and a persistent VM
 * (boot once, run lvs-ha commands in it, stop).
 */
export { runInVm, describeRun, assertBuilt, REPO_ROOT } from './run-in-vm.js';
export type { VmRunOptions, VmRunResult } from './run-in-vm.js';
export { bootPersistentVm, execInVm, execCommandInVm, stopPersistentVm, persistentVmStatus } from './persistent.js';
export type { PersistentVm, PersistentVmOptions, VmExecOptions, VmExecResult } from './persistent.js';
export type { PersistentVmState } from './protocol.js';
export { findKernel, findQemu, findBusybox } from './host.js';
export type { VmKernel } from './host.js';
export { APT_HINT, VmHostError, VmNotRunningError, VmRequestError, VmRunDirError, VmRunError } from './errors.js';
export { DEFAULT_VM_MODULES, tail } from './qemu.js';
export { PACKAGE_ROOT, VM_DIR } from './paths.js';
