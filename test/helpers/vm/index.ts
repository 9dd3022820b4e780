export { runInVm, describeRun, assertBuilt, tail, REPO_ROOT, VM_DIR, DEFAULT_VM_MODULES, VmRunError } from './run-in-vm.js';
export type { VmRunOptions, VmRunResult } from './run-in-vm.js';
export { findKernel, findQemu, findBusybox, VmHostError, APT_HINT } from './host.js';
