/**
 * Process tracking: how many running processes match each tracked pattern, read from /proc.
 *
 * A pattern matches by name (the kernel's comm, /proc/PID/stat, at most 15 bytes, exact as
 * Keepalived's `process NAME` without parameters) or by command line (/proc/PID/cmdline split at
 * NULs: `exact` equal argv, `prefix` the argv starts with the given arguments). Zombies never
 * count (they are not running). cmdline is read only when some pattern needs it.
 *
 * The scan itself (scanProc) is synchronous and runs in a worker thread (process-worker.ts), never
 * on the VRRP event loop: a /proc scan reads two small files per process and one stuck process
 * can make a cmdline read block. See ProcessScanner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { TrackProcess } from '../../config/types.js';

export interface ProcessPattern {
  readonly process: string | null;
  readonly commandLine: readonly string[] | null;
  readonly match: 'exact' | 'prefix';
}

export interface ProcessInfo {
  readonly comm: string;
  readonly zombie: boolean;
  /** null when not read (no pattern needs it) or unreadable (the process ended meanwhile, a kernel thread). */
  readonly argv: readonly string[] | null;
}

export function patternKey(p: ProcessPattern): string {
  return JSON.stringify([p.process, p.commandLine, p.match]);
}

export function patternOf(t: TrackProcess): ProcessPattern {
  return { process: t.process, commandLine: t.commandLine, match: t.match };
}

export function matches(p: ProcessPattern, info: ProcessInfo): boolean {
  if (info.zombie) return false;
  if (p.process !== null) return info.comm === p.process;
  const want = p.commandLine ?? [];
  const argv = info.argv;
  if (argv === null || argv.length < want.length) return false;
  if (p.match === 'exact' && argv.length !== want.length) return false;
  return want.every((a, i) => argv[i] === a);
}

/** Healthy while quorum <= count <= quorumMax. */
export function quorumMet(t: TrackProcess, count: number): boolean {
  return count >= t.quorum && (t.quorumMax === null || count <= t.quorumMax);
}

/** /proc/PID/stat: "PID (COMM) STATE ... STARTTIME(22) ..."; comm may itself hold ')' and spaces. */
export function parseStat(text: string): { comm: string; zombie: boolean; startTime: string } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0] ?? '';
  // Field 22 (starttime) is the 20th after the comm: with the pid it tells a process from a
  // later one that got the same pid.
  return { comm: text.slice(open + 1, close), zombie: state === 'Z' || state === 'X', startTime: rest[19] ?? '' };
}

export function parseCmdline(buf: Buffer): string[] {
  const text = buf.toString('utf8');
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

export interface ScanResult {
  /** Count per patternKey. */
  readonly counts: Record<string, number>;
  readonly processes: number;
  readonly elapsedMs: number;
}

/** Command lines already read, by pid, with the start time that identifies the process. */
export type CmdlineCache = Map<string, { readonly startTime: string; readonly argv: readonly string[] | null }>;

/**
 * One pass over /proc (synchronous: for the worker thread only). A process's command line is
 * read once, when the scan first sees it (the cache, kept by the worker across scans): reading
 * cmdline touches the process's memory and costs far more than stat (see docs/vrrp.md). A process
 * that rewrites its command line later (a title) is seen with its first one, as in Keepalived.
 */
export function scanProc(patterns: readonly ProcessPattern[], procRoot = '/proc', cache: CmdlineCache = new Map()): ScanResult {
  const started = performance.now();
  const counts: Record<string, number> = {};
  for (const p of patterns) counts[patternKey(p)] = 0;
  const needArgv = patterns.some((p) => p.commandLine !== null);
  let processes = 0;
  const seen = new Set<string>();
  for (const entry of readdirSync(procRoot)) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat;
    try {
      stat = parseStat(readFileSync(`${procRoot}/${entry}/stat`, 'utf8'));
    } catch {
      continue; // ended meanwhile
    }
    if (!stat) continue;
    processes += 1;
    let argv: readonly string[] | null = null;
    if (needArgv && !stat.zombie) {
      seen.add(entry);
      const cached = cache.get(entry);
      if (cached?.startTime === stat.startTime) argv = cached.argv;
      else {
        try {
          argv = parseCmdline(readFileSync(`${procRoot}/${entry}/cmdline`));
        } catch {
          argv = null;
        }
        cache.set(entry, { startTime: stat.startTime, argv });
      }
    }
    const info: ProcessInfo = { comm: stat.comm, zombie: stat.zombie, argv };
    for (const p of patterns) if (matches(p, info)) counts[patternKey(p)] = (counts[patternKey(p)] ?? 0) + 1;
  }
  for (const pid of [...cache.keys()]) if (!seen.has(pid)) cache.delete(pid);
  return { counts, processes, elapsedMs: performance.now() - started };
}
