import { describe, expect, it } from 'vitest';
import { nextQuorum, type QuorumState } from '../../../src/health/quorum.js';

function run(start: QuorumState, ups: number[], minUp: number, hysteresis: number) {
  let state = start;
  const events: string[] = [];
  for (const upCount of ups) {
    const out = nextQuorum(state, { upCount, unknownCount: 0 }, { minUp, hysteresis });
    state = out.state;
    if (out.event) events.push(`${out.event}@${String(upCount)}`);
  }
  return { state, events };
}

describe('quorum with hysteresis', () => {
  it('without hysteresis: lost below minUp, restored at minUp', () => {
    expect(run('held', [3, 2, 1, 2], 2, 0).events).toEqual(['quorum_lost@1', 'quorum_restored@2']);
  });

  it('with hysteresis 1: lost only below minUp-1, restored only at minUp+1', () => {
    const { events, state } = run('held', [3, 2, 1, 0, 1, 2, 3, 4], 2, 1);
    expect(events).toEqual(['quorum_lost@0', 'quorum_restored@3']);
    expect(state).toBe('held');
  });

  it('stays unknown while servers are unknown, unless already above the high mark', () => {
    const p = { minUp: 2, hysteresis: 1 };
    expect(nextQuorum('unknown', { upCount: 1, unknownCount: 2 }, p)).toEqual({ state: 'unknown', event: null });
    expect(nextQuorum('unknown', { upCount: 3, unknownCount: 1 }, p)).toEqual({ state: 'held', event: null });
  });

  it('a start without quorum reports quorum_lost; a start with quorum reports nothing', () => {
    const p = { minUp: 2, hysteresis: 1 };
    expect(nextQuorum('unknown', { upCount: 1, unknownCount: 0 }, p)).toEqual({ state: 'lost', event: 'quorum_lost' });
    expect(nextQuorum('unknown', { upCount: 2, unknownCount: 0 }, p)).toEqual({ state: 'held', event: null });
  });

  it('minUp 0 always holds', () => {
    expect(run('unknown', [0, 0], 0, 0)).toEqual({ state: 'held', events: [] });
  });
});
