import { describe, expect, it } from 'vitest';
import { DeadlineHeap, type HeapEntry } from '../../../src/health/timer-heap.js';

interface E extends HeapEntry { readonly name: string }
const entry = (atMs: number, name: string): E => ({ atMs, order: 0, name });

describe('DeadlineHeap', () => {
  it('pops by time, ties in insertion order', () => {
    const h = new DeadlineHeap<E>();
    for (const [t, n] of [[30, 'c'], [10, 'a1'], [20, 'b'], [10, 'a2'], [10, 'a3']] as const) h.push(entry(t, n));
    const out: string[] = [];
    for (let e = h.pop(); e !== undefined; e = h.pop()) out.push(e.name);
    expect(out).toEqual(['a1', 'a2', 'a3', 'b', 'c']);
    expect(h.size).toBe(0);
    expect(h.pop()).toBeUndefined();
  });

  it('stays sorted under interleaved pushes and pops (2,000 random deadlines)', () => {
    let seed = 7;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const h = new DeadlineHeap<E>();
    let last = -Infinity;
    let popped = 0;
    for (let i = 0; i < 2000; i++) {
      h.push(entry(Math.max(last, 0) + Math.floor(rnd() * 100), String(i)));
      if (i % 3 === 0) {
        const e = h.pop();
        expect(e).toBeDefined();
        expect(e?.atMs ?? -1).toBeGreaterThanOrEqual(last);
        last = e?.atMs ?? last;
        popped += 1;
      }
    }
    for (let e = h.pop(); e !== undefined; e = h.pop()) {
      expect(e.atMs).toBeGreaterThanOrEqual(last);
      last = e.atMs;
      popped += 1;
    }
    expect(popped).toBe(2000);
  });

  it('peek shows the earliest without removing it; clear empties', () => {
    const h = new DeadlineHeap<E>();
    h.push(entry(5, 'x'));
    h.push(entry(1, 'y'));
    expect(h.peek()?.name).toBe('y');
    expect(h.size).toBe(2);
    h.clear();
    expect(h.peek()).toBeUndefined();
  });

  it('removes entries from the middle and keeps the order of the rest (1,000 random)', () => {
    let seed = 11;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const h = new DeadlineHeap<E>();
    const all = Array.from({ length: 1000 }, (_, i) => entry(Math.floor(rnd() * 500), String(i)));
    for (const e of all) h.push(e);
    const gone = new Set(all.filter(() => rnd() < 0.4));
    for (const e of gone) expect(h.remove(e)).toBe(true);
    expect(h.size).toBe(1000 - gone.size);
    const out: E[] = [];
    for (let e = h.pop(); e !== undefined; e = h.pop()) out.push(e);
    expect(out).toHaveLength(1000 - gone.size);
    expect(out.some((e) => gone.has(e))).toBe(false);
    for (let i = 1; i < out.length; i++) expect((out[i]?.atMs ?? 0) >= (out[i - 1]?.atMs ?? 0)).toBe(true);
  });

  it('remove and has refuse entries that are not in the heap; a removed entry can be pushed again', () => {
    const h = new DeadlineHeap<E>();
    const a = entry(1, 'a');
    const b = entry(2, 'b');
    expect(h.remove(a)).toBe(false);
    h.push(a);
    h.push(b);
    expect(h.has(a)).toBe(true);
    expect(h.remove(a)).toBe(true);
    expect(h.has(a)).toBe(false);
    expect(h.remove(a)).toBe(false); // twice: no effect on the others
    expect(h.size).toBe(1);
    expect(h.pop()?.name).toBe('b');
    h.push(a);
    expect(h.pop()?.name).toBe('a');
    const other = new DeadlineHeap<E>();
    other.push(entry(0, 'z'));
    h.push(b);
    expect(other.has(b)).toBe(false); // b's index is 0 in h, but it is not other's entry 0
    expect(other.remove(b)).toBe(false);
    expect(other.size).toBe(1);
  });
});
