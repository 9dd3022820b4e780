/**
 * What the VM needs from the host: qemu, Debian's kernel with its modules,
 * busybox-static. Each lookup fails with an error that says what to install.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VmHostError } from './errors.js';

export { APT_HINT, VmHostError } from './errors.js';

/**
 * What stage 1 must be able to do: talk virtio-pci and mount 9p over virtio.
 * Their dependencies come from modules.dep (see moduleLoadOrder), so the list
 * adapts to kernels that split or merge modules (e.g. netfs/fscache).
 */
export const STAGE1_TARGETS = ['virtio_pci', '9pnet_virtio', '9p'] as const;

export interface VmKernel {
  version: string;
  image: string;
  modulesDir: string;
}

function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The newest /boot/vmlinuz-<ver> whose /lib/modules/<ver> has ip_vs. */
export function findKernel(bootDir = '/boot', modulesRoot = '/lib/modules'): VmKernel {
  const override = process.env.LVSHA_VM_KERNEL;
  const versions = existsSync(bootDir)
    ? readdirSync(bootDir).filter((f) => f.startsWith('vmlinuz-')).map((f) => f.slice('vmlinuz-'.length))
    : [];
  const usable = versions
    .filter((v) => override === undefined || v === override)
    .filter((v) => findModuleFile(join(modulesRoot, v), 'ip_vs') !== undefined)
    .sort(compareVersions);
  const version = usable.at(-1);
  if (version === undefined) {
    throw new VmHostError(`no kernel with IPVS modules found (/boot/vmlinuz-* with /lib/modules/<ver>/…/ip_vs.ko)`);
  }
  const image = join(bootDir, `vmlinuz-${version}`);
  try {
    accessSync(image, constants.R_OK);
  } catch {
    throw new VmHostError(`${image} is not readable: run the kernel tier as root`, { aptHint: false });
  }
  return { version, image, modulesDir: join(modulesRoot, version) };
}

function moduleName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

/** modules.dep as name -> { path relative to the modules dir, direct and indirect deps }. */
export function parseModulesDep(depText: string): Map<string, { path: string; deps: string[] }> {
  const out = new Map<string, { path: string; deps: string[] }>();
  for (const line of depText.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon);
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter((d) => d !== '').map(moduleName);
    out.set(moduleName(path), { path, deps });
  }
  return out;
}

/** Finds <name>.ko (or a compressed variant) under a modules dir, via modules.dep. */
export function findModuleFile(modulesDir: string, name: string, depText?: string): string | undefined {
  const depFile = join(modulesDir, 'modules.dep');
  if (depText === undefined && !existsSync(depFile)) return undefined;
  const entry = parseModulesDep(depText ?? readFileSync(depFile, 'utf8')).get(name.replace(/-/g, '_'));
  return entry === undefined ? undefined : join(modulesDir, entry.path);
}

/**
 * The modules to insmod, dependencies first (as modprobe would: the deps of a
 * line are loaded last-listed first). Built-in modules are skipped; a module
 * neither built in nor in modules.dep is reported in `missing`.
 */
export function moduleLoadOrder(
  depText: string,
  targets: readonly string[],
  builtinText = '',
): { order: { name: string; path: string }[]; missing: string[] } {
  const dep = parseModulesDep(depText);
  const builtin = new Set(builtinText.split('\n').filter((l) => l !== '').map(moduleName));
  const order: { name: string; path: string }[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    if (builtin.has(name)) return;
    const entry = dep.get(name);
    if (entry === undefined) {
      missing.push(name);
      return;
    }
    for (const d of [...entry.deps].reverse()) visit(d);
    order.push({ name, path: entry.path });
  };
  for (const t of targets) visit(t.replace(/-/g, '_'));
  return { order, missing };
}

/** The qemu binary on PATH, or an error naming the package. */
export function findQemu(path = process.env.PATH ?? '/usr/bin:/bin'): string {
  for (const dir of path.split(':')) {
    const candidate = join(dir, 'qemu-system-x86_64');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  throw new VmHostError('qemu-system-x86_64 not found on PATH');
}

/** The static busybox for the initramfs. */
export function findBusybox(candidates: readonly string[] = ['/bin/busybox', '/usr/bin/busybox']): string {
  for (const candidate of candidates) {
    if (existsSync(candidate)) return candidate;
  }
  throw new VmHostError('busybox (static) not found');
}
