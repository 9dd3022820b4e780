/**
 * Quorum of a virtual server (pure).
 *
 * `upCount` is the number of real servers whose health is `up` (unknown and
 * down count as not up). With `minUp` and `hysteresis` (as keepalived applies
 * its `quorum`/`hysteresis` to the weight sum; we apply them to the count):
 * - held -> lost     when upCount <  minUp - hysteresis
 * - lost -> held     when upCount >= minUp + hysteresis
 * - unknown (start): stays unknown while any real server is still unknown
 *   and upCount < minUp + hysteresis; then held if upCount >= minUp, else lost.
 *   A start into `lost` emits quorum_lost (the operator learns the service
 *   started without quorum); a start into `held` emits nothing.
 * minUp <= 0 means quorum is always held.
 */

export type QuorumState = 'unknown' | 'held' | 'lost';

export interface QuorumPolicy {
  readonly minUp: number;
  readonly hysteresis: number;
}

export interface QuorumInput {
  readonly upCount: number;
  readonly unknownCount: number;
}

export type QuorumEvent = 'quorum_lost' | 'quorum_restored';

export function nextQuorum(
  state: QuorumState,
  input: QuorumInput,
  policy: QuorumPolicy,
): { state: QuorumState; event: QuorumEvent | null } {
  const { upCount, unknownCount } = input;
  const high = policy.minUp + policy.hysteresis;
  const low = policy.minUp - policy.hysteresis;
  if (policy.minUp <= 0) return { state: 'held', event: state === 'lost' ? 'quorum_restored' : null };
  switch (state) {
    case 'unknown':
      if (upCount >= high) return { state: 'held', event: null };
      if (unknownCount > 0) return { state: 'unknown', event: null };
      return upCount >= policy.minUp ? { state: 'held', event: null } : { state: 'lost', event: 'quorum_lost' };
    case 'held':
      return upCount < low ? { state: 'lost', event: 'quorum_lost' } : { state, event: null };
    case 'lost':
      return upCount >= high ? { state: 'held', event: 'quorum_restored' } : { state, event: null };
  }
}
