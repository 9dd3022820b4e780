/**
 * Netns tier: the VRRP half of the import round trip (issue 8). Keepalived
 * 2.2.7 runs test/fixtures/keepalived/roundtrip/vrrp.conf (`--vrrp`) in a
 * namespace; tcpdump in the peer namespace decodes its VRRPv3 adverts. The same
 * file converted by the compiled `lvs-ha import-keepalived` must describe
 * exactly what Keepalived advertises, per instance: VRID, priority (with the
 * tracking weights Keepalived applies while everything is up), advert interval
 * in centiseconds, address family and the virtual addresses (the advert list: an excluded
 * address, virtual_ipaddress_excluded -> virtual_addresses_excluded, is in neither). Negative half: a
 * converted config changed by hand (one priority, one interval) no longer
 * matches, exactly at those two places.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfigFile } from '../../../src/config/load.js';
import { validateConfigText } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import { advertAddresses } from '../../../src/vrrp/instance-setup.js';
import { NetnsLab, removeLeftovers } from '../../helpers/netns.js';
import { BIN, REPO } from '../../helpers/vrrp-lab.js';

const FIXTURE = join(REPO, 'test/fixtures/keepalived/roundtrip/vrrp.conf');
const VRIDS = [51, 52, 53, 54];
const ADVERTS_EACH = 2;
const WAIT_MS = 25_000;

/** What one instance puts on the wire: "vrid 51 prio 110 intvl 50cs ipv4 192.0.2.100,192.0.2.101". */
interface Advert { vrid: number; priority: number; intervalCs: number; family: 'ipv4' | 'ipv6'; addresses: string[] }

const ADVERT_RE = /VRRPv3, Advertisement, vrid (\d+), prio (\d+), intvl (\d+)cs, length \d+, addrs(?:\(\d+\))?: (\S+)/;

/** tcpdump -vv prints the IPv4 header on one line and the VRRP part on the next; IPv6 on one line. */
function parseAdverts(text: string): Advert[] {
  const out: Advert[] = [];
  let family: 'ipv4' | 'ipv6' = 'ipv4';
  for (const line of text.split('\n')) {
    if (/^\d\d:\d\d:\d\d\.\d+ IP6 /.test(line)) family = 'ipv6';
    else if (/^\d\d:\d\d:\d\d\.\d+ IP /.test(line)) family = 'ipv4';
    const m = ADVERT_RE.exec(line);
    if (!m) continue;
    out.push({ vrid: Number(m[1]), priority: Number(m[2]), intervalCs: Number(m[3]), family, addresses: (m[4] ?? '').split(',').sort() });
  }
  return out;
}

function advertText(a: Advert): string {
  return `vrid ${a.vrid} prio ${a.priority} intvl ${a.intervalCs}cs ${a.family} ${a.addresses.join(',')}`;
}

/** The adverts the converted config's instances would send while the interfaces in `down` are down. */
function configAdverts(config: Config, down: readonly string[] = []): string[] {
  return config.vrrp.instances.map((i) => advertText({
    vrid: i.vrid,
    priority: i.priority + i.track.interfaces.filter((t) => down.includes(t.name)).reduce((sum, t) => sum + t.weight, 0),
    intervalCs: i.advertIntervalMs / 10,
    family: i.family,
    addresses: advertAddresses(i, config.vrrp.ipv6Addresses).sort(),
  })).sort();
}

