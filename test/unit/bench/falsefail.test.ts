import { describe, expect, test } from 'vitest';
import { durationText, falseFailCells, falseFailRows, falseFailSection, falseFailTargets, sizeNote } from '../../../bench/report/falsefail.js';
import { renderMarkdown } from '../../../bench/report/markdown.js';
import { rowsFor } from '../../../bench/report/rows.js';
import { targetsFor } from '../../../bench/report/targets.js';
import { falseFailBench, okRun, results, VRRP_OK } from './fixtures.js';

const FULL = falseFailBench([[10, 0, 2], [50, 0, 0], [100, 0, 0]]);

describe('false-failover cells and rows', () => {
  test('one cell per interval, figures of both pairs; a cell without an interval is skipped', () => {
    const cells = falseFailCells({ cells: [...(FULL as { cells: unknown[] }).cells, { seconds: 600 }] });
    expect(cells).toHaveLength(3);
    expect(cells[0]).toMatchObject({ intervalMs: 10, seconds: 600, lvsHa: 0, keepalived: 2, lvsHaReloads: 39, loopDelayMasterMs: 3.14, error: null });
  });
  test('a failed cell has no figures and keeps its reason', () => {
    const [cell] = falseFailCells(falseFailBench([[50, null, null]]));
    expect(cell).toMatchObject({ intervalMs: 50, lvsHa: null, keepalived: null });
    expect(cell?.error).toContain('timed out');
  });
  test('results-table rows: counts with Keepalived as the incumbent, interval and duration in the figure', () => {
    const rows = falseFailRows(FULL);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ bench: 'falsefail', unit: 'count', lvsHa: 0, incumbent: 2, incumbentName: 'Keepalived' });
    expect(rows[0]?.figure).toContain('10 ms adverts, 10 min');
    expect(rowsFor(okRun('falsefail', FULL))).toHaveLength(3);
    expect(rowsFor(okRun('falsefail', { cells: [] }))[0]?.failed).toBe('no figures in its output');
  });
  test('durations in whole minutes or seconds', () => {
    expect(durationText(600)).toBe('10 min');
    expect(durationText(30)).toBe('30 s');
    expect(durationText(90)).toBe('90 s');
    expect(durationText(null)).toBe('—');
  });
});

describe('issue 13 target: 0 false failovers for lvs-ha in every cell', () => {
  test('met at the issue\'s size whatever Keepalived did', () => {
    const [t] = falseFailTargets(FULL);
    expect(t).toMatchObject({ issue: 13, status: 'met', note: null, measured: '10 ms: 0, 50 ms: 0, 100 ms: 0 (Keepalived: 2, 0, 0)' });
  });
  test('not met by one false failover in one cell', () => {
    const [t] = falseFailTargets(falseFailBench([[10, 0, 0], [50, 1, 0], [100, 0, 0]]));
    expect(t?.status).toBe('not met');
  });
  test('a missing or failed interval is not measured, and says which', () => {
    const [t] = falseFailTargets(falseFailBench([[10, 0, 0], [50, null, null]]));
    expect(t).toMatchObject({ status: 'not measured', measured: '10 ms: 0 (Keepalived: 0)' });
    expect(t?.note).toContain('no figure at 50 ms, 100 ms');
    expect(falseFailTargets(null)[0]?.status).toBe('not measured');
  });
  test('a smaller run is noted with its load and duration', () => {
    const [t] = falseFailTargets(falseFailBench([[10, 0, 0], [50, 0, 0], [100, 0, 0]], { seconds: 60, tcp: 2000, http: 200 }));
    expect(t?.status).toBe('met');
    expect(t?.note).toBe('not the issue\'s size: 2,000 TCP + 200 HTTP checks, not 10,000 + 1,000; 1 min per interval, not 10 min');
    const slower = { ...(falseFailBench([[10, 0, 0]]) as Record<string, unknown>), config: { seconds: 600, tcp: 10_000, http: 1_000, reloadEveryMs: 3000, statusEveryMs: 1000, metricsEveryMs: 5000 }, load: 'x' };
    expect(sizeNote(slower)).toBe('load "x", not a reload every 15 s, status every 1 s and /metrics every 5 s');
    expect(sizeNote(FULL)).toBeNull();
  });
  test('targetsFor lists it last, not measured when the benchmark did not run', () => {
    const all = targetsFor([okRun('vrrp', VRRP_OK)]);
    expect(all.at(-1)).toMatchObject({ issue: 13, status: 'not measured', note: 'not run' });
    expect(targetsFor([okRun('falsefail', FULL)]).at(-1)?.status).toBe('met');
  });
});

describe('the "False failovers under load" section', () => {
  test('per interval: both counts, load, duration, the target per cell and the details', () => {
    const lines = falseFailSection(okRun('falsefail', falseFailBench([[10, 0, 2], [50, 1, 0], [100, null, null]])));
    expect(lines[0]).toBe('## False failovers under load');
    expect(lines).toContain('| 10 ms | 0 | 2 | 10,000 TCP + 1,000 HTTP checks; reload every 15 s; status every 1 s; /metrics every 5 s | 10 min | **met** | 0 / 2 | 39 / 39 | 3.1 ms / 1.2 ms |');
    expect(lines.find((l) => l.startsWith('| 50 ms'))).toContain('| **not met** |');
    expect(lines.find((l) => l.startsWith('| 100 ms'))).toMatch(/^\| 100 ms \| \*\*failed\*\*: Error: timed out .* \| not measured \|/);
    expect(lines.join('\n')).toContain('its checkers do not run.');
    expect(lines.join('\n')).not.toContain('Not the issue\'s size');
  });
  test('a quick run says it is not the issue\'s size; a failed or skipped run says so', () => {
    const quick = falseFailSection(okRun('falsefail', falseFailBench([[10, 0, 0]], { seconds: 60, tcp: 2000, http: 200 })));
    expect(quick.at(-1)).toBe('Not the issue\'s size: 2,000 TCP + 200 HTTP checks, not 10,000 + 1,000; 1 min per interval, not 10 min.');
    const failed = { ...okRun('falsefail', null), status: 'failed' as const, reason: 'exit 1: keepalived is not installed' };
    expect(falseFailSection(failed).at(-1)).toBe('Not measured: the benchmark failed (exit 1: keepalived is not installed).');
    expect(falseFailSection(undefined).at(-1)).toBe('Not run in this run (`--only`).');
  });
  test('in docs/benchmarks.md: the section after the chart, rows in the results table, the #13 target', () => {
    const md = renderMarkdown(results([okRun('vrrp', VRRP_OK), okRun('falsefail', FULL)]));
    expect(md.indexOf('## False failovers under load')).toBeGreaterThan(md.indexOf('benchmarks-failover.svg)'));
    expect(md.indexOf('## False failovers under load')).toBeLessThan(md.indexOf('## Targets from the issues'));
    expect(md).toMatch(/\| false failovers under load, 10 ms adverts, 10 min \(backup became MASTER; load below\) \| 0 \| 2 \(Keepalived\) \| 0\.00 \| host netns/);
    expect(md).toContain('| #13 | false failovers under load: 0 for lvs-ha in every cell (10, 50 and 100 ms adverts) | 10 ms: 0, 50 ms: 0, 100 ms: 0 (Keepalived: 2, 0, 0) | **met** |');
    expect(md).toContain('- vrrp, falsefail, health: host netns');
  });
});
