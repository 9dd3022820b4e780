/**
 * `lvs-ha real-server` on the host kernel, in namespaces `lvr-…`:
 *
 *   client (cl) eth0 ──veth── eth0 real server (rs) eth1 ──veth── eth0 router (gw)
 *   10.71.0.2/24, fd71::2           10.71.0.11/24      192.0.2.11/24  192.0.2.1 (default route)
 *
 * The compiled verb (dist/, `npm run build` first) runs inside rs. After `up --mode dr`
 * the client's ARP/ND for the VIP goes unanswered while traffic to the VIP sent to the
 * real server's MAC is answered; `check` passes; planted problems are named; `down`
 * restores every IPv4/IPv6 conf sysctl and address to what it was before.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NetnsLab, removeLeftovers } from '../../helpers/netns.js';

const repo = resolve(import.meta.dirname, '../../..');
const VERB_JS = join(repo, 'dist/cli/verbs/real-server.js');
const VIP4 = '10.71.0.100';
const VIP6 = 'fd71::100';
/** Already on lo before `up`: `down` must leave it. */
const OLD_VIP = '10.71.0.101';
const DRIVER = `
const { realServerVerb } = await import(process.argv[1]);
const io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
try {
  process.exitCode = await realServerVerb.run(process.argv.slice(2), io);
} catch (err) {
  process.stderr.write(String(err?.message) + '\\n');
  process.exitCode = err?.code === 'LVSHA_USAGE' ? 2 : 1;
}
`;

let lab: NetnsLab;
let rs: string;
let cl: string;
let stateFile: string;

function assertBuilt(): void {
  expect(existsSync(VERB_JS), 'dist is missing: run `npm run build` first').toBe(true);
  const built = statSync(VERB_JS).mtimeMs;
  const sources = readdirSync(join(repo, 'src/realserver')).map((f) => join(repo, 'src/realserver', f));
  for (const src of [...sources, join(repo, 'src/cli/verbs/real-server.ts')]) {
    expect(statSync(src).mtimeMs, `${src} is newer than dist: run \`npm run build\` first`).toBeLessThanOrEqual(built + 1);
  }
}

