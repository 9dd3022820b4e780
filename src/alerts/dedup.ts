/**
 * Per-key minimum interval (pure, time passed in): the first alert for a key
 * passes; another for the same key within minIntervalMs is suppressed.
 * Suppressed alerts do not extend the window.
 */
export class MinIntervalFilter {
  private readonly lastMs = new Map<string, number>();

  constructor(private readonly minIntervalMs: number) {}

  admit(key: string, nowMs: number): boolean {
    if (this.minIntervalMs <= 0) return true;
    const last = this.lastMs.get(key);
    if (last !== undefined && nowMs - last < this.minIntervalMs) return false;
    this.lastMs.set(key, nowMs);
    if (this.lastMs.size > 4096) this.prune(nowMs);
    return true;
  }

  private prune(nowMs: number): void {
    for (const [key, at] of this.lastMs) {
      if (nowMs - at >= this.minIntervalMs) this.lastMs.delete(key);
    }
  }
}
