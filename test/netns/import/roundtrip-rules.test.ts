/**
 * Netns tier: Keepalived's behaviour rules of the importer (issue 17), measured
 * on the wire. Keepalived 2.2.7 runs test/fixtures/keepalived/roundtrip/rules.conf
 * (`--vrrp`) in a namespace; tcpdump in the peer namespace decodes its VRRPv3
 * adverts. The same file converted by the compiled `lvs-ha import-keepalived`
 * must describe exactly what Keepalived advertises (VRID, priority, interval,
 * addresses) although the file says otherwise: a rejected value (priority 0,
 * advert_int 300), ignored keywords (a misspelt priority, no_preempt,
 * garp_interval), a prefix Keepalived shortens, a block opened without '{'
 * (read on), and state MASTER with nopreempt (Keepalived clears nopreempt,
 * in its own log; the converted instance preempts).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfigFile } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { NetnsLab, removeLeftovers } from '../../helpers/netns.js';
import { BIN, REPO } from '../../helpers/vrrp-lab.js';

const FIXTURE = join(REPO, 'test/fixtures/keepalived/roundtrip/rules.conf');
const VRIDS = [61, 62, 63, 64];
const ADVERTS_EACH = 2;
const WAIT_MS = 25_000;
const ADVERT_RE = /VRRPv3, Advertisement, vrid (\d+), prio (\d+), intvl (\d+)cs, length \d+, addrs(?:\(\d+\))?: (\S+)/;

interface Advert { vrid: number; priority: number; intervalCs: number; addresses: string[] }

function parseAdverts(text: string): Advert[] {
  const out: Advert[] = [];
  for (const line of text.split('\n')) {
    const m = ADVERT_RE.exec(line);
    if (m) out.push({ vrid: Number(m[1]), priority: Number(m[2]), intervalCs: Number(m[3]), addresses: (m[4] ?? '').split(',').sort() });
  }
  return out;
}

const advertText = (a: Advert): string => `vrid ${a.vrid} prio ${a.priority} intvl ${a.intervalCs}cs ${a.addresses.join(',')}`;

function configAdverts(config: Config): string[] {
  return config.vrrp.instances.map((i) => advertText({
    vrid: i.vrid,
    priority: i.priority,
    intervalCs: i.advertIntervalMs / 10,
    addresses: i.virtualAddresses.map((a) => a.text).sort(),
  })).sort();
}

describe('import-keepalived round trip: Keepalived behaviour rules (ignored, rejected, overridden) as measured on the wire', () => {
  const lab = new NetnsLab('lvm3');
  const dir = mkdtempSync(join(tmpdir(), 'lvm3-rules-'));
  let tcpdumpOut = '';
  let keepalivedLog = '';
  let converted: Config;
  let importRun: { status: number | null; stderr: string };

  beforeAll(async () => {
    removeLeftovers('lvm3', lab.runId);
    expect(existsSync(join(REPO, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    const yamlFile = join(dir, 'rules.yaml');
    const r = spawnSync(process.execPath, [BIN, 'import-keepalived', FIXTURE, '-o', yamlFile], { encoding: 'utf8', timeout: 30_000 });
    importRun = { status: r.status, stderr: r.stderr };
    const loaded = await loadConfigFile(yamlFile);
    if (!loaded.ok) throw new Error(`${JSON.stringify(loaded.errors)}\n${readFileSync(yamlFile, 'utf8')}`);
    converted = loaded.config;

    const a = lab.addNamespace('ka');
    const b = lab.addNamespace('cap');
    lab.addVeth({ ns: a, ifname: 'lvm3a0' }, { ns: b, ifname: 'lvm3b0' });
    lab.addAddress(a, 'lvm3a0', '10.98.3.1/24');
    lab.addAddress(b, 'lvm3b0', '10.98.3.2/24');
    lab.up(a, 'lvm3a0');
    lab.up(b, 'lvm3b0');
    const tcpdump = lab.spawn(b, ['tcpdump', '-l', '-n', '-vv', '-i', 'lvm3b0', 'ip proto 112']);
    tcpdump.stdout?.on('data', (d: Buffer) => { tcpdumpOut += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('tcpdump did not start')); }, 10_000);
      tcpdump.stderr?.on('data', (d: Buffer) => { if (d.toString().includes('listening on')) { clearTimeout(timer); resolve(); } });
    });
    const keepalived: ChildProcess = lab.spawn(a, ['keepalived', '-f', FIXTURE, '--vrrp', '-n', '-l', '-p', join(dir, 'ka.pid'), '-r', join(dir, 'vrrp.pid')]);
    keepalived.stdout?.on('data', (d: Buffer) => { keepalivedLog += d.toString(); });
    keepalived.stderr?.on('data', (d: Buffer) => { keepalivedLog += d.toString(); });
    const deadline = Date.now() + WAIT_MS;
    const enough = (): boolean => VRIDS.every((v) => parseAdverts(tcpdumpOut).filter((x) => x.vrid === v && x.priority > 0).length >= ADVERTS_EACH);
    while (!enough() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    keepalived.kill('SIGTERM');
    await new Promise((res) => setTimeout(res, 300));
  }, 90_000);

  afterAll(() => {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the fixture converts (exit 0), warning at each rule', () => {
    expect(importRun.status, importRun.stderr).toBe(0);
    for (const m of [/rules\.conf:14:14: warning: priority 0: /, /rules\.conf:26:16: warning: advert_int 300: /, /rules\.conf:37:5: warning: vrrp_instance 'priorty': .*did you mean 'priority'/,
      /rules\.conf:38:5: warning: vrrp_instance 'no_preempt'/, /rules\.conf:39:5: warning: vrrp_instance 'garp_interval'/, /rules\.conf:48:1: warning: 'vrrp_instance NOBRACE' opens a block without '\{'/, /rules\.conf:42:9: warning: virtual address 192\.0\.2\.163\/33: prefix length 33/,
      /rules\.conf:50:5: warning: nopreempt with state MASTER: Keepalived clears nopreempt/]) {
      expect(importRun.stderr).toMatch(m);
    }
  });

  test('the converted instances describe exactly the adverts Keepalived sent', () => {
    // Only what was sent while running: on SIGTERM Keepalived resigns with priority-0 adverts.
    const wire = [...new Set(parseAdverts(tcpdumpOut).filter((x) => x.priority > 0).map(advertText))].sort();
    expect(wire, keepalivedLog).toEqual([
      'vrid 61 prio 100 intvl 50cs 192.0.2.161',
      'vrid 62 prio 120 intvl 100cs 192.0.2.162',
      'vrid 63 prio 100 intvl 50cs 192.0.2.163',
      'vrid 64 prio 130 intvl 50cs 192.0.2.164',
    ]);
    expect(configAdverts(converted)).toEqual(wire);
  });

  test('the overridden combination: Keepalived clears nopreempt with state MASTER, and the converted instance preempts', () => {
    expect(keepalivedLog).toContain('(NOBRACE) Warning - nopreempt will not work with initial state MASTER - clearing');
    expect(converted.vrrp.instances.find((i) => i.name === 'NOBRACE')?.preempt).toBe(true);
    // The ignored no_preempt leaves IGNORED preempting, as Keepalived does.
    expect(converted.vrrp.instances.find((i) => i.name === 'IGNORED')?.preempt).toBe(true);
    expect(keepalivedLog).toMatch(/Line 38\) Unknown keyword 'no_preempt'/);
  });
});
