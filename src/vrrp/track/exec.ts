/**
 * Runs one script the way every lvs-ha script runs (docs/configuration.md `scripts`): argv, never
 * a shell; as the unprivileged script user; detached in its own process group, which is killed
 * (SIGKILL) at the timeout and after the leader exits, so nothing is left behind. Output is
 * discarded except the first line of stderr, kept for the log.
 */
import { spawn } from 'node:child_process';
import type { Clock } from '../../core/clock.js';

export interface ScriptUser {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export interface ScriptRun {
  readonly argv: readonly string[];
  /** null: run as the daemon's own user (unit tests only; the daemon always passes a user). */
  readonly user: ScriptUser | null;
  readonly timeoutMs: number;
  readonly env?: Readonly<Record<string, string>>;
  /** Aborting kills the process group at once (engine stop). */
  readonly signal?: AbortSignal;
}

export type ScriptOutcome =
  | { readonly kind: 'exit'; readonly code: number; readonly stderr: string }
  | { readonly kind: 'signal'; readonly signal: string; readonly stderr: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'spawn_error'; readonly message: string };

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const STDERR_KEEP = 512;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: already gone
  }
}

export function runScript(clock: Clock, run: ScriptRun): Promise<ScriptOutcome> {
  const [file, ...args] = run.argv;
  if (file === undefined) return Promise.resolve({ kind: 'spawn_error', message: 'empty command' });
  if (run.signal?.aborted === true) return Promise.resolve({ kind: 'aborted' });
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      shell: false,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: '/',
      env: { PATH: SAFE_PATH, HOME: run.user?.home ?? '/', ...run.env },
      ...(run.user ? { uid: run.user.uid, gid: run.user.gid } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += chunk.toString('utf8').slice(0, STDERR_KEEP - stderr.length);
    });
    let settled = false;
    const finish = (outcome: ScriptOutcome): void => {
      if (settled) return;
      settled = true;
      cancelTimer();
      run.signal?.removeEventListener('abort', onAbort);
      killGroup(child.pid);
      child.stderr.destroy();
      resolve(outcome);
    };
    const cancelTimer = clock.setTimer(run.timeoutMs, () => {
      finish({ kind: 'timeout' });
    });
    const onAbort = (): void => {
      finish({ kind: 'aborted' });
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => {
      finish({ kind: 'spawn_error', message: err.message });
    });
    child.once('exit', (code, signal) => {
      const firstLine = stderr.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
      finish(code === null ? { kind: 'signal', signal: signal ?? 'unknown', stderr: firstLine } : { kind: 'exit', code, stderr: firstLine });
    });
  });
}

export function describeOutcome(outcome: ScriptOutcome): string {
  switch (outcome.kind) {
    case 'exit':
      return `exit ${String(outcome.code)}${outcome.stderr ? `: ${outcome.stderr}` : ''}`;
    case 'signal':
      return `killed by ${outcome.signal}`;
    case 'timeout':
      return 'timed out, process group killed';
    case 'aborted':
      return 'stopped with the engine, process group killed';
    case 'spawn_error':
      return `cannot start: ${outcome.message}`;
  }
}
