/**
 * runInVm: boots a throwaway qemu VM (TCG, never KVM) with Debian's kernel, the
 * host's root shared read-only over 9p and a writable run folder, runs a shell
 * payload inside it as root and returns what it printed and its exit code.
 *
 * Layout under <package root>/.vm/ (gitignored): initramfs-*.cpio and
 * stage2-*.sh (cached), runs/<name>/{env.sh,payload.sh,stdout,stderr,exit-code,console.log}.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VmHostError, VmRunError } from './errors.js';
import { findKernel, findQemu } from './host.js';
import { ensureInitramfs } from './initramfs.js';
import { PACKAGE_ROOT, VM_DIR } from './paths.js';
import { DEFAULT_VM_MODULES, qemuArgs, renderEnvFile, tail } from './qemu.js';

/** The package root (the checkout under test); the payload's working directory. */
export const REPO_ROOT = PACKAGE_ROOT;
export { DEFAULT_VM_MODULES, tail, VM_DIR, VmRunError };

export interface VmRunOptions {
  /** The payload: an inline shell script (run with /bin/sh, cwd = repo root). */
  script?: string;
  /** Or a path to a payload script (absolute or relative to the repo root). */
  scriptFile?: string;
  /** Kills qemu after this long. */
  timeoutMs: number;
  /** Run folder name under .vm/runs/ (use the test's prefix, e.g. "lvk-info"). */
  name?: string;
  /** Modules to modprobe before the payload (default DEFAULT_VM_MODULES). */
  modules?: readonly string[];
  /** Extra files written to the run folder ($LVK_RESULTS in the VM), by name. */
  files?: Readonly<Record<string, string>>;
  /** Extra environment variables for the payload. */
  env?: Readonly<Record<string, string>>;
  memoryMb?: number;
}

export interface VmRunResult {
  /** The payload's exit code. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The whole serial console (kernel, stage 1, stage 2). */
  console: string;
  runDir: string;
  /** Wall time from qemu start to stage 2 being up. */
  bootMs: number | undefined;
  /** Wall time from qemu start to qemu exit. */
  totalMs: number;
  /** Reads a file the payload wrote to $LVK_RESULTS. */
  readResult(file: string): string;
}

/** A failure message for assertions: exit code, stderr and the console tail. */
export function describeRun(r: VmRunResult): string {
  return `payload exit ${r.exitCode}\n--- stderr ---\n${tail(r.stderr)}\n--- console (tail) ---\n${tail(r.console)}\n(full log: ${join(r.runDir, 'console.log')})`;
}

/** Throws a clear error unless `npm run build` has produced these files. */
export function assertBuilt(relativePaths: readonly string[]): void {
  for (const rel of relativePaths) {
    if (!existsSync(join(REPO_ROOT, rel))) {
      throw new VmHostError(`${rel} is missing: the VM runs the compiled code; run \`npm run build\` first`, { aptHint: false });
    }
  }
}

function prepareRunDir(options: VmRunOptions): string {
  const runDir = join(VM_DIR, 'runs', options.name ?? 'lvk-run');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  let payload: string;
  if (options.script !== undefined) payload = options.script;
  else if (options.scriptFile !== undefined) payload = readFileSync(resolve(REPO_ROOT, options.scriptFile), 'utf8');
  else throw new VmHostError('runInVm needs script or scriptFile', { aptHint: false });
  writeFileSync(join(runDir, 'payload.sh'), payload);
  for (const [file, text] of Object.entries(options.files ?? {})) writeFileSync(join(runDir, file), text);
  const env: Record<string, string> = {
    LVK_MODULES: (options.modules ?? DEFAULT_VM_MODULES).join(' '),
    LVK_CWD: REPO_ROOT,
    LVK_NODE: process.execPath,
    // Inside the VM the payload is killed a little before qemu would be, so a
    // hung payload still leaves its stdout/stderr and exit code (137) behind.
    LVK_PAYLOAD_TIMEOUT_S: String(Math.max(5, Math.floor((options.timeoutMs * 0.8) / 1000))),
    ...options.env,
  };
  writeFileSync(join(runDir, 'env.sh'), renderEnvFile(env));
  return runDir;
}

interface QemuRun {
  outcome: 'exited' | 'timeout' | Error;
  console: string;
  bootMs: number | undefined;
  totalMs: number;
}

/** Runs qemu to its exit (or kills it at the timeout), teeing the console to a log file. */
async function runQemu(qemu: string, args: readonly string[], consolePath: string, timeoutMs: number): Promise<QemuRun> {
  const logStream = createWriteStream(consolePath);
  const started = performance.now();
  let consoleText = '';
  let bootMs: number | undefined;
  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (chunk: Buffer): void => {
    consoleText += chunk.toString('utf8');
    logStream.write(chunk);
    if (bootMs === undefined && consoleText.includes('lvk-stage2: up')) bootMs = performance.now() - started;
  };
  const killOnExit = (): void => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const outcome = await new Promise<QemuRun['outcome']>((resolveOutcome) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL'); // resolved by the exit event below, once qemu is really gone
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolveOutcome(err);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolveOutcome(timedOut ? 'timeout' : 'exited');
    });
  });
  process.off('exit', killOnExit);
  await new Promise<void>((done) => logStream.end(done));
  return { outcome, console: consoleText, bootMs, totalMs: performance.now() - started };
}

/** Boots the VM, runs the payload, powers off. One call = one VM boot. */
export async function runInVm(options: VmRunOptions): Promise<VmRunResult> {
  const qemu = findQemu();
  const kernel = findKernel();
  const initrd = ensureInitramfs(kernel, VM_DIR);
  const runDir = prepareRunDir(options);
  const args = qemuArgs(kernel.image, initrd, runDir, options.memoryMb ?? 1024);
  const run = await runQemu(qemu, args, join(runDir, 'console.log'), options.timeoutMs);
  const consoleTail = tail(run.console);
  if (run.outcome === 'timeout') throw new VmRunError(`VM timed out after ${options.timeoutMs} ms (qemu killed)`, consoleTail);
  if (run.outcome instanceof Error) throw new VmRunError(`qemu failed to start: ${run.outcome.message}`, consoleTail);
  const read = (file: string): string => readFileSync(join(runDir, file), 'utf8');
  if (!existsSync(join(runDir, 'exit-code'))) {
    throw new VmRunError('the VM stopped before the payload finished (no exit-code)', consoleTail);
  }
  return {
    exitCode: Number.parseInt(read('exit-code').trim(), 10),
    stdout: read('stdout'),
    stderr: read('stderr'),
    console: run.console,
    runDir,
    bootMs: run.bootMs,
    totalMs: run.totalMs,
    readResult: read,
  };
}
