import { describe, expect, it } from 'vitest';
import { exitVerdict } from '../../../src/health/checkers/exec.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findUser, resolveScriptUser } from '../../../src/os/accounts.js';
import { FakeClock } from '../../../src/core/clock.js';
import { createHealthService, needsScriptUser } from '../../../src/health/index.js';
import { valid } from '../config/helpers.js';

const passwd = 'root:x:0:0:root:/root:/bin/bash\nlvh-script:x:998:997::/nonexistent:/usr/sbin/nologin\nbroken:x:a:b\n';

describe('findUser', () => {
  it('finds a user by name or numeric uid', () => {
    expect(findUser(passwd, 'lvh-script')).toEqual({ name: 'lvh-script', uid: 998, gid: 997, home: '/nonexistent' });
    expect(findUser(passwd, '998')?.name).toBe('lvh-script');
  });
  it('returns null for an unknown or malformed entry', () => {
    expect(findUser(passwd, 'nobody-here')).toBeNull();
    expect(findUser(passwd, 'broken')).toBeNull();
  });
});

describe('resolveScriptUser: the one lookup of checks, tracking, notify and alerts', () => {
  it('refuses uid 0 whatever the name, and says how to create a missing user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvd-passwd-'));
    try {
      const file = join(dir, 'passwd');
      writeFileSync(file, `${passwd}toor:x:0:0:root alias:/root:/bin/bash\n`);
      await expect(resolveScriptUser('lvh-script', file)).resolves.toMatchObject({ uid: 998, gid: 997 });
      await expect(resolveScriptUser('toor', file)).rejects.toThrow(/script user 'toor' has uid 0 .*scripts never run as root, whatever the name/);
      await expect(resolveScriptUser('root', file)).rejects.toThrow(/uid 0/);
      await expect(resolveScriptUser('ghost', file)).rejects.toThrow(/script user 'ghost' does not exist .*useradd --system/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the script user is needed only when an exec check will run', () => {
  it('no exec check: never looked up; the first exec check (start or reload) looks it up once', async () => {
    const looked: string[] = [];
    const svc = await createHealthService({
      clock: new FakeClock(), scriptsUser: 'lvh-script', publish: () => undefined,
      resolveUser: (name) => { looked.push(name); return Promise.resolve({ name, uid: 998, gid: 997, home: '/' }); },
    });
    const http = valid('node: d\nvirtual_servers:\n  - { name: web, address: 10.50.1.1, port: 80, check: { type: http }, real_servers: [{ address: 10.0.0.11 }] }\n').virtualServers;
    const exec = valid('node: d\nvirtual_servers:\n  - { name: web, address: 10.50.1.1, port: 80, check: { type: exec, command: [/bin/true] }, real_servers: [{ address: 10.0.0.11 }] }\n').virtualServers;
    expect(needsScriptUser(http)).toBe(false);
    expect(needsScriptUser(exec)).toBe(true);
    await svc.prepare(http);
    expect(looked).toEqual([]);
    await svc.prepare(exec);
    await svc.prepare(exec);
    expect(looked).toEqual(['lvh-script']);
    svc.stop();
  });
});

describe('exitVerdict', () => {
  it('plain: only 0 is up', () => {
    expect(exitVerdict(0, false)).toEqual({ ok: true });
    expect(exitVerdict(2, false)).toEqual({ ok: false });
  });
  it('dynamic: 1 down, 2..255 up with weight status-2', () => {
    expect(exitVerdict(1, true)).toEqual({ ok: false });
    expect(exitVerdict(2, true)).toEqual({ ok: true, weight: 0 });
    expect(exitVerdict(255, true)).toEqual({ ok: true, weight: 253 });
  });
});
