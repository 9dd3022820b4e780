/**
 * Tokens into a tree of statements. A statement is the words of one line up
 * to the end of the line or an opening brace; a brace opens its block (also
 * when it stands alone on the next line). Never throws.
 */
import { lexKeepalived, type LexOptions, type Token } from './lexer.js';
import type { SourceFs } from './source.js';
import type { Finding, Stmt } from './types.js';

export type ParseResult =
  | { readonly ok: true; readonly stmts: readonly Stmt[]; readonly warnings: readonly Finding[]; readonly droppedConditionals: number }
  | { readonly ok: false; readonly error: Finding };

interface Cursor {
  readonly tokens: readonly Token[];
  pos: number;
}

function skipEols(c: Cursor): void {
  while (c.tokens[c.pos]?.kind === 'eol') c.pos++;
}

/** Parse statements until the matching `}` (opener set) or the end of input. */
function parseBlock(c: Cursor, opener: Token | null): { stmts: Stmt[] } | { error: Finding } {
  const stmts: Stmt[] = [];
  for (;;) {
    skipEols(c);
    const t = c.tokens[c.pos];
    if (t === undefined) {
      if (opener === null) return { stmts };
      return { error: { loc: opener.loc, message: "this '{' is never closed (missing '}' before the end of the input)" } };
    }
    if (t.kind === 'close') {
      c.pos++;
      if (opener === null) return { error: { loc: t.loc, message: "unexpected '}' (no block is open)" } };
      return { stmts };
    }
    if (t.kind === 'open') return { error: { loc: t.loc, message: "'{' without a keyword before it" } };
    const words: Token[] = [];
    for (let w = c.tokens[c.pos]; w?.kind === 'word'; w = c.tokens[++c.pos]) words.push(w);
    const [first = t] = words;
    let next = c.tokens[c.pos];
    if (next?.kind === 'eol' && c.tokens[c.pos + 1]?.kind === 'open') {
      c.pos++;
      next = c.tokens[c.pos];
    }
    let block: Stmt[] | null = null;
    if (next?.kind === 'open') {
      c.pos++;
      const inner = parseBlock(c, next);
      if ('error' in inner) return inner;
      block = inner.stmts;
    }
    stmts.push({ keyword: first.text, args: words.slice(1).map((w) => w.text), loc: first.loc, argLocs: words.slice(1).map((w) => w.loc), block });
  }
}

/** Lex and parse a Keepalived configuration (with its includes). */
export function parseKeepalived(path: string, fs: SourceFs, opts: LexOptions): ParseResult {
  const lexed = lexKeepalived(path, fs, opts);
  if (!lexed.ok) return lexed;
  const parsed = parseBlock({ tokens: lexed.tokens, pos: 0 }, null);
  if ('error' in parsed) return { ok: false, error: parsed.error };
  return { ok: true, stmts: parsed.stmts, warnings: lexed.warnings, droppedConditionals: lexed.droppedConditionals };
}
