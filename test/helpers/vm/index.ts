// The VM harness lives in src/vm (the lab runs it from dist/); tests import it from here.
export { runInVm, describeRun, assertBuilt, tail, REPO_ROOT, VM_DIR, DEFAULT_VM_MODULES, VmRunError } from '../../../src/vm/index.js';
export type { VmRunOptions, VmRunResult } from '../../../src/vm/index.js';
export { findKernel, findQemu, findBusybox, VmHostError, APT_HINT } from '../../../src/vm/index.js';
