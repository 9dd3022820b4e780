/**
 * Where the lab's programs are: this package's own bin/lvs-ha.js and the
 * compiled lab programs (dist/lab/backend.js, dist/lab/client.js), found from
 * this module's location so the lab works from any checkout or install.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from './procs.js';

/** The package root: two levels above src/lab or dist/lab. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** argv that runs `lvs-ha ARGS` with this node. */
export function lvsHaArgv(args: readonly string[]): string[] {
  return [process.execPath, join(PACKAGE_ROOT, 'bin', 'lvs-ha.js'), ...args];
}

/** argv that runs a compiled lab program (backend or client) with this node. */
export function labProgram(name: 'backend' | 'client', args: readonly string[]): string[] {
  const file = join(PACKAGE_ROOT, 'dist', 'lab', `${name}.js`);
  if (!existsSync(file)) throw new LabError('LVSHA_LAB_NOT_BUILT', `${file} is missing: run 'npm ci' (or 'npm run build') first`);
  return [process.execPath, file, ...args];
}
