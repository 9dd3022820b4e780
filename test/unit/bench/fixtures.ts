/** BENCH objects shaped like the sub-benchmarks' output, for the report generator's tests. */
import type { BenchRun, Machine, Results } from '../../../bench/report/types.js';

const gap = (median: number | null): { gap: { median: number | null; min: number | null; max: number | null; n: number; failed: number } } =>
  ({ gap: { median, min: median, max: median, n: median === null ? 0 : 1, failed: median === null ? 1 : 0 } });

/** bench/vrrp: rows of { intervalMs, event, keepalived, lvsHa, ratio }. */
export function vrrpBench(gaps: readonly [number, 'cut' | 'sigterm', number | null, number | null][]): unknown {
  return {
    repeat: 3,
    rows: gaps.map(([intervalMs, event, ours, ka]) => ({
      intervalMs, event, keepalived: gap(ka), lvsHa: gap(ours),
      ratio: ours !== null && ka !== null && ka > 0 ? ours / ka : null,
    })),
    runs: [],
  };
}

export const VRRP_OK = vrrpBench([
  [1000, 'cut', 3352, 3368], [1000, 'sigterm', 616, 615],
  [100, 'cut', 292, 327], [100, 'sigterm', 66.1, 65.9],
  [10, 'cut', 36, 41.2], [10, 'sigterm', 10, 14],
]);

export function healthBench(o: { tcp?: number; http?: number; seconds?: number; p99?: number; cpu?: number; rss?: number; perSecond?: number } = {}): unknown {
  return {
    node: 'v20', dist: '/x/dist',
    config: { tcp: o.tcp ?? 10_000, http: o.http ?? 1_000, interval_ms: 1000, timeout_ms: 900, seconds: o.seconds ?? 60, warmup_seconds: 5 },
    loadavg: { start: [1, 1, 1], end: [2, 2, 2] },
    bare_connect: null, kernel_floor_c: null,
    service: {
      seconds: 60, per_second: o.perSecond ?? 11_000, expected_per_second: 11_000, failures: 0,
      cpu_share_of_one_core: o.cpu ?? 0.78, runqueue_wait_share: 0.1, cpu_seconds_per_1000: 0.07, user_system_per_1000: [0.05, 0.02],
      lateness_ms: { p50: 1.2, p99: o.p99 ?? 64, max: 90 }, event_loop_delay_ms: { p50: 1, p99: 5, max: 9 },
      rss_mb: { before: 60, peak_sampled: 250, max_rss: o.rss ?? 257, at_end: { rss: 200, heap_total: 100, heap_used: 80, external: 5 } },
    },
    targets_cpu_share_during_service: 0.4,
    ratio_service_to_bare_cpu_per_check: 1.3,
  };
}

export function ipvsBench(o: { services?: number; dests?: number; empty?: number; admEmpty?: number; noop?: number } = {}): unknown {
  return {
    services: o.services ?? 100, dests: o.dests ?? 100,
    lvs_ha: { from_empty_ms: o.empty ?? 9080, noop_ms: o.noop ?? 1340, weights_ms: 3300 },
    ipvsadm: { from_empty_ms: o.admEmpty ?? 3400, list_ms: 400, weights_ms: 1200 },
  };
}

export function failoverBench(crashBroken = 0, drillBroken = 0): unknown {
  return {
    load_seconds: 20,
    scenarios: [
      { name: 'crash', persistent: 20, broken: crashBroken, new_ok: 291, new_failed: 1, max_new_gap_ms: 3126, takeover_ms: 2997 },
      { name: 'drill', persistent: 20, broken: drillBroken, new_ok: 370, new_failed: 0, max_new_gap_ms: 1034, takeover_ms: 1111 },
    ],
    drill_reply: { ok: true },
    vm: { boot_ms: 15000, total_ms: 110000 },
  };
}

export const MACHINE: Machine = { cores: 2, cpu: 'AMD EPYC', kernel: '6.18.44-fc', vmKernel: '6.1.0-56-amd64', vmCpus: 2 };

export function okRun(name: BenchRun['name'], bench: unknown): BenchRun {
  return { name, status: 'ok', reason: null, startedAt: '2026-11-21T10:00:00Z', seconds: 12, args: ['--no-build'], bench, source: 'BENCH line' };
}

export function results(runs: readonly BenchRun[], quick = false): Results {
  return { version: 1, date: '2026-11-21T10:30:00.000Z', command: 'bash bench/run.sh --quick', quick, machine: MACHINE, runs };
}

/** bench/vrrp/false-failover: cells of [intervalMs, lvs-ha count, Keepalived count] (null: failed cell). */
export function falseFailBench(cells: readonly [number, number | null, number | null][], o: { seconds?: number; tcp?: number; http?: number } = {}): unknown {
  const seconds = o.seconds ?? 600;
  const tcp = o.tcp ?? 10_000;
  const http = o.http ?? 1_000;
  return {
    config: { intervals: cells.map((c) => c[0]), seconds, tcp, http, reloadEveryMs: 15_000, statusEveryMs: 1_000, metricsEveryMs: 5_000, impls: ['lvs-ha', 'keepalived'] },
    load: `${tcp.toLocaleString('en-US')} TCP + ${http.toLocaleString('en-US')} HTTP checks; reload every 15 s; status every 1 s; /metrics every 5 s`,
    pairs: 'both pairs at once in one lab',
    keepalivedNote: 'Keepalived 2.2.7 runs --vrrp only (this kernel has no IPVS): its checkers do not run',
    loadavg: { start: [1, 1, 1], end: [2, 2, 2] },
    wallSeconds: 1900,
    cells: cells.map(([intervalMs, ours, theirs]) => (ours === null
      ? { intervalMs, seconds, lvsHa: null, keepalived: null, error: 'Error: timed out after 90000 ms waiting for a MASTER and b BACKUP' }
      : {
        intervalMs, seconds, error: null,
        lvsHa: { falseFailovers: ours, masterLosses: ours, reloads: 39, statusQueries: 590, statusMaxMs: 80, scrapes: 119, realServersUp: 11_000, realServers: 11_000, isolateLoopDelayMaxMs: { master: 3.14, backup: 1.2 }, isolated: true, vipOnMaster: true, failovers: [] },
        keepalived: theirs === null ? null : { falseFailovers: theirs, masterLosses: theirs, reloads: 39, reloadsLogged: 39, realServers: 11_000, configLines: 70_000, running: true, vipOnMaster: true, failovers: [] },
      })),
  };
}
