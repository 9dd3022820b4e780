/**
 * Small pure helpers of the converter: Keepalived numbers and times, argument
 * splitting, lvs-ha names, and the collector of warnings and YAML comments.
 */
import { isIP } from 'node:net';
import { KEEPALIVED_KEYWORDS, KEEPALIVED_VERSION } from './keepalived-keywords.js';
import { findRow, SHARED_TOPICS, type Context } from './mapping.js';
import type { Finding, Loc, Stmt } from './types.js';

/** Warnings for the report, comments for the YAML (before an object, or after one of its keys). */
export class Collector {
  readonly warnings: Finding[] = [];
  /** What the user asked for and cannot be converted: the import exits 1. */
  readonly errors: Finding[] = [];
  readonly before = new WeakMap<object, string[]>();
  readonly after = new WeakMap<object, Map<string, string>>();
  /** The input statement each YAML object came from (to locate check-config's complaints at the input). */
  readonly origins = new WeakMap<object, Loc>();
  private readonly topics = new Set<string>();

  /** @param resolveProgram finds a bare program name on the importing host's PATH (null: not there). */
  constructor(readonly resolveProgram: (name: string) => string | null = () => null) {}

  warn(loc: Loc, message: string): void {
    this.warnings.push({ loc, message });
  }

  /** One warning per topic per file (the first place it occurs); later ones are counted into it. */
  warnOnce(topic: string, loc: Loc, message: string): void {
    const key = `${loc.file}\0${topic}`;
    if (this.topics.has(key)) return;
    this.topics.add(key);
    this.warnings.push({ loc, message });
  }

  error(loc: Loc, message: string): void {
    this.errors.push({ loc, message });
  }

