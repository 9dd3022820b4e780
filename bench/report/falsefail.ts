/**
 * Pure: the false-failover benchmark (bench/vrrp/false-failover.sh, issue 13) in the report: its
 * cells from the BENCH object, its rows of the results table, its target ("0 for lvs-ha in every
 * cell") and the "False failovers under load" section of docs/benchmarks.md.
 */
import { list, num, pick } from './parse.js';
import type { BenchRun, FalseFailCell, Row, Target, TargetStatus } from './types.js';

/** What issue 13 asks for: these intervals, each 10 minutes under this load. */
export const ISSUE_INTERVALS: readonly number[] = [10, 50, 100];
const ISSUE_CONFIG = { tcp: 10_000, http: 1_000, seconds: 600, reloadEveryMs: 15_000, statusEveryMs: 1_000, metricsEveryMs: 5_000 } as const;
const DASH = '—';
const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function falseFailCells(bench: unknown): FalseFailCell[] {
  return list(bench, 'cells').flatMap((c): FalseFailCell[] => {
    const intervalMs = num(c, 'intervalMs');
    if (intervalMs === null) return [];
    return [{
      intervalMs,
      seconds: num(c, 'seconds'),
      lvsHa: num(c, 'lvsHa', 'falseFailovers'),
      keepalived: num(c, 'keepalived', 'falseFailovers'),
      lvsHaMasterLosses: num(c, 'lvsHa', 'masterLosses'),
      keepalivedMasterLosses: num(c, 'keepalived', 'masterLosses'),
      lvsHaReloads: num(c, 'lvsHa', 'reloads'),
      keepalivedReloads: num(c, 'keepalived', 'reloads'),
      loopDelayMasterMs: num(c, 'lvsHa', 'isolateLoopDelayMaxMs', 'master'),
      loopDelayBackupMs: num(c, 'lvsHa', 'isolateLoopDelayMaxMs', 'backup'),
      error: str(pick(c, 'error')),
    }];
  });
}

/** "10 min" for whole minutes, else "45 s"; a dash when unknown. */
export function durationText(seconds: number | null): string {
  if (seconds === null) return DASH;
  return seconds >= 60 && seconds % 60 === 0 ? `${String(seconds / 60)} min` : `${String(seconds)} s`;
}

/** Results-table rows: per interval, lvs-ha's count against Keepalived's. */
export function falseFailRows(bench: unknown): Row[] {
  return falseFailCells(bench).map((c) => ({
    bench: 'falsefail',
    figure: `false failovers under load, ${String(c.intervalMs)} ms adverts, ${durationText(c.seconds)} (backup became MASTER; load below)`,
    unit: 'count',
    lvsHa: c.lvsHa,
    incumbent: c.keepalived,
    incumbentName: 'Keepalived',
  }));
}

const thousands = (v: number | null): string => (v === null ? '?' : v.toLocaleString('en-US'));

/** What differs from the issue's size ("2,000 TCP + 200 HTTP checks, not 10,000 + 1,000; ..."), or null. */
export function sizeNote(bench: unknown): string | null {
  const c = (k: keyof typeof ISSUE_CONFIG): number | null => num(bench, 'config', k);
  const parts: string[] = [];
  if (c('tcp') !== ISSUE_CONFIG.tcp || c('http') !== ISSUE_CONFIG.http) parts.push(`${thousands(c('tcp'))} TCP + ${thousands(c('http'))} HTTP checks, not 10,000 + 1,000`);
  if (c('seconds') !== ISSUE_CONFIG.seconds) parts.push(`${durationText(c('seconds'))} per interval, not 10 min`);
  if (c('reloadEveryMs') !== ISSUE_CONFIG.reloadEveryMs || c('statusEveryMs') !== ISSUE_CONFIG.statusEveryMs || c('metricsEveryMs') !== ISSUE_CONFIG.metricsEveryMs) {
    parts.push(`load "${str(pick(bench, 'load')) ?? '?'}", not a reload every 15 s, status every 1 s and /metrics every 5 s`);
  }
  return parts.length === 0 ? null : parts.join('; ');
}

const perCell = (v: number | null): TargetStatus => (v === null ? 'not measured' : v === 0 ? 'met' : 'not met');

