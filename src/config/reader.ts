/**
 * Walking the YAML syntax tree with locations. Ctx collects every issue with
 * its file, line and column; MapReader reads one mapping, refusing unknown
 * keys (with a "did you mean") and reporting missing required ones.
 */
import { redactFound, redactMessage } from './redact.js';
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { closestMatch } from './suggest.js';
import type { ConfigIssue } from './types.js';

export interface Loc {
  readonly line: number;
  readonly column: number;
}

/** A value read from the file, with the node it came from and its key path. */
export interface Located<T> {
  readonly value: T;
  readonly node: Node;
  readonly path: string;
}

/** Reads one node; reports and returns undefined when the node is not acceptable. */
export type Read<T> = (ctx: Ctx, node: Node, path: string) => T | undefined;

export class Ctx {
  readonly issues: ConfigIssue[] = [];

  constructor(
    readonly file: string,
    private readonly text: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  locOfOffset(offset: number): Loc {
    const p = this.lines.linePos(offset);
    return { line: Math.max(1, p.line), column: Math.max(1, p.col) };
  }

  loc(node: Node | null | undefined): Loc {
    return this.locOfOffset(node?.range?.[0] ?? 0);
  }

  report(at: Loc | Node | null | undefined, path: string, message: string, found?: string, expected?: string): void {
    const where = at !== null && at !== undefined && 'line' in at ? at : this.loc(at);
    this.issues.push({
      file: this.file,
      line: where.line,
      column: where.column,
      path,
      // Secrets (alert header values, URL credentials) never reach an error or a log (./redact.ts).
      message: redactMessage(path, message, found),
      ...(found === undefined ? {} : { found: redactFound(path, found) }),
      ...(expected === undefined ? {} : { expected }),
    });
  }

  /** "must be <expected> (found <what the node holds>)". */
  mismatch(node: Node, path: string, expected: string): void {
    this.report(node, path, `must be ${expected}`, this.describe(node), expected);
  }

  /** A short rendering of what a node holds, for "found ...". */
  describe(node: Node): string {
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (isScalar(node)) {
      if (node.value === null) return 'nothing';
      if (typeof node.value === 'string') {
        const s = node.value.length > 60 ? `${node.value.slice(0, 57)}...` : node.value;
        return `'${s}'`;
      }
      const range = node.range;
      return range ? this.text.slice(range[0], range[1]) : JSON.stringify(node.value);
    }
    return 'an unsupported value';
  }

  /** Follow aliases; an explicit null (or empty value) counts as absent. */
  resolve(node: unknown, path = ''): Node | undefined {
    let current: unknown = node;
    for (let hops = 0; hops < 16 && isAlias(current); hops++) {
      const target = current.resolve(this.doc);
      if (target === undefined) {
        this.report(current, path, `alias *${current.source} refers to no anchor defined before it`);
        return undefined;
      }
      current = target;
    }
    if (isScalar(current) && current.value === null) return undefined;
    if (isMap(current) || isSeq(current) || isScalar(current)) return current;
    return undefined;
  }
}

export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

interface Entry {
  readonly key: Node;
  readonly value: Node | undefined;
}

export class MapReader {
  private readonly entries = new Map<string, Entry>();
  /** Keys not to report missing: an unknown key was said to be their misspelling, or an alias failed. */
  private readonly quiet = new Set<string>();
  /** A merge key (<<, refused) might have supplied any key: report none missing. */
  private hasMergeKey = false;

  constructor(
    readonly ctx: Ctx,
    readonly node: YAMLMap,
    readonly path: string,
    readonly allowed: readonly string[],
    /** Keys offered in "did you mean" and "allowed here" (default: all allowed keys). */
    private readonly offered: readonly string[] = allowed,
  ) {
    for (const pair of node.items) this.admit(pair.key, pair.value);
  }

  private admit(keyNode: unknown, valueNode: unknown): void {
    const key = this.ctx.resolve(keyNode);
    if (!isScalar(key) || typeof key.value !== 'string') {
      const at = key ?? this.node;
      this.ctx.report(at, this.path, 'keys must be plain strings', key ? this.ctx.describe(key) : 'nothing', 'a string key');
      return;
    }
    const name = key.value;
    if (this.allowed.includes(name)) {
      const value = this.ctx.resolve(valueNode, childPath(this.path, name));
      if (value === undefined && isAlias(valueNode)) this.quiet.add(name);
      this.entries.set(name, { key, value });
      return;
    }
    const path = childPath(this.path, name);
    if (name === '<<') {
      this.hasMergeKey = true;
      this.ctx.report(key, path, 'merge keys (<<) are not supported; use an alias (*name) for a whole value');
      return;
    }
    const guess = closestMatch(name, this.offered);
    if (guess !== null) {
      this.quiet.add(guess);
      this.ctx.report(key, path, `unknown key '${name}'; did you mean '${guess}'?`, `'${name}'`, `'${guess}'`);
    } else {
      const list = this.offered.join(', ');
      this.ctx.report(key, path, `unknown key '${name}' (allowed here: ${list})`, `'${name}'`, list);
    }
  }

  sub(key: string): string {
    return childPath(this.path, key);
  }

  /** The key is written in the file (even with an empty value). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  keyNode(key: string): Node | undefined {
    return this.entries.get(key)?.key;
  }

  valueNode(key: string): Node | undefined {
    return this.entries.get(key)?.value;
  }

  /** Where to point for the key: its value if present, else the key, else the map. */
  nodeFor(key: string): Node {
    const e = this.entries.get(key);
    return e?.value ?? e?.key ?? this.node;
  }

  /** An optional key: undefined when absent, empty, or invalid (then reported). */
  opt<T>(key: string, read: Read<T>): T | undefined {
    return this.optAt(key, read)?.value;
  }

  optAt<T>(key: string, read: Read<T>): Located<T> | undefined {
    const node = this.entries.get(key)?.value;
    if (node === undefined) return undefined;
    const path = this.sub(key);
    const value = read(this.ctx, node, path);
    return value === undefined ? undefined : { value, node, path };
  }

  /** A required key: reports a missing or empty key (unless a misspelling already was). */
  req<T>(key: string, read: Read<T>): T | undefined {
    return this.reqAt(key, read)?.value;
  }

  reqAt<T>(key: string, read: Read<T>): Located<T> | undefined {
    const entry = this.entries.get(key);
    if (entry?.value === undefined) {
      this.missing(key);
      return undefined;
    }
    return this.optAt(key, read);
  }

  missing(key: string, why?: string): void {
    if (this.quiet.has(key) || this.hasMergeKey) return;
    const entry = this.entries.get(key);
    const suffix = why === undefined ? '' : ` (${why})`;
    if (entry) {
      this.ctx.report(entry.key, this.sub(key), `'${key}' needs a value${suffix}`, 'nothing');
    } else {
      this.ctx.report(this.node, this.sub(key), `missing required key '${key}'${suffix}`);
    }
  }

  /** Report a key that is written but not allowed in this combination. */
  forbid(key: string, why: string): void {
    const entry = this.entries.get(key);
    if (entry) this.ctx.report(entry.key, this.sub(key), `'${key}' is not allowed ${why}`);
  }
}
