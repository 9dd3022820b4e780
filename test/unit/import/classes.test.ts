/**
 * Issue 17: one fixture per class of real-world trouble (invented configs in
 * test/fixtures/keepalived/classes), each with its expected YAML or its
 * expected located errors. For the behaviour rules, Keepalived 2.2.7 itself
 * (`keepalived -t`, installed as a test dependency like for samples.test.ts)
 * must report each rule at the same input line where the import warns.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importKeepalived, type ImportResult } from '../../../src/import/convert.js';
import { nodeSourceFs } from '../../../src/import/source.js';

const DIR = new URL('../../fixtures/keepalived/classes/', import.meta.url).pathname;
const PROGRAMS: Readonly<Record<string, string>> = { killall: '/usr/bin/killall', pidof: '/usr/bin/pidof' };

function run(name: string, resolve: (p: string) => string | null = (p) => PROGRAMS[p] ?? null): Extract<ImportResult, { ok: true }> {
  const r = importKeepalived(`${DIR}${name}.conf`, nodeSourceFs, { defaultNode: 'director', outputName: 'out.yaml', resolveProgram: resolve });
  if (!r.ok) expect.fail(`${name}: ${r.error.loc.line}:${r.error.loc.column} ${r.error.message}`);
  return r;
}

const at = (f: { loc: { line: number; column: number }; message: string }): string => `${f.loc.line}:${f.loc.column} ${f.message}`;

/** The converted YAML equals the expected file (as data; comments aside), with no error. */
function expectYaml(r: Extract<ImportResult, { ok: true }>, name: string): void {
  expect(r.errors.map(at)).toEqual([]);
  expect(r.validation.ok).toBe(true);
  expect(parse(r.yaml)).toEqual(parse(readFileSync(`${DIR}${name}.yaml`, 'utf8')));
}

