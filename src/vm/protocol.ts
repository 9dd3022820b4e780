/**
 * The pure parts of the persistent VM: the run folder's layout, the request
 * encoding the agent reads (see AGENT_SCRIPT), vm.json and the status derived
 * from it. No I/O here.
 */
import { join } from 'node:path';
import { type DecodeResult, decoded, refused } from '../core/errors.js';
import { VmRequestError } from './errors.js';

/** Largest encoded argv (GNU xargs' own limit is far above; this keeps one request small). */
export const MAX_REQUEST_BYTES = 64 * 1024;

export interface RunDirLayout {
  queue: string;
  running: string;
  out: string;
  vmJson: string;
  ready: string;
  stop: string;
  console: string;
  env: string;
  payload: string;
}

export function runDirLayout(runDir: string): RunDirLayout {
  return {
    queue: join(runDir, 'queue'),
    running: join(runDir, 'running'),
    out: join(runDir, 'out'),
    vmJson: join(runDir, 'vm.json'),
    ready: join(runDir, 'ready'),
    stop: join(runDir, 'stop'),
    console: join(runDir, 'console.log'),
    env: join(runDir, 'env.sh'),
    payload: join(runDir, 'payload.sh'),
  };
}

/** A command as the agent's `xargs -0` reads it: each argument NUL-terminated. */
export function encodeArgv(argv: readonly string[]): Buffer {
  if (argv.length === 0) throw new VmRequestError('empty command');
  for (const arg of argv) {
    if (arg.includes('\0')) throw new VmRequestError(`argument contains a NUL byte: ${JSON.stringify(arg)}`);
  }
  const bytes = Buffer.from(argv.map((a) => `${a}\0`).join(''), 'utf8');
  if (bytes.length > MAX_REQUEST_BYTES) {
    throw new VmRequestError(`command too long: ${bytes.length} bytes (at most ${MAX_REQUEST_BYTES})`);
  }
  return bytes;
}

/** The inverse of encodeArgv (a trailing NUL ends the last argument). */
export function decodeArgv(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes).toString('utf8');
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** The agent's timeout for a command (whole seconds, rounded up; 0 would mean none). */
export function agentTimeoutSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

/** out/<id>/exit-code: a decimal status 0..255 and a newline. */
export function parseExitCode(text: string): DecodeResult<number> {
  const trimmed = text.trim();
  if (!/^\d{1,3}$/.test(trimmed)) return refused(`not an exit code: ${JSON.stringify(text)}`);
  const code = Number.parseInt(trimmed, 10);
  return code <= 255 ? decoded(code) : refused(`exit code out of range: ${code}`);
}

/** vm.json: which qemu process serves a run folder. */
export interface VmRecord {
  version: 1;
  pid: number;
  startedAt: string;
  runDir: string;
  /** A string of that qemu's command line, so a reused pid is not mistaken for it. */
  marker: string;
}

export function renderVmRecord(record: VmRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

export function decodeVmRecord(text: string): DecodeResult<VmRecord> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refused('vm.json is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) return refused('vm.json is not an object');
  const r = parsed as Partial<Record<keyof VmRecord, unknown>>;
  if (r.version !== 1) return refused(`vm.json version ${String(r.version)} is not 1`);
  if (typeof r.pid !== 'number' || !Number.isInteger(r.pid) || r.pid <= 1) return refused('vm.json: bad pid');
  if (typeof r.startedAt !== 'string') return refused('vm.json: bad startedAt');
  if (typeof r.runDir !== 'string') return refused('vm.json: bad runDir');
  if (typeof r.marker !== 'string' || r.marker === '') return refused('vm.json: bad marker');
  return decoded({ version: 1, pid: r.pid, startedAt: r.startedAt, runDir: r.runDir, marker: r.marker });
}

export type PersistentVmState =
  | { state: 'none' }
  | { state: 'running'; pid: number; startedAt: string }
  | { state: 'dead'; pid: number };

/**
 * The status of a run folder from its vm.json text (undefined: no file) and a
 * probe telling whether a pid is alive with the marker on its command line.
 * An unreadable vm.json counts as none.
 */
export function vmStateFrom(
  vmJsonText: string | undefined,
  isAlive: (pid: number, marker: string) => boolean,
): PersistentVmState {
  if (vmJsonText === undefined) return { state: 'none' };
  const record = decodeVmRecord(vmJsonText);
  if (!record.ok) return { state: 'none' };
  const { pid, startedAt, marker } = record.value;
  return isAlive(pid, marker) ? { state: 'running', pid, startedAt } : { state: 'dead', pid };
}

/** Whether a /proc/<pid>/cmdline (NUL-separated) carries the marker. */
export function cmdlineHasMarker(cmdline: string, marker: string): boolean {
  return marker !== '' && cmdline.split('\0').some((arg) => arg.includes(marker));
}
