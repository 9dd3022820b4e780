/**
 * Tracked files (Keepalived's track_file): the file holds an integer, read when it changes
 * (inotify on its directory, so a file replaced by rename or created later is seen) and, as a
 * safety net, every FILE_POLL_MS. Reads are asynchronous and small (the first FILE_MAX_BYTES).
 * Content that is not an integer, or a file that cannot be read, is logged and changes nothing:
 * the last value stays (0 before the first good read). An empty file is refused the same way:
 * a writer that truncates and then writes (`echo 5 > file`) shows an empty file for a moment, and
 * reading that as 0 would flap the priority.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { TrackFile } from '../../config/types.js';
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export const FILE_POLL_MS = 5000;
const FILE_MAX_BYTES = 64;
/** A value beyond this is refused (no priority arithmetic needs more). */
const FILE_VALUE_MAX = 1_000_000;

export type ParsedValue = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

/** The value of a tracked file's content (pure). */
export function parseFileValue(text: string): ParsedValue {
  const t = text.trim();
  if (t === '') return { ok: false, reason: 'empty (a write in progress?)' };
  if (!/^[-+]?\d+$/.test(t)) return { ok: false, reason: `not an integer: '${t.slice(0, 20)}'` };
  const value = Number(t);
  if (Math.abs(value) > FILE_VALUE_MAX) return { ok: false, reason: `out of range (-${String(FILE_VALUE_MAX)}..${String(FILE_VALUE_MAX)}): ${t}` };
  return { ok: true, value };
}

export type ReadText = (path: string) => Promise<string>;

async function readHead(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(FILE_MAX_BYTES);
    const { bytesRead } = await handle.read(buf, 0, FILE_MAX_BYTES, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

interface Watched {
  readonly spec: TrackFile;
  watcher: FSWatcher | null;
  cancelPoll: () => void;
  reading: Promise<void> | null;
  again: boolean;
  problem: string | null;
}

export class FileWatchSet {
  private readonly files = new Map<string, Watched>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onValue: (name: string, value: number) => void,
    private readonly read: ReadText = readHead,
  ) {}

  /** Make the watched set match `files` (changed definitions restart; the tracker keeps values). */
  sync(files: readonly TrackFile[]): void {
    const wanted = new Map(files.map((f) => [f.name, f]));
    for (const [name, w] of [...this.files]) {
      const next = wanted.get(name);
      if (next?.path === w.spec.path) continue;
      this.unwatch(w);
      this.files.delete(name);
    }
    for (const f of files) {
      if (this.files.has(f.name)) continue;
      const w: Watched = { spec: f, watcher: null, cancelPoll: () => undefined, reading: null, again: false, problem: null };
      this.files.set(f.name, w);
      this.watch(w);
      this.poll(w);
    }
  }

  /** Read every file now (the slot waits for this before the instance starts). */
  async readAll(): Promise<void> {
    await Promise.all([...this.files.values()].map((w) => this.readNow(w)));
  }

  private watch(w: Watched): void {
    const file = basename(w.spec.path);
    try {
      w.watcher = watch(dirname(w.spec.path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === file) void this.readNow(w);
      });
      w.watcher.on('error', (err) => {
        this.log.warn({ file: w.spec.name, path: w.spec.path, err: describeError(err) }, 'tracked file: cannot watch its directory; polling only');
        w.watcher?.close();
        w.watcher = null;
      });
    } catch (err) {
      this.log.warn({ file: w.spec.name, path: w.spec.path, err: describeError(err) }, 'tracked file: cannot watch its directory; polling only');
    }
  }

  private poll(w: Watched): void {
    w.cancelPoll = this.clock.setTimer(FILE_POLL_MS, () => {
      if (this.stopped || this.files.get(w.spec.name) !== w) return;
      // The directory may have appeared since: watch it now.
      if (!w.watcher) this.watch(w);
      void this.readNow(w);
      this.poll(w);
    });
  }

  /** One read at a time per file; a change during a read reads again after it. */
  private readNow(w: Watched): Promise<void> {
    if (w.reading) {
      w.again = true;
      return w.reading;
    }
    w.reading = this.readOnce(w).finally(() => {
      w.reading = null;
      if (w.again) {
        w.again = false;
        void this.readNow(w);
      }
    });
    return w.reading;
  }

  private async readOnce(w: Watched): Promise<void> {
    let parsed: ParsedValue;
    try {
      parsed = parseFileValue(await this.read(w.spec.path));
    } catch (err) {
      parsed = { ok: false, reason: describeError(err) };
    }
    if (this.stopped || this.files.get(w.spec.name) !== w) return;
    if (!parsed.ok) {
      if (parsed.reason !== w.problem) this.log.warn({ file: w.spec.name, path: w.spec.path, reason: parsed.reason }, 'tracked file unreadable; its last value stays');
      w.problem = parsed.reason;
      return;
    }
    if (w.problem !== null) this.log.info({ file: w.spec.name, path: w.spec.path }, 'tracked file readable again');
    w.problem = null;
    this.onValue(w.spec.name, parsed.value);
  }

  private unwatch(w: Watched): void {
    w.watcher?.close();
    w.watcher = null;
    w.cancelPoll();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.files.values()) this.unwatch(w);
    this.files.clear();
  }
}
