import { describe, expect, test } from 'vitest';
import {
  CHAOS_FAULT_KINDS, chaosReport, chaosSchedule, expectedIpvsadmSave, ipvsadmSaveDiff, judgeStep, mayBreak,
  type ChaosFault, type ChaosObservation,
} from '../../../src/lab/chaos-core.js';
import { seededRandom } from '../../../src/core/random.js';

const LAB = { directors: ['d1', 'd2'], realServers: ['r1', 'r2', 'r3'], moduleReload: true };

describe('chaos schedule', () => {
  test('the same seed gives the same schedule, another seed another one', () => {
    const a = chaosSchedule({ ...LAB, seed: 7, faults: 30 });
    expect(chaosSchedule({ ...LAB, seed: 7, faults: 30 })).toEqual(a);
    expect(chaosSchedule({ ...LAB, seed: 8, faults: 30 })).not.toEqual(a);
  });

  test('every kind comes once before any repeats, so a short run covers them all', () => {
    const first = chaosSchedule({ ...LAB, seed: 123, faults: CHAOS_FAULT_KINDS.length });
    expect(new Set(first.map((f) => f.kind))).toEqual(new Set(CHAOS_FAULT_KINDS));
  });

  test('outside the lab VM ip_vs is never unloaded', () => {
    const s = chaosSchedule({ ...LAB, moduleReload: false, seed: 5, faults: 200 });
    expect(s.some((f) => f.kind === 'ipvs-module-reload')).toBe(false);
    expect(s.length).toBe(200);
  });

  test('targets: directors for director faults, real servers for real-server restarts; flaps 1..5 s', () => {
    for (const f of chaosSchedule({ ...LAB, seed: 99, faults: 300 })) {
      if (f.kind === 'real-server-restart') expect(LAB.realServers).toContain(f.target);
      else expect(LAB.directors).toContain(f.target);
      if (f.kind === 'link-flap') {
        expect(f.holdMs).toBeGreaterThanOrEqual(1000);
        expect(f.holdMs).toBeLessThanOrEqual(5000);
      }
    }
  });

  test('bad seeds and counts are refused with the value', () => {
    expect(() => chaosSchedule({ ...LAB, seed: -1, faults: 3 })).toThrow(/seed.*-1/);
    expect(() => chaosSchedule({ ...LAB, seed: 1, faults: 0 })).toThrow(/faults.*0/);
  });

  test('the PRNG stays in [0, 1)', () => {
    const r = seededRandom(0);
    for (let i = 0; i < 1000; i++) {
      const v = r();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});

describe('chaos verdict', () => {
  const fault = (kind: ChaosFault['kind'], target = 'd1'): ChaosFault => ({ kind, target, holdMs: 0 });
  const obs = (over: Partial<ChaosObservation>): ChaosObservation => ({
    fault: fault('kill-daemon'), detail: '', convergedMs: 4000, states: { d1: 'MASTER', d2: 'BACKUP' }, tableProblems: [],
    before: ['r1', 'r2', 'r3'], after: ['r1', 'r2', 'r3'], newOk: 10, newFailed: 0, deadProcesses: [], ...over,
  });

  test('all kept, one master, tables right: no problem', () => {
    const v = judgeStep(1, obs({}), 'd1');
    expect(v.problems).toEqual([]);
    expect([v.held, v.kept, v.lost]).toEqual([3, 3, 0]);
  });

  test('a connection answered by another real server (or none) after a director fault is lost', () => {
    const v = judgeStep(1, obs({ after: ['r1', 'r3', null] }), 'd1');
    expect(v.lost).toBe(2);
    expect(v.problems.join()).toMatch(/2 of 3 held connections lost/);
  });

  test('a killed real server excuses only its own connections; an ip_vs reload excuses all', () => {
    expect(mayBreak(fault('real-server-restart', 'r2'), ['r1', 'r2', 'r2'])).toEqual([false, true, true]);
    const v = judgeStep(1, obs({ fault: fault('real-server-restart', 'r2'), after: ['r1', null, 'r3'] }), 'd1');
    expect([v.lost, v.excused]).toEqual([0, 1]);
    expect(judgeStep(1, obs({ fault: fault('ipvs-module-reload'), after: [null, null, null] }), 'd1').problems).toEqual([]);
  });

  test('two masters, the wrong master, no convergence, a wrong table or a dead process each fail the step', () => {
    expect(judgeStep(1, obs({ states: { d1: 'MASTER', d2: 'MASTER' } }), 'd1').oneMaster).toBe(false);
    expect(judgeStep(1, obs({ states: { d1: 'BACKUP', d2: 'MASTER' } }), 'd1').oneMaster).toBe(false);
    expect(judgeStep(1, obs({ convergedMs: null }), 'd1').oneMaster).toBe(false);
    expect(judgeStep(1, obs({ tableProblems: ['d2: missing x'] }), 'd1').problems.join()).toMatch(/IPVS table: d2/);
    expect(judgeStep(1, obs({ deadProcesses: ['d2'] }), 'd1').problems.join()).toMatch(/died: d2/);
  });

  test('the report sums the steps and is ok only when every step is', () => {
    const good = judgeStep(1, obs({}), 'd1');
    const bad = judgeStep(2, obs({ after: ['r1', 'r2', null] }), 'd1');
    expect(chaosReport(7, [good]).ok).toBe(true);
    const r = chaosReport(7, [good, bad]);
    expect(r.ok).toBe(false);
    expect(r.totals).toMatchObject({ faults: 2, held: 6, kept: 5, lost: 1, longestConvergeMs: 4000 });
  });
});

describe('expected IPVS table as ipvsadm -S -n lines', () => {
  const expected = expectedIpvsadmSave('10.77.0.100', 80, 'mh', ['mh-port'], '-g', [
    { address: '10.77.0.21', port: 80, weight: 1 }, { address: '10.77.0.22', port: 80, weight: 2 },
  ]);

  test('equal tables (any order, any spacing) have no difference', () => {
    const live = '-a -t 10.77.0.100:80 -r 10.77.0.22:80 -g -w 2\n-A -t 10.77.0.100:80 -s mh -b mh-port\n-a -t 10.77.0.100:80  -r 10.77.0.21:80 -g -w 1\n';
    expect(ipvsadmSaveDiff(live, expected)).toEqual([]);
  });

  test('a wrong weight or a missing real server is named', () => {
    const live = '-A -t 10.77.0.100:80 -s mh -b mh-port\n-a -t 10.77.0.100:80 -r 10.77.0.21:80 -g -w 0\n';
    expect(ipvsadmSaveDiff(live, expected)).toEqual([
      "missing '-a -t 10.77.0.100:80 -r 10.77.0.21:80 -g -w 1'",
      "missing '-a -t 10.77.0.100:80 -r 10.77.0.22:80 -g -w 2'",
      "unexpected '-a -t 10.77.0.100:80 -r 10.77.0.21:80 -g -w 0'",
    ]);
  });
});
