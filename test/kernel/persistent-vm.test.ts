/**
 * The persistent VM (src/vm/persistent.ts): boot once, run lvs-ha commands in
 * it with streamed output, keep state between commands, stop. First the agent
 * protocol on the host itself (no VM: the agent is a plain shell loop), then a
 * real VM with Debian's kernel.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { VmNotRunningError, VmRunDirError, VmRunError } from '../../src/vm/errors.js';
import { findKernel } from '../../src/vm/host.js';
import { PACKAGE_ROOT, VM_DIR } from '../../src/vm/paths.js';
import {
  bootPersistentVm, execCommandInVm, execInVm, persistentVmStatus, stopPersistentVm, type PersistentVm,
} from '../../src/vm/persistent.js';
import { renderVmRecord, runDirLayout } from '../../src/vm/protocol.js';
import { AGENT_SCRIPT } from '../../src/vm/scripts.js';
import { assertBuilt } from '../helpers/vm/index.js';

const CONFIG = 'configs/director-a.yaml';

function pidAlive(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

function freshDir(name: string): string {
  const dir = join(VM_DIR, 'runs', name);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** Records each streamed chunk with when it arrived. */
function recorder(): { chunks: { at: number; text: string }[]; on: (s: string) => void; text: () => string } {
  const chunks: { at: number; text: string }[] = [];
  return { chunks, on: (text) => chunks.push({ at: performance.now(), text }), text: () => chunks.map((c) => c.text).join('') };
}

describe('agent protocol on the host (the agent as a plain process, no VM)', () => {
  const runDir = freshDir('lvk-agent-host');
  let pid = 0;

  beforeAll(async () => {
    assertBuilt(['dist/cli/main.js']);
    mkdirSync(runDir, { recursive: true });
    const payload = join(runDir, 'payload.sh');
    writeFileSync(payload, AGENT_SCRIPT);
    const child = spawn('sh', [payload], { cwd: PACKAGE_ROOT, stdio: 'ignore', env: { ...process.env, LVK_RESULTS: runDir } });
    pid = child.pid ?? 0;
    writeFileSync(runDirLayout(runDir).vmJson, renderVmRecord({ version: 1, pid, startedAt: new Date().toISOString(), runDir, marker: payload }));
    for (let i = 0; i < 100 && !existsSync(runDirLayout(runDir).ready); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(runDirLayout(runDir).ready)).toBe(true);
  });

  afterAll(async () => {
    if (persistentVmStatus(runDir).state === 'running') process.kill(pid, 'SIGKILL');
    await stopPersistentVm(runDir, { timeoutMs: 5000 }).catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
  });

  test('exit codes (not folded by xargs), arguments with spaces, output both ways', async () => {
    const r = await execCommandInVm(runDir, ['sh', '-c', 'printf "[%s]" "$@"; echo err >&2; exit 42', 'sh', 'a b', '', 'c'], { timeoutMs: 10_000 });
    expect(r).toEqual({ exitCode: 42, stdout: '[a b][][c]', stderr: 'err\n' });
    const cli = await execInVm(runDir, ['bogus verb'], { timeoutMs: 30_000 });
    expect(cli.exitCode).toBe(2);
    expect(cli.stderr).toContain(`unknown verb 'bogus verb'`);
    expect(persistentVmStatus(runDir)).toMatchObject({ state: 'running', pid });
    expect(readdirSync(runDirLayout(runDir).out)).toEqual([]); // results are cleaned up
  });

  test('commands run concurrently, each with its own result', async () => {
    const t0 = performance.now();
    const [a, b] = await Promise.all([
      execCommandInVm(runDir, ['sh', '-c', 'sleep 1; echo A'], { timeoutMs: 10_000 }),
      execCommandInVm(runDir, ['sh', '-c', 'sleep 1; echo B; exit 3'], { timeoutMs: 10_000 }),
    ]);
    expect([a.stdout, a.exitCode, b.stdout, b.exitCode]).toEqual(['A\n', 0, 'B\n', 3]);
    expect(performance.now() - t0).toBeLessThan(1900);
  });

  test('a command past its timeout is killed by the agent: VmRunError; the agent keeps serving', async () => {
    const err = await execCommandInVm(runDir, ['sleep', '30'], { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmRunError);
    expect((err as Error).message).toContain('timed out after 1000 ms (killed inside the VM)');
    expect((await execCommandInVm(runDir, ['true'], { timeoutMs: 5000 })).exitCode).toBe(0);
  });

  test('stop: the agent exits, the folder goes, commands then fail fast with VmNotRunningError', async () => {
    await stopPersistentVm(runDir, { timeoutMs: 5000 });
    expect(pidAlive(pid, runDir)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
    expect(persistentVmStatus(runDir)).toEqual({ state: 'none' });
    await expect(execInVm(runDir, ['--version'], { timeoutMs: 60_000 })).rejects.toThrow(VmNotRunningError);
  });
});

describe('a persistent VM with Debian kernel', () => {
  const runDir = freshDir('lvk-persistent');
  let vm: PersistentVm;
  const marker = `path=${runDir},mount_tag=lvkrun`;

  // Booted as the lab does: from the compiled dist/ code, by a process that then exits.
  beforeAll(async () => {
    assertBuilt(['dist/cli/main.js', 'dist/vm/index.js']);
    const script = `import { bootPersistentVm } from ${JSON.stringify(join(PACKAGE_ROOT, 'dist/vm/index.js'))};
process.stdout.write(JSON.stringify(await bootPersistentVm(JSON.parse(process.argv[1]))));`;
    const options = { runDir, modules: ['ip_vs'], bootTimeoutMs: 300_000, env: { LVK_GREETING: 'hello there' } };
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(options)], { timeout: 330_000 });
    vm = JSON.parse(stdout) as PersistentVm;
    console.log(`persistent VM: boot ${vm.bootMs} ms, qemu pid ${vm.pid}`);
  });

  afterAll(async () => {
    if (existsSync(runDir)) await stopPersistentVm(runDir, { timeoutMs: 20_000 });
  });

  test('booted: qemu outlives the process that booted it, recorded in vm.json', () => {
    expect(vm.runDir).toBe(runDir);
    expect(vm.bootMs).toBeGreaterThan(0);
    expect(pidAlive(vm.pid, marker)).toBe(true);
    expect(persistentVmStatus(runDir)).toMatchObject({ state: 'running', pid: vm.pid });
  });

  test('lvs-ha runs inside with its exit code and streamed output (zero and non-zero)', async () => {
    const t0 = performance.now();
    const out = recorder();
    const ok = await execInVm(runDir, ['check-config', CONFIG], { timeoutMs: 120_000, onStdout: out.on });
    console.log(`execInVm check-config: ${Math.round(performance.now() - t0)} ms`);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/director-a\.yaml: ok: node director-a/);
    expect(out.text()).toBe(ok.stdout);
    const err = recorder();
    const bad = await execInVm(runDir, ['bogus verb'], { timeoutMs: 120_000, onStderr: err.on });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(`unknown verb 'bogus verb'`);
    expect(err.text()).toBe(bad.stderr);
  });

  test('it is the VM: Debian kernel, IPVS loaded, the env given at boot', async () => {
    const r = await execCommandInVm(runDir, ['sh', '-c', 'uname -r; grep -c "^ip_vs " /proc/modules; echo "$LVK_GREETING"; pwd'], { timeoutMs: 60_000 });
    expect(r.stdout).toBe(`${findKernel().version}\n1\nhello there\n${PACKAGE_ROOT}\n`);
    const t0 = performance.now();
    expect((await execCommandInVm(runDir, ['true'], { timeoutMs: 60_000 })).exitCode).toBe(0);
    console.log(`execCommandInVm true (agent round trip): ${Math.round(performance.now() - t0)} ms`);
  });

  test('state survives between commands (a file under the VM-only /run)', async () => {
    const file = '/run/lvk-persist-check.yaml';
    const write = await execCommandInVm(runDir, ['sh', '-c', `cp ${CONFIG} ${file}`], { timeoutMs: 60_000 });
    expect(write.exitCode, write.stderr).toBe(0);
    expect(existsSync(file)).toBe(false); // not on the host: /run inside is the VM's tmpfs
    const read = await execInVm(runDir, ['check-config', file], { timeoutMs: 120_000 });
    expect(read.exitCode, read.stderr).toBe(0);
    expect(read.stdout).toContain(`${file}: ok`);
    const missing = await execInVm(runDir, ['check-config', '/run/lvk-never-written.yaml'], { timeoutMs: 120_000 });
    expect(missing.exitCode).not.toBe(0);
  });

  test('output streams while the command runs', async () => {
    const out = recorder();
    const r = await execCommandInVm(runDir, ['sh', '-c', 'echo first; sleep 4; echo second'], { timeoutMs: 60_000, onStdout: out.on });
    const done = performance.now();
    expect(r.stdout).toBe('first\nsecond\n');
    expect(out.chunks[0]?.text).toBe('first\n');
    expect(done - (out.chunks[0]?.at ?? done)).toBeGreaterThan(2000);
  });

  test('stop: qemu gone, run folder removed, later commands fail fast', async () => {
    const t0 = performance.now();
    await stopPersistentVm(runDir, { timeoutMs: 30_000 });
    console.log(`stopPersistentVm: ${Math.round(performance.now() - t0)} ms`);
    expect(pidAlive(vm.pid, marker)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
    expect(persistentVmStatus(runDir)).toEqual({ state: 'none' });
    const t1 = performance.now();
    await expect(execInVm(runDir, ['--version'], { timeoutMs: 120_000 })).rejects.toThrow(VmNotRunningError);
    expect(performance.now() - t1).toBeLessThan(1000);
  });
});

