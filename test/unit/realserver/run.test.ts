import { describe, expect, test } from 'vitest';
import type { Action } from '../../../src/realserver/plan.js';
import { realServerCheck, realServerDown, realServerUp, type StateStore } from '../../../src/realserver/run.js';
import type { RealServerState } from '../../../src/realserver/state.js';
import type { RealServerSystem } from '../../../src/realserver/system.js';
import type { Snapshot } from '../../../src/realserver/types.js';
import { applyAll, DR, freshSnapshot, TUN } from './fixtures.js';

class FakeSystem implements RealServerSystem {
  modules: string[] = [];
  applied: Action[] = [];
  failOn: Action['kind'] | undefined;
  constructor(public kernel: Snapshot) {}
  loadModules(modules: readonly string[]): Promise<void> {
    this.modules.push(...modules);
    return Promise.resolve();
  }
  snapshot(): Promise<Snapshot> {
    return Promise.resolve(this.kernel);
  }
  apply(action: Action): Promise<void> {
    if (action.kind === this.failOn) return Promise.reject(new Error('EPERM'));
    this.applied.push(action);
    this.kernel = applyAll(this.kernel, [action]);
    return Promise.resolve();
  }
  close(): void {
    // nothing to close
  }
}

function memoryStore(): StateStore & { state: RealServerState | null } {
  return {
    path: '/mem/state.json',
    state: null,
    load() {
      return Promise.resolve(this.state);
    },
    save(s) {
      this.state = s;
      return Promise.resolve();
    },
    remove() {
      this.state = null;
      return Promise.resolve();
    },
  };
}

describe('up / down / check over a fake kernel', () => {
  test('up applies and records; a second up changes nothing; down restores and forgets', async () => {
    const before = freshSnapshot();
    const sys = new FakeSystem(before);
    const store = memoryStore();
    expect((await realServerCheck(sys, DR)).length).toBeGreaterThan(0);
    const first = await realServerUp(sys, store, DR);
    expect(first.applied).toHaveLength(6);
    expect(first.problems).toEqual([]);
    expect(store.state?.addresses).toHaveLength(2);
    const second = await realServerUp(sys, store, DR);
    expect(second.applied).toEqual([]);
    expect(await realServerCheck(sys, DR)).toEqual([]);
    const down = await realServerDown(sys, store);
    expect(down.found).toBe(true);
    expect(sys.kernel).toEqual(before);
    expect(store.state).toBeNull();
    expect((await realServerDown(sys, store)).found).toBe(false);
  });

  test('an action failing half-way: what was applied is still recorded, so down can undo it', async () => {
    const sys = new FakeSystem(freshSnapshot());
    sys.failOn = 'add-address';
    const store = memoryStore();
    await expect(realServerUp(sys, store, DR)).rejects.toThrow('EPERM');
    expect(store.state?.sysctls).toHaveLength(4);
    sys.failOn = undefined;
    await realServerDown(sys, store);
    expect(sys.kernel).toEqual(freshSnapshot());
  });

  test('TUN loads the tunnel module first; DR loads none', async () => {
    const tun = new FakeSystem(freshSnapshot());
    await realServerUp(tun, memoryStore(), TUN).catch(() => undefined);
    expect(tun.modules).toEqual(['ipip']);
    const dr = new FakeSystem(freshSnapshot());
    await realServerUp(dr, memoryStore(), DR);
    expect(dr.modules).toEqual([]);
  });
});
