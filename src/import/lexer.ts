/**
 * Keepalived's configuration language, line by line, into tokens: comments
 * (`#`, `!` anywhere outside quotes), double-quoted strings, braces as
 * their own tokens, `@id` / `@^id` conditional lines, `$NAME=value`
 * definitions (also multi-line with `\`) with `$NAME` / `${NAME}`
 * substitution, and `include` (with globs, relative to the including file's
 * directory). Never throws: problems come back as a located error.
 */
import { dirname, resolve } from 'node:path';
import { LvsHaError } from '../core/errors.js';
import { expandGlob, type SourceFs } from './source.js';
import type { Finding, Loc } from './types.js';

export type TokenKind = 'word' | 'open' | 'close' | 'eol';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly loc: Loc;
}

export interface LexOptions {
  /** Lines `@id ...` are kept when id equals this; `@^id ...` when it differs. null: no id (every `@id` line is dropped). */
  readonly configId: string | null;
}

export type LexResult =
  | { readonly ok: true; readonly tokens: readonly Token[]; readonly warnings: readonly Finding[]; readonly droppedConditionals: number }
  | { readonly ok: false; readonly error: Finding };

const INCLUDE_WORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);
const MAX_INCLUDE_DEPTH = 32;
const MAX_SUBSTITUTION_ROUNDS = 32;
const DEFINITION = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const CONDITIONAL = /^\s*@(\^?)(\S+)\s?(.*)$/;

/** Internal: unwinds the recursive lexer to lexKeepalived, which returns it as a result. */
class LexError extends LvsHaError {
  readonly code = 'LVSHA_IMPORT_PARSE';
  constructor(readonly finding: Finding) {
    super(finding.message);
  }
}

interface State {
  readonly fs: SourceFs;
  readonly opts: LexOptions;
  readonly defs: Map<string, string>;
  readonly tokens: Token[];
  readonly warnings: Finding[];
  readonly stack: string[];
  dropped: number;
}

function fail(loc: Loc, message: string): never {
  throw new LexError({ loc, message });
}

/** Replace `${NAME}` anywhere and `$NAME` before whitespace or the end; undefined names stay. */
function substitute(state: State, text: string, loc: Loc): string {
  let out = text;
  for (let round = 0; round < MAX_SUBSTITUTION_ROUNDS; round++) {
    const next = out
      .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, name: string) => state.defs.get(name) ?? all)
      .replace(/\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/g, (all, name: string) => state.defs.get(name) ?? all);
    if (next === out) return out;
    out = next;
  }
  return fail(loc, `parameter substitution does not terminate after ${MAX_SUBSTITUTION_ROUNDS} rounds (a definition refers to itself)`);
}

/** Apply an `@id` / `@^id` prefix: the rest of the line, or null when the line does not apply. */
function applyConditional(state: State, line: string): string | null {
  const m = CONDITIONAL.exec(line);
  if (!m) return line;
  const [, negate = '', id = '', rest = ''] = m;
  const matches = state.opts.configId !== null && id === state.opts.configId;
  const keep = negate === '^' ? !matches : matches;
  if (!keep) {
    state.dropped++;
    return null;
  }
  return rest;
}

/** Does a template expression ({{ ... }} or {% ... %}) start at i? */
function templateAt(text: string, i: number): boolean {
  return text[i] === '{' && (text[i + 1] === '{' || text[i + 1] === '%');
}

/** The index of the last character of the template expression starting at i (the end of the line when unclosed). */
function templateEnd(text: string, i: number): number {
  const closer = text[i + 1] === '{' ? '}}' : '%}';
  const end = text.indexOf(closer, i + 2);
  return end < 0 ? text.length - 1 : end + 1;
}

function tokenizeLine(state: State, text: string, file: string, line: number): void {
  let i = 0;
  const col = (): number => i + 1;
  const push = (kind: TokenKind, t: string, column: number): void => {
    state.tokens.push({ kind, text: t, loc: { file, line, column } });
  };
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#' || c === '!') {
      break;
    } else if ((c === '{' || c === '}') && !templateAt(text, i)) {
      push(c === '{' ? 'open' : 'close', c, col());
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) fail({ file, line, column: col() }, 'unterminated quoted string (no closing ")');
      push('word', text.slice(i + 1, end), col());
      i = end + 1;
    } else {
      const start = i;
      while (i < text.length && (!/[\s{}"#!]/.test(text[i] ?? '') || templateAt(text, i))) {
        // An undefined ${NAME} stays as written, braces included; so does a template expression ({{ VIP }}/24, {% if %}),
        // so that it is reported as a placeholder where it is.
        const close = text.startsWith('${', i) ? text.indexOf('}', i) : templateAt(text, i) ? templateEnd(text, i) : -1;
        i = close > 0 ? close + 1 : i + 1;
      }
      push('word', text.slice(start, i), start + 1);
    }
  }
  push('eol', '', text.length + 1);
}

