/**
 * A binary min-heap of deadlines ordered by time, then by insertion order
 * (ties fire in the order they were scheduled). The scheduler keeps all its
 * deadlines here and arms one clock timer for the earliest, instead of one
 * timer per check and per run. Entries are never removed from the middle:
 * the owner marks them stale and skips them when they come out.
 */
export interface HeapEntry {
  readonly atMs: number;
  /** Insertion order, set by push. */
  order: number;
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

  push(entry: E): void {
    entry.order = this.nextOrder++;
    const items = this.items;
    let i = items.length;
    items.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = entryAt(items, parent);
      if (!before(entry, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): E | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(entryAt(items, r), entryAt(items, l)) ? r : l;
      const c = entryAt(items, child);
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }

  clear(): void {
    this.items = [];
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
