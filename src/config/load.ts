import { readFile } from 'node:fs/promises';
import { describeError } from '../core/errors.js';
import type { ConfigLoadResult } from './types.js';
import { validateConfigText } from './validate.js';

export { validateConfigText } from './validate.js';

/** The largest config file we read; anything bigger is surely a mistake. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Read, parse and validate a config file. Never throws: unreadable files and
 * YAML syntax errors come back as located issues like every other error.
 */
export async function loadConfigFile(path: string): Promise<ConfigLoadResult> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_CONFIG_BYTES) {
      return unreadable(path, `file is too large (${bytes.length} bytes; the limit is ${MAX_CONFIG_BYTES})`);
    }
    text = bytes.toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return unreadable(path, 'no such file');
    if (code === 'EACCES') return unreadable(path, 'permission denied');
    if (code === 'EISDIR') return unreadable(path, 'is a directory, not a file');
    return unreadable(path, `cannot read the file: ${describeError(err)}`);
  }
  return validateConfigText(text, path);
}

function unreadable(path: string, message: string): ConfigLoadResult {
  return { ok: false, file: path, errors: [{ file: path, line: 0, column: 0, path: '', message }] };
}
