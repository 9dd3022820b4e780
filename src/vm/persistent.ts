/**
 * A persistent VM: booted once (qemu detached, outliving the process that
 * started it), then driven through its run folder by an agent inside (see
 * AGENT_SCRIPT) until stopped. The run folder is shared read-write with the VM
 * at /run/lvk; vm.json there records qemu's pid.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { VmNotRunningError, VmRunDirError, VmRunError } from './errors.js';
import { findKernel, findQemu } from './host.js';
import { ensureInitramfs } from './initramfs.js';
import { CLI_LAUNCHER, PACKAGE_ROOT, VM_DIR } from './paths.js';
import {
  agentTimeoutSeconds, cmdlineHasMarker, decodeVmRecord, encodeArgv, parseExitCode, renderVmRecord,
  runDirLayout, vmStateFrom, type PersistentVmState, type VmRecord,
} from './protocol.js';
import { qemuArgs, renderEnvFile, runShareOption, tail } from './qemu.js';
import { AGENT_SCRIPT } from './scripts.js';

export interface PersistentVmOptions {
  /** Host folder shared with the VM (rw 9p, mounted at /run/lvk inside); created; must not exist or be empty. */
  runDir: string;
  /** Modules modprobe'd in stage 2. */
  modules: readonly string[];
  /** Default 1536. */
  memoryMb?: number;
  /** Until the agent inside says it is ready. */
  bootTimeoutMs: number;
  env?: Readonly<Record<string, string>>;
}

export interface PersistentVm {
  runDir: string;
  pid: number;
  bootMs: number;
}

export interface VmExecOptions {
  timeoutMs: number;
  onStdout?: (s: string) => void;
  onStderr?: (s: string) => void;
}

export interface VmExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const POLL_MS = 150;
/** How long a SIGKILLed qemu may take to disappear. */
const KILL_WAIT_MS = 5_000;
/** How long after a command's timeout the agent has to report its kill. */
const RESULT_GRACE_MS = 15_000;

