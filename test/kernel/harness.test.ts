/**
 * The kernel-tier harness itself: host lookups with clear errors, the
 * initramfs it builds, and one VM boot that checks what a payload can rely on
 * (exit code, output, results folder, modules, writable /tmp, read-only root),
 * plus the timeout path (qemu is killed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { buildCpio } from '../../src/vm/cpio.js';
import { APT_HINT, findBusybox, findKernel, findModuleFile, findQemu, moduleLoadOrder, parseModulesDep, STAGE1_TARGETS, VmHostError } from '../../src/vm/host.js';
import { ensureInitramfs, stage2Path } from '../../src/vm/initramfs.js';
import { STAGE2_SCRIPT } from '../../src/vm/scripts.js';
import { describeRun, runInVm, VM_DIR, VmRunError, type VmRunResult } from '../helpers/vm/index.js';

function cpioList(archive: Buffer): string[] {
  return execFileSync('busybox', ['cpio', '-t'], { input: archive, stdio: ['pipe', 'pipe', 'ignore'] }).toString().trim().split('\n');
}

describe('host lookups', () => {
  test('no kernel with IPVS modules: VmHostError with the apt-get command', () => {
    const empty = mkdtempSync(join(tmpdir(), 'lvk-boot-'));
    try {
      expect(() => findKernel(empty, empty)).toThrow(VmHostError);
      expect(() => findKernel(empty, empty)).toThrow(APT_HINT);
    } finally {
      rmSync(empty, { recursive: true });
    }
  });

  test('no qemu or busybox: VmHostError with the apt-get command', () => {
    expect(() => findQemu('/nonexistent-lvk')).toThrow(/qemu-system-x86_64 not found on PATH[\s\S]*apt-get install/);
    expect(() => findBusybox(['/nonexistent-lvk/busybox'])).toThrow(APT_HINT);
    expect(findQemu()).toMatch(/qemu-system-x86_64$/);
  });

  test('finds the installed Debian kernel and its modules', () => {
    const kernel = findKernel();
    expect(kernel.image).toBe(`/boot/vmlinuz-${kernel.version}`);
    expect(findModuleFile(kernel.modulesDir, 'ip_vs')).toMatch(/\/ip_vs\.ko(\.xz|\.zst|\.gz)?$/);
  });

  test('module lookup handles compressed names and - versus _', () => {
    const dep = 'kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz\nkernel/fs/fscache/fscache.ko.zst:\n';
    expect(findModuleFile('/m', '9pnet_virtio', dep)).toBe('/m/kernel/net/9p/9pnet_virtio.ko.xz');
    expect(findModuleFile('/m', 'fscache', dep)).toBe('/m/kernel/fs/fscache/fscache.ko.zst');
    expect(findModuleFile('/m', '9pnet-virtio', dep)).toBe('/m/kernel/net/9p/9pnet_virtio.ko.xz');
    expect(findModuleFile('/m', '9p', dep)).toBeUndefined();
  });

  test('load order: dependencies first (last-listed first), built-ins skipped, unknown reported', () => {
    const dep = [
      'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
      'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
      'kernel/fs/netfs/netfs.ko:',
      'kernel/net/9p/9pnet.ko:',
      'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
      'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
      'kernel/drivers/virtio/virtio_ring.ko:',
    ].join('\n');
    expect(moduleLoadOrder(dep, ['9pnet_virtio', '9p']).order.map((m) => m.name))
      .toEqual(['virtio_ring', 'virtio', '9pnet', '9pnet_virtio', 'netfs', 'fscache', '9p']);
    expect(moduleLoadOrder(dep, ['9p'], 'kernel/fs/netfs/netfs.ko\n').order.map((m) => m.name)).toEqual(['fscache', '9pnet', '9p']);
    expect(moduleLoadOrder(dep, ['virtio_pci'])).toEqual({ order: [], missing: ['virtio_pci'] });
  });

  test("this kernel's stage-1 modules load each after its dependencies", () => {
    const kernel = findKernel();
    const depText = readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8');
    const { order, missing } = moduleLoadOrder(depText, STAGE1_TARGETS);
    expect(missing).toEqual([]);
    const names = order.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['virtio_pci', '9pnet_virtio', '9p']));
    const dep = parseModulesDep(depText);
    names.forEach((name, i) => {
      for (const d of dep.get(name)?.deps ?? []) expect(names.indexOf(d), `${d} before ${name}`).toBeLessThan(i);
    });
  });
});

describe('initramfs', () => {
  test('a newc archive that busybox cpio lists back', () => {
    const archive = buildCpio([
      { kind: 'dir', path: 'bin' },
      { kind: 'file', path: 'bin/x', data: Buffer.from('abc') },
      { kind: 'symlink', path: 'bin/y', target: 'x' },
    ]);
    expect(archive.subarray(0, 6).toString()).toBe('070701');
    expect(archive.length % 4).toBe(0);
    expect(cpioList(archive)).toEqual(['bin', 'bin/x', 'bin/y']);
  });

  test('holds busybox, /init pointing at stage 2 and every stage-1 module; cached on a second call', () => {
    const kernel = findKernel();
    const path = ensureInitramfs(kernel, VM_DIR);
    expect(ensureInitramfs(kernel, VM_DIR)).toBe(path);
    const archive = readFileSync(path);
    const names = cpioList(archive);
    expect(names).toEqual(expect.arrayContaining(['init', 'bin/busybox', ...STAGE1_TARGETS.map((m) => `modules/${m}.ko`)]));
    expect(archive.includes(Buffer.from(`switch_root /mnt/root /bin/sh ${stage2Path(VM_DIR)}`))).toBe(true);
  });

  test('stage 2 is written to the cache folder (the VM reads it there), named by its text', () => {
    const cache = mkdtempSync(join(tmpdir(), 'lvk-cache-'));
    try {
      const initrd = ensureInitramfs(findKernel(), cache);
      const stage2 = stage2Path(cache);
      expect(stage2.startsWith(`${cache}/stage2-`)).toBe(true);
      expect(readFileSync(stage2, 'utf8')).toBe(STAGE2_SCRIPT);
      expect(readdirSync(cache).sort()).toEqual([initrd.slice(cache.length + 1), stage2.slice(cache.length + 1)].sort());
      // a deleted stage 2 comes back even though the initramfs is cached
      rmSync(stage2);
      expect(ensureInitramfs(findKernel(), cache)).toBe(initrd);
      expect(readFileSync(stage2, 'utf8')).toBe(STAGE2_SCRIPT);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

const PAYLOAD = `
echo to-stdout; echo to-stderr >&2
echo result-file > "$LVK_RESULTS/custom.txt"
lsmod | cut -d' ' -f1 > "$LVK_RESULTS/lsmod.txt"
touch /tmp/w && echo tmp-writable > "$LVK_RESULTS/tmp.txt"
touch /lvk-ro-probe 2>/dev/null || echo root-read-only > "$LVK_RESULTS/root.txt"
ip -o link show lo > "$LVK_RESULTS/lo.txt"
cat "$LVK_RESULTS/extra.txt" > "$LVK_RESULTS/extra-seen.txt"
exit 7
`;

describe('one VM boot', () => {
  let run: VmRunResult;
  beforeAll(async () => {
    run = await runInVm({ name: 'lvk-harness', script: PAYLOAD, files: { 'extra.txt': 'given' }, timeoutMs: 240_000 });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  });

  test('the payload exit code, stdout and stderr come back', () => {
    expect(run.exitCode, describeRun(run)).toBe(7);
    expect(run.stdout).toBe('to-stdout\n');
    expect(run.stderr).toBe('to-stderr\n');
  });

  test('the run folder is shared both ways', () => {
    expect(run.readResult('custom.txt')).toBe('result-file\n');
    expect(run.readResult('extra-seen.txt')).toBe('given');
  });

  test('it ran on Debian kernel with the default modules loaded', () => {
    expect(run.console).toContain('lvk-stage2: up');
    const modules = run.readResult('lsmod.txt').split('\n');
    expect(modules).toEqual(expect.arrayContaining(['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'veth', 'bridge', '9p']));
  });

  test('/tmp is writable, the shared root is read-only, lo is up', () => {
    expect(run.readResult('tmp.txt')).toBe('tmp-writable\n');
    expect(run.readResult('root.txt')).toBe('root-read-only\n');
    expect(run.readResult('lo.txt')).toMatch(/<LOOPBACK,UP,LOWER_UP>/);
  });
});

describe('timeout', () => {
  test('qemu is killed and the error says so', async () => {
    const err = await runInVm({ name: 'lvk-timeout', script: 'sleep 600', timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmRunError);
    expect((err as Error).message).toContain('VM timed out after 1500 ms (qemu killed)');
    const runDir = join(VM_DIR, 'runs', 'lvk-timeout');
    const stillRunning = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(runDir);
      } catch {
        return false;
      }
    });
    expect(stillRunning).toBe(false);
  });
});
