import { describe, expect, it } from 'vitest';
import {
  applyResult, applyResultInPlace, initialHealth, type MutableTargetHealth, type StampedResult, type TargetHealth,
} from '../../../src/health/hysteresis.js';

const t0 = new Date('2026-01-01T00:00:00Z');
let seq = 0;
function res(ok: boolean, extra: Partial<StampedResult> = {}): StampedResult {
  seq += 1;
  return { ok, latencyMs: 1, atMs: seq * 1000, at: new Date(t0.getTime() + seq * 1000), ...(ok ? {} : { reason: 'refused' }), ...extra };
}

function feed(h: TargetHealth, oks: boolean[], rise: number, fall: number) {
  const transitions: string[] = [];
  let health = h;
  for (const ok of oks) {
    const out = applyResult(health, res(ok), { rise, fall });
    health = out.health;
    if (out.transition) transitions.push(`${out.transition.from}->${out.transition.to}`);
  }
  return { health, transitions };
}

describe('rise/fall hysteresis', () => {
  it('stays unknown until a full streak completes', () => {
    const { health, transitions } = feed(initialHealth(t0), [true, true], 3, 2);
    expect(health.state).toBe('unknown');
    expect(transitions).toEqual([]);
  });

  it('leaves unknown to up after exactly rise successes', () => {
    const { health, transitions } = feed(initialHealth(t0), [true, true, true], 3, 2);
    expect(health.state).toBe('up');
    expect(transitions).toEqual(['unknown->up']);
    expect(health.since).toEqual(health.last?.at);
  });

  it('leaves unknown to down after exactly fall failures', () => {
    expect(feed(initialHealth(t0), [false], 3, 2).health.state).toBe('unknown');
    const { health, transitions } = feed(initialHealth(t0), [false, false], 3, 2);
    expect(health.state).toBe('down');
    expect(transitions).toEqual(['unknown->down']);
  });

  it('goes down after exactly fall consecutive failures, not one earlier', () => {
    const up = feed(initialHealth(t0), [true, true, true], 3, 3).health;
    const two = feed(up, [false, false], 3, 3);
    expect(two.health.state).toBe('up');
    expect(two.health.consecutiveFail).toBe(2);
    const three = feed(two.health, [false], 3, 3);
    expect(three.health.state).toBe('down');
    expect(three.transitions).toEqual(['up->down']);
  });

  it('a success in between resets the failure streak', () => {
    const up = feed(initialHealth(t0), [true], 1, 3).health;
    const { health, transitions } = feed(up, [false, false, true, false, false], 1, 3);
    expect(health.state).toBe('up');
    expect(transitions).toEqual([]);
    expect(health.consecutiveFail).toBe(2);
  });

  it('comes back up after exactly rise successes, a failure resets the streak', () => {
    const down = feed(initialHealth(t0), [false], 2, 1).health;
    expect(down.state).toBe('down');
    const a = feed(down, [true, false, true], 2, 1);
    expect(a.health.state).toBe('down');
    const b = feed(a.health, [true], 2, 1);
    expect(b.health.state).toBe('up');
    expect(b.transitions).toEqual(['down->up']);
  });

  it('keeps since unchanged without a transition and carries reason and weight', () => {
    const up = feed(initialHealth(t0), [true], 1, 2).health;
    const out = applyResult(up, res(false, { reason: 'connection refused' }), { rise: 1, fall: 2 });
    expect(out.health.since).toEqual(up.since);
    expect(out.health.last?.reason).toBe('connection refused');
    const down = applyResult(out.health, res(false, { reason: 'connection refused' }), { rise: 1, fall: 2 });
    expect(down.transition?.reason).toContain('connection refused');
    const w = applyResult(down.health, res(true, { weight: 7 }), { rise: 1, fall: 2 });
    expect(w.health.weight).toBe(7);
  });

  it('applyResultInPlace folds into the same object; applyResult leaves its input as it was', () => {
    const live: MutableTargetHealth = { ...initialHealth(t0) };
    const seen: string[] = [];
    for (const ok of [true, true, false, false, false, true]) {
      const tr = applyResultInPlace(live, res(ok), { rise: 2, fall: 3 });
      if (tr) seen.push(`${tr.from}->${tr.to}`);
    }
    expect(seen).toEqual(['unknown->up', 'up->down']);
    expect(live).toMatchObject({ state: 'down', consecutiveOk: 1, consecutiveFail: 0 });
    const frozen = Object.freeze({ ...live });
    const out = applyResult(frozen, res(true), { rise: 2, fall: 3 }); // would throw if it wrote to its input
    expect(out.health).toMatchObject({ state: 'up', consecutiveOk: 2 });
    expect(frozen.state).toBe('down');
  });
});
