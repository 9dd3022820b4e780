/**
 * Observation: what standard tools make of the adverts a running lvs-ha daemon sends.
 * Two daemons, each alone on its VRID, both MASTER: a with the default IPv4 checksum (VRID 51),
 * b with `ipv4_checksum: rfc9568` (VRID 52). An observer captures live on the same bridge.
 * - `tcpdump -vv proto 112` decodes a's adverts as VRRPv3 with no "bad vrrp cksum"; it prints
 *   the complaint for every advert of b (the negative half: the check can tell).
 * - tshark with vrrp.v3_checksum_as_in_v2:FALSE (pseudo-header included) says [correct] for a's
 *   adverts and incorrect for b's; with TRUE (message only) the other way round.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vrrpConfig, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkBuilt, PREFIX } from './lab.js';

const COUNT = 6;
let lab: VrrpLab | undefined;

function l(): VrrpLab {
  if (!lab) throw new Error('lab not set up');
  return lab;
}

beforeAll(async () => {
  checkBuilt();
  lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
  const modes = [['a', 51, undefined], ['b', 52, 'rfc9568']] as const;
  for (const [name, vrid, ipv4Checksum] of modes) {
    lab.writeConfig(name, vrrpConfig({
      node: `${PREFIX}-${name}`,
      socket: lab.socketPath(name),
      ...(ipv4Checksum === undefined ? {} : { ipv4Checksum }),
      instances: [{ name: 'web', vrid, priority: 200, virtualAddresses: [`10.77.0.${String(vrid + 100)}/24`] }],
    }));
    lab.startDaemon(name);
  }
  await lab.waitForState('a', 'web', 'MASTER');
  await lab.waitForState('b', 'web', 'MASTER');
});

afterAll(() => {
  lab?.destroy();
  lab = undefined;
});

/** Live `tcpdump -vv` on the observer: COUNT adverts from one router, as text. */
function tcpdumpLive(from: string): string {
  const r = l().exec('obs', ['tcpdump', '-i', 'eth0', '-n', '-vv', '-l', '-c', String(COUNT), 'proto', '112', 'and', 'src', 'host', from], 15_000);
  if (r.status !== 0) throw new Error(`tcpdump failed (${String(r.status)}): ${r.stderr}`);
  return r.stdout;
}

/** COUNT adverts from one router written to a pcap file on the observer; returns its path. */
function capture(from: string, file: string): string {
  const path = join(l().dir, file);
  const r = l().exec('obs', ['tcpdump', '-i', 'eth0', '-n', '-U', '-c', String(COUNT), '-w', path, 'proto', '112', 'and', 'src', 'host', from], 15_000);
  if (r.status !== 0) throw new Error(`tcpdump -w failed (${String(r.status)}): ${r.stderr}`);
  return path;
}

/** tshark's checksum verdict per advert ('correct' / 'incorrect'). */
function tsharkVerdicts(pcap: string, asInV2: boolean): string[] {
  const r = l().exec('obs', ['tshark', '-r', pcap, '-V', '-o', `vrrp.v3_checksum_as_in_v2:${asInV2 ? 'TRUE' : 'FALSE'}`], 15_000);
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((line) => /^\s+Checksum: 0x[0-9a-f]{4}/.test(line))
    .map((line) => (line.includes('[correct]') ? 'correct' : line.includes('incorrect') ? 'incorrect' : line.trim()));
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('tcpdump -vv proto 112 on the adverts of a running lvs-ha daemon', () => {
  it('default config: decoded as VRRPv3 adverts, no checksum complaint', () => {
    const text = tcpdumpLive(l().router('a').ipv4);
    expect(count(text, 'VRRPv3, Advertisement, vrid 51, prio 200, intvl 10cs')).toBe(COUNT);
    expect(count(text, 'ttl 255')).toBe(COUNT);
    expect(count(text, 'addrs: 10.77.0.151')).toBe(COUNT);
    expect(text).not.toContain('bad vrrp cksum');
  });

  it('ipv4_checksum rfc9568: tcpdump complains about every advert (the check can tell)', () => {
    const text = tcpdumpLive(l().router('b').ipv4);
    expect(count(text, 'VRRPv3, Advertisement, vrid 52, prio 200')).toBe(COUNT);
    expect(count(text, 'bad vrrp cksum')).toBe(COUNT);
  });
});

describe('tshark judges the live adverts', () => {
  it('default config: [correct] with v3_checksum_as_in_v2 FALSE, incorrect with TRUE', () => {
    const pcap = capture(l().router('a').ipv4, 'a.pcap');
    expect(readFileSync(pcap).length).toBeGreaterThan(24);
    expect(tsharkVerdicts(pcap, false)).toEqual(Array<string>(COUNT).fill('correct'));
    expect(tsharkVerdicts(pcap, true)).toEqual(Array<string>(COUNT).fill('incorrect'));
  });

  it('ipv4_checksum rfc9568: incorrect with FALSE, [correct] with TRUE', () => {
    const pcap = capture(l().router('b').ipv4, 'b.pcap');
    expect(tsharkVerdicts(pcap, false)).toEqual(Array<string>(COUNT).fill('incorrect'));
    expect(tsharkVerdicts(pcap, true)).toEqual(Array<string>(COUNT).fill('correct'));
  });
});
