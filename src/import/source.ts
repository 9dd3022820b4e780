/**
 * The file-system edge of the importer: reading (gzip-aware) and listing
 * directories for `include` globs. The lexer only sees this interface, so
 * tests run on an in-memory tree.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describeError } from '../core/errors.js';

export type FsResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface SourceFs {
  /** The text of a file; `.gz` files are decompressed. */
  readText(path: string): FsResult<string>;
  /** The entry names of a directory (not sorted). */
  list(dir: string): FsResult<readonly string[]>;
}

/** The real file system. */
export const nodeSourceFs: SourceFs = {
  readText(path) {
    try {
      const bytes = readFileSync(path);
      const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      return { ok: true, value: text };
    } catch (err) {
      return { ok: false, reason: describeError(err) };
    }
  },
  list(dir) {
    try {
      return { ok: true, value: readdirSync(dir) };
    } catch (err) {
      return { ok: false, reason: describeError(err) };
    }
  },
};

/** An in-memory file system for tests: absolute path -> text. */
export function memorySourceFs(files: Readonly<Record<string, string>>): SourceFs {
  return {
    readText(path) {
      const text = files[path];
      return text === undefined ? { ok: false, reason: 'no such file' } : { ok: true, value: text };
    },
    list(dir) {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      const names = new Set<string>();
      for (const p of Object.keys(files)) {
        if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0] ?? '');
      }
      names.delete('');
      return names.size === 0 ? { ok: false, reason: 'no such directory' } : { ok: true, value: [...names] };
    },
  };
}

function hasMagic(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** A shell-style pattern segment (`*`, `?`, `[...]`) as a regular expression. */
function segmentRegex(segment: string): RegExp {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] ?? '';
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      const body = segment.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      out += `[${body}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * Expand an absolute glob pattern, sorted like glob(3). Hidden entries match
 * only a pattern segment that starts with a dot. Literal paths are returned
 * as they are (whether they exist is the reader's business).
 */
export function expandGlob(fs: SourceFs, pattern: string): string[] {
  const segments = pattern.split('/').filter((s) => s !== '');
  if (!segments.some(hasMagic)) return [pattern];
  let paths = [''];
  for (const seg of segments) {
    if (!hasMagic(seg)) {
      paths = paths.map((p) => `${p}/${seg}`);
      continue;
    }
    const re = segmentRegex(seg);
    const next: string[] = [];
    for (const p of paths) {
      const listed = fs.list(p === '' ? '/' : p);
      if (!listed.ok) continue;
      for (const name of listed.value) {
        if (name.startsWith('.') && !seg.startsWith('.')) continue;
        if (re.test(name)) next.push(`${p}/${name}`);
      }
    }
    paths = next;
  }
  return paths.sort();
}

/** The first executable file `name` in the directories of `pathEnv` (like `command -v`), or null. */
export function whichOnPath(name: string, pathEnv: string = process.env.PATH ?? ''): string | null {
  for (const dir of pathEnv.split(':')) {
    if (!dir.startsWith('/')) continue;
    const full = join(dir, name);
    try {
      accessSync(full, constants.X_OK);
      if (statSync(full).isFile()) return full;
    } catch {
      // not here
    }
  }
  return null;
}
