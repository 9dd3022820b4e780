import { describe, expect, it } from 'vitest';
import { EventQueue, QueueClosedError } from '../../../src/core/event-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('EventQueue', () => {
  it('runs tasks one at a time in arrival order, even when an earlier one is slow', async () => {
    const queue = new EventQueue();
    const log: string[] = [];
    const gate = deferred();
    const a = queue.enqueue({ label: 'a', run: async () => { log.push('a:start'); await gate.promise; log.push('a:end'); return 1; } });
    const b = queue.enqueue({ label: 'b', run: () => { log.push('b'); return 2; } });
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['a:start']);
    expect(queue.size()).toBe(2);
    gate.resolve();
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    expect(log).toEqual(['a:start', 'a:end', 'b']);
  });

  it('a failing task rejects its own promise and does not stop the queue', async () => {
    const queue = new EventQueue();
    const bad = queue.enqueue({ label: 'bad', run: () => Promise.reject(new Error('nope')) });
    const good = queue.enqueue({ label: 'good', run: () => 'fine' });
    await expect(bad).rejects.toThrow('nope');
    expect(await good).toBe('fine');
  });

  it('close() lets queued work finish and refuses new work', async () => {
    const queue = new EventQueue();
    const gate = deferred();
    let ran = false;
    const pending = queue.enqueue({ label: 'slow', run: async () => { await gate.promise; ran = true; } });
    const closed = queue.close();
    await expect(queue.enqueue({ label: 'late', run: () => 1 })).rejects.toBeInstanceOf(QueueClosedError);
    gate.resolve();
    await closed;
    await pending;
    expect(ran).toBe(true);
    expect(queue.isClosed()).toBe(true);
    expect(queue.size()).toBe(0);
  });
});