describe('import-keepalived round trip: the converted VRRP instances advertise what Keepalived advertises', () => {
  const lab = new NetnsLab('lvm2');
  const dir = mkdtempSync(join(tmpdir(), 'lvm2-vrrp-'));
  let tcpdumpOut = '';
  let captured = '';
  let capturedDown = '';
  let keepalivedLog = '';
  let converted: Config;
  let convertedYaml = '';
  let importRun: { status: number | null; stderr: string };

  beforeAll(async () => {
    removeLeftovers('lvm2', lab.runId);
    expect(existsSync(join(REPO, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    const yamlFile = join(dir, 'vrrp.yaml');
    const r = spawnSync(process.execPath, [BIN, 'import-keepalived', FIXTURE, '-o', yamlFile], { encoding: 'utf8', timeout: 30_000 });
    importRun = { status: r.status, stderr: r.stderr };
    convertedYaml = readFileSync(yamlFile, 'utf8');
    const loaded = await loadConfigFile(yamlFile);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    converted = loaded.config;

    const a = lab.addNamespace('ka');
    const b = lab.addNamespace('cap');
    lab.addVeth({ ns: a, ifname: 'lvm2a0' }, { ns: b, ifname: 'lvm2b0' });
    lab.addVeth({ ns: a, ifname: 'lvm2d0' }, { ns: b, ifname: 'lvm2e0' });
    lab.addAddress(a, 'lvm2a0', '10.98.2.1/24');
    lab.addAddress(b, 'lvm2b0', '10.98.2.2/24');
    for (const [ns, ifname] of [[a, 'lvm2a0'], [a, 'lvm2d0'], [b, 'lvm2b0'], [b, 'lvm2e0']] as const) lab.up(ns, ifname);

    const tcpdump = lab.spawn(b, ['tcpdump', '-l', '-n', '-vv', '-i', 'lvm2b0', 'ip proto 112 or ip6 proto 112']);
    tcpdump.stdout?.on('data', (d: Buffer) => { tcpdumpOut += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('tcpdump did not start')); }, 10_000);
      tcpdump.stderr?.on('data', (d: Buffer) => { if (d.toString().includes('listening on')) { clearTimeout(timer); resolve(); } });
    });
    const keepalived: ChildProcess = lab.spawn(a, ['keepalived', '-f', FIXTURE, '--vrrp', '-n', '-l', '-p', join(dir, 'ka.pid'), '-r', join(dir, 'vrrp.pid')]);
    keepalived.stdout?.on('data', (d: Buffer) => { keepalivedLog += d.toString(); });
    keepalived.stderr?.on('data', (d: Buffer) => { keepalivedLog += d.toString(); });
    const deadline = Date.now() + WAIT_MS;
    const enough = (): boolean => VRIDS.every((v) => parseAdverts(tcpdumpOut).filter((x) => x.vrid === v).length >= ADVERTS_EACH);
    while (!enough() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    captured = tcpdumpOut;
    // The tracked interface goes down: the adverts after that show the tracking weights at work.
    lab.ip(a, ['link', 'set', 'lvm2d0', 'down']);
    await new Promise((r) => setTimeout(r, 400)); // Keepalived hears the link change
    const downFrom = tcpdumpOut.length;
    const enoughDown = (): boolean => VRIDS.every((v) => parseAdverts(tcpdumpOut.slice(downFrom)).filter((x) => x.vrid === v).length >= ADVERTS_EACH);
    while (!enoughDown() && Date.now() < deadline + WAIT_MS) await new Promise((r) => setTimeout(r, 200));
    // Only what was sent while running: on SIGTERM Keepalived resigns with priority-0 adverts.
    capturedDown = tcpdumpOut.slice(downFrom);
    keepalived.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
  }, 90_000);

  afterAll(() => {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the fixture converts (exit 0) with the expected warnings', () => {
    expect(importRun.status, importRun.stderr).toBe(0);
    expect(importRun.stderr).toContain('advert_int 0.234: VRRPv3 counts whole centiseconds (10ms..40950ms): 230ms instead of 234ms');
    expect(importRun.stderr).toContain("track_interface lvm2a0: the instance's own interface: Keepalived ignores this entry");
  });

  test('Keepalived sent steady adverts for every instance: one set of parameters per VRID', () => {
    const adverts = parseAdverts(captured);
    for (const v of VRIDS) expect(adverts.filter((x) => x.vrid === v).length, `vrid ${v}\n${keepalivedLog}`).toBeGreaterThanOrEqual(ADVERTS_EACH);
    expect(new Set(adverts.map(advertText)).size).toBe(VRIDS.length);
  });

  test('the converted instances describe exactly the adverts Keepalived sent', () => {
    const wire = [...new Set(parseAdverts(captured).map(advertText))].sort();
    expect(configAdverts(converted)).toEqual(wire);
    // What that is, as measured with Keepalived 2.2.7: a positive track weight counts (also in a sync
    // group), a track_interface on the instance's own interface does not, 0.234 s is sent as 23 cs,
    // the excluded 192.0.2.102 is not sent (and converted to virtual_addresses_excluded).
    expect(converted.vrrp.instances.find((i) => i.vrid === 51)?.excludedAddresses?.map((a) => a.text)).toEqual(['192.0.2.102']);
    expect(wire.join(' ')).not.toContain('192.0.2.102');
    expect(wire).toEqual([
      'vrid 51 prio 110 intvl 50cs ipv4 192.0.2.100,192.0.2.101',
      'vrid 52 prio 150 intvl 23cs ipv4 192.0.2.110',
      'vrid 53 prio 115 intvl 100cs ipv4 192.0.2.120',
      'vrid 54 prio 200 intvl 30cs ipv6 2001:db8:5::100',
    ]);
  });

  test('with the tracked interface down, the converted tracking weights give the priorities Keepalived advertises', () => {
    // The last advert per VRID: one sent just after the link change may still carry the old priority.
    const last = new Map(parseAdverts(capturedDown).map((x) => [x.vrid, advertText(x)]));
    const wire = [...last.values()].sort();
    expect(configAdverts(converted, ['lvm2d0'])).toEqual(wire);
    expect(wire).toEqual([
      'vrid 51 prio 100 intvl 50cs ipv4 192.0.2.100,192.0.2.101',
      'vrid 52 prio 150 intvl 23cs ipv4 192.0.2.110',
      'vrid 53 prio 90 intvl 100cs ipv4 192.0.2.120',
      'vrid 54 prio 200 intvl 30cs ipv6 2001:db8:5::100',
    ]);
    // Not the priorities of the link-up state: the comparison tells the two apart.
    expect(configAdverts(converted)).not.toEqual(wire);
  });

  test('negative half: a hand-changed converted config no longer matches, exactly where it was changed', () => {
    const changed = convertedYaml.replace(/priority: 150$/m, 'priority: 151').replace(/advert_interval: 300ms$/m, 'advert_interval: 310ms');
    expect(changed).not.toBe(convertedYaml);
    const r = validateConfigText(changed, 'changed.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const wire = new Set(parseAdverts(captured).map(advertText));
    const mine = configAdverts(r.config);
    expect(mine.filter((a) => !wire.has(a))).toEqual(['vrid 52 prio 151 intvl 23cs ipv4 192.0.2.110', 'vrid 54 prio 200 intvl 31cs ipv6 2001:db8:5::100']);
  });
});
