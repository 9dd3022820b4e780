import { describe, expect, test } from 'vitest';
import { advance, decide, type AnnounceInput } from '../../../src/announce/decide.js';
import type { QuorumState } from '../../../src/health/quorum.js';

function input(quorum: Record<string, QuorumState>, over: Partial<AnnounceInput> = {}): AnnounceInput {
  return {
    phase: 'running',
    maintenance: false,
    deviceProblem: null,
    vips: new Map([['192.0.2.10', ['web', 'tls']], ['192.0.2.20', ['dns']]]),
    quorum: (n) => quorum[n] ?? 'unknown',
    inKernel: () => false,
    ...over,
  };
}

describe('decide', () => {
  test('announced only while every virtual server on the VIP holds quorum', () => {
    const v = decide(input({ web: 'held', tls: 'lost', dns: 'held' }));
    expect(v.get('192.0.2.10')).toEqual({ announce: false, reason: 'quorum lost: tls' });
    expect(v.get('192.0.2.20')).toEqual({ announce: true, reason: 'quorum held: dns' });
  });

  test('pending first checks: not announced by a director that joins ...', () => {
    expect(decide(input({ web: 'held', dns: 'held' })).get('192.0.2.10')).toEqual({ announce: false, reason: 'first checks pending: tls' });
  });

  test('... but a route already in the kernel (restart) is kept until the first verdict', () => {
    const v = decide(input({ web: 'held' }, { inKernel: (vip) => vip === '192.0.2.10' }));
    expect(v.get('192.0.2.10')).toEqual({ announce: true, reason: 'kept while first checks are pending: tls' });
    expect(v.get('192.0.2.20')?.announce).toBe(false);
    // lost still withdraws a route in the kernel
    expect(decide(input({ web: 'lost' }, { inKernel: () => true })).get('192.0.2.10')?.announce).toBe(false);
  });

  test('stopping, a missing device and maintenance withdraw everything, whatever the health', () => {
    const healthy = { web: 'held', tls: 'held', dns: 'held' } as const;
    expect([...decide(input(healthy)).values()].every((v) => v.announce)).toBe(true);
    for (const [over, reason] of [
      [{ phase: 'stopping' }, 'daemon stopping'],
      [{ maintenance: true }, 'node in maintenance'],
      [{ deviceProblem: 'device lvsha0 not found' }, 'device lvsha0 not found'],
    ] as const) {
      const v = decide(input(healthy, { ...over, inKernel: () => true }));
      expect([...v.values()]).toEqual([{ announce: false, reason }, { announce: false, reason }]);
    }
  });
});

describe('advance', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:01:00Z');

  test('since moves only when the verdict changes; flips are reported', () => {
    const first = advance(new Map(), new Map([['a', { announce: true, reason: 'ok' }], ['b', { announce: false, reason: 'pending' }]]), t0);
    expect(first.changes).toEqual([{ vip: 'a', announced: true, reason: 'ok' }]);
    const same = advance(first.states, new Map([['a', { announce: true, reason: 'ok' }], ['b', { announce: false, reason: 'pending' }]]), t1);
    expect(same.changes).toEqual([]);
    expect(same.states.get('a')?.since).toBe(t0);
    const flip = advance(same.states, new Map([['a', { announce: false, reason: 'lost' }], ['b', { announce: false, reason: 'lost' }]]), t1);
    expect(flip.changes).toEqual([{ vip: 'a', announced: false, reason: 'lost' }]);
    // b's reason changed (since moves) but it was never announced: no flip
    expect(flip.states.get('b')).toEqual({ announced: false, reason: 'lost', since: t1 });
  });

  test('a VIP no longer configured is dropped', () => {
    const first = advance(new Map(), new Map([['a', { announce: true, reason: 'ok' }]]), t0);
    expect(advance(first.states, new Map(), t1).states.size).toBe(0);
  });
});
