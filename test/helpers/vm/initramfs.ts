/**
 * Builds (and caches under .vm/) the stage-1 initramfs: busybox-static, the
 * virtio/9p modules of the chosen kernel, and /init. Rebuilt whenever one of
 * its inputs changes (the cache key hashes their paths, sizes, times and the
 * init script).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { buildCpio, type CpioEntry } from './cpio.js';
import { findBusybox, moduleLoadOrder, STAGE1_TARGETS, VmHostError, type VmKernel } from './host.js';

const here = dirname(fileURLToPath(import.meta.url));
export const STAGE2_SCRIPT = join(here, 'stage2.sh');
const INIT_TEMPLATE = join(here, 'init.sh');
/** Bump when the archive's layout changes, so cached initramfs files are rebuilt. */
const BUILDER_VERSION = 'lvk-initramfs-1';

/** Reads a module file, decompressing .xz / .zst / .gz if the distribution compresses them. */
export function readModule(path: string): Buffer {
  if (path.endsWith('.ko')) return readFileSync(path);
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path));
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : undefined;
  if (tool === undefined) throw new VmHostError(`unknown module format: ${path}`);
  try {
    return execFileSync(tool, ['-dc', path], { maxBuffer: 64 * 1024 * 1024 });
  } catch {
    throw new VmHostError(`cannot decompress ${path} (is ${tool} installed?)`);
  }
}

function fingerprint(paths: readonly string[], extra: string): string {
  const hash = createHash('sha256');
  hash.update(extra);
  for (const p of paths) {
    const st = statSync(p);
    hash.update(`${p}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** Returns the path of an initramfs for this kernel, building it if needed. */
export function ensureInitramfs(kernel: VmKernel, cacheDir: string): string {
  const busybox = findBusybox();
  const depText = readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8');
  const builtinFile = join(kernel.modulesDir, 'modules.builtin');
  const builtinText = existsSync(builtinFile) ? readFileSync(builtinFile, 'utf8') : '';
  const { order, missing } = moduleLoadOrder(depText, STAGE1_TARGETS, builtinText);
  if (missing.length > 0) throw new VmHostError(`modules ${missing.join(', ')} missing for kernel ${kernel.version}`);
  const modules = order.map((m) => ({ name: m.name, file: join(kernel.modulesDir, m.path) }));
  const init = readFileSync(INIT_TEMPLATE, 'utf8')
    .replaceAll('@STAGE2@', STAGE2_SCRIPT)
    .replaceAll('@MODULES@', modules.map((m) => m.name).join(' '));
  const key = fingerprint([busybox, ...modules.map((m) => m.file)], `${BUILDER_VERSION}\n${init}`);
  const out = join(cacheDir, `initramfs-${kernel.version}-${key}.cpio`);
  if (existsSync(out)) return out;
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'mnt', 'mnt/root', 'modules'].map((path) => ({ kind: 'dir' as const, path })),
    { kind: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'init', data: Buffer.from(init, 'utf8'), mode: 0o755 },
    ...modules.map((m) => ({ kind: 'file' as const, path: `modules/${m.name}.ko`, data: readModule(m.file) })),
  ];
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, buildCpio(entries));
  renameSync(tmp, out);
  for (const old of readdirSync(cacheDir)) {
    if (/^initramfs-.*\.cpio$/.test(old) && join(cacheDir, old) !== out) rmSync(join(cacheDir, old), { force: true });
  }
  return out;
}
