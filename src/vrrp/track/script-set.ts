/**
 * The track scripts of one instance, kept in line with its config: a reload starts added scripts,
 * stops removed ones and restarts a script whose definition changed (its last verdict stays in
 * the tracker until the new run decides). Unchanged scripts keep running with their rise/fall
 * streaks.
 */
import type { TrackScript } from '../../config/types.js';
import type { ScriptTracker } from './scripts.js';

export class ScriptSet {
  private readonly running = new Map<string, { readonly spec: string; readonly tracker: ScriptTracker }>();

  constructor(private readonly make: (script: TrackScript) => ScriptTracker) {}

  /** Make the running set match `scripts`. */
  sync(scripts: readonly TrackScript[]): void {
    const wanted = new Map(scripts.map((s) => [s.name, s]));
    for (const [name, entry] of [...this.running]) {
      const next = wanted.get(name);
      if (next && JSON.stringify(next) === entry.spec) continue;
      entry.tracker.stop();
      this.running.delete(name);
    }
    for (const script of scripts) {
      if (this.running.has(script.name)) continue;
      const tracker = this.make(script);
      this.running.set(script.name, { spec: JSON.stringify(script), tracker });
      tracker.start();
    }
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  stop(): void {
    for (const entry of this.running.values()) entry.tracker.stop();
    this.running.clear();
  }
}
