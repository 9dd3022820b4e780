/**
 * Which VIPs this director announces, and why (pure).
 *
 * A VIP is announced only while all of these hold:
 * - the daemon runs (not starting up without a first verdict, not stopping);
 * - the VIPs' device exists (the VIP addresses are local to this node);
 * - the node is not in maintenance (`lvs-ha maintenance on`);
 * - every virtual server on that address holds quorum (src/health/quorum.ts):
 *   `unknown` (first checks still pending) and `lost` both withdraw, so a
 *   director that joins announces only after its first checks passed, and one
 *   that lost its real servers stops attracting flows it cannot serve.
 *   Pending checks never withdraw a route the kernel already holds, though:
 *   after a restart (or a reload adding a virtual server on an announced VIP)
 *   the announcement stays as it was until the first verdict, so a restart
 *   changes nothing that was right.
 * Each VIP's state changes only when the verdict changes; `since` is the time
 * of the last change, not of the last evaluation.
 */
import type { QuorumState } from '../health/quorum.js';

export type NodePhase = 'running' | 'stopping';

export interface AnnounceInput {
  readonly phase: NodePhase;
  readonly maintenance: boolean;
  /** Why the VIPs cannot live here now (the device is missing), or null. */
  readonly deviceProblem: string | null;
  /** VIP -> names of the virtual servers on it, in config order. */
  readonly vips: ReadonlyMap<string, readonly string[]>;
  readonly quorum: (virtualServer: string) => QuorumState;
  /** Whether the kernel holds this VIP's announcement route now (ours, read back). */
  readonly inKernel: (vip: string) => boolean;
}

export interface Verdict {
  readonly announce: boolean;
  /** Why, in words an operator reads in `status`. */
  readonly reason: string;
}

export function decide(input: AnnounceInput): Map<string, Verdict> {
  const out = new Map<string, Verdict>();
  for (const [vip, names] of input.vips) out.set(vip, verdictFor(input, vip, names));
  return out;
}

function verdictFor(input: AnnounceInput, vip: string, names: readonly string[]): Verdict {
  if (input.phase === 'stopping') return { announce: false, reason: 'daemon stopping' };
  if (input.deviceProblem !== null) return { announce: false, reason: input.deviceProblem };
  if (input.maintenance) return { announce: false, reason: 'node in maintenance' };
  const lost = names.filter((n) => input.quorum(n) === 'lost');
  if (lost.length > 0) return { announce: false, reason: `quorum lost: ${lost.join(', ')}` };
  const unknown = names.filter((n) => input.quorum(n) === 'unknown');
  if (unknown.length > 0) {
    return input.inKernel(vip)
      ? { announce: true, reason: `kept while first checks are pending: ${unknown.join(', ')}` }
      : { announce: false, reason: `first checks pending: ${unknown.join(', ')}` };
  }
  return { announce: true, reason: `quorum held: ${names.join(', ')}` };
}

export interface VipAnnounceState {
  readonly announced: boolean;
  readonly reason: string;
  /** Wall time of the last change of `announced` or `reason`. */
  readonly since: Date;
}

export interface AnnounceChange {
  readonly vip: string;
  readonly announced: boolean;
  readonly reason: string;
}

/**
 * The next per-VIP states from the verdicts: unchanged entries keep their
 * `since`; VIPs no longer configured are dropped. `changes` lists the VIPs
 * whose `announced` flipped (or that appeared announced), for logs and alerts.
 */
export function advance(
  prev: ReadonlyMap<string, VipAnnounceState>,
  verdicts: ReadonlyMap<string, Verdict>,
  now: Date,
): { states: Map<string, VipAnnounceState>; changes: AnnounceChange[] } {
  const states = new Map<string, VipAnnounceState>();
  const changes: AnnounceChange[] = [];
  for (const [vip, v] of verdicts) {
    const old = prev.get(vip);
    if (old?.announced === v.announce && old.reason === v.reason) {
      states.set(vip, old);
      continue;
    }
    states.set(vip, { announced: v.announce, reason: v.reason, since: now });
    if ((old?.announced ?? false) !== v.announce) changes.push({ vip, announced: v.announce, reason: v.reason });
  }
  return { states, changes };
}