/** Whether pid is alive and its command line carries the marker (a reused pid does not). */
function isVmProcess(pid: number, marker: string): boolean {
  try {
    return cmdlineHasMarker(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), marker);
  } catch {
    return false;
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function consoleTail(runDir: string): string {
  return tail(readIfExists(runDirLayout(runDir).console) ?? '(no console log)');
}

export function persistentVmStatus(runDir: string): PersistentVmState {
  return vmStateFrom(readIfExists(runDirLayout(resolve(runDir)).vmJson), isVmProcess);
}

async function waitUntilGone(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (isVmProcess(pid, marker)) {
    if (performance.now() >= deadline) return false;
    await sleep(Math.min(POLL_MS, timeoutMs));
  }
  return true;
}

async function killVm(pid: number, marker: string): Promise<boolean> {
  if (!isVmProcess(pid, marker)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  return waitUntilGone(pid, marker, KILL_WAIT_MS);
}

function prepareRunDir(runDir: string, o: PersistentVmOptions): void {
  if (existsSync(runDir) && readdirSync(runDir).length > 0) {
    throw new VmRunDirError(`${runDir} is not empty: a persistent VM needs a new or empty run folder`);
  }
  const layout = runDirLayout(runDir);
  for (const dir of [runDir, layout.queue, layout.running, layout.out]) mkdirSync(dir, { recursive: true });
  writeFileSync(layout.payload, AGENT_SCRIPT);
  writeFileSync(layout.env, renderEnvFile({
    LVK_MODULES: o.modules.join(' '),
    LVK_CWD: PACKAGE_ROOT,
    LVK_NODE: process.execPath,
    LVK_PAYLOAD_TIMEOUT_S: '0', // coreutils timeout 0: the agent runs until stopped
    ...o.env,
  }));
}

/** Starts qemu detached with its console in the run folder; returns its pid. */
function spawnDetached(qemu: string, args: readonly string[], consolePath: string): { pid: number; exited: () => boolean } {
  const fd = openSync(consolePath, 'a');
  let exited = false;
  try {
    const child = spawn(qemu, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => { exited = true; });
    child.once('exit', () => { exited = true; });
    child.unref();
    if (child.pid === undefined) throw new VmRunError(`qemu (${qemu}) failed to start`, '');
    return { pid: child.pid, exited: () => exited };
  } finally {
    closeSync(fd);
  }
}

/** Boots the VM and resolves once the agent inside is ready. */
export async function bootPersistentVm(o: PersistentVmOptions): Promise<PersistentVm> {
  const qemu = findQemu();
  const kernel = findKernel();
  const initrd = ensureInitramfs(kernel, VM_DIR);
  const runDir = resolve(o.runDir);
  const layout = runDirLayout(runDir);
  prepareRunDir(runDir, o);
  const started = performance.now();
  let spawned: ReturnType<typeof spawnDetached>;
  try {
    spawned = spawnDetached(qemu, qemuArgs(kernel.image, initrd, runDir, o.memoryMb ?? 1536), layout.console);
  } catch (err) {
    rmSync(runDir, { recursive: true, force: true }); // it was new or empty: nothing of the caller's is lost
    throw err;
  }
  const { pid, exited } = spawned;
  const record: VmRecord = { version: 1, pid, startedAt: new Date().toISOString(), runDir, marker: runShareOption(runDir) };
  writeFileSync(`${layout.vmJson}.tmp`, renderVmRecord(record));
  renameSync(`${layout.vmJson}.tmp`, layout.vmJson);
  const deadline = started + o.bootTimeoutMs;
  while (!existsSync(layout.ready)) {
    if (exited() || !isVmProcess(pid, record.marker)) {
      throw new VmRunError(`the VM stopped before its agent was ready (console: ${layout.console})`, consoleTail(runDir));
    }
    if (performance.now() >= deadline) {
      const killed = await killVm(pid, record.marker);
      const what = killed ? 'qemu killed' : `qemu pid ${pid} survived SIGKILL`;
      throw new VmRunError(`VM not ready after ${o.bootTimeoutMs} ms (${what})`, consoleTail(runDir));
    }
    await sleep(POLL_MS);
  }
  return { runDir, pid, bootMs: Math.round(performance.now() - started) };
}

/** Reads a file that grows, from where the last read ended, decoding UTF-8 across reads. */
class GrowingFile {
  private offset = 0;
  private readonly decoder = new StringDecoder('utf8');
  private readonly parts: string[] = [];

  constructor(private readonly path: string, private readonly onText: ((s: string) => void) | undefined) {}

  poll(final = false): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size > this.offset) {
        const buf = Buffer.alloc(size - this.offset);
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        this.offset += n;
        this.emit(this.decoder.write(buf.subarray(0, n)));
      }
    } finally {
      closeSync(fd);
    }
    if (final) this.emit(this.decoder.end());
  }

  text(): string {
    return this.parts.join('');
  }

  private emit(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.onText?.(text);
  }
}

function liveRecord(runDir: string): VmRecord {
  const layout = runDirLayout(runDir);
  const text = readIfExists(layout.vmJson);
  const record = text === undefined ? undefined : decodeVmRecord(text);
  if (!record?.ok) throw new VmNotRunningError(`no VM runs for ${runDir} (no usable vm.json)`);
  if (!isVmProcess(record.value.pid, record.value.marker)) {
    throw new VmNotRunningError(`the VM for ${runDir} is not running (qemu pid ${record.value.pid} is gone)`);
  }
  if (!existsSync(layout.ready)) throw new VmNotRunningError(`the VM for ${runDir} is still booting (its agent is not ready)`);
  return record.value;
}

