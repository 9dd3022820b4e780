/**
 * Malformed adverts injected from a third namespace with a raw IPv4 socket (multicast TTL set
 * per packet): bad TTL, bad checksum, truncated, wrong version, count mismatch and an
 * unknown VRID are dropped and counted by reason on both routers while the election carries on
 * (no transition). A final well-formed priority-250 advert from the same injector IS obeyed, which
 * shows the injected packets reach the daemons.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeAdvert } from '../../../src/vrrp/packet.js';
import { sleep, VrrpLab } from '../../helpers/vrrp-lab.js';
import { openInjector } from './injector.js';
import { checkPrerequisites, counters, PREFIX, startElected, VIP, writePair } from './pair.js';

const GROUP = '224.0.0.18';
const REPEAT = 3;

let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

function advert(src: string, vrid: number, priority: number): Buffer {
  return Buffer.from(encodeAdvert({ family: 'ipv4', vrid, priority, maxAdverIntMs: 100, addresses: [VIP] }, { src, dst: GROUP, ipv4Checksum: 'rfc5798' }));
}

function malformed(src: string): Record<string, { ttl: number; bytes: Buffer }> {
  const good = advert(src, 51, 250);
  const badChecksum = Buffer.from(good);
  badChecksum.writeUInt16BE(good.readUInt16BE(6) ^ 0x5a5a, 6);
  const version2 = Buffer.from(good);
  version2[0] = 0x21;
  const countMismatch = Buffer.from(good);
  countMismatch[3] = 2;
  return {
    ttl: { ttl: 64, bytes: good },
    checksum: { ttl: 255, bytes: badChecksum },
    truncated: { ttl: 255, bytes: good.subarray(0, 6) },
    version: { ttl: 255, bytes: version2 },
    count_mismatch: { ttl: 255, bytes: countMismatch },
    vrid_unknown: { ttl: 255, bytes: advert(src, 99, 250) },
  };
}

async function inject(l: VrrpLab, packets: readonly { ttl: number; bytes: Buffer }[]): Promise<void> {
  const injector = openInjector(l.router('obs').ns, 'eth0');
  try {
    for (const p of packets) for (let i = 0; i < REPEAT; i++) await injector.send(p.bytes, GROUP, p.ttl);
  } finally {
    injector.close();
  }
}

describe('malformed adverts', () => {
  it('are dropped and counted by reason; the election carries on', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    l.netns.ip(l.router('obs').ns, ['route', 'add', '224.0.0.0/4', 'dev', 'eth0']);
    writePair(l, { a: { priority: 200 }, b: { priority: 100 } });
    await startElected(l, l.router('a').ipv4);
    const before = { a: await l.instance('a', 'web'), b: await l.instance('b', 'web') };

    const bad = malformed(l.router('obs').ipv4);
    await inject(l, Object.values(bad));
    const expected = Object.fromEntries(Object.keys(bad).map((reason) => [reason, REPEAT]));
    for (const name of ['a', 'b'] as const) {
      await l.until(`${name} counts every drop`, async () => {
        const drops = counters(await l.instance(name, 'web')).drops as Record<string, number>;
        return Object.keys(bad).every((r) => drops[r] === REPEAT) ? true : undefined;
      }, 5000);
      const now = await l.instance(name, 'web');
      expect(counters(now).drops).toEqual(expected);
      expect(counters(now).drops_total).toBe(6 * REPEAT);
      expect(now.state).toBe(before[name].state);
      expect(counters(now).transitions).toBe(counters(before[name]).transitions);
    }
    // The election carried on: b still hears a, a still holds the VIP.
    await sleep(300);
    expect(await l.instance('b', 'web')).toMatchObject({ state: 'BACKUP', master_address: l.router('a').ipv4 });
    expect(l.hasAddress('a', VIP)).toBe(true);

    // Control: a well-formed priority-250 advert from the injector is obeyed (a yields).
    await inject(l, [{ ttl: 255, bytes: advert(l.router('obs').ipv4, 51, 250) }]);
    await l.until('a yields to the injected master', () => (l.transitions('a', 'web').some((t) => t.reason === 'higher_priority_advert') ? true : undefined), 3000);
  });
});
