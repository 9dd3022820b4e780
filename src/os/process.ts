/**
 * Runs one program the way every lvs-ha script runs (health-check `exec`,
 * VRRP tracking scripts, notify commands, `exec` alert sinks): an argv array,
 * never a shell; as the unprivileged script user (uid 0 is refused where the
 * user is resolved, src/os/accounts.ts); cwd `/`, a fixed PATH and only the
 * environment the caller names; detached in its own process group, which is
 * killed (SIGKILL) at the timeout, on abort and after the leader exits, so a
 * script never leaves processes behind. Output is kept up to a bound per
 * stream; stdin is either a given text or nothing.
 */
import { spawn } from 'node:child_process';
import type { Clock } from '../core/clock.js';
import type { UserIds } from './accounts.js';

export type ProcessUser = Pick<UserIds, 'uid' | 'gid' | 'home'>;

export interface ProcessRun {
  readonly argv: readonly string[];
  /** null: run as the daemon's own user (unit tests only; the daemon always passes a user). */
  readonly user: ProcessUser | null;
  readonly env?: Readonly<Record<string, string>>;
  /** Written to stdin, which is then closed; absent: no stdin. */
  readonly stdin?: string;
  /** Bytes of stdout kept (0, the default: stdout is discarded). */
  readonly keepStdout?: number;
  /** Bytes of stderr kept (default 4096). */
  readonly keepStderr?: number;
  /** Aborting kills the process group at once. */
  readonly signal?: AbortSignal;
  /** A time limit on the injected clock (the caller may use `signal` instead). */
  readonly timeout?: { readonly clock: Clock; readonly ms: number };
}

export type ProcessOutcome =
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'signal'; readonly signal: string; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'spawn_error'; readonly message: string };

export const SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** After the leader exits, how long to wait for its pipes to close (a grandchild may hold them). */
const CLOSE_GRACE_MS = 200;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone
  }
}

function collector(max: number): { push(chunk: Buffer): void; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk: Buffer): void {
      if (size >= max) return;
      const part = chunk.subarray(0, max - size);
      chunks.push(part);
      size += part.length;
    },
    text: (): string => Buffer.concat(chunks).toString('utf8'),
  };
}

/** The first non-empty line of a text, trimmed and cut to 200 characters (for logs and reasons). */
export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 200);
}

export function runProcess(run: ProcessRun): Promise<ProcessOutcome> {
  const [file, ...args] = run.argv;
  if (file === undefined) return Promise.resolve({ kind: 'spawn_error', message: 'empty command' });
  if (run.signal?.aborted === true) return Promise.resolve({ kind: 'aborted' });
  const keepStdout = run.keepStdout ?? 0;
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      shell: false,
      detached: true,
      stdio: [run.stdin === undefined ? 'ignore' : 'pipe', keepStdout > 0 ? 'pipe' : 'ignore', 'pipe'],
      cwd: '/',
      env: { PATH: SCRIPT_PATH, HOME: run.user?.home ?? '/', ...run.env },
      ...(run.user ? { uid: run.user.uid, gid: run.user.gid } : {}),
    });
    const out = collector(keepStdout);
    const err = collector(run.keepStderr ?? 4096);
    child.stdout?.on('data', (c: Buffer) => { out.push(c); });
    child.stderr?.on('data', (c: Buffer) => { err.push(c); });
    if (run.stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(run.stdin);
    }
    let exit: { code: number | null; sig: NodeJS.Signals | null } | null = null;
    let settled = false;
    const finish = (outcome: ProcessOutcome): void => {
      if (settled) return;
      settled = true;
      cancelTimer?.();
      run.signal?.removeEventListener('abort', onAbort);
      killGroup(child.pid);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(outcome);
    };
    const exited = (): ProcessOutcome => {
      if (exit === null) return { kind: 'spawn_error', message: 'no exit status' };
      return exit.code === null
        ? { kind: 'signal', signal: exit.sig ?? 'unknown', stdout: out.text(), stderr: err.text() }
        : { kind: 'exit', code: exit.code, stdout: out.text(), stderr: err.text() };
    };
    const cancelTimer = run.timeout ? run.timeout.clock.setTimer(run.timeout.ms, () => { finish({ kind: 'timeout' }); }) : null;
    const onAbort = (): void => { finish({ kind: 'aborted' }); };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => { finish({ kind: 'spawn_error', message: e.message }); });
    child.once('exit', (code, sig) => {
      exit = { code, sig };
      killGroup(child.pid);
      setTimeout(() => { finish(exited()); }, CLOSE_GRACE_MS).unref();
    });
    child.once('close', () => { finish(exited()); });
  });
}

export function describeProcessOutcome(outcome: ProcessOutcome): string {
  switch (outcome.kind) {
    case 'exit': {
      const detail = firstLine(outcome.stderr);
      return `exit ${String(outcome.code)}${detail ? `: ${detail}` : ''}`;
    }
    case 'signal':
      return `killed by ${outcome.signal}`;
    case 'timeout':
      return 'timed out, process group killed';
    case 'aborted':
      return 'stopped, process group killed';
    case 'spawn_error':
      return `cannot start: ${outcome.message}`;
  }
}
