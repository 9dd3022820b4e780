/**
 * contrib/: the Prometheus alert rules pass `promtool check rules` and their own
 * `promtool test rules`, and the rules and the Grafana dashboard use only metric
 * names the daemon exports (the families metricsFromStatus builds, which must be
 * every `lvs_ha_*` name in src/metrics).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderExposition } from '../../../src/metrics/exposition.js';
import { metricsFromStatus } from '../../../src/metrics/from-status.js';

const repo = resolve(import.meta.dirname, '../../..');
const rulesDir = join(repo, 'contrib', 'prometheus');
const dashboardFile = join(repo, 'contrib', 'grafana', 'lvs-ha-dashboard.json');

/** A status result with every section filled, so every family has samples. */
const fullStatus = {
  node: 'a', uptime_s: 12.5, reload_count: 2,
  instances: [{ name: 'web', state: 'MASTER', effective_priority: 150, counters: { transitions: 2, adverts_sent: 40, adverts_received: 3, send_errors: 0, drops: { bad_ttl: 2 }, notes: { ipv6_first_not_link_local: 3 } } }],
  vrrp_isolate: { running: true, restarts: 0, loop_delay_max_ms: 12, loop_delay_recent_max_ms: 3 },
  virtual_servers: [{
    name: 'http', in_kernel: true, quorum_up: true, up_count: 1,
    real_servers: [{
      address: '10.0.0.11', port: 80, health: 'up', weight: 2, configured_weight: 2, drained: false, active_conns: 7, inactive_conns: 1,
      rates: { cps: 3, in_bps: 100, out_bps: 0 }, last_check: { at: 'x', latency_ms: 12, error: null },
    }],
  }],
  health_checks: { checks: 10, check_failures: 1, transitions: 2, scheduled: 1 },
  check_latency: { bounds_ms: [1, 10], series: [{ type: 'tcp', result: 'ok', sum_ms: 5, bucket_counts: [1, 2, 0] }] },
  reconcile: { ipvs: 'connected', connect_errors: 0, family_lost: 0, runs: 4, failed_runs: 0, ops_applied: 5, ops_failed: 1, errors_by_kind: { exists: 1 } },
  ipvs_sync: { master: { sync_id: 1 }, backup: null },
  announce: {
    route_table: 240, route_protocol: 240, device: 'lo', phase: 'running', maintenance: { on: false, since: null, drain: null },
    vips: [{ address: '192.0.2.10', state: 'announced', reason: 'quorum held: http', since: 'x' }],
    last_error: null, conflict: null, counters: { evaluations: 3, announcements: 1, withdrawals: 0, route_ops: 1, route_errors: 0 },
  },
  alerts: [{ name: 'ops', sent: 3, failed: 1, dropped: 0, deduplicated: 2, retries: 1, queued: 0 }],
};

/** Names a scrape of the daemon shows: every sample name of the exposition. */
function exportedNames(): Set<string> {
  const text = renderExposition(metricsFromStatus(fullStatus));
  const names = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? '');
  return new Set(names);
}

/** Metric-like names in PromQL expressions: lvs_ha_* and Prometheus's own `up`. */
function usedNames(exprs: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const e of exprs) for (const m of e.matchAll(/\b(lvs_ha_[a-z0-9_]+|up)\b(?=\s*[{[)\s]|$)/g)) out.add(m[1] ?? '');
  return out;
}

function ruleExprs(): string[] {
  const text = readFileSync(join(rulesDir, 'lvs-ha.rules.yml'), 'utf8');
  return [...text.matchAll(/^\s+expr: (\|\n((?:\s{10,}.*\n)+)|.*)$/gm)].map((m) => m[2] ?? m[1] ?? '');
}

interface Panel { readonly id: number; readonly type: string; readonly targets?: readonly { readonly expr: string }[] }

function dashboard(): { panels: readonly Panel[]; templating: { list: readonly { name: string }[] } } {
  return JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: readonly Panel[]; templating: { list: readonly { name: string }[] } };
}

describe('the metrics the daemon exports', () => {
  it('the full-status fixture yields every lvs_ha_* family named in src/metrics', () => {
    const literals = new Set<string>();
    for (const f of readdirSync(join(repo, 'src', 'metrics'))) {
      for (const m of readFileSync(join(repo, 'src', 'metrics', f), 'utf8').matchAll(/'(lvs_ha_[a-z0-9_]+)'/g)) literals.add(m[1] ?? '');
    }
    const families = new Set(metricsFromStatus(fullStatus).map((f) => f.name));
    expect([...families].sort()).toEqual([...literals].sort());
  });
});

describe('contrib/prometheus/lvs-ha.rules.yml', () => {
  it('passes promtool check rules and promtool test rules', () => {
    const check = spawnSync('promtool', ['check', 'rules', 'lvs-ha.rules.yml'], { cwd: rulesDir, encoding: 'utf8' });
    expect(check.error, 'promtool must be installed (Debian package prometheus; test/setup-host.sh)').toBeUndefined();
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', 'lvs-ha.rules.test.yml'], { cwd: rulesDir, encoding: 'utf8' });
    expect(test.status, `${test.stdout}${test.stderr}`).toBe(0);
  });

  it('covers the alerts issue 15 asks for', () => {
    const text = readFileSync(join(rulesDir, 'lvs-ha.rules.yml'), 'utf8');
    for (const alert of ['LvsHaVipFlapping', 'LvsHaNoMaster', 'LvsHaTwoMasters', 'LvsHaRealServerDown', 'LvsHaQuorumLost', 'LvsHaSyncDaemonDown', 'LvsHaAlertDeliveryFailing', 'LvsHaReconcileErrors']) {
      expect(text).toContain(`- alert: ${alert}\n`);
    }
  });

  it('uses only metric names the daemon exports', () => {
    const exprs = ruleExprs();
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const exported = exportedNames();
    const used = usedNames(exprs);
    expect([...used].filter((n) => n !== 'up' && !exported.has(n))).toEqual([]);
  });
});

describe('contrib/grafana/lvs-ha-dashboard.json', () => {
  it('is a dashboard with a data source variable and unique panel ids', () => {
    const d = dashboard();
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'job']);
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses only metric names the daemon exports, and shows every family', () => {
    const exprs = dashboard().panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const used = usedNames(exprs);
    const exported = exportedNames();
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
    const families = metricsFromStatus(fullStatus).map((f) => f.name);
    const shown = families.filter((f) => [...used].some((u) => u === f || u.startsWith(`${f}_`)));
    expect(families.filter((f) => !shown.includes(f))).toEqual([]);
  });
});
