/**
 * Argument parsing shared by the verbs that talk to the running daemon:
 * `--json`, `--socket PATH`, plus verb-specific flags and positionals.
 */
import { DEFAULT_SOCKET_PATH } from '../../control/client.js';
import { UsageError } from '../../core/errors.js';

export interface ControlArgs {
  readonly json: boolean;
  readonly socket: string;
  /** Values of the verb's own `--flag VALUE` options. */
  readonly flags: ReadonlyMap<string, string>;
  readonly positionals: readonly string[];
}

/** `valued` lists the verb's own options that take a value (e.g. ['--wait']). */
export function parseControlArgs(args: readonly string[], valued: readonly string[] = []): ControlArgs {
  let json = false;
  let socket: string | undefined;
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (arg === '--json') {
      json = true;
    } else if (name === '--socket' || valued.includes(name)) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      if (name === '--socket') {
        if (socket !== undefined) throw new UsageError('--socket given twice');
        socket = value;
      } else {
        flags.set(name, value);
      }
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option '${arg}'`);
    } else {
      positionals.push(arg);
    }
  }
  return { json, socket: socket ?? DEFAULT_SOCKET_PATH, flags, positionals };
}

/** "10.0.0.1:80" or "[2001:db8::1]:80" -> address and port. */
export function parseHostPort(text: string): { address: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port > 65535) throw new UsageError(`'${text}' is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)`);
  return { address: m[1], port };
}

/** "30s", "2m", "500ms", "10" (seconds) -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m?.[1]) throw new UsageError(`'${text}' is not a duration (e.g. 30s, 2m, 500ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}
