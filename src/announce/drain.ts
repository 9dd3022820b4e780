/**
 * When a withdrawn node is safe to stop (pure): the router has moved the
 * flows once no packet reached this director's virtual servers on the
 * withdrawn VIPs for `quietMs`. The counter is the kernel's (IPVS service
 * inpkts), read fresh at each step; without it (no IPVS) the answer is
 * `no_counters`, never a guess.
 */

export type DrainPhase = 'draining' | 'safe' | 'timeout' | 'no_counters';

export interface DrainState {
  readonly phase: DrainPhase;
  readonly startedMs: number;
  /** When the packet counter last moved (or the drain started). */
  readonly lastChangeMs: number;
  readonly packets: bigint | null;
  /** Packets counted since the withdrawal. */
  readonly packetsSince: bigint;
}

export interface DrainPolicy {
  readonly quietMs: number;
  readonly timeoutMs: number;
}

export function startDrain(nowMs: number, packets: bigint | null): DrainState {
  return { phase: packets === null ? 'no_counters' : 'draining', startedMs: nowMs, lastChangeMs: nowMs, packets, packetsSince: 0n };
}

export function drainStep(s: DrainState, packets: bigint | null, nowMs: number, policy: DrainPolicy): DrainState {
  if (s.phase !== 'draining') return s;
  if (packets === null) return { ...s, phase: 'no_counters', packets };
  // A counter that went down (services re-created by a reload) counts as movement.
  const moved = s.packets === null || packets !== s.packets;
  const delta = s.packets !== null && packets > s.packets ? packets - s.packets : 0n;
  const lastChangeMs = moved ? nowMs : s.lastChangeMs;
  const next = { ...s, packets, lastChangeMs, packetsSince: s.packetsSince + delta };
  if (nowMs - lastChangeMs >= policy.quietMs) return { ...next, phase: 'safe' };
  if (nowMs - s.startedMs >= policy.timeoutMs) return { ...next, phase: 'timeout' };
  return next;
}
