/**
 * Small pure helpers of the converter: Keepalived numbers and times, argument
 * splitting, lvs-ha names, and the collector of warnings and YAML comments.
 */
import { findRow, type Context } from './mapping.js';
import type { Finding, Loc, Stmt } from './types.js';

/** Warnings for the report, comments for the YAML (before an object, or after one of its keys). */
export class Collector {
  readonly warnings: Finding[] = [];
  readonly before = new WeakMap<object, string[]>();
  readonly after = new WeakMap<object, Map<string, string>>();

  warn(loc: Loc, message: string): void {
    this.warnings.push({ loc, message });
  }

  /** A comment line above `target` in the YAML. */
  note(target: object, text: string): void {
    const list = this.before.get(target) ?? [];
    list.push(text);
    this.before.set(target, list);
  }

  /** A comment at the end of the line of `target[key]`. */
  noteKey(target: object, key: string, text: string): void {
    const m = this.after.get(target) ?? new Map<string, string>();
    const old = m.get(key);
    m.set(key, old === undefined ? text : `${old}; ${text}`);
    this.after.set(target, m);
  }
}

/** A Keepalived time in seconds (fractions allowed) as whole milliseconds, or null. */
export function secondsToMs(text: string | undefined): number | null {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return null;
  return Math.round(Number(text) * 1000);
}

/** A non-negative decimal integer, or null. */
export function parseUint(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return null;
  return Number(text);
}

/** A signed decimal integer, or null. */
export function parseInt10(text: string | undefined): number | null {
  if (text === undefined || !/^[-+]?\d{1,10}$/.test(text)) return null;
  return Number(text);
}

/** Render whole milliseconds as an lvs-ha duration (`2s`, `1500ms`, `5m`). */
export function durationText(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const SHELL_SYNTAX = /[|&;<>()$`*?~]/;

/**
 * Split a command line into arguments the way a shell splits words (single
 * and double quotes, backslash escapes) but without any expansion. `shell` is
 * true when an unquoted word uses shell syntax lvs-ha cannot honour.
 */
export function splitArgv(line: string): { argv: string[]; shell: boolean } {
  const argv: string[] = [];
  let shell = false;
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && /["\\$`]/.test(line[i + 1] ?? '')) word = (word ?? '') + (line[++i] ?? '');
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else if (/\s/.test(c)) {
      if (word !== null) argv.push(word);
      word = null;
    } else {
      if (SHELL_SYNTAX.test(c)) shell = true;
      word = (word ?? '') + c;
    }
  }
  if (word !== null) argv.push(word);
  return { argv, shell };
}

const NAME_OK = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A Keepalived name as an lvs-ha name (letters, digits, _ . -; at most 64). */
export function toName(raw: string): string {
  if (NAME_OK.test(raw)) return raw;
  let n = raw.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (!/^[A-Za-z0-9]/.test(n)) n = `x${n}`;
  return n.slice(0, 64);
}

/**
 * Walk the statements of one block: unknown keywords and keywords without an
 * lvs-ha equivalent are warned about; the others go to their handler.
 */
export function dispatch<S>(
  cx: Collector,
  context: Context,
  stmts: readonly Stmt[],
  handlers: Readonly<Record<string, (s: Stmt, state: S) => void>>,
  state: S,
): void {
  for (const s of stmts) {
    const row = findRow(context, s.keyword);
    const handler = handlers[s.keyword];
    if (row === undefined) {
      cx.warn(s.loc, `${context} '${s.keyword}': unknown keyword, not converted`);
    } else if (row.kind === 'dropped') {
      const shown = [s.keyword, ...s.args].join(' ');
      const text = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
      cx.warn(s.loc, `${context} '${text}': no lvs-ha equivalent${row.note === '' ? '' : ` (${row.note})`}; dropped`);
    } else if (handler === undefined) {
      cx.warn(s.loc, `${context} '${s.keyword}': not converted (no converter for it)`);
    } else {
      handler(s, state);
    }
  }
}

/** The first argument, or a warning that it is missing. */
export function arg(cx: Collector, s: Stmt, index = 0): string | undefined {
  const v = s.args[index];
  if (v === undefined) cx.warn(s.loc, `'${s.keyword}' needs ${index === 0 ? 'a value' : `${index + 1} values`}; ignored`);
  return v;
}

/** An integer argument within [min, max]; out of range or not a number: warned, undefined. */
export function intArg(cx: Collector, s: Stmt, min: number, max: number, index = 0): number | undefined {
  const raw = arg(cx, s, index);
  if (raw === undefined) return undefined;
  const n = parseInt10(raw);
  if (n === null || n < min || n > max) {
    cx.warn(s.loc, `'${s.keyword} ${raw}': expected an integer ${min}..${max}; ignored`);
    return undefined;
  }
  return n;
}

/** A seconds argument as ms; not a number: warned, undefined. */
export function secondsArg(cx: Collector, s: Stmt, index = 0): number | undefined {
  const raw = arg(cx, s, index);
  if (raw === undefined) return undefined;
  const ms = secondsToMs(raw);
  if (ms === null) {
    cx.warn(s.loc, `'${s.keyword} ${raw}': expected a number of seconds; ignored`);
    return undefined;
  }
  return ms;
}

/** The words of a block's statements, each statement being a list of words (keyword first). */
export function blockWords(s: Stmt): { words: string[]; loc: Loc }[] {
  return (s.block ?? []).map((c) => ({ words: [c.keyword, ...c.args], loc: c.loc }));
}
