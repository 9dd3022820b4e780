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
