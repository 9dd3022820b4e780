/**
 * Exec check: runs argv through src/os/process.ts (never a shell, as the
 * unprivileged script user, in its own process group, killed whole at the
 * check's timeout and after every run). Exit 0 is up, anything else down; with
 * dynamic weight, see exitVerdict.
 */
import { abortText, type Checker, type NowMs } from './types.js';
import type { UserIds } from '../../os/accounts.js';
import { firstLine, runProcess } from '../../os/process.js';

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

export function execChecker(spec: ExecCheckSpec, now: NowMs): Checker {
  return async (signal) => {
    const start = now();
    const file = spec.command[0];
    if (file === undefined) return { ok: false, latencyMs: 0, reason: 'empty command' };
    if (signal.aborted) return { ok: false, latencyMs: 0, reason: abortText(signal) };
    const outcome = await runProcess({ argv: spec.command, user: spec.user, env: spec.env, keepStderr: spec.maxOutputBytes ?? 4096, signal });
    const latencyMs = now() - start;
    switch (outcome.kind) {
      case 'aborted':
      case 'timeout':
        return { ok: false, latencyMs, reason: `${abortText(signal)}, process group killed` };
      case 'spawn_error':
        return { ok: false, latencyMs, reason: `spawn ${file}: ${outcome.message}` };
      case 'signal':
        return { ok: false, latencyMs, reason: `killed by ${outcome.signal}` };
      case 'exit': {
        const v = exitVerdict(outcome.code, spec.dynamicWeight);
        if (v.ok) return v.weight === undefined ? { ok: true, latencyMs } : { ok: true, latencyMs, weight: v.weight };
        const detail = firstLine(outcome.stderr);
        return { ok: false, latencyMs, reason: `exit ${String(outcome.code)}${detail ? `: ${detail}` : ''}` };
      }
    }
  };
}
