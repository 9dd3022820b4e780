import { describe, expect, test } from 'vitest';
import { failoverRows, gapPanels, healthRows, ipvsRows, ratio, rowsFor, vrrpRows } from '../../../bench/report/rows.js';
import { failoverBench, healthBench, ipvsBench, okRun, vrrpBench, VRRP_OK } from './fixtures.js';

describe('ratio', () => {
  test('lvs-ha / incumbent', () => {
    expect(ratio({ lvsHa: 292, incumbent: 327 })).toBeCloseTo(0.893, 3);
    expect(ratio({ lvsHa: 9080, incumbent: 3400 })).toBeCloseTo(2.671, 3);
  });
  test('none when either side is missing or the incumbent is zero', () => {
    expect(ratio({ lvsHa: null, incumbent: 3 })).toBeNull();
    expect(ratio({ lvsHa: 3, incumbent: null })).toBeNull();
    expect(ratio({ lvsHa: 3, incumbent: 0 })).toBeNull();
  });
});

describe('rows per benchmark', () => {
  test('vrrp: one row per interval and event, medians of both, Keepalived as incumbent', () => {
    const rows = vrrpRows(VRRP_OK);
    expect(rows).toHaveLength(6);
    const cut100 = rows.find((r) => r.figure.includes('link cut, 100 ms'));
    expect(cut100).toMatchObject({ lvsHa: 292, incumbent: 327, incumbentName: 'Keepalived', unit: 'ms' });
    expect(cut100?.figure).toContain('median of 3');
    expect(rows.filter((r) => r.figure.includes('graceful stop'))).toHaveLength(3);
  });
  test('vrrp: rows with an unknown event or no interval are skipped; a failed side is null', () => {
    const bench = { rows: [{ intervalMs: 10, event: 'reboot' }, { event: 'cut' }, ...(vrrpBench([[10, 'cut', null, 41]]) as { rows: unknown[] }).rows] };
    const rows = vrrpRows(bench);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ lvsHa: null, incumbent: 41 });
  });
  test('health: no incumbent, figures from the service phase', () => {
    const rows = healthRows(healthBench({ tcp: 2000, http: 200, p99: 12.5, rss: 150 }));
    expect(rows.every((r) => r.incumbentName === null && r.incumbent === null)).toBe(true);
    expect(rows[0]?.figure).toContain('2,000 TCP + 200 HTTP');
    expect(rows.find((r) => r.figure.endsWith('p99'))?.lvsHa).toBe(12.5);
    expect(rows.find((r) => r.figure.endsWith('peak RSS'))?.lvsHa).toBe(150);
  });
  test('ipvs: three steps against ipvsadm', () => {
    const rows = ipvsRows(ipvsBench());
    expect(rows.map((r) => [r.lvsHa, r.incumbent, r.incumbentName])).toEqual([[9080, 3400, 'ipvsadm'], [1340, 400, 'ipvsadm'], [3300, 1200, 'ipvsadm']]);
    expect(rows[0]?.figure).toContain('100 × 100');
  });
  test('failover: four figures per scenario, no incumbent', () => {
    const rows = failoverRows(failoverBench(2, 0));
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatchObject({ lvsHa: 2, incumbentName: null });
    expect(rows[0]?.figure).toContain('crash');
    expect(rows[0]?.figure).toContain('(of 20)');
    expect(rows[1]?.figure).toContain('(of 292)');
    expect(rows[7]).toMatchObject({ lvsHa: 1111, unit: 'ms' });
  });
});

describe('rowsFor', () => {
  test('a failed benchmark is one row carrying the reason', () => {
    const rows = rowsFor({ ...okRun('ipvs', null), status: 'failed', reason: 'exit 1: VM timed out' });
    expect(rows).toEqual([expect.objectContaining({ bench: 'ipvs', failed: 'exit 1: VM timed out', incumbentName: 'ipvsadm' })]);
  });
  test('an ok run without figures is reported as such, and a run not selected has no rows', () => {
    expect(rowsFor(okRun('failover', { scenarios: [] }))[0]?.failed).toBe('no figures in its output');
    expect(rowsFor({ ...okRun('vrrp', VRRP_OK), status: 'not run' })).toEqual([]);
    expect(rowsFor(okRun('vrrp', VRRP_OK))).toHaveLength(6);
  });
});

describe('gapPanels', () => {
  test('one panel per event, two series, points sorted by interval', () => {
    const panels = gapPanels(VRRP_OK);
    expect(panels.map((p) => p.event)).toEqual(['cut', 'sigterm']);
    const cut = panels[0];
    expect(cut?.series.map((s) => s.impl)).toEqual(['lvs-ha', 'Keepalived']);
    expect(cut?.series[0]?.points).toEqual([{ intervalMs: 10, gapMs: 36 }, { intervalMs: 100, gapMs: 292 }, { intervalMs: 1000, gapMs: 3352 }]);
  });
  test('a missing median leaves the point out of that series only', () => {
    const panels = gapPanels(vrrpBench([[10, 'cut', null, 41], [100, 'cut', 290, 330]]));
    expect(panels[0]?.series[0]?.points).toHaveLength(1);
    expect(panels[0]?.series[1]?.points).toHaveLength(2);
    expect(panels[1]?.series.every((s) => s.points.length === 0)).toBe(true);
  });
});
