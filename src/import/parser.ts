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

/** Keywords that open a block: without '{' the block still follows (Keepalived warns and reads on). */
const BLOCK_KEYWORDS = new Set([
  'global_defs', 'vrrp_script', 'vrrp_instance', 'vrrp_sync_group', 'virtual_server', 'virtual_server_group', 'real_server',
  'TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK',
  'url', 'host', 'virtual_ipaddress', 'virtual_ipaddress_excluded', 'unicast_peer', 'track_interface', 'track_script', 'track_file',
  'track_process', 'track_bfd', 'authentication', 'virtual_routes', 'virtual_rules', 'static_ipaddress', 'static_routes', 'static_rules',
  'notification_email', 'group', 'garp_group', 'vrrp_track_file', 'vrrp_track_process', 'bfd_instance',
]);

interface Cursor {
  readonly tokens: readonly Token[];
  pos: number;
}

function skipEols(c: Cursor): void {
  while (c.tokens[c.pos]?.kind === 'eol') c.pos++;
}

/** Parse statements until the matching `}` (opener set) or the end of input. */
function parseBlock(c: Cursor, opener: Token | null, warnings: Finding[]): { stmts: Stmt[] } | { error: Finding } {
  const stmts: Stmt[] = [];
  for (;;) {
    skipEols(c);
    const t = c.tokens[c.pos];
    if (t === undefined) {
      if (opener === null) return { stmts };
      if (opener.kind !== 'open') return { error: { loc: opener.loc, message: `this '${opener.text}' block (opened without '{') is never closed (missing '}' before the end of the input)` } };
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
      const inner = parseBlock(c, next, warnings);
      if ('error' in inner) return inner;
      block = inner.stmts;
    } else if (BLOCK_KEYWORDS.has(first.text) && next?.kind === 'eol' && c.tokens[c.pos + 1]?.kind === 'word') {
      // Keepalived: "Missing '{' at beginning of configuration block", and it reads on: the lines below, up to the matching '}', are the block.
      warnings.push({ loc: first.loc, message: `'${[first.text, ...words.slice(1).map((w) => w.text)].join(' ')}' opens a block without '{': Keepalived reports "Missing '{' at beginning of configuration block" (at the line below) and reads the lines below, up to the matching '}', as its block; so does the conversion. Add the '{' at the end of this line` });
      const inner = parseBlock(c, first, warnings);
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
  const warnings = [...lexed.warnings];
  const parsed = parseBlock({ tokens: lexed.tokens, pos: 0 }, null, warnings);
  if ('error' in parsed) return { ok: false, error: parsed.error };
  return { ok: true, stmts: parsed.stmts, warnings, droppedConditionals: lexed.droppedConditionals };
}