function includeFile(state: State, pattern: string, from: Loc): void {
  const base = dirname(from.file);
  const abs = resolve(base, pattern);
  const matches = expandGlob(state.fs, abs);
  if (matches.length === 0) {
    state.warnings.push({ loc: from, message: `include ${pattern}: no file matches (Keepalived ignores it too)` });
    return;
  }
  for (const path of matches) lexFileInto(state, path, from);
}

/** Handle one logical line (after conditionals and substitution); may recurse into includes. */
function processLine(state: State, raw: string, file: string, line: number): void {
  const text = applyConditional(state, raw);
  if (text === null) return;
  const def = DEFINITION.exec(text);
  if (def) {
    state.defs.set(def[1] ?? '', def[2] ?? '');
    return;
  }
  const loc: Loc = { file, line, column: 1 };
  const substituted = substitute(state, text, loc);
  const changed = substituted !== text;
  for (const part of substituted.split('\n')) {
    const again = changed ? applyConditional(state, part) : part;
    if (again === null) continue;
    const words = again.trim().split(/\s+/);
    if (words.length >= 1 && INCLUDE_WORDS.has(words[0] ?? '') && !again.includes('{')) {
      const target = (words[1] ?? '').replace(/^"(.*)"$/, '$1');
      if (target === '') fail({ file, line, column: again.indexOf(words[0] ?? '') + 1 }, `${words[0] ?? 'include'} needs a file name`);
      includeFile(state, target, { file, line, column: again.indexOf(words[0] ?? '') + 1 });
      continue;
    }
    tokenizeLine(state, again, file, line);
  }
}

/** Join `$NAME= \` multi-line definitions: returns the logical lines with their first line number. */
function logicalLines(text: string): { text: string; line: number }[] {
  const physical = text.split('\n');
  const out: { text: string; line: number }[] = [];
  for (let i = 0; i < physical.length; i++) {
    const first = physical[i] ?? '';
    const m = /^(\s*\$[A-Za-z_][A-Za-z0-9_]*=)\s*\\\s*$/.exec(first);
    if (!m) {
      out.push({ text: first, line: i + 1 });
      continue;
    }
    const body: string[] = [];
    const start = i + 1;
    while (i + 1 < physical.length) {
      i++;
      const l = physical[i] ?? '';
      const cont = /\\\s*$/.test(l);
      body.push(l.replace(/\\\s*$/, ''));
      if (!cont) break;
    }
    out.push({ text: `${m[1] ?? ''}${body.join('\n')}`, line: start });
  }
  return out;
}

function lexFileInto(state: State, path: string, from: Loc | null): void {
  if (state.stack.includes(path)) fail(from ?? { file: path, line: 0, column: 0 }, `include loop: ${[...state.stack, path].join(' -> ')}`);
  if (state.stack.length >= MAX_INCLUDE_DEPTH) fail(from ?? { file: path, line: 0, column: 0 }, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
  const read = state.fs.readText(path);
  if (!read.ok) {
    if (from === null) fail({ file: path, line: 0, column: 0 }, `cannot read the file: ${read.reason}`);
    state.warnings.push({ loc: from, message: `include ${path}: cannot read the file (${read.reason}); skipped like Keepalived does` });
    return;
  }
  state.stack.push(path);
  for (const l of logicalLines(read.value)) processLine(state, l.text, path, l.line);
  state.stack.pop();
}

/** Lex a Keepalived configuration file and everything it includes. */
export function lexKeepalived(path: string, fs: SourceFs, opts: LexOptions): LexResult {
  const state: State = { fs, opts, defs: new Map(), tokens: [], warnings: [], stack: [], dropped: 0 };
  try {
    lexFileInto(state, path, null);
  } catch (err) {
    if (err instanceof LexError) return { ok: false, error: err.finding };
    throw err;
  }
  return { ok: true, tokens: state.tokens, warnings: state.warnings, droppedConditionals: state.dropped };
}
