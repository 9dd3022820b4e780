import { describe, expect, it } from 'vitest';
import { formatUptime, renderStatus } from '../../../src/control/status-view.js';

const base = {
  node: 'director-a',
  config_path: '/etc/lvs-ha/lvs-ha.yaml',
  loaded_at: '2026-01-01T00:00:00.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  uptime_s: 3725.5,
  reload_count: 2,
  last_reload_error: null,
  pid: 4242,
  version: '0.1.0',
};

describe('renderStatus', () => {
  it('prints aligned key: value lines', () => {
    const text = renderStatus(base);
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('node:              director-a');
    expect(lines).toContain('uptime:            1h 2m 5s (3725.5 s)');
    expect(lines).toContain('last reload error: none');
    const valueColumns = new Set(lines.map((l) => l.search(/(?<=: +)\S/)));
    expect(valueColumns.size).toBe(1);
  });

  it('shows the reload error and each located issue', () => {
    const text = renderStatus({
      ...base,
      last_reload_error: {
        at: '2026-01-01T00:01:00.000Z',
        message: 'reload rejected',
        errors: [
          { file: '/c.yaml', line: 7, column: 5, path: 'vrrp.instances[0].vrid', message: 'out of range' },
          { file: '/c.yaml', line: 0, column: 0, path: '', message: 'no such file' },
        ],
      },
    });
    expect(text).toContain('last reload error: 2026-01-01T00:01:00.000Z reload rejected');
    expect(text).toContain('  /c.yaml:7:5: vrrp.instances[0].vrid: out of range\n');
    expect(text).toContain('  /c.yaml: no such file\n');
  });

  it('shows sections from later engines as JSON on their line', () => {
    const text = renderStatus({ ...base, ipvs_sync: { role: 'master' } });
    expect(text).toContain('ipvs sync:');
    expect(text).toContain('{"role":"master"}');
  });
});

describe('formatUptime', () => {
  it('drops leading zero units', () => {
    expect(formatUptime(0)).toBe('0s');
    expect(formatUptime(59.9)).toBe('59s');
    expect(formatUptime(60)).toBe('1m 0s');
    expect(formatUptime(86_400 + 1)).toBe('1d 0h 0m 1s');
  });
});

describe('renderStatus tables', () => {
  const instances = [{ name: 'web', state: 'MASTER', priority: 150, effective_priority: 150, interface: 'eth0', vrid: 51, master_address: '10.0.0.1', virtual_addresses: ['10.0.0.100/32'] }];
  const virtualServers = [{
    name: 'http', service: 'tcp 10.0.0.100:80', in_kernel: true, scheduler: 'wrr', quorum: { state: 'held' },
    real_servers: [
      { address: '10.0.0.11', port: 80, forwarding: 'dr', weight: 2, configured_weight: 2, active_conns: 5, inactive_conns: 1, health: 'up', drained: false },
      { address: '10.0.0.12', port: 80, forwarding: 'dr', weight: 0, configured_weight: 1, active_conns: 0, inactive_conns: 0, health: 'up', drained: true },
      { address: 'fd00::1', port: 80, forwarding: null, weight: null, configured_weight: 1, active_conns: null, inactive_conns: null, health: 'down', drained: false },
    ],
  }];

  it('lists the instances first, then each virtual server like ipvsadm -Ln with health', () => {
    const text = renderStatus({ ...base, instances, virtual_servers: virtualServers });
    const lines = text.split('\n');
    const iInst = lines.indexOf('instances:');
    const iVs = lines.indexOf('virtual servers:');
    expect(iInst).toBeGreaterThan(0);
    expect(iVs).toBeGreaterThan(iInst);
    expect(lines[iInst + 2]).toMatch(/^ {2}web +MASTER +150 +150 +eth0 +51 +10\.0\.0\.1 +10\.0\.0\.100\/32$/);
    expect(text).toContain('  tcp 10.0.0.100:80 wrr  (http, quorum held)\n');
    const withExcluded = renderStatus({ ...base, instances: [{ ...instances[0], virtual_addresses_excluded: ['10.0.0.101/32', '10.0.0.102/24'] }] }).split('\n');
    expect(withExcluded[withExcluded.indexOf('instances:') + 2]).toMatch(/ 10\.0\.0\.100\/32 excluded:10\.0\.0\.101\/32,10\.0\.0\.102\/24$/);
    expect(text).toMatch(/-> 10\.0\.0\.11:80 +Route +2 +2 +5 +1 +up\n/);
    expect(text).toMatch(/-> 10\.0\.0\.12:80 +Route +0 +1 +0 +0 +up drained\n/);
    expect(text).toMatch(/-> \[fd00::1\]:80 +- +- +1 +- +- +down\n/);
    // The table sections are not repeated as JSON lines.
    expect(text).not.toContain('"real_servers"');
  });

  it('says none when there are no instances or virtual servers', () => {
    const text = renderStatus({ ...base, instances: [], virtual_servers: [] });
    expect(text).toContain('instances: none');
    expect(text).toContain('virtual servers: none');
  });
});
