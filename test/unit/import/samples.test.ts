/**
 * Every sample configuration of Debian's keepalived package either converts
 * to a config that passes check-config, or is refused for the precise reason
 * listed here. Needs the `keepalived` package (CI installs it): without
 * /usr/share/doc/keepalived/samples this test fails, it never skips.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importKeepalived } from '../../../src/import/convert.js';
import { nodeSourceFs } from '../../../src/import/source.js';

const DIR = '/usr/share/doc/keepalived/samples';

interface Expected {
  readonly outcome: 'valid' | 'refused';
  /** Why, in words (the table the issue asks for). */
  readonly why: string;
  /** Substrings that must appear among the warnings (valid) or the validation errors (refused). */
  readonly mentions: readonly string[];
}

const SMTP = "global_defs 'notification_email'";

const SAMPLES: Readonly<Record<string, Expected>> = {
  'keepalived.conf.HTTP_GET.port': { outcome: 'valid', why: 'SSL_GET with connect_port and an MD5 digest (converted); SMTP alerts dropped', mentions: [SMTP] },
  'keepalived.conf.IPv6': { outcome: 'valid', why: 'IPv6 service; SMTP_CHECK becomes an smtp check; the unused virtual_server_group is reported', mentions: ['virtual_server_group IPv6_group is not used'] },
  'keepalived.conf.PING_CHECK': { outcome: 'valid', why: 'UDP service; PING_CHECK becomes an icmp check', mentions: [] },
  'keepalived.conf.SMTP_CHECK': { outcome: 'valid', why: 'SMTP_CHECK becomes smtp checks of the first host with helo_name; extra hosts dropped', mentions: ['SMTP_CHECK host: lvs-ha checks one address'] },
  'keepalived.conf.SSL_GET': { outcome: 'valid', why: 'https and http checks of the first url with its MD5 digest; AH authentication and second urls dropped', mentions: ["'authentication'", 'checks one URL per check', 'Keepalived speaks VRRPv2'] },
  'keepalived.conf.UDP_CHECK': { outcome: 'valid', why: 'UDP_CHECK becomes a udp check', mentions: [] },
  'keepalived.conf.conditional_conf': { outcome: 'valid', why: 'no router_id, so no config id: the @high/@low lines are skipped and the script has no command (not tracked); use_vmac becomes vmac', mentions: ['conditional line(s)', 'no script line applies'] },
  'keepalived.conf.fwmark': { outcome: 'valid', why: 'fwmark service with TCP checks on connect_port, written once on the service', mentions: [] },
  'keepalived.conf.inhibit': { outcome: 'valid', why: 'inhibit_on_failure on the only real server becomes on_failure: inhibit; the MD5 digest is converted', mentions: [] },
  'keepalived.conf.misc_check': { outcome: 'valid', why: 'MISC_CHECK becomes an exec check', mentions: [SMTP] },
  'keepalived.conf.misc_check_arg': { outcome: 'valid', why: 'MISC_CHECK with arguments in one quoted string, split into argv', mentions: [SMTP] },
  'keepalived.conf.quorum': { outcome: 'valid', why: 'quorum 7 / hysteresis 2 with weights 1 map to counts; alpha warned, omega and quorum scripts dropped', mentions: ['alpha:', "'omega'", "'quorum_up", "'quorum_down"] },
  'keepalived.conf.sample': { outcome: 'valid', why: 'nopreempt instance and a NAT service with a sorry server; the MD5 digest is converted', mentions: ['Keepalived speaks VRRPv2'] },
  'keepalived.conf.status_code': { outcome: 'valid', why: 'status_code ranges become expect_status; second url dropped', mentions: ['checks one URL per check'] },
  'keepalived.conf.track_interface': { outcome: 'valid', why: 'tracked interfaces with weight 0 (FAULT); addresses on other devices and static/virtual routes dropped', mentions: ["'dev eth1'", "'static_routes'", "'virtual_routes'"] },
  'keepalived.conf.virtual_server_group': {
    outcome: 'refused',
    why: 'the group expands to one service per entry, and 192.168.200.1:1358 is both a service and its own real server',
    mentions: ["a real server cannot be the virtual server's own address"],
  },
  'keepalived.conf.virtualhost': { outcome: 'valid', why: 'virtualhost on the service becomes the check host', mentions: ['checks one URL per check'] },
  'keepalived.conf.vrrp': { outcome: 'valid', why: 'four instances; authentication, smtp_alert, garp_master_delay and the duplicate labelled address dropped', mentions: ["'garp_master_delay 10'", 'listed twice', "'label eth0:1'"] },
  'keepalived.conf.vrrp.localcheck': {
    outcome: 'refused',
    why: "track scripts are shell lines ('</dev/tcp/...') and bare program names ('killall -0 sshd', refused here: the test resolves no PATH): lvs-ha runs no shell and needs an absolute program path",
    mentions: ['uses shell syntax', "'killall' is not an absolute path and is not on this host's PATH"],
  },
  'keepalived.conf.vrrp.lvs_syncd': { outcome: 'valid', why: 'old per-instance lvs_sync_daemon_interface becomes ipvs_sync; the sync group lists members outside group { }, so it is empty (as for Keepalived) and dropped', mentions: ['old per-instance form', 'no members'] },
  'keepalived.conf.vrrp.routes': { outcome: 'valid', why: 'static and virtual routes dropped', mentions: ["'static_routes'", "'virtual_routes'"] },
  'keepalived.conf.vrrp.rules': { outcome: 'valid', why: 'static and virtual rules dropped', mentions: ["'static_rules'", "'virtual_rules'"] },
  'keepalived.conf.vrrp.scripts': { outcome: 'valid', why: 'notify_* scripts of instances and groups dropped (lvs-ha has one notify command)', mentions: ["'notify_master", "vrrp_sync_group 'notify_backup"] },
  'keepalived.conf.vrrp.static_ipaddress': { outcome: 'valid', why: 'static addresses and virtual routes dropped', mentions: ["'static_ipaddress'"] },
  'keepalived.conf.vrrp.sync': { outcome: 'valid', why: 'two sync groups; their notify scripts dropped', mentions: ["vrrp_sync_group 'notify_master"] },
};

