import { describe, expect, test } from 'vitest';
import { failoverTargets, healthTargets, ipvsTargets, targetsFor, vrrpTargets } from '../../../bench/report/targets.js';
import { failoverBench, healthBench, ipvsBench, okRun, vrrpBench, VRRP_OK } from './fixtures.js';

describe('issue 3 (VRRP)', () => {
  test('met when every ratio is at most 1 and the 10 ms cut gap is under 50 ms', () => {
    const [cut, stop, at10] = vrrpTargets(VRRP_OK);
    expect(cut).toMatchObject({ issue: 3, status: 'met' });
    expect(cut?.measured).toBe('ratio 1000 ms: 1.00, 100 ms: 0.89, 10 ms: 0.87');
    expect(stop).toMatchObject({ status: 'not met', note: 'behind at 1000 ms by 1.0 ms (616 vs 615), 100 ms by 0.2 ms (66.1 vs 65.9)' });
    // 616 / 615 and 66.1 / 65.9 round to 1.00 but are above 1: three decimals then.
    expect(stop?.measured).toBe('ratio 1000 ms: 1.002, 100 ms: 1.003, 10 ms: 0.71');
    expect(at10).toMatchObject({ status: 'met', measured: '36.0 ms' });
  });
  test('not met when one interval is worse or the 10 ms gap is 50 ms or more', () => {
    const bench = vrrpBench([[1000, 'cut', 3300, 3368], [10, 'cut', 55, 50]]);
    const [cut, , at10] = vrrpTargets(bench);
    expect(cut?.status).toBe('not met');
    expect(at10).toMatchObject({ status: 'not met', measured: '55.0 ms' });
  });
  test('not measured without figures; a missing interval is noted', () => {
    expect(vrrpTargets(null).map((t) => t.status)).toEqual(['not measured', 'not measured', 'not measured']);
    const [cut] = vrrpTargets(vrrpBench([[1000, 'cut', 3300, 3368], [10, 'cut', null, 40]]));
    expect(cut).toMatchObject({ status: 'met', note: '1 interval(s) without a figure' });
  });
});

describe('issue 4 (health)', () => {
  test('each target on its own figure, with the boundaries of the issue', () => {
    const ok = healthTargets(healthBench({ p99: 50, cpu: 0.29, rss: 199 }));
    expect(ok.map((t) => t.status)).toEqual(['met', 'met', 'met']);
    expect(ok.every((t) => t.note === null)).toBe(true);
    const bad = healthTargets(healthBench({ p99: 64, cpu: 0.3, rss: 200 }));
    expect(bad.map((t) => t.status)).toEqual(['not met', 'not met', 'not met']);
    expect(bad.map((t) => t.measured)).toEqual(['p99 64.0 ms', '0.30 core', '200 MB']);
  });
  test('falling behind the schedule is not "on schedule", whatever the lateness', () => {
    const [sched] = healthTargets(healthBench({ p99: 10, perSecond: 3200 }));
    expect(sched?.status).toBe('not met');
    expect(sched?.note).toContain('achieved 3200');
  });
  test('a smaller run says so', () => {
    const [t] = healthTargets(healthBench({ tcp: 2000, http: 200, seconds: 15 }));
    expect(t?.note).toContain('2,000 TCP + 200 HTTP targets for 15 s');
  });
});

describe('issue 5 (IPVS)', () => {
  test('from empty within 2x of ipvsadm -R, no-op under 100 ms', () => {
    expect(ipvsTargets(ipvsBench({ empty: 6800, admEmpty: 3400, noop: 99 })).map((t) => t.status)).toEqual(['met', 'met']);
    const bad = ipvsTargets(ipvsBench({ empty: 6801, admEmpty: 3400, noop: 100 }));
    expect(bad.map((t) => t.status)).toEqual(['not met', 'not met']);
    expect(bad[0]?.measured).toBe('ratio 2.00');
  });
  test('a different size is noted; missing figures are not measured', () => {
    expect(ipvsTargets(ipvsBench({ services: 20 }))[0]?.note).toContain('20 × 100');
    expect(ipvsTargets({ services: 100, dests: 100, lvs_ha: {}, ipvsadm: {} }).map((t) => t.status)).toEqual(['not measured', 'not measured']);
  });
});

describe('issues 6 and 7 (failover under load)', () => {
  test('figures reported and no established connection broken', () => {
    const t = failoverTargets(failoverBench(0, 0));
    expect(t.map((x) => x.status)).toEqual(['met', 'met', 'met']);
    expect(t[2]).toMatchObject({ issue: 7, measured: '20 of 20 kept' });
  });
  test('a broken connection is not met', () => {
    const t = failoverTargets(failoverBench(1, 0));
    expect(t[1]).toMatchObject({ status: 'not met', measured: '19 of 20 kept' });
  });
});

describe('targetsFor', () => {
  test('targets of a failed or unselected benchmark are not measured, with why', () => {
    const runs = [
      okRun('vrrp', VRRP_OK),
      { ...okRun('ipvs', ipvsBench()), status: 'failed' as const, reason: 'exit 1: VM timed out' },
    ];
    const t = targetsFor(runs);
    expect(t.filter((x) => x.issue === 3).map((x) => x.status)).toEqual(['met', 'not met', 'met']);
    expect(t.filter((x) => x.issue === 5).every((x) => x.status === 'not measured' && x.note === 'benchmark failed: exit 1: VM timed out')).toBe(true);
    expect(t.filter((x) => x.issue === 4).every((x) => x.note === 'not run')).toBe(true);
  });
});
