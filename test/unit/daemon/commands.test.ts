import { describe, expect, it } from 'vitest';
import { makeControlHandler } from '../../../src/daemon/commands.js';
import { applyReload, initialConfigState } from '../../../src/daemon/config-state.js';
import { EventQueue } from '../../../src/core/event-queue.js';
import { badResult, issue, okResult, testConfig } from './fixtures.js';

const file = '/etc/lvs-ha/a.yaml';
const t0 = new Date('2026-01-01T00:00:00Z');
const state = initialConfigState(testConfig('a', '/s'), file, t0);

describe('control command handlers', () => {
  it('status and reload run through the queue, in order', async () => {
    const queue = new EventQueue();
    const order: string[] = [];
    const handler = makeControlHandler(queue, {
      status: () => {
        order.push('status');
        return { node: 'a' };
      },
      reloadNow: () => {
        order.push('reload');
        return Promise.resolve(applyReload(state, okResult(file, testConfig('b', '/s')), t0));
      },
    });
    const [r1, r2] = await Promise.all([
      handler({ v: 1, id: 1, cmd: 'reload', args: {} }),
      handler({ v: 1, id: 2, cmd: 'status', args: {} }),
    ]);
    expect(order).toEqual(['reload', 'status']);
    expect(r1).toEqual({ v: 1, id: 1, ok: true, result: { reloaded: true, reload_count: 1, loaded_at: t0.toISOString(), config_path: file } });
    expect(r2).toEqual({ v: 1, id: 2, ok: true, result: { node: 'a' } });
  });

  it('a rejected reload answers reload_failed with the located issues', async () => {
    const handler = makeControlHandler(new EventQueue(), {
      status: () => ({}),
      reloadNow: () => Promise.resolve(applyReload(state, badResult(file, [issue(file, 5, 'vrrp', 'unknown key')]), t0)),
    });
    const reply = await handler({ v: 1, id: 'r', cmd: 'reload', args: {} });
    expect(reply).toMatchObject({ ok: false, id: 'r', error: { code: 'reload_failed', details: { errors: [{ line: 5, path: 'vrrp' }] } } });
  });

  it('answers shutting_down once the queue is closed', async () => {
    const queue = new EventQueue();
    await queue.close();
    const handler = makeControlHandler(queue, { status: () => ({}), reloadNow: () => Promise.reject(new Error('not called')) });
    expect(await handler({ v: 1, id: 3, cmd: 'status', args: {} })).toEqual({
      v: 1, id: 3, ok: false, error: { code: 'shutting_down', message: 'the daemon is stopping' },
    });
  });
});
