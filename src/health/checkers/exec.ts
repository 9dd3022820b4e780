/**
 * Exec check: runs argv (never through a shell) as an unprivileged user, in
 * its own process group. On timeout the whole group is killed with SIGKILL;
 * after every run the group is killed too, so a check never leaves processes
 * behind. Exit 0 is up, anything else down; with dynamic weight, see
 * exitVerdict.
 */
import { spawn } from 'node:child_process';
import type { CheckResult } from '../hysteresis.js';
import { abortText, type Checker, type NowMs } from './types.js';
import type { UserIds } from '../../os/accounts.js';

export interface ExecCheckSpec {
  readonly command: readonly string[];
  /** Run as this user; null runs as the daemon's own user (tests only). */
  readonly user: UserIds | null;
  readonly dynamicWeight: boolean;
  /** Extra environment (e.g. LVS_HA_RS_ADDRESS, LVS_HA_RS_PORT). */
  readonly env: Readonly<Record<string, string>>;
  /** Bytes of stdout/stderr kept from each run (the rest is discarded). */
  readonly maxOutputBytes?: number;
}

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** After the leader exits, how long to wait for its pipes to close. */
const CLOSE_GRACE_MS = 200;

/**
 * Verdict from an exit status. Without dynamic weight: 0 up, else down.
 * With dynamic weight (the keepalived misc_dynamic convention): 0 up with the
 * configured weight, 1 down, 2..255 up with weight = status - 2.
 */
export function exitVerdict(code: number, dynamicWeight: boolean): { ok: boolean; weight?: number } {
  if (code === 0) return { ok: true };
  if (!dynamicWeight || code === 1) return { ok: false };
  return { ok: true, weight: code - 2 };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone
  }
}

function collector(max: number) {
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

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.trim().slice(0, 200);
}

export function execChecker(spec: ExecCheckSpec, now: NowMs): Checker {
  return (signal) => runExec(spec, now, signal);
}

function runExec(spec: ExecCheckSpec, now: NowMs, signal: AbortSignal): Promise<CheckResult> {
  const start = now();
  const [file, ...args] = spec.command;
  if (file === undefined) return Promise.resolve({ ok: false, latencyMs: 0, reason: 'empty command' });
  if (signal.aborted) return Promise.resolve({ ok: false, latencyMs: 0, reason: abortText(signal) });
  return new Promise<CheckResult>((resolve) => {
    const child = spawn(file, args, {
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
      env: { PATH: SAFE_PATH, HOME: spec.user?.home ?? '/', ...spec.env },
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    });
    const max = spec.maxOutputBytes ?? 4096;
    const out = collector(max);
    const err = collector(max);
    child.stdout.on('data', (c: Buffer) => { out.push(c); });
    child.stderr.on('data', (c: Buffer) => { err.push(c); });
    let exit: { code: number | null; sig: NodeJS.Signals | null } | null = null;
    let done = false;
    const finish = (result: CheckResult): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) killGroup(child.pid);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(result);
    };
    const onAbort = (): void => {
      if (child.pid !== undefined) killGroup(child.pid);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      finish({ ok: false, latencyMs: now() - start, reason: `spawn ${file}: ${e.message}` });
    });
    child.once('exit', (code, sig) => {
      exit = { code, sig };
      if (child.pid !== undefined) killGroup(child.pid);
      setTimeout(() => { finish(resultOf(spec, exit, signal, err.text(), now() - start)); }, CLOSE_GRACE_MS).unref();
    });
    child.once('close', () => {
      finish(resultOf(spec, exit, signal, err.text(), now() - start));
    });
  });
}

function resultOf(
  spec: ExecCheckSpec,
  exit: { code: number | null; sig: NodeJS.Signals | null } | null,
  signal: AbortSignal,
  stderr: string,
  latencyMs: number,
): CheckResult {
  if (signal.aborted) return { ok: false, latencyMs, reason: `${abortText(signal)}, process group killed` };
  if (exit === null) return { ok: false, latencyMs, reason: 'no exit status' };
  if (exit.code === null) return { ok: false, latencyMs, reason: `killed by ${exit.sig ?? 'signal'}` };
  const v = exitVerdict(exit.code, spec.dynamicWeight);
  const detail = firstLine(stderr);
  if (v.ok) return v.weight === undefined ? { ok: true, latencyMs } : { ok: true, latencyMs, weight: v.weight };
  return { ok: false, latencyMs, reason: `exit ${String(exit.code)}${detail ? `: ${detail}` : ''}` };
}
