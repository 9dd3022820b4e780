import type { ConfigLoadResult } from './types.js';

/**
 * Read, parse and validate a config file. Never throws: unreadable files and
 * YAML syntax errors come back as located issues like every other error.
 *
 * PROVISIONAL: the full validator replaces this body; the signature stays.
 */
export function loadConfigFile(path: string): Promise<ConfigLoadResult> {
  return Promise.resolve({
    ok: false,
    file: path,
    errors: [{ file: path, line: 1, column: 1, path: '', message: 'config validation not yet built' }],
  });
}
