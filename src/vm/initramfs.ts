/**
 * Builds (and caches under the cache folder, by default <package root>/.vm) the
 * stage-1 initramfs: busybox-static, the virtio/9p modules of the chosen
 * kernel, and /init. Stage 2 is written next to it as stage2-<hash>.sh (the VM
 * reads it through the host root). The initramfs is rebuilt whenever one of
 * its inputs changes: the cache key hashes their paths, sizes and times, the
 * init script and the stage-2 script text.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildCpio, type CpioEntry } from './cpio.js';
import { findBusybox, moduleLoadOrder, STAGE1_TARGETS, VmHostError, type VmKernel } from './host.js';
import { INIT_TEMPLATE, STAGE2_SCRIPT } from './scripts.js';

/** Bump when the archive's layout changes, so cached initramfs files are rebuilt. */
const BUILDER_VERSION = 'lvk-initramfs-2';
/** Stale cache files are removed only once this old, so a concurrent run of another version keeps its own. */
const STALE_AFTER_MS = 10 * 60 * 1000;

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

function sha16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
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

/** Where stage 2 lives for a cache folder (named by the hash of its text). */
export function stage2Path(cacheDir: string): string {
  return join(cacheDir, `stage2-${sha16(STAGE2_SCRIPT)}.sh`);
}

function writeAtomically(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

/** Writes stage 2 into the cache folder unless it is already there with this text. */
function ensureStage2(cacheDir: string): string {
  const path = stage2Path(cacheDir);
  if (existsSync(path) && readFileSync(path, 'utf8') === STAGE2_SCRIPT) return path;
  writeAtomically(path, STAGE2_SCRIPT, 0o755);
  return path;
}

function removeStale(cacheDir: string, keep: readonly string[], now: number): void {
  for (const name of readdirSync(cacheDir)) {
    if (!/^(initramfs-.*\.cpio|stage2-[0-9a-f]+\.sh)$/.test(name) || keep.includes(name)) continue;
    const path = join(cacheDir, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { force: true });
    } catch {
      // removed concurrently: nothing to do
    }
  }
}

/** Returns the path of an initramfs for this kernel, building it (and writing stage 2) if needed. */
export function ensureInitramfs(kernel: VmKernel, cacheDir: string): string {
  const busybox = findBusybox();
  const depText = readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8');
  const builtinFile = join(kernel.modulesDir, 'modules.builtin');
  const builtinText = existsSync(builtinFile) ? readFileSync(builtinFile, 'utf8') : '';
  const { order, missing } = moduleLoadOrder(depText, STAGE1_TARGETS, builtinText);
  if (missing.length > 0) throw new VmHostError(`modules ${missing.join(', ')} missing for kernel ${kernel.version}`);
  mkdirSync(cacheDir, { recursive: true });
  const stage2 = ensureStage2(cacheDir);
  const modules = order.map((m) => ({ name: m.name, file: join(kernel.modulesDir, m.path) }));
  const init = INIT_TEMPLATE
    .replaceAll('@STAGE2@', stage2)
    .replaceAll('@MODULES@', modules.map((m) => m.name).join(' '));
  const key = fingerprint([busybox, ...modules.map((m) => m.file)], `${BUILDER_VERSION}\n${init}\n${STAGE2_SCRIPT}`);
  const name = `initramfs-${kernel.version}-${key}.cpio`;
  const out = join(cacheDir, name);
  if (!existsSync(out)) {
    const entries: CpioEntry[] = [
      ...['bin', 'dev', 'proc', 'sys', 'mnt', 'mnt/root', 'modules'].map((path) => ({ kind: 'dir' as const, path })),
      { kind: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
      { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
      { kind: 'file', path: 'init', data: Buffer.from(init, 'utf8'), mode: 0o755 },
      ...modules.map((m) => ({ kind: 'file' as const, path: `modules/${m.name}.ko`, data: readModule(m.file) })),
    ];
    writeAtomically(out, buildCpio(entries));
  }
  removeStale(cacheDir, [name, basename(stage2)], Date.now());
  return out;
}