function enqueue(runDir: string, command: readonly string[], timeoutMs: number): string {
  const layout = runDirLayout(runDir);
  const argv = encodeArgv(command);
  const id = `${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = join(layout.queue, `.${id}`); // the agent ignores dot names
  mkdirSync(staging);
  writeFileSync(join(staging, 'argv'), argv);
  writeFileSync(join(staging, 'timeout-s'), `${agentTimeoutSeconds(timeoutMs)}\n`);
  renameSync(staging, join(layout.queue, id));
  return id;
}

/**
 * Runs any command (argv[0] a program on the host's root filesystem) inside
 * the VM as root, cwd the package root, streaming its output. The agent kills
 * it (SIGKILL) after timeoutMs; that ends in a VmRunError.
 */
export async function execCommandInVm(runDir: string, command: readonly string[], o: VmExecOptions): Promise<VmExecResult> {
  const dir = resolve(runDir);
  const record = liveRecord(dir);
  const started = performance.now();
  const id = enqueue(dir, command, o.timeoutMs);
  const outDir = join(runDirLayout(dir).out, id);
  const stdout = new GrowingFile(join(outDir, 'stdout'), o.onStdout);
  const stderr = new GrowingFile(join(outDir, 'stderr'), o.onStderr);
  const shown = JSON.stringify(command);
  for (;;) {
    const codeText = readIfExists(join(outDir, 'exit-code'));
    stdout.poll(codeText !== undefined);
    stderr.poll(codeText !== undefined);
    if (codeText !== undefined) {
      rmSync(outDir, { recursive: true, force: true });
      const code = parseExitCode(codeText);
      if (!code.ok) throw new VmRunError(`bad result for ${shown}: ${code.reason}`, consoleTail(dir));
      const elapsed = performance.now() - started;
      if (code.value === 137 && elapsed >= o.timeoutMs) {
        throw new VmRunError(`${shown} timed out after ${o.timeoutMs} ms (killed inside the VM); stderr tail:\n${tail(stderr.text(), 10)}`, consoleTail(dir));
      }
      return { exitCode: code.value, stdout: stdout.text(), stderr: stderr.text() };
    }
    if (!isVmProcess(record.pid, record.marker)) {
      throw new VmNotRunningError(`the VM for ${dir} stopped while running ${shown}\n${consoleTail(dir)}`);
    }
    if (performance.now() - started > o.timeoutMs + RESULT_GRACE_MS) {
      throw new VmRunError(`no result for ${shown} ${o.timeoutMs + RESULT_GRACE_MS} ms after sending it`, consoleTail(dir));
    }
    await sleep(POLL_MS);
  }
}

/** Runs `<node> <package root>/bin/lvs-ha.js ...argv` inside the VM as root, cwd the package root. */
export function execInVm(runDir: string, argv: readonly string[], o: VmExecOptions): Promise<VmExecResult> {
  return execCommandInVm(runDir, [process.execPath, CLI_LAUNCHER, ...argv], o);
}

/** Asks the agent to power the VM off; SIGKILLs qemu if it is still alive after timeoutMs; removes runDir. */
export async function stopPersistentVm(runDir: string, o: { timeoutMs: number }): Promise<void> {
  const dir = resolve(runDir);
  const layout = runDirLayout(dir);
  const text = readIfExists(layout.vmJson);
  if (text === undefined) {
    if (!existsSync(dir)) return;
    if (readdirSync(dir).length > 0) throw new VmRunDirError(`${dir} has no vm.json: not a persistent VM's run folder (left in place)`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const record = decodeVmRecord(text);
  if (!record.ok) throw new VmRunDirError(`${layout.vmJson}: ${record.reason} (left in place)`);
  const { pid, marker } = record.value;
  if (isVmProcess(pid, marker)) {
    writeFileSync(layout.stop, '');
    const gone = (await waitUntilGone(pid, marker, o.timeoutMs)) || (await killVm(pid, marker));
    if (!gone) throw new VmRunError(`qemu pid ${pid} survived SIGKILL; ${dir} left in place`, consoleTail(dir));
  }
  rmSync(dir, { recursive: true, force: true });
}
