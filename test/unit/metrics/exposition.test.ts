import { describe, expect, it } from 'vitest';
import { escapeLabelValue, formatValue, histogramSamples, renderExposition } from '../../../src/metrics/exposition.js';
import { metricsFromStatus } from '../../../src/metrics/from-status.js';

describe('Prometheus text exposition', () => {
  it('writes HELP and TYPE once per family, then one line per sample', () => {
    const text = renderExposition([
      { name: 'lvs_ha_x_total', type: 'counter', help: 'X things', samples: [{ labels: { a: '1' }, value: 3 }, { labels: { a: '2' }, value: 4 }] },
      { name: 'lvs_ha_empty', type: 'gauge', help: 'never shown', samples: [] },
      { name: 'lvs_ha_up', type: 'gauge', help: 'up', samples: [{ value: 1 }] },
    ]);
    expect(text).toBe([
      '# HELP lvs_ha_x_total X things',
      '# TYPE lvs_ha_x_total counter',
      'lvs_ha_x_total{a="1"} 3',
      'lvs_ha_x_total{a="2"} 4',
      '# HELP lvs_ha_up up',
      '# TYPE lvs_ha_up gauge',
      'lvs_ha_up 1',
      '',
    ].join('\n'));
  });

  it('escapes label values and help text; special values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(0.25)).toBe('0.25');
    const text = renderExposition([{ name: 'm', type: 'gauge', help: 'line1\nline2', samples: [{ labels: { v: 'x"y' }, value: 1 }] }]);
    expect(text).toContain('# HELP m line1\\nline2\n');
    expect(text).toContain('m{v="x\\"y"} 1\n');
  });

  it('refuses invalid metric and label names', () => {
    expect(() => renderExposition([{ name: '1bad', type: 'gauge', help: '', samples: [{ value: 1 }] }])).toThrow(/bad metric name/);
    expect(() => renderExposition([{ name: 'ok', type: 'gauge', help: '', samples: [{ labels: { 'a-b': 'x' }, value: 1 }] }])).toThrow(/bad label name/);
  });

  it('builds cumulative histogram buckets ending in +Inf, with _sum and _count', () => {
    const samples = histogramSamples({ check: 'a' }, [0.1, 1], [2, 3, 1], 4.5);
    const text = renderExposition([{ name: 'lat', type: 'histogram', help: 'h', samples }]);
    expect(text).toContain('lat_bucket{check="a",le="0.1"} 2\n');
    expect(text).toContain('lat_bucket{check="a",le="1"} 5\n');
    expect(text).toContain('lat_bucket{check="a",le="+Inf"} 6\n');
    expect(text).toContain('lat_sum{check="a"} 4.5\n');
    expect(text).toContain('lat_count{check="a"} 6\n');
  });
});

describe('metrics from the status result', () => {
  const status = {
    node: 'a', uptime_s: 12.5, reload_count: 2,
    instances: [{ name: 'web', state: 'MASTER', effective_priority: 150, counters: { transitions: 2, adverts_sent: 40, adverts_received: 3, send_errors: 0, drops: { bad_ttl: 2, auth: 1 }, notes: { ipv6_first_not_link_local: 3 } } }],
    virtual_servers: [{
      name: 'http', in_kernel: true, quorum_up: true, up_count: 1,
      real_servers: [{
        address: '10.0.0.11', port: 80, health: 'up', weight: 2, configured_weight: 2, drained: false, active_conns: 7, inactive_conns: 1,
        rates: { cps: 3, in_bps: 100, out_bps: 0 }, last_check: { at: 'x', latency_ms: 12, error: null },
      }],
    }],
    health_checks: { checks: 10, check_failures: 1, transitions: 2, scheduled: 1 },
    reconcile: { ipvs: 'connected', connect_errors: 0, runs: 4, failed_runs: 0, ops_applied: 5, ops_failed: 1, errors_by_kind: { exists: 1 } },
    ipvs_sync: { master: { sync_id: 1 }, backup: null },
    alerts: [{ name: 'ops', sent: 3, failed: 1, dropped: 0, deduplicated: 2, retries: 1, queued: 0 }],
  };

  it('covers VRRP, real servers, checks, reconcile, sync and alerts', () => {
    const text = renderExposition(metricsFromStatus(status));
    expect(text).toContain('lvs_ha_vrrp_state{instance="web",state="MASTER"} 1\n');
    expect(text).toContain('lvs_ha_vrrp_state{instance="web",state="BACKUP"} 0\n');
    expect(text).toContain('lvs_ha_vrrp_drops_total{instance="web",reason="bad_ttl"} 2\n');
    expect(text).toContain('lvs_ha_vrrp_advert_notes_total{instance="web",note="ipv6_first_not_link_local"} 3\n');
    expect(text).toContain('lvs_ha_vrrp_adverts_sent_total{instance="web"} 40\n');
    expect(text).toContain('lvs_ha_real_server_health{virtual_server="http",real_server="10.0.0.11:80",state="up"} 1\n');
    expect(text).toContain('lvs_ha_ipvs_active_connections{virtual_server="http",real_server="10.0.0.11:80"} 7\n');
    expect(text).toContain('lvs_ha_check_last_latency_seconds{virtual_server="http",real_server="10.0.0.11:80"} 0.012\n');
    expect(text).toContain('lvs_ha_checks_total 10\n');
    expect(text).toContain('lvs_ha_reconcile_operations_total{result="failed"} 1\n');
    expect(text).toContain('lvs_ha_reconcile_errors_total{kind="exists"} 1\n');
    expect(text).toContain('lvs_ha_sync_daemon_running{state="master"} 1\n');
    expect(text).toContain('lvs_ha_sync_daemon_running{state="backup"} 0\n');
    expect(text).toContain('lvs_ha_alert_deliveries_total{sink="ops",result="failed"} 1\n');
    // Each family's TYPE line appears exactly once.
    expect(text.match(/^# TYPE lvs_ha_vrrp_state /gm)).toHaveLength(1);
  });

  it('leaves out what the status does not have (no IPVS: null kernel numbers)', () => {
    const text = renderExposition(metricsFromStatus({
      node: 'a', uptime_s: 1, reload_count: 0,
      virtual_servers: [{ name: 'http', in_kernel: false, quorum_up: null, up_count: 0, real_servers: [{ address: '10.0.0.11', port: 80, health: 'unknown', weight: null, configured_weight: 1, active_conns: null }] }],
      reconcile: { ipvs: 'unavailable', connect_errors: 3, runs: 0 },
    }));
    expect(text).not.toContain('lvs_ha_real_server_weight{');
    expect(text).not.toContain('lvs_ha_ipvs_active_connections');
    expect(text).toContain('lvs_ha_ipvs_available 0\n');
    expect(text).toContain('lvs_ha_ipvs_connect_errors_total 3\n');
    expect(text).toContain('lvs_ha_virtual_server_quorum{virtual_server="http"} -1\n');
  });
});
