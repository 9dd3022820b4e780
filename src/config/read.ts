/**
 * Readers for the value kinds of the config. Each reports a located issue
 * and returns undefined when the node does not hold an acceptable value.
 */
import { isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import { MapReader, type Ctx, type Located, type Read } from './reader.js';
import {
  formatDuration,
  NAME_EXPECTED,
  NAME_PATTERN,
  parseAbsolutePath,
  parseDuration,
  parseInterfaceName,
  parseIp,
  parsePrefix,
  type Parsed,
} from './values.js';

function scalarValue(node: Node): unknown {
  return isScalar(node) ? node.value : undefined;
}

export const str: Read<string> = (ctx, node, path) => {
  const v = scalarValue(node);
  if (typeof v === 'string' && v !== '') return v;
  ctx.mismatch(node, path, typeof v === 'number' || typeof v === 'boolean' ? 'a string (quote it)' : 'a non-empty string');
  return undefined;
};

export function matching(pattern: RegExp, expected: string): Read<string> {
  return (ctx, node, path) => {
    const v = scalarValue(node);
    if (typeof v === 'string' && pattern.test(v)) return v;
    const quotable = (typeof v === 'number' || typeof v === 'boolean') && pattern.test(String(v));
    ctx.mismatch(node, path, quotable ? 'a string (quote it)' : expected);
    return undefined;
  };
}

export const name: Read<string> = matching(NAME_PATTERN, NAME_EXPECTED);

export function int(min: number, max: number): Read<number> {
  return (ctx, node, path) => {
    const v = scalarValue(node);
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    ctx.mismatch(node, path, `an integer ${min}..${max}`);
    return undefined;
  };
}

export const bool: Read<boolean> = (ctx, node, path) => {
  const v = scalarValue(node);
  if (typeof v === 'boolean') return v;
  ctx.mismatch(node, path, 'true or false');
  return undefined;
};

export function oneOf<T extends string>(values: readonly T[]): Read<T> {
  return (ctx, node, path) => {
    const v = scalarValue(node);
    const hit = values.find((x) => x === v);
    if (hit !== undefined) return hit;
    ctx.mismatch(node, path, `one of ${values.join(', ')}`);
    return undefined;
  };
}

/** A string parsed by a pure parser from values.ts. */
export function parsed<T>(parser: (text: string) => Parsed<T>): Read<T> {
  return (ctx, node, path) => {
    const v = scalarValue(node);
    if (typeof v !== 'string') {
      const r = parser('');
      ctx.mismatch(node, path, r.ok ? 'a string' : r.expected);
      return undefined;
    }
    const r = parser(v);
    if (r.ok) return r.value;
    ctx.mismatch(node, path, r.expected);
    return undefined;
  };
}

export const ip = parsed(parseIp);
export const prefix = parsed(parsePrefix);
export const absolutePath = parsed(parseAbsolutePath);
export const interfaceName = parsed(parseInterfaceName);

export interface DurationRule {
  readonly min: number;
  readonly max: number;
  /** Granularity in ms: 10 for centiseconds, 1000 for whole seconds. */
  readonly step?: number;
}

/** A duration in ms within [min, max], a whole multiple of `step`. */
export function duration(rule: DurationRule): Read<number> {
  const step = rule.step ?? 1;
  const grain = step === 10 ? ' in whole centiseconds' : step === 1000 ? ' in whole seconds' : '';
  const expected = `a duration ${formatDuration(rule.min)}..${formatDuration(rule.max)}${grain}`;
  return (ctx, node, path) => {
    const v = scalarValue(node);
    if (typeof v === 'number') {
      ctx.mismatch(node, path, `${expected}, written with a unit (e.g. '${formatDuration(rule.min || 1000)}'); a bare number has no unit`);
      return undefined;
    }
    if (typeof v !== 'string') {
      ctx.mismatch(node, path, expected);
      return undefined;
    }
    const r = parseDuration(v);
    if (!r.ok) {
      ctx.mismatch(node, path, r.expected);
      return undefined;
    }
    if (r.value < rule.min || r.value > rule.max || r.value % step !== 0) {
      ctx.mismatch(node, path, expected);
      return undefined;
    }
    return r.value;
  };
}

/** A mapping with the given allowed keys. */
export function map(allowed: readonly string[]): Read<MapReader> {
  return (ctx, node, path) => {
    if (isMap(node)) return new MapReader(ctx, node, path, allowed);
    ctx.mismatch(node, path, 'a mapping (key: value)');
    return undefined;
  };
}

/** The elements of a list, located, with empty elements reported. */
export const items: Read<Located<Node>[]> = (ctx, node, path) => {
  if (!isSeq(node)) {
    ctx.mismatch(node, path, 'a list');
    return undefined;
  }
  const out: Located<Node>[] = [];
  node.items.forEach((raw, i) => {
    const itemPath = `${path}[${i}]`;
    const item = ctx.resolve(raw, itemPath);
    if (item === undefined) {
      if (isAlias(raw)) return;
      ctx.report(isScalar(raw) ? raw : node, itemPath, 'list entries must not be empty', 'nothing');
      return;
    }
    out.push({ value: item, node: item, path: itemPath });
  });
  return out;
};

/** A list whose elements are read by `item`, located; invalid elements are reported and dropped. */
export function listOf<T>(item: Read<T>): Read<Located<T>[]> {
  return (ctx, node, path) => {
    const all = items(ctx, node, path);
    if (all === undefined) return undefined;
    const out: Located<T>[] = [];
    for (const entry of all) {
      const value = item(ctx, entry.node, entry.path);
      if (value !== undefined) out.push({ value, node: entry.node, path: entry.path });
    }
    return out;
  };
}

/** Only the values of a located list. */
export function values<T>(list: readonly Located<T>[] | undefined): T[] {
  return (list ?? []).map((x) => x.value);
}

/** An argv: a non-empty list of strings whose first element is an absolute path. Never a shell line. */
export const argv: Read<string[]> = (ctx, node, path) => {
  const expected = 'a command as a list of arguments whose first element is an absolute path, e.g. [/usr/local/bin/check, --quiet]';
  if (!isSeq(node)) {
    ctx.mismatch(node, path, `${expected} (no shell is used)`);
    return undefined;
  }
  const args = listOf(str)(ctx, node, path);
  if (args?.length !== node.items.length) return undefined;
  const first = args[0];
  if (first === undefined) {
    ctx.mismatch(node, path, expected);
    return undefined;
  }
  if (!first.value.startsWith('/')) {
    ctx.mismatch(first.node, first.path, 'an absolute path to the program (no PATH lookup is done)');
    return undefined;
  }
  return args.map((a) => a.value);
};

/** Report the second and later occurrences of the same key in a located list. */
export function reportDuplicates<T>(
  ctx: Ctx,
  list: readonly Located<T>[],
  keyOf: (v: T) => string | undefined,
  what: string,
): void {
  const first = new Map<string, Located<T>>();
  for (const entry of list) {
    const key = keyOf(entry.value);
    if (key === undefined) continue;
    const earlier = first.get(key);
    if (earlier) {
      const at = ctx.loc(earlier.node);
      ctx.report(entry.node, entry.path, `duplicate ${what} ${key} (first at line ${at.line}, ${earlier.path})`);
    } else {
      first.set(key, entry);
    }
  }
}

/** The node is an explicitly empty list (`[]`). */
export function isEmptyList(node: Node | undefined): boolean {
  return node !== undefined && isSeq(node) && node.items.length === 0;
}
