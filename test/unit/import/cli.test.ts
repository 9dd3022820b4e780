import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importKeepalivedVerb } from '../../../src/cli/verbs/import-keepalived.js';
import { loadConfigFile } from '../../../src/config/load.js';
import { UsageError } from '../../../src/core/errors.js';

const FIXTURES = new URL('../../fixtures/keepalived/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lvsha-import-'));
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await importKeepalivedVerb.run(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

describe('lvs-ha import-keepalived', () => {
  it('converts the DR pair fixture (include glob, $VIP, @director-a) into a file check-config accepts', async () => {
    const outFile = join(tmp, 'a.yaml');
    const r = await run(join(FIXTURES, 'pair/keepalived.conf'), '-o', outFile);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/pair\/keepalived\.conf:7:4: warning: global_defs 'notification_email': no lvs-ha equivalent/);
    expect(r.err).toContain('converted with 1 warning; the result passes check-config');
    const loaded = await loadConfigFile(outFile);
    if (!loaded.ok) expect.fail(loaded.errors.map((e) => e.message).join('\n'));
    const c = loaded.config;
    expect(c.node).toBe('director-a');
    expect(c.scripts.user).toBe('lvs_check');
    const vi = c.vrrp.instances[0];
    expect(vi).toMatchObject({ name: 'VI_WEB', vrid: 51, priority: 150, advertIntervalMs: 500 });
    expect(vi?.virtualAddresses.map((a) => `${a.text}/${a.prefixLength}`)).toEqual(['192.0.2.10/24']);
    expect(vi?.track.scripts[0]).toMatchObject({ command: ['/usr/bin/pgrep', '-x', 'haproxy'], intervalMs: 2000, rise: 2, fall: 2, weight: -20 });
    expect(c.ipvsSync).toMatchObject({ interface: 'eth1', follow: 'VI_WEB', syncId: 51 });
    const vs = c.virtualServers[0];
    expect(vs).toMatchObject({ name: 'tcp-192.0.2.10-80', scheduler: 'wrr', forwarding: { method: 'dr' }, onFailure: 'inhibit' });
    expect(vs?.realServers.map((rs) => [rs.address.text, rs.weight, rs.check?.type, rs.check?.intervalMs, rs.check?.fall])).toEqual([
      ['192.0.2.21', 2, 'http', 3000, 3],
      ['192.0.2.22', 1, 'http', 3000, 3],
    ]);
    expect(readFileSync(outFile, 'utf8')).toMatch(/^# Converted from .*\n# Keepalived config id 'director-a'.*\n# Review every WARNING/);
  });

  it('--config-id picks the other director of the same file', async () => {
    const r = await run(join(FIXTURES, 'pair/keepalived.conf'), '--config-id', 'director-b');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/priority: 100\n/);
  });

  it('exits 1 with FILE:LINE:COLUMN and writes nothing when the input does not parse', async () => {
    const outFile = join(tmp, 'broken.yaml');
    const r = await run(join(FIXTURES, 'broken.conf'), '-o', outFile);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.conf:4:20: error: this '\{' is never closed/);
    expect(() => readFileSync(outFile)).toThrow();
  });

  it('exits 1 with the error at the input line (not in the generated YAML), and still writes the YAML with the errors in its header', async () => {
    const outFile = join(tmp, 'shell.yaml');
    const r = await run(join(FIXTURES, 'shell-script.conf'), '-o', outFile);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/shell-script\.conf:6:11: error: vrrp_script chk script 'killall -0 sshd && echo ok' uses shell syntax/);
    expect(r.err).toContain('not converted: 1 error(s) above, each at its input line');
    expect(r.err).not.toMatch(/shell\.yaml:\d+/);
    expect(readFileSync(outFile, 'utf8')).toMatch(/^# ERROR .*shell-script\.conf:6:11: vrrp_script chk script/m);
  });

  it('exits 1 for an unrendered template: a placeholder as a virtual server address is an error at its place, not skipped with exit 0', async () => {
    const outFile = join(tmp, 'template.yaml');
    const r = await run(join(FIXTURES, 'classes/template.conf'), '-o', outFile);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/classes\/template\.conf:19:16: error: virtual_server 'VIP': not an IP address; a bare word where an IP address belongs: if it is a placeholder, the file looks like a template: render it first/);
    expect(r.err).toMatch(/classes\/template\.conf:14:9: error: virtual_ipaddress entry '\{\{ VIP \}\}\/24': a \{\{ \}\} template expression/);
    expect(r.err).not.toContain('passes check-config');
  });

  it('exits 1 for a missing file and refuses bad usage', async () => {
    const r = await run(join(FIXTURES, 'does-not-exist.conf'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/does-not-exist\.conf: error: cannot read the file/);
    await expect(run()).rejects.toThrow(UsageError);
    await expect(run('a', 'b')).rejects.toThrow(UsageError);
    await expect(run('--bogus', 'a')).rejects.toThrow(UsageError);
  });
});
