import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildChecker } from '../../../src/health/checkers/index.js';
import { resolveScriptUser as resolveUser } from '../../../src/os/accounts.js';
import { valid } from '../../unit/config/helpers.js';

const EXEC_VS = 'node: d\nvirtual_servers:\n  - { name: web, address: 10.50.1.1, port: 80, check: { type: exec, command: [/bin/true] }, real_servers: [{ address: 10.0.0.11 }] }\n';
import { createHealthService } from '../../../src/health/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { execCheck, ip, realServer, virtualServer } from '../../unit/health/fixtures.js';
import { pidGone, runWithTimeout, scriptUserName, waitFor, writeScript } from './servers.js';

const dir = mkdtempSync(join(tmpdir(), 'lvh-exec-'));
chmodSync(dir, 0o777);
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
const target = { address: ip('127.0.0.1'), port: 8080 };
const now = () => performance.now();

describe('exec checker (root)', () => {
  it('runs as the script user with the target in its environment', async () => {
    expect(process.getuid?.()).toBe(0);
    const user = await resolveUser(scriptUserName());
    expect(user.uid).not.toBe(0);
    const out = join(dir, 'who');
    const script = writeScript(dir, 'who.sh', `echo "$(id -u) $(id -g) $LVS_HA_RS_ADDRESS $LVS_HA_RS_PORT" > ${out}`);
    const r = await runWithTimeout(buildChecker(target, execCheck([script]), { now, scriptUser: user }), 2000);
    expect(r.ok).toBe(true);
    expect(readFileSync(out, 'utf8').trim()).toBe(`${String(user.uid)} ${String(user.gid)} 127.0.0.1 8080`);
  });

  it('kills the whole process group of a hanging check at the timeout', async () => {
    const user = await resolveUser(scriptUserName());
    const pids = join(dir, 'pids');
    const script = writeScript(dir, 'hang.sh', `sleep 60 &\necho "$$ $!" > ${pids}\nwait`);
    const t0 = performance.now();
    const r = await runWithTimeout(buildChecker(target, execCheck([script]), { now, scriptUser: user }), 400);
    const took = performance.now() - t0;
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('timeout after 400 ms, process group killed');
    expect(took).toBeLessThan(1500);
    const [shPid, sleepPid] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect(shPid).toBeGreaterThan(1);
    expect(sleepPid).toBeGreaterThan(1);
    // both the script and the child it spawned are gone
    expect(await waitFor(() => pidGone(shPid ?? 0) && pidGone(sleepPid ?? 0), 2000)).toBe(true);
  });

  it('exit 0 is up, non-zero is down with the first stderr line as reason', async () => {
    const deps = { now, scriptUser: null };
    expect((await runWithTimeout(buildChecker(target, execCheck(['/bin/true']), deps), 2000)).ok).toBe(true);
    const fail = writeScript(dir, 'fail.sh', 'echo "backend says no" >&2\nexit 3');
    expect(await runWithTimeout(buildChecker(target, execCheck([fail]), deps), 2000))
      .toMatchObject({ ok: false, reason: 'exit 3: backend says no' });
  });

  it('with dynamic weight: 1 is down, 2..255 up with weight = status - 2', async () => {
    const deps = { now, scriptUser: null };
    const code = (n: number) => writeScript(dir, `exit${String(n)}.sh`, `exit ${String(n)}`);
    const run = (n: number) => runWithTimeout(buildChecker(target, execCheck([code(n)], { dynamicWeight: true }), deps), 2000);
    expect((await run(1)).ok).toBe(false);
    expect(await run(12)).toMatchObject({ ok: true, weight: 10 });
    expect(await run(2)).toMatchObject({ ok: true, weight: 0 });
    const plain = await run(0);
    expect(plain.ok).toBe(true);
    expect(plain.weight).toBeUndefined();
  });

  it('never uses a shell: metacharacters are passed as plain arguments', async () => {
    const marker = join(dir, 'injected');
    const r = await runWithTimeout(
      buildChecker(target, execCheck(['/bin/echo', `; touch ${marker}`]), { now, scriptUser: null }), 2000);
    expect(r.ok).toBe(true);
    expect(() => readFileSync(marker)).toThrow();
  });

  it('is down when the program does not exist', async () => {
    const r = await runWithTimeout(buildChecker(target, execCheck(['/nonexistent/lvh']), { now, scriptUser: null }), 2000);
    expect(r.ok).toBe(false);
    expect(r.reason).toContain('ENOENT');
  });
});

describe('createHealthService (root)', () => {
  it('runs exec checks of the service as scripts.user', async () => {
    const name = scriptUserName();
    const user = await resolveUser(name);
    const out = join(dir, 'svc-who');
    const script = writeScript(dir, 'svc-who.sh', `id -u > ${out}`);
    const svc = await createHealthService({ clock: systemClock, scriptsUser: name, publish: () => undefined, random: () => 0 });
    try {
      const vs = [virtualServer('web', [realServer('127.0.0.1', 8080, execCheck([script], { intervalMs: 1000 }))])];
      await svc.prepare(vs);
      svc.update(vs);
      expect(await waitFor(() => svc.status()[0]?.real_servers[0]?.health === 'up', 3000)).toBe(true);
      expect(readFileSync(out, 'utf8').trim()).toBe(String(user.uid));
    } finally {
      svc.stop();
    }
  });

  it('refuses an unknown scripts user with a stable code, once an exec check needs it', async () => {
    const svc = await createHealthService({ clock: systemClock, scriptsUser: 'lvh-no-such-user', publish: () => undefined });
    await expect(svc.prepare(valid(EXEC_VS).virtualServers)).rejects.toMatchObject({ code: 'LVSHA_SCRIPT_USER' });
    svc.stop();
  });
});