/** What `keepalived -t` reports, as "line message" (all its processes, deduplicated). */
function keepalivedSays(name: string): string[] {
  const r = spawnSync('keepalived', ['-t', '-f', `${DIR}${name}.conf`], { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  const lines = out.split('\n').map((l) => /\(\S+: Line (\d+)\) (.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  return [...new Set(lines.map((m) => `${m[1] ?? ''} ${m[2] ?? ''}`))];
}

describe('import-keepalived on the classes of issue 17', () => {
  it('templates: every placeholder is an error at its line and column, saying to render the template first', () => {
    const r = run('template');
    expect(r.errors.map((e) => `${e.loc.line}:${e.loc.column}`)).toEqual(['4:15', '8:11', '9:15', '10:23', '11:14', '14:9', '15:9', '19:16', '21:17']);
    for (const e of r.errors) expect(e.message).toContain('render it first');
    expect(r.errors.map(at)).toContainEqual(expect.stringMatching(/^19:16 virtual_server 'VIP': not an IP address; a bare word where an IP address belongs/));
    expect(r.errors.map(at)).toContainEqual(expect.stringMatching(/^14:9 virtual_ipaddress entry '\{\{ VIP \}\}\/24': a \{\{ \}\} template expression/));
  });

  it('values: each value that cannot be converted is an error at its own column', () => {
    const r = run('values');
    expect(r.errors.map(at)).toEqual([
      expect.stringMatching(/^5:23 virtual_router_id 300: Keepalived accepts 1\.\.255 only and refuses the whole instance/),
      "6:20 unicast_src_ip '10.0.0.300': not an IP address",
      "9:9 unicast_peer '10.0.0.x': not an IP address",
      expect.stringMatching(/^13:9 virtual_ipaddress '10\.0\.0\.11\/abc': not an IP address .*VRRP parsed invalid IP/),
      expect.stringMatching(/^17:26 virtual_server 10\.0\.0\.10 'http': not a port 0\.\.65535/),
      expect.stringMatching(/^20:16 weight 70000: lvs-ha accepts 0\.\.65535 only/),
      "26:28 sorry_server '99999': not a port 0..65535",
      "29:24 connect_ip '10.0.0.256': not an IP address",
    ]);
  });

  it("behaviour: what Keepalived ignores, rejects or overrides is converted as Keepalived does, warned at the line Keepalived reports", () => {
    const r = run('behaviour');
    expectYaml(r, 'behaviour');
    const ka = keepalivedSays('behaviour');
    // [input line, what Keepalived 2.2.7 says there, what the import says there]
    const rules: [number, RegExp, RegExp][] = [
      [15, /Priority not valid! .* Using default 100/, /priority 0: .*the default priority 100 applies/],
      [16, /Advert interval \(300\) not valid! .* ignoring/, /advert_int 300: .*ignores the line/],
      [17, /Unknown keyword 'no_preempt'/, /'no_preempt': Keepalived 2\.2\.7 does not know .*write 'nopreempt'/],
      [18, /Unknown keyword 'garp_interval'/, /'garp_interval': .*vrrp_garp_interval/],
      [20, /Invalid address prefix len 33 .* using 32/, /prefix length 33 .* Keepalived uses 32/],
      [30, /Unknown keyword 'preemt_delay'/, /did you mean 'preempt_delay'\?/],
      [38, /Invalid lvs_scheduler 'RR' - ignoring/, /lb_algo RR: .*default wlc.*write 'rr'/],
      [39, /unknown \[dr\] routing method/, /lb_kind dr: .*default NAT.*write 'DR'/],
      [40, /persistence_timeout invalid/, /persistence_timeout 0: .*not persistent/],
      [41, /Quorum 0 must be in .* Setting to 1/, /quorum 0: .*uses 1/],
      [42, /delay loop '0' invalid - ignoring/, /delay_loop 0: .*ignores the line/],
      [44, /Real server weight -3 is outside range/, /weight -3: .*stays 1/],
      [46, /Unknown keyword 'nb_get_retry'/, /'nb_get_retry': .*write 'retry'/],
      [47, /connect_timeout 0 invalid - ignoring/, /connect_timeout 0: .*ignores the line/],
      [48, /Invalid checker connect_port '70000'/, /connect_port 70000: .*ignores the line/],
    ];
    for (const [line, theirs, ours] of rules) {
      expect(ka.some((k) => k.startsWith(`${line} `) && theirs.test(k)), `keepalived -t at line ${line}:\n${ka.join('\n')}`).toBe(true);
      expect(r.warnings.some((w) => w.loc.line === line && ours.test(w.message)), `import at line ${line}:\n${r.warnings.map(at).join('\n')}`).toBe(true);
    }
    // The overridden combination: Keepalived clears nopreempt with state MASTER (no line number in its message).
    const all = spawnSync('keepalived', ['-t', '-f', `${DIR}behaviour.conf`], { encoding: 'utf8' });
    expect(`${all.stdout}${all.stderr}`).toContain('(WEB) Warning - nopreempt will not work with initial state MASTER - clearing');
    expect(r.warnings.map(at)).toContainEqual(expect.stringMatching(/^12:5 nopreempt with state MASTER: Keepalived clears nopreempt/));
    // And the virtual server without real servers, which Keepalived ignores.
    expect(`${all.stdout}${all.stderr}`).toContain('Virtual server [192.0.2.61]:tcp:443 has no real servers - ignoring');
    expect(r.warnings.map(at)).toContainEqual(expect.stringMatching(/^53:1 virtual_server without real servers: Keepalived ignores it/));
  });

  it('behaviour: case rules and overrides (state master, the address owner with nopreempt, protocol, ip_family, status codes)', () => {
    const r = run('behaviour2');
    expectYaml(r, 'behaviour2');
    const ka = keepalivedSays('behaviour2');
    const rules: [number, RegExp, RegExp][] = [
      [10, /unknown state 'master', defaulting to BACKUP/, /state master: Keepalived does not know it/],
      [33, /Unknown protocol BOGUS - ignoring/, /protocol BOGUS: Keepalived ignores it/],
      [40, /Invalid HTTP_GET status code '700'/, /status_code 700: Keepalived ignores it/],
      [47, /unknown address family INET/, /ip_family INET: Keepalived ignores it/],
    ];
    for (const [line, theirs, ours] of rules) {
      expect(ka.some((k) => k.startsWith(`${line} `) && theirs.test(k)), `keepalived -t at line ${line}:\n${ka.join('\n')}`).toBe(true);
      expect(r.warnings.some((w) => w.loc.line === line && ours.test(w.message)), `import at line ${line}:\n${r.warnings.map(at).join('\n')}`).toBe(true);
    }
    const all = spawnSync('keepalived', ['-t', '-f', `${DIR}behaviour2.conf`], { encoding: 'utf8' });
    expect(`${all.stdout}${all.stderr}`).toContain('(OWNER) nopreempt is incompatible with priority 255. resetting nopreempt');
    expect(`${all.stdout}${all.stderr}`).not.toContain('(LOWER) Warning - nopreempt will not work');
    expect(r.warnings.map(at)).toContainEqual(expect.stringMatching(/^23:5 nopreempt with priority 255: Keepalived clears nopreempt/));
  });

  it('bare program names: resolved on the PATH (warned with the path chosen) or refused at the line with the fix', () => {
    const r = run('program');
    expect(r.errors.map(at)).toEqual([expect.stringMatching(/^16:12 vrrp_script chk_custom script: 'check_my_service' is not an absolute path and is not on this host's PATH.*write the program's absolute path/)]);
    expect(r.warnings.map(at)).toContainEqual(expect.stringMatching(/^10:12 vrrp_script chk_haproxy script: 'killall' is not an absolute path .*written as \/usr\/bin\/killall/));
    const all = run('program', (p) => (p === 'check_my_service' ? '/usr/local/bin/check_my_service' : (PROGRAMS[p] ?? null)));
    expectYaml(all, 'program');
  });

  it('a block opened without { is read on, as Keepalived does, and reported at its keyword', () => {
    const r = run('noblock');
    expectYaml(r, 'noblock');
    expect(r.warnings.map(at)).toEqual([expect.stringMatching(/^9:1 'vrrp_instance VI_1' opens a block without '\{': Keepalived reports "Missing '\{' at beginning of configuration block"/)]);
    expect(keepalivedSays('noblock')).toContain("10 Missing '{' at beginning of configuration block");
  });

  it('warnings without noise: one for all e-mail settings, a did-you-mean, none for real keywords Keepalived accepts', () => {
    const r = run('noise');
    expect(r.errors).toEqual([]);
    expect(r.warnings.map(at)).toEqual([
      expect.stringMatching(/^7:5 global_defs 'notification_email': no lvs-ha equivalent .*one warning for all/),
      expect.stringMatching(/^13:5 global_defs 'max_auto_priority 20': no lvs-ha equivalent/),
      expect.stringMatching(/^19:5 vrrp_instance 'priorty': .*did you mean 'priority'\?/),
    ]);
    expect(keepalivedSays('noise')).toEqual(["19 Unknown keyword 'priorty'"]);
  });

  it('a file where nothing converts is warned about', () => {
    const r = importKeepalived('/k.conf', { readText: () => ({ ok: true, value: 'global_defs {\n router_id a\n}\n' }), list: () => ({ ok: false, reason: '' }) }, { defaultNode: 'n', outputName: 'o' });
    expect(r.ok && r.warnings.map(at)).toEqual(['0:0 nothing was converted: no vrrp_instance and no virtual_server (is this the right file? its includes may not match)']);
  });
});
