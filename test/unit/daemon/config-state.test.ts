import { describe, expect, it } from 'vitest';
import { applyReload, initialConfigState, reloadFailure, summariseIssues } from '../../../src/daemon/config-state.js';
import { badResult, issue, okResult, testConfig } from './fixtures.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:10:00Z');
const t2 = new Date('2026-01-01T00:20:00Z');
const file = '/etc/lvs-ha/a.yaml';

describe('applyReload', () => {
  it('replaces the config whole on success and bumps the count', () => {
    const first = testConfig('a', '/s');
    const second = testConfig('a2', '/s');
    const outcome = applyReload(initialConfigState(first, file, t0), okResult(file, second), t1);
    expect(outcome.kind).toBe('applied');
    expect(outcome.state.config).toBe(second);
    expect(outcome.state.reloadCount).toBe(1);
    expect(outcome.state.loadedAt).toBe(t1);
    if (outcome.kind === 'applied') expect(outcome.previous).toBe(first);
  });

  it('keeps the running config on failure, records the error, keeps the count', () => {
    const first = testConfig('a', '/s');
    const state = initialConfigState(first, file, t0);
    const outcome = applyReload(state, badResult(file, [issue(file, 4, 'node', 'bad'), issue(file, 9, 'x', 'worse')]), t1);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.state.config).toBe(first);
    expect(outcome.state.loadedAt).toBe(t0);
    expect(outcome.state.reloadCount).toBe(0);
    expect(outcome.state.lastReloadError?.errors).toHaveLength(2);
    expect(outcome.state.lastReloadError?.message).toContain(`${file}:4:3: node: bad (found 256) (and 1 more)`);
  });

  it('clears the recorded error with the next good reload', () => {
    const state = initialConfigState(testConfig('a', '/s'), file, t0);
    const failed = applyReload(state, badResult(file, [issue(file, 4, 'node', 'bad')]), t1);
    const fixed = applyReload(failed.state, okResult(file, testConfig('b', '/s')), t2);
    expect(fixed.state.lastReloadError).toBeNull();
    expect(fixed.state.reloadCount).toBe(1);
    expect(fixed.state.config.node).toBe('b');
  });

  it('records a loader crash as a failure too', () => {
    const state = initialConfigState(testConfig('a', '/s'), file, t0);
    const outcome = reloadFailure(state, 'EIO', t1);
    expect(outcome.state.lastReloadError).toEqual({ at: t1, message: 'reload failed, keeping the running config: EIO', errors: [] });
    expect(outcome.state.config.node).toBe('a');
  });
});

describe('summariseIssues', () => {
  it('handles no issues and rootless paths', () => {
    expect(summariseIssues(file, [])).toBe(`${file}: invalid configuration`);
    expect(summariseIssues(file, [{ file, line: 1, column: 1, path: '', message: 'not YAML' }])).toBe(`${file}:1:1: not YAML`);
    expect(summariseIssues(file, [{ file, line: 0, column: 0, path: '', message: 'no such file' }])).toBe(`${file}: no such file`);
  });
});
