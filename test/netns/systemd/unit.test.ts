/**
 * The shipped unit passes `systemd-analyze verify` with no warnings about it,
 * and the checker really catches broken units (both a warning-only mistake and
 * a fatal one). verify insists that ExecStart's binary exists, so it checks a
 * copy whose /usr/bin/lvs-ha is rewritten to this checkout's bin/lvs-ha.js.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
const unitSource = join(repo, 'systemd', 'lvs-ha.service');
const launcher = join(repo, 'bin', 'lvs-ha.js');
let dir: string;

interface Verdict {
  readonly status: number | null;
  /** Lines of verify's output that mention the unit under test. */
  readonly unitLines: readonly string[];
  readonly output: string;
}

function verify(unitText: string): Verdict {
  const path = join(dir, 'lvs-ha.service');
  writeFileSync(path, unitText);
  const result = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8', timeout: 60_000 });
  const output = `${result.stdout}${result.stderr}`;
  const unitLines = output.split('\n').filter((line) => line.includes('lvs-ha'));
  return { status: result.status, unitLines, output };
}

/** The shipped unit with ExecStart pointed at this checkout's launcher. */
function testableUnit(): string {
  const text = readFileSync(unitSource, 'utf8');
  expect(text).toMatch(/^ExecStart=\/usr\/bin\/lvs-ha run --config \/etc\/lvs-ha\/lvs-ha\.yaml$/m);
  expect(text).toMatch(/^ExecStartPre=\/usr\/bin\/lvs-ha check-config \/etc\/lvs-ha\/lvs-ha\.yaml$/m);
  return text.replace(/^(ExecStart|ExecStartPre)=\/usr\/bin\/lvs-ha /gm, `$1=${launcher} `);
}

function directive(text: string, key: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

beforeAll(() => {
  expect(spawnSync('systemd-analyze', ['--version']).status, 'systemd-analyze must be installed (Debian package systemd)').toBe(0);
  accessSync(launcher, constants.X_OK);
  dir = mkdtempSync(join(tmpdir(), 'lvd-unit-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('systemd/lvs-ha.service', () => {
  it('passes systemd-analyze verify with no warnings about the unit', () => {
    const verdict = verify(testableUnit());
    expect(verdict.unitLines, verdict.output).toEqual([]);
    expect(verdict.status, verdict.output).toBe(0);
  });

  it('the checker sees a misspelled directive (verify only warns, exit 0)', () => {
    const broken = testableUnit().replace(/^Restart=on-failure$/m, 'Restrat=on-failure');
    const verdict = verify(broken);
    expect(verdict.unitLines.join('\n')).toMatch(/Unknown key.*Restrat/);
  });

  it('the checker fails a unit whose ExecStart binary does not exist', () => {
    const verdict = verify(testableUnit().replace(launcher, '/nonexistent/lvs-ha'));
    expect(verdict.status).not.toBe(0);
    expect(verdict.unitLines.join('\n')).toMatch(/not executable/);
  });

  it('reloads by HUP, restarts on failure, and keeps the capability set minimal', () => {
    const text = readFileSync(unitSource, 'utf8');
    expect(directive(text, 'ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    // The daemon sends its own notifications (native sendto from the main pid).
    expect(directive(text, 'Type')).toEqual(['notify']);
    expect(directive(text, 'NotifyAccess')).toEqual(['main']);
    expect(directive(text, 'Restart')).toEqual(['on-failure']);
    expect(directive(text, 'RuntimeDirectory')).toEqual(['lvs-ha']);
    expect(directive(text, 'CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_NET_RAW CAP_SETUID CAP_SETGID CAP_KILL CAP_SYS_NICE CAP_CHOWN']);
    expect(directive(text, 'RestrictRealtime')).toEqual(['no']);
    expect(directive(text, 'AmbientCapabilities')).toEqual([]);
    expect(directive(text, 'NoNewPrivileges')).toEqual(['yes']);
    expect(directive(text, 'ProtectSystem')).toEqual(['strict']);
    expect(directive(text, 'RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET']);
  });
});
