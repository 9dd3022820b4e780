import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/control/protocol.js';
import { bucketIndex, CHECK_LATENCY_BOUNDS_MS, CheckLatencyHistogram, checkLatencyFamily } from '../../../src/metrics/check-latency.js';
import { renderExposition } from '../../../src/metrics/exposition.js';
import { metricsFromStatus } from '../../../src/metrics/from-status.js';

/** The exposition lines of one family, without HELP/TYPE. */
function lines(status: JsonObject, name: string): string[] {
  return renderExposition(metricsFromStatus(status)).split('\n').filter((l) => l.startsWith(name));
}

describe('bucketIndex', () => {
  it('puts a value equal to a bound into that bound (le), above the last into +Inf', () => {
    const b = [1, 2.5, 5];
    expect([0, 1, 1.0001, 2.5, 3, 5, 5.0001, 1e9].map((ms) => bucketIndex(b, ms))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });
});

describe('CheckLatencyHistogram', () => {
  it('counts known observations into exact buckets per type and result', () => {
    const h = new CheckLatencyHistogram();
    // tcp ok: 0.4 ms and 1 ms -> le 1; 7 ms -> le 10; 7000 ms -> +Inf.
    for (const ms of [0.4, 1, 7, 7000]) h.observe('tcp', true, ms);
    // http fail: 2.5 ms -> le 2.5 (an exact bound stays in its bucket); 300 ms -> le 500.
    for (const ms of [2.5, 300]) h.observe('http', false, ms);
    // A negative or NaN latency (clock oddity) counts as 0.
    h.observe('exec', true, Number.NaN);
    h.observe('exec', true, -3);
    const snap = h.snapshot();
    expect(snap.bounds_ms).toEqual([1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]);
    expect(snap.series).toEqual([
      { type: 'exec', result: 'ok', count: 2, sum_ms: 0, bucket_counts: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
      { type: 'http', result: 'fail', count: 2, sum_ms: 302.5, bucket_counts: [0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0] },
      { type: 'tcp', result: 'ok', count: 4, sum_ms: 7008.4, bucket_counts: [2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
    ]);
  });

  it('renders lvs_ha_check_latency_seconds: cumulative buckets in seconds, _sum, _count', () => {
    const h = new CheckLatencyHistogram();
    for (const ms of [0.4, 1, 7, 7000]) h.observe('tcp', true, ms);
    h.observe('tcp', false, 3000);
    const got = lines({ check_latency: h.snapshot() }, 'lvs_ha_check_latency_seconds');
    expect(got).toEqual([
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.001"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.0025"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.005"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.01"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.025"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.05"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.1"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.25"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="0.5"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="1"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="2.5"} 0',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="5"} 1',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="fail",le="+Inf"} 1',
      'lvs_ha_check_latency_seconds_sum{type="tcp",result="fail"} 3',
      'lvs_ha_check_latency_seconds_count{type="tcp",result="fail"} 1',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.001"} 2',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.0025"} 2',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.005"} 2',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.01"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.025"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.05"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.1"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.25"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="0.5"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="1"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="2.5"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="5"} 3',
      'lvs_ha_check_latency_seconds_bucket{type="tcp",result="ok",le="+Inf"} 4',
      'lvs_ha_check_latency_seconds_sum{type="tcp",result="ok"} 7.0084',
      'lvs_ha_check_latency_seconds_count{type="tcp",result="ok"} 4',
    ]);
    const text = renderExposition(metricsFromStatus({ check_latency: h.snapshot() }));
    expect(text).toContain('# TYPE lvs_ha_check_latency_seconds histogram\n');
  });

  it('is absent from /metrics before any check ran, and when the section is missing or malformed', () => {
    expect(lines({ check_latency: new CheckLatencyHistogram().snapshot() }, 'lvs_ha_check_latency')).toEqual([]);
    expect(lines({}, 'lvs_ha_check_latency')).toEqual([]);
    expect(checkLatencyFamily({ bounds_ms: [1, 'x'], series: [] })).toBeNull();
    // A series whose bucket count does not match the bounds is skipped, the others stay.
    const family = checkLatencyFamily({
      bounds_ms: [1],
      series: [
        { type: 'tcp', result: 'ok', count: 1, sum_ms: 0.5, bucket_counts: [1] },
        { type: 'tcp', result: 'fail', count: 1, sum_ms: 2, bucket_counts: [0, 1] },
      ],
    });
    expect(family?.samples.map((s) => s.labels?.result)).toEqual(['fail', 'fail', 'fail', 'fail']);
  });

  it('the sum of _count equals the checks observed, so it agrees with lvs_ha_checks_total', () => {
    const h = new CheckLatencyHistogram();
    for (let i = 0; i < 50; i++) h.observe(i % 3 === 0 ? 'exec' : 'https', i % 4 !== 0, i * 37);
    const counts = lines({ check_latency: h.snapshot() }, 'lvs_ha_check_latency_seconds_count').map((l) => Number(l.split(' ')[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(50);
    expect(CHECK_LATENCY_BOUNDS_MS).toHaveLength(12);
  });
});
