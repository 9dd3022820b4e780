import { describe, expect, test } from 'vitest';
import { drainStep, startDrain } from '../../../src/announce/drain.js';

const policy = { quietMs: 1000, timeoutMs: 5000 };

describe('drain', () => {
  test('safe once the counter stood still for quietMs; the packets after the withdrawal are counted', () => {
    let s = startDrain(0, 100n);
    s = drainStep(s, 150n, 200, policy);
    s = drainStep(s, 160n, 400, policy);
    expect(s).toMatchObject({ phase: 'draining', lastChangeMs: 400, packetsSince: 60n });
    s = drainStep(s, 160n, 1200, policy);
    expect(s.phase).toBe('draining');
    s = drainStep(s, 160n, 1400, policy);
    expect(s).toMatchObject({ phase: 'safe', packetsSince: 60n });
    // settled states stay
    expect(drainStep(s, 999n, 1600, policy)).toBe(s);
  });

  test('timeout while packets keep arriving (the router did not move every flow)', () => {
    let s = startDrain(0, 0n);
    for (let t = 500; t <= 5000; t += 500) s = drainStep(s, BigInt(t), t, policy);
    expect(s.phase).toBe('timeout');
  });

  test('no IPVS counters: said so, never guessed', () => {
    expect(startDrain(0, null).phase).toBe('no_counters');
    expect(drainStep(startDrain(0, 5n), null, 100, policy).phase).toBe('no_counters');
  });
});