describe('boot failures', () => {
  test('a run folder that is not empty is refused before qemu starts', async () => {
    const runDir = freshDir('lvk-persistent-busy');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'precious'), 'x');
    try {
      await expect(bootPersistentVm({ runDir, modules: [], bootTimeoutMs: 60_000 })).rejects.toThrow(VmRunDirError);
      await expect(stopPersistentVm(runDir, { timeoutMs: 1000 })).rejects.toThrow(VmRunDirError);
      expect(readFileSync(join(runDir, 'precious'), 'utf8')).toBe('x');
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  test('boot timeout: VmRunError, qemu killed, folder kept; status dead; exec fails fast; stop cleans up', async () => {
    const runDir = freshDir('lvk-persistent-slow');
    const err = await bootPersistentVm({ runDir, modules: [], bootTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmRunError);
    expect((err as Error).message).toContain('VM not ready after 1500 ms (qemu killed)');
    const status = persistentVmStatus(runDir);
    expect(status.state).toBe('dead');
    if (status.state === 'dead') expect(pidAlive(status.pid, `path=${runDir},`)).toBe(false);
    expect(existsSync(join(runDir, 'console.log'))).toBe(true);
    const t0 = performance.now();
    await expect(execInVm(runDir, ['--version'], { timeoutMs: 120_000 })).rejects.toThrow(/not running \(qemu pid \d+ is gone\)/);
    expect(performance.now() - t0).toBeLessThan(1000);
    await stopPersistentVm(runDir, { timeoutMs: 1000 });
    expect(existsSync(runDir)).toBe(false);
  });
});
