/**
 * Exec alert delivery: runs argv through src/os/process.ts (never a shell, as
 * the script user, in its own process group) with the alert payload as JSON on
 * stdin and LVS_HA_EVENT in the environment. Exit 0 is delivered, anything else
 * a retryable failure (a program that cannot start is not retried). When the
 * attempt's signal aborts (timeout), the whole group is killed.
 */
import type { UserIds } from '../os/accounts.js';
import { firstLine, runProcess } from '../os/process.js';
import type { AlertPayload } from './events.js';
import type { Attempt, Deliver } from './queue.js';

export interface ExecSinkSpec {
  readonly command: readonly string[];
  readonly user: UserIds | null;
}

export function execDelivery(spec: ExecSinkSpec): Deliver {
  return async (payload: AlertPayload, signal: AbortSignal): Promise<Attempt> => {
    const file = spec.command[0];
    if (file === undefined) return { ok: false, reason: 'empty command', retryable: false };
    const outcome = await runProcess({
      argv: spec.command, user: spec.user, env: { LVS_HA_EVENT: payload.event }, stdin: `${JSON.stringify(payload)}\n`, keepStderr: 1024, signal,
    });
    switch (outcome.kind) {
      case 'exit': {
        if (outcome.code === 0) return { ok: true };
        const detail = firstLine(outcome.stderr);
        return { ok: false, reason: detail ? `exit ${String(outcome.code)}: ${detail}` : `exit ${String(outcome.code)}`, retryable: true };
      }
      case 'signal':
        return { ok: false, reason: `killed by ${outcome.signal}`, retryable: true };
      case 'aborted':
      case 'timeout':
        return { ok: false, reason: 'attempt timed out, process group killed', retryable: true };
      case 'spawn_error':
        return { ok: false, reason: `spawn ${file}: ${outcome.message}`, retryable: false };
    }
  };
}
