/**
 * The daemon's metrics from its `status` result (pure): one source of truth
 * for `lvs-ha status --json` and `/metrics`, so the two never disagree.
 *
 * Families: VRRP state, transitions, adverts and drops by reason; real-server
 * health, kernel weight, connections and rates; check totals, the last
 * check latency and the check latency histograms (check-latency.ts); reconcile runs, operations and errors by kind; sync daemons;
 * alert deliveries per sink.
 */
import type { JsonObject, JsonValue } from '../control/protocol.js';
import { checkLatencyFamily } from './check-latency.js';
import type { MetricFamily, Sample } from './exposition.js';

const VRRP_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'] as const;
const HEALTH_STATES = ['up', 'down', 'unknown'] as const;

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objects(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? (v as readonly JsonValue[]).filter(isObject) : [];
}

function num(v: JsonValue | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

/** Families under construction, keyed by name, in first-use order. */
class Families {
  private readonly map = new Map<string, { help: string; type: MetricFamily['type']; samples: Sample[] }>();

  add(name: string, type: MetricFamily['type'], help: string, labels: Record<string, string>, value: number | null): void {
    if (value === null) return;
    let f = this.map.get(name);
    if (!f) {
      f = { help, type, samples: [] };
      this.map.set(name, f);
    }
    f.samples.push({ labels, value });
  }

  /** A family built elsewhere (histograms), placed at this point of the order. */
  addFamily(family: MetricFamily | null): void {
    if (family === null || this.map.has(family.name)) return;
    this.map.set(family.name, { help: family.help, type: family.type, samples: [...family.samples] });
  }

  list(): MetricFamily[] {
    return [...this.map.entries()].map(([name, f]) => ({ name, help: f.help, type: f.type, samples: f.samples }));
  }
}

function vrrpMetrics(fam: Families, instances: JsonValue | undefined): void {
  for (const i of objects(instances)) {
    const instance = str(i.name);
    for (const s of VRRP_STATES) fam.add('lvs_ha_vrrp_state', 'gauge', 'VRRP state of the instance (1 for the current state)', { instance, state: s }, i.state === s ? 1 : 0);
    fam.add('lvs_ha_vrrp_effective_priority', 'gauge', 'Effective VRRP priority after tracking', { instance }, num(i.effective_priority));
    const c = isObject(i.counters) ? i.counters : null;
    if (!c) continue;
    fam.add('lvs_ha_vrrp_transitions_total', 'counter', 'VRRP state transitions', { instance }, num(c.transitions));
    fam.add('lvs_ha_vrrp_adverts_sent_total', 'counter', 'VRRP adverts sent', { instance }, num(c.adverts_sent));
    fam.add('lvs_ha_vrrp_adverts_received_total', 'counter', 'VRRP adverts received and accepted', { instance }, num(c.adverts_received));
    fam.add('lvs_ha_vrrp_send_errors_total', 'counter', 'VRRP advert send errors', { instance }, num(c.send_errors));
    if (isObject(c.drops)) {
      for (const [reason, n] of Object.entries(c.drops)) {
        fam.add('lvs_ha_vrrp_drops_total', 'counter', 'VRRP packets dropped, by reason', { instance, reason }, num(n));
      }
    }
    if (isObject(c.notes)) {
      for (const [note, n] of Object.entries(c.notes)) {
        fam.add('lvs_ha_vrrp_advert_notes_total', 'counter', 'VRRP adverts accepted with a note, by note', { instance, note }, num(n));
      }
    }
  }
}

function realServerMetrics(fam: Families, vsName: string, rs: JsonObject): void {
  const labels = { virtual_server: vsName, real_server: `${str(rs.address)}:${str(rs.port)}` };
  for (const h of HEALTH_STATES) fam.add('lvs_ha_real_server_health', 'gauge', 'Health of the real server (1 for the current state)', { ...labels, state: h }, rs.health === h ? 1 : 0);
  fam.add('lvs_ha_real_server_weight', 'gauge', 'Weight of the real server in the kernel', labels, num(rs.weight));
  fam.add('lvs_ha_real_server_configured_weight', 'gauge', 'Configured weight of the real server', labels, num(rs.configured_weight));
  fam.add('lvs_ha_real_server_drained', 'gauge', '1 while an operator drain holds the real server at weight 0', labels, rs.drained === true ? 1 : 0);
  fam.add('lvs_ha_ipvs_active_connections', 'gauge', 'Active connections to the real server (kernel)', labels, num(rs.active_conns));
  fam.add('lvs_ha_ipvs_inactive_connections', 'gauge', 'Inactive connections to the real server (kernel)', labels, num(rs.inactive_conns));
  const rates = isObject(rs.rates) ? rs.rates : null;
  if (rates) {
    fam.add('lvs_ha_ipvs_connection_rate', 'gauge', 'New connections per second to the real server (kernel estimate)', labels, num(rates.cps));
    fam.add('lvs_ha_ipvs_in_bytes_rate', 'gauge', 'Incoming bytes per second to the real server (kernel estimate)', labels, num(rates.in_bps));
    fam.add('lvs_ha_ipvs_out_bytes_rate', 'gauge', 'Outgoing bytes per second from the real server (kernel estimate)', labels, num(rates.out_bps));
  }
  const last = isObject(rs.last_check) ? rs.last_check : null;
  if (last) {
    const ms = num(last.latency_ms);
    fam.add('lvs_ha_check_last_latency_seconds', 'gauge', 'Latency of the last health check of the real server', labels, ms === null ? null : ms / 1000);
    fam.add('lvs_ha_check_last_ok', 'gauge', '1 when the last health check passed', labels, last.error === null ? 1 : 0);
  }
}

function virtualServerMetrics(fam: Families, list: JsonValue | undefined): void {
  for (const vs of objects(list)) {
    const name = str(vs.name);
    fam.add('lvs_ha_virtual_server_in_kernel', 'gauge', '1 when the virtual server is in the kernel table', { virtual_server: name }, vs.in_kernel === true ? 1 : 0);
    const up = vs.quorum_up;
    fam.add('lvs_ha_virtual_server_quorum', 'gauge', 'Quorum: 1 held, 0 lost, -1 unknown', { virtual_server: name }, up === true ? 1 : up === false ? 0 : -1);
    fam.add('lvs_ha_virtual_server_up', 'gauge', 'Real servers up in the virtual server', { virtual_server: name }, num(vs.up_count));
    for (const rs of objects(vs.real_servers)) realServerMetrics(fam, name, rs);
  }
}

function reconcileMetrics(fam: Families, rec: JsonValue | undefined): void {
  if (!isObject(rec)) return;
  fam.add('lvs_ha_ipvs_available', 'gauge', '1 when the IPVS netlink family is connected', {}, rec.ipvs === 'connected' ? 1 : 0);
  fam.add('lvs_ha_ipvs_connect_errors_total', 'counter', 'Failed attempts to reach IPVS', {}, num(rec.connect_errors));
  fam.add('lvs_ha_ipvs_family_lost_total', 'counter', 'Times the IPVS generic netlink family vanished (ip_vs unloaded) and was resolved again', {}, num(rec.family_lost));
  fam.add('lvs_ha_reconcile_runs_total', 'counter', 'Reconciler runs', {}, num(rec.runs));
  fam.add('lvs_ha_reconcile_failed_runs_total', 'counter', 'Reconciler runs whose table read failed', {}, num(rec.failed_runs));
  fam.add('lvs_ha_reconcile_operations_total', 'counter', 'IPVS operations applied by the reconciler, by result', { result: 'applied' }, num(rec.ops_applied));
  fam.add('lvs_ha_reconcile_operations_total', 'counter', 'IPVS operations applied by the reconciler, by result', { result: 'failed' }, num(rec.ops_failed));
  if (isObject(rec.errors_by_kind)) {
    for (const [kind, n] of Object.entries(rec.errors_by_kind)) fam.add('lvs_ha_reconcile_errors_total', 'counter', 'Reconciler errors by kind', { kind }, num(n));
  }
}

function alertMetrics(fam: Families, alerts: JsonValue | undefined): void {
  for (const s of objects(alerts)) {
    const sink = str(s.name);
    for (const result of ['sent', 'failed', 'dropped', 'deduplicated', 'retries'] as const) {
      fam.add('lvs_ha_alert_deliveries_total', 'counter', 'Alert deliveries per sink, by result', { sink, result }, num(s[result]));
    }
    fam.add('lvs_ha_alert_queue_length', 'gauge', 'Alerts waiting in the sink queue', { sink }, num(s.queued));
  }
}

function checkMetrics(fam: Families, checks: JsonValue | undefined): void {
  if (!isObject(checks)) return;
  fam.add('lvs_ha_checks_total', 'counter', 'Health checks run', {}, num(checks.checks));
  fam.add('lvs_ha_check_failures_total', 'counter', 'Health checks that failed', {}, num(checks.check_failures));
  fam.add('lvs_ha_check_transitions_total', 'counter', 'Real-server health transitions', {}, num(checks.transitions));
  fam.add('lvs_ha_checks_scheduled', 'gauge', 'Health checks scheduled', {}, num(checks.scheduled));
}

function isolateMetrics(fam: Families, isolate: JsonValue | undefined): void {
  if (!isObject(isolate)) return;
  fam.add('lvs_ha_vrrp_isolate_running', 'gauge', '1 while the VRRP isolate (the process that sends adverts) runs', {}, isolate.running === true ? 1 : 0);
  fam.add('lvs_ha_vrrp_isolate_restarts_total', 'counter', 'Times the VRRP isolate died and was started again', {}, num(isolate.restarts));
  const max = num(isolate.loop_delay_max_ms);
  fam.add('lvs_ha_vrrp_isolate_loop_delay_max_seconds', 'gauge', 'Largest event-loop delay of the VRRP isolate since it started (compare with the master-down interval)', {}, max === null ? null : max / 1000);
  const recent = num(isolate.loop_delay_recent_max_ms);
  fam.add('lvs_ha_vrrp_isolate_loop_delay_recent_seconds', 'gauge', 'Largest event-loop delay of the VRRP isolate in its last report (about a second)', {}, recent === null ? null : recent / 1000);
}

function syncMetrics(fam: Families, sync: JsonValue | undefined): void {
  if (!isObject(sync)) return;
  for (const state of ['master', 'backup'] as const) {
    fam.add('lvs_ha_sync_daemon_running', 'gauge', '1 while the kernel sync daemon of this state runs', { state }, sync[state] === null || sync[state] === undefined ? 0 : 1);
  }
}

function announceMetrics(fam: Families, announce: JsonValue | undefined): void {
  if (!isObject(announce)) return;
  for (const v of objects(announce.vips)) {
    fam.add('lvs_ha_vip_announced', 'gauge', '1 while this ECMP director announces the VIP (its route is in the announcement table)', { vip: str(v.address) }, v.state === 'announced' ? 1 : 0);
  }
  const c = isObject(announce.counters) ? announce.counters : {};
  fam.add('lvs_ha_vip_announcements_total', 'counter', 'Times a VIP went from withdrawn to announced', {}, num(c.announcements));
  fam.add('lvs_ha_vip_withdrawals_total', 'counter', 'Times a VIP went from announced to withdrawn', {}, num(c.withdrawals));
  fam.add('lvs_ha_announce_route_errors_total', 'counter', 'Announcement-table reads and route operations the kernel refused', {}, num(c.route_errors));
  const m = isObject(announce.maintenance) ? announce.maintenance : {};
  fam.add('lvs_ha_node_maintenance', 'gauge', '1 while this ECMP director is in maintenance (every VIP withdrawn)', {}, m.on === true ? 1 : 0);
}

/** Every family the status result carries. */
export function metricsFromStatus(status: JsonObject): MetricFamily[] {
  const fam = new Families();
  fam.add('lvs_ha_uptime_seconds', 'gauge', 'Seconds since the daemon started', {}, num(status.uptime_s));
  fam.add('lvs_ha_reloads_total', 'counter', 'Successful config reloads', {}, num(status.reload_count));
  vrrpMetrics(fam, status.instances);
  isolateMetrics(fam, status.vrrp_isolate);
  virtualServerMetrics(fam, status.virtual_servers);
  checkMetrics(fam, status.health_checks);
  fam.addFamily(checkLatencyFamily(status.check_latency));
  reconcileMetrics(fam, status.reconcile);
  syncMetrics(fam, status.ipvs_sync);
  announceMetrics(fam, status.announce);
  alertMetrics(fam, status.alerts);
  return fam.list();
}
