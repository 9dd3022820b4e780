/**
 * Pure: from each sub-benchmark's BENCH object to the rows of the results table and the points
 * of the failover chart. Every field is read tolerantly (a missing one is a missing figure).
 */
import { falseFailRows } from './falsefail.js';
import { list, num, pick } from './parse.js';
import type { BenchName, BenchRun, GapPanel, GapPoint, Row, Unit } from './types.js';

const EVENT_TITLE = { cut: 'link cut', sigterm: 'graceful stop (SIGTERM)' } as const;
type EventKind = keyof typeof EVENT_TITLE;
const isEvent = (v: unknown): v is EventKind => v === 'cut' || v === 'sigterm';

/** lvs-ha / incumbent, or null when either is missing or the incumbent is 0. */
export function ratio(row: Pick<Row, 'lvsHa' | 'incumbent'>): number | null {
  if (row.lvsHa === null || row.incumbent === null || row.incumbent === 0) return null;
  return row.lvsHa / row.incumbent;
}

const own = (bench: BenchName, figure: string, unit: Unit, lvsHa: number | null): Row =>
  ({ bench, figure, unit, lvsHa, incumbent: null, incumbentName: null });

/** VRRP: the median reply gap per advert interval and event, lvs-ha and Keepalived. */
export function vrrpRows(bench: unknown): Row[] {
  const repeat = num(bench, 'repeat');
  const of = repeat === null ? '' : `, median of ${String(repeat)}`;
  return list(bench, 'rows').flatMap((r): Row[] => {
    const interval = num(r, 'intervalMs');
    const event = pick(r, 'event');
    if (interval === null || !isEvent(event)) return [];
    return [{
      bench: 'vrrp',
      figure: `VRRP failover reply gap, ${EVENT_TITLE[event]}, ${String(interval)} ms adverts${of}`,
      unit: 'ms',
      lvsHa: num(r, 'lvsHa', 'gap', 'median'),
      incumbent: num(r, 'keepalived', 'gap', 'median'),
      incumbentName: 'Keepalived',
    }];
  });
}

/** The chart's panels: one per event, each with an lvs-ha and a Keepalived series. */
export function gapPanels(bench: unknown): GapPanel[] {
  const rows = list(bench, 'rows');
  return (['cut', 'sigterm'] as const).map((event) => {
    const mine = rows.filter((r) => pick(r, 'event') === event);
    const points = (impl: string): GapPoint[] => mine.flatMap((r) => {
      const intervalMs = num(r, 'intervalMs');
      const gapMs = num(r, impl, 'gap', 'median');
      return intervalMs === null || gapMs === null ? [] : [{ intervalMs, gapMs }];
    }).sort((a, b) => a.intervalMs - b.intervalMs);
    return { event, title: EVENT_TITLE[event], series: [{ impl: 'lvs-ha', points: points('lvsHa') }, { impl: 'Keepalived', points: points('keepalived') }] };
  });
}

/** Health checks: no incumbent (Keepalived has no comparable benchmark mode). */
export function healthRows(bench: unknown): Row[] {
  const tcp = num(bench, 'config', 'tcp');
  const http = num(bench, 'config', 'http');
  const size = tcp === null || http === null ? '' : ` (${tcp.toLocaleString('en-US')} TCP + ${http.toLocaleString('en-US')} HTTP targets)`;
  const s = pick(bench, 'service');
  return [
    own('health', `health checks per second${size}`, 'per s', num(s, 'per_second')),
    own('health', 'health checks: lateness against schedule, p50', 'ms', num(s, 'lateness_ms', 'p50')),
    own('health', 'health checks: lateness against schedule, p99', 'ms', num(s, 'lateness_ms', 'p99')),
    own('health', 'health checks: CPU, share of one core', 'core', num(s, 'cpu_share_of_one_core')),
    own('health', 'health checks: CPU seconds per 1,000 checks', 's/1000', num(s, 'cpu_seconds_per_1000')),
    own('health', 'health checks: peak RSS', 'MB', num(s, 'rss_mb', 'max_rss')),
    own('health', 'health checks: main thread waiting for a CPU (machine load)', 'share', num(s, 'runqueue_wait_share')),
  ];
}

/** IPVS: lvs-ha's reconciler against ipvsadm on the same table in the same VM boot. */
export function ipvsRows(bench: unknown): Row[] {
  const services = num(bench, 'services');
  const dests = num(bench, 'dests');
  const size = services === null || dests === null ? '' : ` ${String(services)} × ${String(dests)}`;
  const row = (figure: string, mine: string, theirs: string): Row => ({
    bench: 'ipvs', figure, unit: 'ms', lvsHa: num(bench, 'lvs_ha', mine), incumbent: num(bench, 'ipvsadm', theirs), incumbentName: 'ipvsadm',
  });
  return [
    row(`IPVS: apply${size} from empty (ipvsadm -R)`, 'from_empty_ms', 'from_empty_ms'),
    row('IPVS: no-op reconcile (ipvsadm -Ln)', 'noop_ms', 'list_ms'),
    row('IPVS: change 10% of the weights (ipvsadm -R of -e)', 'weights_ms', 'weights_ms'),
  ];
}

/** Failover under load (crash, drill): lvs-ha only. */
export function failoverRows(bench: unknown): Row[] {
  return list(bench, 'scenarios').flatMap((sc): Row[] => {
    const name = pick(sc, 'name');
    if (typeof name !== 'string') return [];
    const est = num(sc, 'persistent');
    const ok = num(sc, 'new_ok');
    const failed = num(sc, 'new_failed');
    const total = ok === null || failed === null ? null : ok + failed;
    return [
      own('failover', `failover under load, ${name}: established connections broken${est === null ? '' : ` (of ${String(est)})`}`, 'count', num(sc, 'broken')),
      own('failover', `failover under load, ${name}: new connections failed${total === null ? '' : ` (of ${String(total)})`}`, 'count', failed),
      own('failover', `failover under load, ${name}: longest gap between new connections`, 'ms', num(sc, 'max_new_gap_ms')),
      own('failover', `failover under load, ${name}: takeover time`, 'ms', num(sc, 'takeover_ms')),
    ];
  });
}

const TITLES: Readonly<Record<BenchName, string>> = {
  vrrp: 'VRRP failover gap (bench/vrrp)',
  falsefail: 'false failovers under load (bench/vrrp/false-failover.sh)',
  health: 'health checks at scale (bench/health)',
  ipvs: 'IPVS apply and reconcile (bench/ipvs)',
  failover: 'failover under load (bench/failover)',
};

const INCUMBENT: Readonly<Record<BenchName, Row['incumbentName']>> = { vrrp: 'Keepalived', falsefail: 'Keepalived', health: null, ipvs: 'ipvsadm', failover: null };

/** The rows of one sub-benchmark; a failed (or figure-less) one is a single row saying why. */
export function rowsFor(run: BenchRun): Row[] {
  if (run.status === 'not run') return [];
  const failedRow = (why: string): Row[] => [{ bench: run.name, figure: TITLES[run.name], unit: 'ms', lvsHa: null, incumbent: null, incumbentName: INCUMBENT[run.name], failed: why }];
  if (run.status === 'failed') return failedRow(run.reason ?? 'failed');
  const build = { vrrp: vrrpRows, falsefail: falseFailRows, health: healthRows, ipvs: ipvsRows, failover: failoverRows }[run.name];
  const rows = build(run.bench);
  return rows.length === 0 ? failedRow('no figures in its output') : rows;
}