function realServer(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = lab.exec(rs, ['node', '--input-type=module', '-e', DRIVER, VERB_JS, ...args], 30_000);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DR_ARGS = ['--mode', 'dr', '--vip', VIP4, '--vip', VIP6, '--vip', OLD_VIP];

/** Every IPv4/IPv6 conf sysctl of rs (all, default, each interface) and every address. */
function kernelState(): { sysctls: string; addresses: unknown } {
  const r = lab.exec(rs, ['sysctl', '-a', '-r', '^net\\.ipv[46]\\.conf\\.']);
  const sysctls = r.stdout.split('\n').filter((l) => !l.includes('stable_secret')).sort().join('\n');
  const addrs = JSON.parse(lab.ip(rs, ['-j', 'addr', 'show'])) as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[];
  return { sysctls, addresses: addrs.map((l) => [l.ifname, l.addr_info.map((a) => `${a.local}/${a.prefixlen}`).sort()]) };
}

function sysctl(ns: string, key: string, value?: number): string {
  const path = `/proc/sys/${key.replaceAll('.', '/')}`;
  if (value !== undefined) lab.exec(ns, ['sh', '-c', `echo ${value} > ${path}`]);
  return lab.exec(ns, ['cat', path]).stdout.trim();
}

function macOf(ns: string, ifname: string): string {
  const [link] = JSON.parse(lab.ip(ns, ['-j', 'link', 'show', ifname])) as { address: string }[];
  return link?.address ?? '';
}

/** Ask for the address from the client (ping triggers ARP/ND), then read the neighbour state. */
function resolveFromClient(address: string): string {
  lab.ip(cl, ['neigh', 'flush', 'dev', 'eth0']);
  lab.exec(cl, ['ping', '-c', '1', '-W', '1', address]);
  // Give a late answer the chance to land (the kernel retries ARP 3 times, 1 s apart).
  spawnSync('sleep', ['0.3']);
  const out = lab.ip(cl, ['neigh', 'show', address, 'dev', 'eth0']).trim();
  return out === '' ? 'NONE' : out;
}

function answered(neigh: string): boolean {
  return /lladdr \S+ (REACHABLE|STALE|DELAY|PROBE)/.test(neigh);
}

function pingOk(ns: string, address: string): boolean {
  return lab.exec(ns, ['ping', '-c', '1', '-W', '2', address]).status === 0;
}

beforeAll(() => {
  assertBuilt();
  removeLeftovers('lvr');
  lab = new NetnsLab('lvr');
  rs = lab.addNamespace('rs');
  cl = lab.addNamespace('cl');
  const gw = lab.addNamespace('gw');
  lab.addVeth({ ns: rs, ifname: 'eth0' }, { ns: cl, ifname: 'eth0' });
  lab.addVeth({ ns: rs, ifname: 'eth1' }, { ns: gw, ifname: 'eth0' });
  for (const [ns, ifname, cidrs] of [
    [rs, 'eth0', ['10.71.0.11/24', 'fd71::11/64']],
    [cl, 'eth0', ['10.71.0.2/24', 'fd71::2/64']],
    [rs, 'eth1', ['192.0.2.11/24']],
    [gw, 'eth0', ['192.0.2.1/24']],
  ] as const) {
    for (const cidr of cidrs) lab.ip(ns, ['addr', 'add', cidr, 'dev', ifname, ...(cidr.includes(':') ? ['nodad'] : [])]);
    lab.up(ns, ifname);
  }
  lab.ip(rs, ['route', 'add', 'default', 'via', '192.0.2.1']);
  stateFile = `/run/lvr-${lab.runId}-state.json`;
});

afterAll(() => {
  lab.destroy();
  spawnSync('rm', ['-f', stateFile]);
});

describe('real-server up/check/down --mode dr in namespaces', () => {
  let before: ReturnType<typeof kernelState>;

  test('baseline: without up, a VIP on lo is answered by ARP (the probe can tell)', () => {
    lab.ip(rs, ['addr', 'add', `${VIP4}/32`, 'dev', 'lo']);
    expect(answered(resolveFromClient(VIP4))).toBe(true);
    lab.ip(rs, ['addr', 'del', `${VIP4}/32`, 'dev', 'lo']);
    // Pre-existing settings `down` must not touch: an address and a sysctl stricter than up's.
    lab.ip(rs, ['addr', 'add', `${OLD_VIP}/32`, 'dev', 'lo']);
    sysctl(rs, 'net.ipv4.conf.eth1.arp_ignore', 2);
    const check = realServer('check', ...DR_ARGS);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`[vip-missing] VIP ${VIP4} is not on lo`);
    expect(check.stdout).toContain('[arp-ignore] arp_ignore on eth0 is 0');
    before = kernelState();
    expect(before.sysctls).toContain('net.ipv4.conf.eth0.arp_ignore = 0');
    expect(before.sysctls).toContain('net.ipv6.conf.lo.');
  });

  test('up: settings applied and recorded; exit 0', () => {
    const r = realServer('up', ...DR_ARGS, '--state-file', stateFile);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`add ${VIP4}/32 on lo`);
    expect(r.stdout).not.toContain(`add ${OLD_VIP}/32`);
    expect(sysctl(rs, 'net.ipv4.conf.all.arp_ignore')).toBe('1');
    expect(sysctl(rs, 'net.ipv4.conf.eth0.arp_announce')).toBe('2');
    expect(sysctl(rs, 'net.ipv4.conf.eth1.arp_ignore')).toBe('2');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { addresses: { address: string }[] };
    expect(state.addresses.map((a) => a.address)).toEqual([VIP4, VIP6]);
  });

  test('ARP and ND for the VIP get no answer from the real server', () => {
    const v4 = resolveFromClient(VIP4);
    expect(answered(v4), v4).toBe(false);
    const v6 = resolveFromClient(VIP6);
    expect(answered(v6), v6).toBe(false);
    // Its own address is still answered.
    expect(answered(resolveFromClient('10.71.0.11'))).toBe(true);
  });

  test('traffic to the VIP delivered to its MAC is accepted and answered', () => {
    const mac = macOf(rs, 'eth0');
    expect(pingOk(cl, VIP4)).toBe(false);
    lab.ip(cl, ['neigh', 'replace', VIP4, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent']);
    lab.ip(cl, ['neigh', 'replace', VIP6, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent']);
    expect(pingOk(cl, VIP4)).toBe(true);
    expect(pingOk(cl, VIP6)).toBe(true);
    lab.ip(cl, ['neigh', 'flush', 'dev', 'eth0', 'nud', 'permanent']);
  });

  test('check passes; a second up changes nothing', () => {
    const check = realServer('check', ...DR_ARGS, '--json');
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual({ ok: true, mode: 'dr', problems: [] });
    const stateBefore = readFileSync(stateFile, 'utf8');
    const again = realServer('up', ...DR_ARGS, '--state-file', stateFile);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('nothing to change: already set up\n');
    expect(readFileSync(stateFile, 'utf8')).toBe(stateBefore);
  });

  test('check names each planted problem, and only it', () => {
    const problems = (): string[] => {
      const r = realServer('check', ...DR_ARGS, '--json');
      const body = JSON.parse(r.stdout) as { ok: boolean; problems: { code: string; subject: string }[] };
      expect(r.code).toBe(body.ok ? 0 : 1);
      return body.problems.map((p) => `${p.code}:${p.subject}`);
    };
    lab.ip(rs, ['addr', 'del', `${VIP4}/32`, 'dev', 'lo']);
    expect(problems()).toEqual([`vip-missing:${VIP4}`]);
    lab.ip(rs, ['addr', 'add', `${VIP4}/32`, 'dev', 'lo']);

    sysctl(rs, 'net.ipv4.conf.eth0.arp_ignore', 0);
    expect(problems()).toEqual([]); // all=1 still rules: the kernel uses max(all, eth0)
    expect(answered(resolveFromClient(VIP4))).toBe(false); // ...and indeed ARP stays unanswered
    sysctl(rs, 'net.ipv4.conf.all.arp_ignore', 0);
    expect(problems()).toEqual(['arp-ignore:eth0']);
    expect(answered(resolveFromClient(VIP4))).toBe(true); // and the check was right
    sysctl(rs, 'net.ipv4.conf.all.arp_ignore', 1);
    sysctl(rs, 'net.ipv4.conf.eth0.arp_ignore', 1);

    sysctl(rs, 'net.ipv4.conf.eth1.rp_filter', 1);
    expect(problems()).toEqual([]); // strict on the default route's interface is harmless
    sysctl(rs, 'net.ipv4.conf.eth1.rp_filter', 0);
    sysctl(rs, 'net.ipv4.conf.all.rp_filter', 1);
    expect(problems()).toEqual(['rp-filter:eth0']);
    sysctl(rs, 'net.ipv4.conf.all.rp_filter', 0);
    expect(problems()).toEqual([]);
  });

  test('down restores every sysctl and address, and leaves what was there before', () => {
    const r = realServer('down', '--state-file', stateFile);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`remove ${VIP4}/32 from lo`);
    expect(existsSync(stateFile)).toBe(false);
    const after = kernelState();
    expect(after.sysctls).toBe(before.sysctls);
    expect(after.addresses).toEqual(before.addresses);
    expect(JSON.stringify(after.addresses)).toContain(OLD_VIP);
    expect(sysctl(rs, 'net.ipv4.conf.eth1.arp_ignore')).toBe('2');
    expect(realServer('down', '--state-file', stateFile).stdout).toContain('nothing to undo');
  });

  test('--config: the real_server section drives up, check and down (as the systemd unit does)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvr-config-'));
    try {
      const config = join(dir, 'real-server.yaml');
      const state = join(dir, 'state.json');
      writeFileSync(config, `real_server:\n  mode: dr\n  vips: [${VIP4}]\n  interfaces: [eth0]\n  state_file: ${state}\n`);
      const up = realServer('up', '--config', config);
      expect(up.code).toBe(0);
      expect(up.stdout).toContain(`add ${VIP4}/32 on lo`);
      expect(up.stdout).not.toContain('eth1');
      expect(existsSync(state)).toBe(true);
      expect(realServer('check', '--config', config).code).toBe(0);
      expect(realServer('down', '--config', config).code).toBe(0);
      expect(kernelState()).toEqual(before);
      writeFileSync(config, 'real_server:\n  mode: dr\n  vip: [10.71.0.100]\n');
      const bad = realServer('up', '--config', config);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`${config}:3:3: real_server.vip: unknown key 'vip'; did you mean 'vips'?`);
      expect(kernelState()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('usage errors exit 2', () => {
    const noVip = realServer('up', '--mode', 'dr');
    expect(noVip.code).toBe(2);
    expect(noVip.stderr).toContain('mode dr needs at least one --vip');
    expect(realServer('sideways').code).toBe(2);
    expect(realServer('check', '--mode', 'dr', '--vip', '10.71.0.100/24').stderr).toContain('a VIP is a host address (/32)');
  });
});
