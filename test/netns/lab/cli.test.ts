/**
 * netns tier (root, host kernel): what `lvs-ha lab` says before it builds
 * anything: not root, no lab up, bad options. The lab itself runs in the
 * kernel tier (test/kernel/lab.test.ts) because it needs IPVS.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

function lab(args: readonly string[], asNobody = false, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [process.execPath, 'bin/lvs-ha.js', 'lab', ...args];
  const [cmd, ...rest] = asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  return new Promise((done) => {
    execFile(cmd ?? '', rest, { cwd: ROOT, timeout: 60_000, env }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 99, stdout, stderr });
    });
  });
}

describe('lvs-ha lab: refusals before anything is built', () => {
  test('not root: refused with the reason, nothing created', async () => {
    const r = await lab(['up'], true);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lab up needs root .*sudo/);
    expect(existsSync('/run/lvs-ha-lab')).toBe(false);
    expect(existsSync('/run/lvs-ha-lab-vm')).toBe(false);
  });

  test('a missing program is named with the apt-get command that installs it, nothing created', async () => {
    const r = await lab(['up'], false, { ...process.env, PATH: '/nonexistent' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/'ip' is not installed; install it with: apt-get install -y iproute2/);
    expect(existsSync('/run/lvs-ha-lab')).toBe(false);
  });

  test('status and drill with no lab say so; down with no lab is a no-op', async () => {
    const status = await lab(['status']);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/no lab is up; run 'lvs-ha lab up' first/);
    const drill = await lab(['drill']);
    expect(drill.stderr).toMatch(/no lab is up/);
    const down = await lab(['down']);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/no lab was up/);
  });

  test('bad options are usage errors naming the option', async () => {
    const r = await lab(['up', '--mode', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mode 'fast': expected one of dr, nat, tun/);
    expect((await lab(['drill', '--connections', '500'])).stderr).toMatch(/1 to 200/);
  });
});
