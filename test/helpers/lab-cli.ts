/** `lvs-ha lab ...` as an operator runs it, for the kernel-tier lab tests. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LAB_VM_DIR } from '../../src/lab/vm.js';
import { REPO_ROOT } from './vm/index.js';

export interface LabRun { code: number; stdout: string; stderr: string }

export function lab(args: readonly string[], timeoutMs = 900_000): Promise<LabRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/lvs-ha.js', 'lab', ...args], { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 99;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A run's stdout as JSON; an error quoting both streams when it is not. */
export function labJson(r: LabRun): unknown {
  try {
    return JSON.parse(r.stdout) as unknown;
  } catch {
    throw new Error(`not JSON (exit ${String(r.code)}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}

/** A failed test must not leave its VM for the next one: `lab down` in finally (a no-op after a clean down). */
export const cleanly = (body: () => Promise<void>) => async (): Promise<void> => {
  try {
    await body();
  } finally {
    if (existsSync(LAB_VM_DIR)) await lab(['down']);
  }
};