  /** Remember the input statement an output object was made from. */
  origin<T extends object>(target: T, loc: Loc): T {
    this.origins.set(target, loc);
    return target;
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

/** Levenshtein distance (for did-you-mean). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The accepted keyword of `block` nearest to `keyword` (a misspelling), or null. */
export function didYouMean(block: string, keyword: string): string | null {
  const max = keyword.length <= 5 ? 1 : keyword.length <= 10 ? 2 : 3;
  let best: { word: string; d: number } | null = null;
  for (const w of KEEPALIVED_KEYWORDS[block] ?? []) {
    const d = editDistance(keyword.toLowerCase(), w.toLowerCase());
    if (d <= max && (best === null || d < best.d)) best = { word: w, d };
  }
  return best?.word ?? null;
}

/** What to write instead of a keyword Keepalived ignores in a block (measured: each is "Unknown keyword" there in 2.2.7). */
const WRITE_INSTEAD: Readonly<Record<string, string>> = {
  'vrrp_instance no_preempt': "write 'nopreempt'",
  'vrrp_instance garp_interval': "write 'vrrp_garp_interval' in global_defs (it applies to every instance)",
  'vrrp_instance gna_interval': "write 'vrrp_gna_interval' in global_defs (it applies to every instance)",
  'virtual_server nb_get_retry': "write 'retry' (nb_get_retry is read only inside HTTP_GET and SSL_GET)",
  'real_server nb_get_retry': "write 'retry' (nb_get_retry is read only inside HTTP_GET and SSL_GET)",
  'TCP_CHECK nb_get_retry': "write 'retry'",
  'MISC_CHECK nb_get_retry': "write 'retry'",
  'SMTP_CHECK nb_get_retry': "write 'retry'",
  'MISC_CHECK connect_timeout': "write 'misc_timeout'",
};

/** The blocks other than `block` that accept `keyword`. */
function blocksAccepting(keyword: string, block: string): string[] {
  return Object.entries(KEEPALIVED_KEYWORDS).filter(([b, words]) => b !== block && words.includes(keyword)).map(([b]) => b);
}

/**
 * Walk the statements of one block as Keepalived does: a keyword Keepalived
 * does not accept in this block (`kaBlock`: the checker type for checkers) is
 * ignored with a warning saying so and what to write instead (a
 * did-you-mean for misspellings); keywords without an lvs-ha equivalent are
 * warned about (one warning per topic and file for the e-mail and SNMP
 * settings); the others go to their handler.
 */
export function dispatch<S>(
  cx: Collector,
  context: Context,
  stmts: readonly Stmt[],
  handlers: Readonly<Record<string, (s: Stmt, state: S) => void>>,
  state: S,
  kaBlock: string = context,
): void {
  for (const s of stmts) {
    if (placeholderKind(s.keyword) !== null) continue; // an error already (placeholder scan)
    const accepted = KEEPALIVED_KEYWORDS[kaBlock]?.includes(s.keyword) ?? true;
    if (!accepted) {
      cx.warn(s.loc, unknownKeyword(kaBlock, s.keyword));
      continue;
    }
    const row = findRow(context, s.keyword);
    const handler = handlers[s.keyword];
    if (row === undefined) {
      cx.warn(s.loc, `${kaBlock} '${s.keyword}': a Keepalived keyword the importer does not convert; dropped (check what it did for this pair)`);
    } else if (row.kind === 'dropped') {
      const shown = [s.keyword, ...s.args].join(' ');
      const text = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
      const message = `${context} '${text}': no lvs-ha equivalent${row.note === '' ? '' : ` (${row.note})`}; dropped`;
      if (SHARED_TOPICS.has(row.note)) cx.warnOnce(`dropped:${row.note}`, s.loc, `${message} (and the other such settings of this file: one warning for all)`);
      else cx.warn(s.loc, message);
    } else if (handler === undefined) {
      cx.warn(s.loc, `${context} '${s.keyword}': not converted (no converter for it)`);
    } else {
      handler(s, state);
    }
  }
}

function unknownKeyword(block: string, keyword: string): string {
  const head = `${block} '${keyword}': Keepalived ${KEEPALIVED_VERSION} does not know this keyword in ${block} (it logs "Unknown keyword" and ignores the line, so its default applies); so does the conversion`;
  const instead = WRITE_INSTEAD[`${block} ${keyword}`];
  if (instead !== undefined) return `${head}; ${instead}`;
  const near = didYouMean(block, keyword);
  if (near !== null) return `${head}; did you mean '${near}'?`;
  const elsewhere = blocksAccepting(keyword, block);
  if (elsewhere.length > 0) return `${head}; it is a keyword of ${elsewhere.join(', ')}: move it there if that was meant`;
  return head;
}

/** The first argument, or a warning that it is missing. */
export function arg(cx: Collector, s: Stmt, index = 0): string | undefined {
  const v = s.args[index];
  if (v === undefined) cx.warn(s.loc, `'${s.keyword}' needs ${index === 0 ? 'a value' : `${index + 1} values`}; ignored`);
  return v;
}

/** Where argument `index` of `s` starts (the statement when it has no such argument). */
export function argLoc(s: Stmt, index = 0): Loc {
  return s.argLocs[index] ?? s.loc;
}

/** The kind of template placeholder `text` contains, or null. */
export function placeholderKind(text: string): string | null {
  if (/\{\{|\}\}|\{%|%\}/.test(text)) return 'a {{ }} template expression (Jinja, Go, Helm)';
  if (/\$\{[^}]*\}/.test(text)) return 'an undefined ${NAME} (Keepalived replaces only names defined with $NAME=value)';
  if (/\$[A-Za-z_]/.test(text)) return 'an undefined $NAME (Keepalived replaces only names defined with $NAME=value)';
  if (/<[^<>\s]+>/.test(text)) return 'a <placeholder>';
  if (/__[A-Za-z0-9_]+__/.test(text)) return 'a __PLACEHOLDER__';
  if (/^%[A-Za-z_]\w*%$|^@[A-Za-z_]\w*@$/.test(text)) return 'a %NAME% or @NAME@ placeholder';
  return null;
}

/** A bare word (a letter first, then letters, digits, _ or -): a placeholder where an address or a number belongs. */
export function isBareWord(text: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(text);
}

export const RENDER_FIRST = 'the file looks like a template: render it first (fill in the values), then import the rendered file';

/**
 * An error for a value that is not `expected` (an address, a number, ...), at
 * the value itself; a placeholder, or a bare word, gets the template hint.
 */
export function badValue(cx: Collector, keyword: string, value: string, expected: string, loc: Loc, consequence = ''): void {
  if (placeholderKind(value) !== null) return; // reported where it is, by the placeholder scan of convert.ts
  const hint = !isBareWord(value) ? (consequence === '' ? '' : `; ${consequence}`) : `; a bare word where ${expected} belongs: if it is a placeholder, ${RENDER_FIRST}`;
  cx.error(loc, `${keyword} '${value}': not ${expected}${hint}`);
}

/** A word Keepalived uses as a name, checked for placeholders (an error when it is one). */
export function nameArg(cx: Collector, s: Stmt, index = 0): string | undefined {
  const v = arg(cx, s, index);
  // A placeholder is reported by the placeholder scan of convert.ts.
  return v === undefined || placeholderKind(v) !== null ? undefined : v;
}

/**
 * What Keepalived does with a number outside the range it accepts (measured
 * with `keepalived -t`, see docs/migration.md "Keepalived's behaviour"):
 * ignore the line (its default applies), use a fixed value, or (refuse) the
 * outcome cannot be converted: an error.
 */
export type OutOfRange = { readonly ignore: string } | { readonly set: number } | { readonly refuse: string };

export interface NumberSpec {
  readonly min: number;
  readonly max: number;
  readonly invalid: OutOfRange;
  /** Fractions allowed (seconds). */
  readonly decimal?: boolean;
  readonly index?: number;
  /** What the number is, for messages ("a number of seconds"). */
  readonly what?: string;
  /** The range is lvs-ha's, narrower than Keepalived's: a value beyond it is refused, not handled as Keepalived would. */
  readonly lvsHaLimit?: boolean;
}

function rangeText(spec: NumberSpec): string {
  return `${spec.min}..${spec.max}`;
}

/**
 * A Keepalived number, checked at its line: not a number is an error (with the
 * template hint for placeholders); out of range is handled as Keepalived
 * handles it, with a warning saying so (or an error for `refuse`).
 */
export function kaNumber(cx: Collector, s: Stmt, spec: NumberSpec): number | undefined {
  const index = spec.index ?? 0;
  const raw = arg(cx, s, index);
  if (raw === undefined) return undefined;
  const ok = spec.decimal === true ? /^[-+]?\d+(\.\d+)?$/.test(raw) : /^[-+]?\d{1,12}$/.test(raw);
  const what = spec.what ?? (spec.decimal === true ? 'a number' : 'an integer');
  if (!ok) {
    badValue(cx, s.keyword, raw, what, argLoc(s, index), `Keepalived rejects it ('invalid number'); write ${what} in ${rangeText(spec)}`);
    return undefined;
  }
  const n = Number(raw);
  if (n >= spec.min && n <= spec.max) return n;
  const head = `${s.keyword} ${raw}: ${spec.lvsHaLimit === true ? 'lvs-ha' : 'Keepalived'} accepts ${rangeText(spec)} only`;
  if ('refuse' in spec.invalid) {
    cx.error(argLoc(s, index), `${head}${spec.lvsHaLimit === true ? '' : ' and'} ${spec.invalid.refuse}; write a value in ${rangeText(spec)}`);
    return undefined;
  }
  if ('set' in spec.invalid) {
    cx.warn(argLoc(s, index), `${head}: it uses ${spec.invalid.set} instead, and so does the conversion; write ${spec.invalid.set} to say so`);
    return spec.invalid.set;
  }
  cx.warn(argLoc(s, index), `${head}: it ignores the line (${spec.invalid.ignore}), and so does the conversion; write a value in ${rangeText(spec)} to get one`);
  return undefined;
}

/** kaNumber for seconds (fractions allowed), as whole milliseconds. */
export function kaSeconds(cx: Collector, s: Stmt, spec: Omit<NumberSpec, 'decimal'>): number | undefined {
  const n = kaNumber(cx, s, { what: 'a number of seconds', ...spec, decimal: true });
  return n === undefined ? undefined : Math.round(n * 1000);
}

/** An integer argument within [min, max]; out of range: warned, undefined; not a number: an error. */
export function intArg(cx: Collector, s: Stmt, min: number, max: number, index = 0): number | undefined {
  return kaNumber(cx, s, { min, max, index, invalid: { ignore: 'its default applies' } });
}

/** A seconds argument as ms; not a number: an error. */
export function secondsArg(cx: Collector, s: Stmt, index = 0): number | undefined {
  return kaSeconds(cx, s, { min: 0, max: Number.MAX_SAFE_INTEGER, index, invalid: { ignore: 'its default applies' } });
}

/** An IP address (IPv4 or IPv6; with `/prefix` when `prefix`), or an error at the value. */
export function addressArg(cx: Collector, s: Stmt, index = 0): string | undefined {
  const raw = arg(cx, s, index);
  if (raw === undefined) return undefined;
  return checkAddress(cx, s.keyword, raw, argLoc(s, index), false) ? raw : undefined;
}

/** Is `text` an IP address (with an optional `/prefix` when `prefix`)? An error at `loc` when not. */
export function checkAddress(cx: Collector, keyword: string, text: string, loc: Loc, prefix: boolean, consequence = ''): boolean {
  const [addr = '', len, extra] = text.split('/');
  const family = isIP(addr);
  const lenOk = len === undefined || (prefix && /^\d{1,3}$/.test(len) && extra === undefined);
  if (family !== 0 && lenOk) return true;
  badValue(cx, keyword, text, prefix ? 'an IP address (with an optional /prefix)' : 'an IP address', loc, consequence);
  return false;
}

/** A port 0..65535 (or 1..65535), or an error at the value. */
export function portValue(cx: Collector, keyword: string, text: string | undefined, loc: Loc, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const n = parseUint(text);
  if (n !== null && n >= min && n <= 65535) return n;
  badValue(cx, keyword, text, `a port ${min}..65535`, loc);
  return undefined;
}

/** The words of a block's statements, each statement being a list of words (keyword first). */
export function blockWords(s: Stmt): { words: string[]; loc: Loc; locs: Loc[] }[] {
  return (s.block ?? []).map((c) => ({ words: [c.keyword, ...c.args], loc: c.loc, locs: [c.loc, ...c.argLocs] }));
}

/**
 * A command line (vrrp_script script, misc_path, notify) as lvs-ha argv: no
 * shell syntax (an error: lvs-ha runs no shell), no placeholder, and the
 * program as an absolute path: a bare name is looked up on the importing
 * host's PATH (warned, with the path chosen) or refused with the fix.
 */
export function commandArgv(cx: Collector, s: Stmt, what: string): string[] | undefined {
  const line = s.args.join(' ');
  const loc = argLoc(s, 0);
  const { argv, shell } = splitArgv(line);
  const [prog] = argv;
  if (prog === undefined) {
    cx.warn(s.loc, `${what} needs a command; ignored`);
    return undefined;
  }
  if (placeholderKind(line) !== null) return undefined; // reported by the placeholder scan of convert.ts
  if (shell) {
    cx.error(loc, `${what} '${line}' uses shell syntax (| & ; < > $ \` * ? ~ ( )), but lvs-ha runs programs without a shell: put the line in a script that starts with #!/bin/sh and give the script's absolute path`);
    return undefined;
  }
  if (prog.startsWith('/')) return argv;
  if (prog.includes('/')) {
    cx.error(loc, `${what}: '${prog}' is a relative path; lvs-ha needs the program's absolute path: write it`);
    return undefined;
  }
  const found = cx.resolveProgram(prog);
  if (found === null) {
    cx.error(loc, `${what}: '${prog}' is not an absolute path and is not on this host's PATH (Keepalived looks programs up on its PATH, lvs-ha does not): write the program's absolute path, e.g. /usr/bin/${prog}`);
    return undefined;
  }
  cx.warnOnce(`program:${prog}`, loc, `${what}: '${prog}' is not an absolute path (Keepalived looks it up on its PATH, lvs-ha does not): written as ${found}, found on this host's PATH; check the director has it there (write the absolute path to silence this)`);
  return [found, ...argv.slice(1)];
}
