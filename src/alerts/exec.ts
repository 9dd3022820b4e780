/**
 * Exec alert delivery: run argv (no shell) in its own process group with the
 * alert payload as JSON on stdin. Exit 0 is delivered, anything else is a
 * retryable failure. When the attempt's signal aborts (timeout), the whole
 * group is killed.
 */
import { spawn } from 'node:child_process';
import type { UserIds } from '../os/accounts.js';
import type { AlertPayload } from './events.js';
import type { Attempt, Deliver } from './queue.js';

export interface ExecSinkSpec {
  readonly command: readonly string[];
  readonly user: UserIds | null;
}

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function execDelivery(spec: ExecSinkSpec): Deliver {
  return (payload: AlertPayload, signal: AbortSignal): Promise<Attempt> => {
    const [file, ...args] = spec.command;
    if (file === undefined) return Promise.resolve({ ok: false, reason: 'empty command', retryable: false });
    return new Promise<Attempt>((resolve) => {
      const child = spawn(file, args, {
        shell: false,
        detached: true,
        stdio: ['pipe', 'ignore', 'pipe'],
        cwd: '/',
        env: { PATH: SAFE_PATH, HOME: spec.user?.home ?? '/', LVS_HA_EVENT: payload.event },
        ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
      });
      let stderr = '';
      let settled = false;
      const finish = (attempt: Attempt): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        killGroup(child.pid);
        resolve(attempt);
      };
      const onAbort = (): void => {
        killGroup(child.pid);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      child.stderr.on('data', (c: Buffer) => {
        if (stderr.length < 1024) stderr += c.toString('utf8');
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${JSON.stringify(payload)}\n`);
      child.once('error', (e) => {
        finish({ ok: false, reason: `spawn ${file}: ${e.message}`, retryable: false });
      });
      child.once('exit', (code, sig) => {
        if (code === 0) {
          finish({ ok: true });
          return;
        }
        const detail = stderr.trim().split('\n')[0] ?? '';
        const what = code === null ? `killed by ${sig ?? 'signal'}` : `exit ${String(code)}`;
        finish({ ok: false, reason: detail ? `${what}: ${detail}` : what, retryable: true });
      });
    });
  };
}