/** Issue 13: no false failover of lvs-ha at 10, 50 and 100 ms adverts. */
export function falseFailTargets(bench: unknown): Target[] {
  const text = 'false failovers under load: 0 for lvs-ha in every cell (10, 50 and 100 ms adverts)';
  const cells = falseFailCells(bench).filter((c) => c.lvsHa !== null);
  if (cells.length === 0) return [{ issue: 13, text, measured: DASH, status: 'not measured', note: null }];
  const ka = cells.map((c) => (c.keepalived === null ? DASH : String(c.keepalived)));
  const measured = `${cells.map((c) => `${String(c.intervalMs)} ms: ${String(c.lvsHa)}`).join(', ')} (Keepalived: ${ka.join(', ')})`;
  const missing = ISSUE_INTERVALS.filter((i) => !cells.some((c) => c.intervalMs === i));
  const failed = cells.some((c) => (c.lvsHa ?? 0) > 0);
  const status: TargetStatus = failed ? 'not met' : missing.length > 0 ? 'not measured' : 'met';
  const notes = [...(missing.length > 0 ? [`no figure at ${missing.map((i) => `${String(i)} ms`).join(', ')}`] : []), ...[sizeNote(bench)].filter((x) => x !== null).map((x) => `not the issue's size: ${x}`)];
  return [{ issue: 13, text, measured, status, note: notes.length > 0 ? notes.join('; ') : null }];
}

const STATUS: Readonly<Record<TargetStatus, string>> = { met: '**met**', 'not met': '**not met**', 'not measured': 'not measured' };
const count = (v: number | null): string => (v === null ? DASH : String(v));
const pair = (a: number | null, b: number | null): string => `${count(a)} / ${count(b)}`;
const delay = (v: number | null): string => (v === null ? DASH : `${v.toFixed(1)} ms`);

function sectionRow(c: FalseFailCell, load: string): string {
  if (c.error !== null) return `| ${String(c.intervalMs)} ms | **failed**: ${cell(c.error)} | ${DASH} | ${cell(load)} | ${durationText(c.seconds)} | not measured | ${DASH} | ${DASH} | ${DASH} |`;
  return `| ${String(c.intervalMs)} ms | ${count(c.lvsHa)} | ${count(c.keepalived)} | ${cell(load)} | ${durationText(c.seconds)} | ${STATUS[perCell(c.lvsHa)]} | ${pair(c.lvsHaMasterLosses, c.keepalivedMasterLosses)} | ${pair(c.lvsHaReloads, c.keepalivedReloads)} | ${delay(c.loopDelayMasterMs)} / ${delay(c.loopDelayBackupMs)} |`;
}

const INTRO = [
  'Issue 13. For each advert interval, one namespace lab holds an lvs-ha pair and a Keepalived 2.2.7 pair',
  'running at the same time, so both see the same machine load. lvs-ha\'s master health-checks the real',
  'servers and is reloaded (SIGHUP), queried (`status`) and scraped (/metrics) on the schedule below;',
  'Keepalived\'s master has the same real servers in its keepalived.conf and the same SIGHUP schedule. A false',
  'failover is the backup entering MASTER during the load window while the master runs. Both run at their',
  'defaults (lvs-ha\'s VRRP isolate at SCHED_RR, Keepalived without `vrrp_rt_priority`).',
];

/** The "False failovers under load" section (after the results table). */
export function falseFailSection(run: BenchRun | undefined): string[] {
  const head = ['## False failovers under load', '', ...INTRO, ''];
  if (run === undefined || run.status === 'not run') return [...head, 'Not run in this run (`--only`).'];
  if (run.status === 'failed') return [...head, `Not measured: the benchmark failed (${cell(run.reason ?? 'failed')}).`];
  const load = str(pick(run.bench, 'load')) ?? DASH;
  const note = str(pick(run.bench, 'keepalivedNote'));
  const size = sizeNote(run.bench);
  return [
    ...head,
    '| advert interval | lvs-ha | Keepalived | load | duration | target: 0 for lvs-ha | master losses (lvs-ha / Keepalived) | reloads (lvs-ha / Keepalived) | lvs-ha isolate loop delay, max since start (master / backup) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...falseFailCells(run.bench).map((c) => sectionRow(c, load)),
    '',
    ...(note === null ? [] : [`${note}.`]),
    ...(size === null ? [] : ['', `Not the issue's size: ${size}.`]),
  ];
}
