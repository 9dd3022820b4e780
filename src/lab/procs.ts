/**
 * Commands and processes of the lab (OS adapter): run a command with a bounded
 * time and a clear error, start a detached program inside a namespace with its
 * output in a log file, and tell whether a recorded process is still the one
 * we started (pid plus start time, so a reused pid is never killed).
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { LvsHaError } from '../core/errors.js';

export class LabError extends LvsHaError {
  constructor(readonly code: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

const DEFAULT_TIMEOUT_MS = 20_000;

/** Runs a command; resolves with stdout, rejects with a LabError carrying its stderr. */
export function sh(cmd: string, args: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err === null) {
        resolve(stdout);
        return;
      }
      // A command that reports its problem on stdout (a check) is quoted from there.
      const out = [stderr.trim(), stdout.trim()].filter((t) => t !== '').join('\n');
      const killed = err.killed ? ` (killed after ${String(timeoutMs / 1000)} s)` : '';
      const why = out !== '' ? `${err.message.split('\n')[0] ?? ''}${killed}\n${out}` : `${err.message}${killed}`;
      reject(new LabError('LVSHA_LAB_COMMAND', `${cmd} ${args.join(' ')}: ${why}`, { cause: err }));
    });
  });
}

/** `ip netns exec NS CMD...` */
export function inNetns(netns: string, cmd: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  return sh('ip', ['netns', 'exec', netns, cmd, ...args], timeoutMs);
}

/** `ip netns exec NS ARGV...` with argv as one array (program first). */
export function inNetnsArgv(netns: string, argv: readonly string[], timeoutMs?: number): Promise<string> {
  return sh('ip', ['netns', 'exec', netns, ...argv], timeoutMs);
}

export interface ProcessRecord {
  readonly name: string;
  readonly netns: string;
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): identifies this process, not just its pid. */
  readonly startTicks: string;
  readonly argv: readonly string[];
  readonly log: string;
}

/** Start time of a process from /proc, or null when there is no such process. */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function isAlive(p: ProcessRecord): boolean {
  return processStartTicks(p.pid) === p.startTicks;
}

/**
 * Starts `argv` inside `netns`, detached from this process (it outlives the
 * CLI), stdout and stderr appended to `log`. `ip netns exec` execs the program,
 * so the pid recorded is the program's own.
 */
export function startDetached(name: string, netns: string, argv: readonly string[], log: string): ProcessRecord {
  const fd = openSync(log, 'a', 0o600);
  try {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { detached: true, stdio: ['ignore', fd, fd] });
    const pid = child.pid;
    if (pid === undefined) throw new LabError('LVSHA_LAB_SPAWN', `could not start ${name} (${argv.join(' ')})`);
    child.unref();
    const startTicks = processStartTicks(pid);
    if (startTicks === null) throw new LabError('LVSHA_LAB_SPAWN', `${name} exited at once; see ${log}`);
    return { name, netns, pid, startTicks, argv, log };
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. Never signals a reused pid. */
export async function stopProcess(p: ProcessRecord, graceMs: number): Promise<void> {
  if (!isAlive(p)) return;
  process.kill(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(p) && Date.now() < deadline) await sleep(50);
  if (isAlive(p)) {
    process.kill(p.pid, 'SIGKILL');
    const hard = Date.now() + 5_000;
    while (isAlive(p) && Date.now() < hard) await sleep(50);
  }
}

/** Polls `probe` until it returns a non-null value or the time is up (then null). */
export async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, everyMs = 200): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A LabError is a verdict (e.g. a lab process died): stop waiting. Anything else: not yet.
    const value = await probe().catch((err: unknown) => {
      if (err instanceof LabError) throw err;
      return null;
    });
    if (value !== null) return value;
    if (Date.now() >= deadline) return null;
    await sleep(everyMs);
  }
}

/** Last lines of a log file, for error messages. */
export function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
