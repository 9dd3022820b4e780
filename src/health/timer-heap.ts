/**
 * A binary min-heap of deadlines ordered by time, then by insertion order
 * (ties fire in the order they were scheduled). The scheduler keeps all its
 * deadlines here and arms one clock timer for the earliest, instead of one
 * timer per check and per run. The heap records each entry's position in it
 * (`index`), so an entry can be removed from the middle (`remove`) and pushed
 * again later: the scheduler reuses two entries per check instead of
 * allocating two per run.
 */
export interface HeapEntry {
  readonly atMs: number;
  /** Insertion order, set by push. */
  order: number;
  /** Position in the heap, set by the heap; -1 (or absent) when not in it. */
  index?: number;
}

export class DeadlineHeap<E extends HeapEntry> {
  private items: E[] = [];
  private nextOrder = 0;

  get size(): number {
    return this.items.length;
  }

  peek(): E | undefined {
    return this.items[0];
  }

  /** Whether the entry is in this heap now. */
  has(entry: E): boolean {
    const i = entry.index ?? -1;
    return i >= 0 && this.items[i] === entry;
  }

  /** Add an entry (not already in the heap); its atMs must not change while it is in. */
  push(entry: E): void {
    entry.order = this.nextOrder++;
    this.items.push(entry);
    this.siftUp(entry, this.items.length - 1);
  }

  pop(): E | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Take the entry out of the heap; false when it was not in it. */
  remove(entry: E): boolean {
    if (!this.has(entry)) return false;
    this.removeAt(entry.index ?? 0);
    return true;
  }

  clear(): void {
    for (const e of this.items) e.index = -1;
    this.items = [];
  }

  private removeAt(i: number): void {
    const items = this.items;
    const gone = entryAt(items, i);
    gone.index = -1;
    const last = items.pop();
    if (last === undefined || i === items.length) return; // it was the last one
    if (i > 0 && before(last, entryAt(items, (i - 1) >> 1))) this.siftUp(last, i);
    else this.siftDown(last, i);
  }

  /** Place `entry` at or above position i. */
  private siftUp(entry: E, i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = entryAt(items, parent);
      if (!before(entry, p)) break;
      items[i] = p;
      p.index = i;
      i = parent;
    }
    items[i] = entry;
    entry.index = i;
  }

  /** Place `entry` at or below position i. */
  private siftDown(entry: E, i: number): void {
    const items = this.items;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(entryAt(items, r), entryAt(items, l)) ? r : l;
      const c = entryAt(items, child);
      if (!before(c, entry)) break;
      items[i] = c;
      c.index = i;
      i = child;
    }
    items[i] = entry;
    entry.index = i;
  }
}

function entryAt<E>(items: readonly E[], i: number): E {
  const e = items[i];
  if (e === undefined) throw new RangeError(`heap index ${String(i)} out of range`);
  return e;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