/** The MD5 digests (Keepalived `digest` of each converted first url) the validated config must carry. */
const DIGESTS: Readonly<Record<string, readonly string[]>> = {
  'keepalived.conf.HTTP_GET.port': ['ff20ad2481f97b1754ef3e12ecd3a9cc'],
  'keepalived.conf.SSL_GET': ['ff20ad2481f97b1754ef3e12ecd3a9cc', 'ff20ad2481f97b1754ef3e12ecd3a9cc'],
  'keepalived.conf.inhibit': ['640205b7b0fc66c1ea91c463fac6334d'],
  'keepalived.conf.sample': ['640205b7b0fc66c1ea91c463fac6334d'],
};

function sampleFiles(): string[] {
  return readdirSync(DIR).filter((f) => f.replace(/\.gz$/, '').startsWith('keepalived.conf')).sort();
}

describe(`Debian keepalived samples (${DIR})`, () => {
  it('are installed (the keepalived package is a test dependency)', () => {
    expect(existsSync(DIR)).toBe(true);
    expect(sampleFiles().length).toBeGreaterThanOrEqual(20);
  });

  it('are all listed in the table, and every table entry exists', () => {
    const names = sampleFiles().map((f) => f.replace(/\.gz$/, ''));
    expect(names).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(existsSync(DIR) ? sampleFiles() : [])('%s converts as the table says', (file) => {
    const expected = SAMPLES[file.replace(/\.gz$/, '')];
    if (expected === undefined) expect.fail(`new sample ${file}: add it to the table with its outcome`);
    const r = importKeepalived(`${DIR}/${file}`, nodeSourceFs, { defaultNode: 'director', outputName: 'out.yaml' });
    if (!r.ok) expect.fail(`${file} does not parse: ${r.error.loc.line}:${r.error.loc.column} ${r.error.message}`);
    const ok = r.errors.length === 0;
    expect(ok, 'no error, yet check-config refuses the result').toBe(ok && r.validation.ok);
    const found = ok ? r.warnings.map((w) => w.message) : r.errors.map((e) => e.message);
    const summary = ok ? 'valid' : `refused:\n${r.errors.map((e) => `  ${e.loc.line}:${e.loc.column} ${e.message}`).join('\n')}`;
    expect(ok ? 'valid' : 'refused', `${file}: ${expected.why}\n${summary}`).toBe(expected.outcome);
    for (const m of expected.mentions) {
      expect(found.some((f) => f.includes(m)), `${file}: expected a ${ok ? 'warning' : 'error'} mentioning "${m}"; got:\n${found.join('\n')}`).toBe(true);
    }
    // Every warning and every error is located in the input (never in the generated YAML, never unlocated).
    for (const w of [...r.warnings, ...r.errors]) expect(w.loc.file).toContain(file);
    for (const e of r.errors) expect(e.loc.line, e.message).toBeGreaterThan(0);
  });

  it.each(Object.entries(DIGESTS))('%s: its MD5 digests reach the validated config, without a digest warning', (name, digests) => {
    const file = sampleFiles().find((f) => f.replace(/\.gz$/, '') === name);
    if (file === undefined) expect.fail(`${name} is not installed`);
    const r = importKeepalived(`${DIR}/${file}`, nodeSourceFs, { defaultNode: 'director', outputName: 'out.yaml' });
    if (!r.ok || !r.validation.ok) expect.fail(`${name} does not convert to a valid config`);
    const found = r.validation.config.virtualServers.flatMap((vs) => vs.realServers).flatMap((rs) =>
      rs.check?.type === 'http' || rs.check?.type === 'https' ? [rs.check.expectDigestMd5 ?? null] : []);
    expect(found).toEqual(digests);
    expect(r.warnings.filter((w) => w.message.includes("'digest"))).toEqual([]);
  });
});
