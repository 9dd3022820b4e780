import { describe, expect, it } from 'vitest';
import { applyReload, initialConfigState } from '../../../src/daemon/config-state.js';
import { buildStatus, CORE_STATUS_KEYS, StatusRegistry } from '../../../src/daemon/status.js';
import { badResult, issue, testConfig } from './fixtures.js';

const started = new Date('2026-01-01T00:00:00Z');

function core(uptimeMs = 1500) {
  return {
    state: initialConfigState(testConfig('director-a', '/run/x.sock'), '/etc/lvs-ha/a.yaml', started),
    startedAt: started,
    uptimeMs,
    pid: 99,
    version: '0.1.0',
  };
}

describe('buildStatus', () => {
  it('reports the core fields', () => {
    expect(buildStatus(core(), [])).toEqual({
      node: 'director-a',
      config_path: '/etc/lvs-ha/a.yaml',
      loaded_at: '2026-01-01T00:00:00.000Z',
      started_at: '2026-01-01T00:00:00.000Z',
      uptime_s: 1.5,
      reload_count: 0,
      last_reload_error: null,
      pid: 99,
      version: '0.1.0',
    });
  });

  it('reports the last reload error with its located issues', () => {
    const c = core();
    const at = new Date('2026-01-01T00:05:00Z');
    const outcome = applyReload(c.state, badResult('/etc/lvs-ha/a.yaml', [issue('/etc/lvs-ha/a.yaml', 12, 'vrrp.instances[0].vrid', 'out of range')]), at);
    const status = buildStatus({ ...c, state: outcome.state }, []);
    expect(status.reload_count).toBe(0);
    expect(status.last_reload_error).toEqual({
      at: '2026-01-01T00:05:00.000Z',
      message: 'reload rejected, keeping the running config: /etc/lvs-ha/a.yaml:12:3: vrrp.instances[0].vrid: out of range (found 256)',
      errors: [{
        file: '/etc/lvs-ha/a.yaml', line: 12, column: 3, path: 'vrrp.instances[0].vrid',
        message: 'out of range', found: '256', expected: 'an integer 1..255',
      }],
    });
  });

  it('adds one section per provider, in registration order, after the core keys', () => {
    const registry = new StatusRegistry();
    registry.register({ section: 'instances', snapshot: () => [{ name: 'web', state: 'MASTER' }] });
    registry.register({ section: 'ipvs_sync', snapshot: () => ({ role: 'master' }) });
    const status = buildStatus(core(), registry.list());
    expect(Object.keys(status)).toEqual([...CORE_STATUS_KEYS, 'instances', 'ipvs_sync']);
    expect(status.instances).toEqual([{ name: 'web', state: 'MASTER' }]);
  });

  it('contains a failing provider to its own section', () => {
    const registry = new StatusRegistry();
    registry.register({ section: 'virtual_servers', snapshot: () => { throw new Error('engine broke'); } });
    const status = buildStatus(core(), registry.list());
    expect(status.virtual_servers).toEqual({ error: 'engine broke' });
    expect(status.node).toBe('director-a');
  });
});

describe('StatusRegistry', () => {
  it('refuses core keys, duplicates and badly named sections', () => {
    const registry = new StatusRegistry();
    expect(() => { registry.register({ section: 'node', snapshot: () => null }); }).toThrow(/reserved for the daemon core/);
    registry.register({ section: 'instances', snapshot: () => null });
    expect(() => { registry.register({ section: 'instances', snapshot: () => null }); }).toThrow(/already registered/);
    expect(() => { registry.register({ section: 'Virtual-Servers', snapshot: () => null }); }).toThrow(/snake_case/);
    expect(registry.list().map((p) => p.section)).toEqual(['instances']);
  });
});
