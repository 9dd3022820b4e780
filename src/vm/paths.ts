/**
 * Where the package lives, found from this module's own location so it works
 * both from src/ (vitest) and from dist/ (node): the nearest ancestor folder
 * whose package.json names the lvs-ha package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VmHostError } from './errors.js';

const PACKAGE_NAME = 'lvs-ha';
const MAX_LEVELS = 8;

function namesThisPackage(packageJson: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(packageJson, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** The package root above `start` (a folder), or a VmHostError. */
export function findPackageRoot(start: string): string {
  let dir = start;
  for (let level = 0; level < MAX_LEVELS; level += 1) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && namesThisPackage(candidate)) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new VmHostError(`cannot find the ${PACKAGE_NAME} package root above ${start}`, { aptHint: false });
}

/** The package root (the repository checkout, or the installed package). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The VM cache and run folders: <package root>/.vm (initramfs, stage 2, runs/). */
export const VM_DIR = join(PACKAGE_ROOT, '.vm');

/** The CLI launcher that execInVm runs inside the VM. */
export const CLI_LAUNCHER = join(PACKAGE_ROOT, 'bin', 'lvs-ha.js');
