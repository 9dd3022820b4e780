/**
 * Typed errors of the throwaway / persistent VM, each with a stable code.
 */
import { LvsHaError } from '../core/errors.js';

export const APT_HINT =
  'apt-get install -y --no-install-recommends qemu-system-x86 linux-image-amd64 busybox-static kmod ipvsadm';

/** The host cannot run the VM; the message says what to do. */
export class VmHostError extends LvsHaError {
  readonly code = 'LVSHA_VM_HOST';
  constructor(message: string, options: { aptHint?: boolean } = {}) {
    const hint = `\nInstall the kernel-tier packages as root: ${APT_HINT} (or run: bash test/setup-host.sh)`;
    super(options.aptHint === false ? message : `${message}${hint}`);
  }
}

/** The VM did not deliver a result (timeout, qemu failure, early stop). */
export class VmRunError extends LvsHaError {
  readonly code = 'LVSHA_VM_RUN';
  constructor(message: string, readonly consoleTail: string) {
    super(`${message}\n--- VM console (tail) ---\n${consoleTail}`);
  }
}

/** A command was sent to a persistent VM that is not running (never booted, stopped or dead). */
export class VmNotRunningError extends LvsHaError {
  readonly code = 'LVSHA_VM_NOT_RUNNING';
}

/** The run folder of a persistent VM cannot be used (not empty, or not a VM's folder). */
export class VmRunDirError extends LvsHaError {
  readonly code = 'LVSHA_VM_RUN_DIR';
}

/** A request the VM cannot carry (an argument with a NUL byte, a bad variable name, too large). */
export class VmRequestError extends LvsHaError {
  readonly code = 'LVSHA_VM_REQUEST';
}
