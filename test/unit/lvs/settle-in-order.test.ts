/** settleInOrder: bounded in-flight operations, started in order, each result in its own slot. */
import { describe, expect, test } from 'vitest';
import { settleInOrder } from '../../../src/lvs/reconcile-ops.js';

describe('settleInOrder', () => {
  test('at most `limit` pending, calls start in item order, results (and errors) in item order', async () => {
    const started: number[] = [];
    const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
    let maxPending = 0;
    const run = settleInOrder([0, 1, 2, 3, 4, 5, 6], (i) => new Promise<void>((resolve, reject) => {
      started.push(i);
      pending.set(i, { resolve, reject });
      maxPending = Math.max(maxPending, pending.size);
    }), 3);
    expect(started).toEqual([0, 1, 2]);
    const finish = async (i: number, fail = false): Promise<void> => {
      const p = pending.get(i);
      pending.delete(i);
      if (fail) p?.reject(new Error(`op ${i}`));
      else p?.resolve();
      for (let k = 0; k < 5; k++) await Promise.resolve();
    };
    await finish(1, true);
    expect(started).toEqual([0, 1, 2, 3]);
    await finish(0);
    await finish(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    for (const i of [2, 4, 5]) await finish(i);
    await finish(6, true);
    const results = await run;
    expect(maxPending).toBe(3);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(results[6]).toMatchObject({ status: 'rejected', reason: new Error('op 6') });
  });

  test('fewer items than the limit: all start at once; no items: no calls', async () => {
    const started: number[] = [];
    const results = await settleInOrder([7, 8], (i) => { started.push(i); return Promise.resolve(); }, 512);
    expect(started).toEqual([7, 8]);
    expect(results).toEqual([{ status: 'fulfilled', value: undefined }, { status: 'fulfilled', value: undefined }]);
    expect(await settleInOrder([], () => Promise.reject(new Error('never')), 4)).toEqual([]);
  });
});
