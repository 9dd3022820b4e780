/**
 * An IPv6 instance (link-local sources, ff02::12, the derived virtual link-local first in the
 * advert) and an IPv4 unicast pair (adverts to the peer only, never to the group): both elect
 * the higher priority, move the VIP, and fail over on kill -9.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, counters, PREFIX, startElected, VIP, writePair } from './pair.js';

const VIP6 = 'fd77::100';
let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

describe('IPv6 and unicast instances', () => {
  it('IPv6: elects by priority over link-local adverts, moves the VIP, fails over with an unsolicited NA', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    const observerMac = (): string | null => {
      const out = l.netns.ip(l.router('obs').ns, ['-j', '-6', 'neigh', 'show', VIP6, 'dev', 'eth0']);
      return (JSON.parse(out) as { lladdr?: string }[])[0]?.lladdr ?? null;
    };
    writePair(l, { a: { priority: 200 }, b: { priority: 100 } }, { vrid: 61, virtualAddresses: [`${VIP6}/64`] });
    await startElected(l, l.router('a').linkLocal);
    expect(l.hasAddress('a', VIP6)).toBe(true);
    expect(l.hasAddress('b', VIP6)).toBe(false);
    const b = await l.instance('b', 'web');
    expect(b).toMatchObject({ family: 'ipv6', primary_address: l.router('b').linkLocal, master_address: l.router('a').linkLocal });
    expect(counters(b).checksum_seen).toMatchObject({ ipv6: expect.any(Number) as number });
    expect(counters(b).drops_total).toBe(0);
    expect(l.exec('obs', ['ping', '-6', '-c1', '-W1', VIP6]).status).toBe(0);
    expect(observerMac()).toBe(l.router('a').mac);
    await l.stopDaemon('a', 'SIGKILL');
    await l.waitForState('b', 'web', 'MASTER', 5000);
    expect(l.hasAddress('b', VIP6)).toBe(true);
    // b's unsolicited NA (override flag) repoints the observer's neighbour entry.
    await l.until('observer follows b', () => (observerMac() === l.router('b').mac ? true : undefined), 3000);
  });

  it('unicast: adverts go to the peer; election and failover work; nothing is sent to 224.0.0.18', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    writePair(l, {
      a: { priority: 200, unicastPeers: [l.router('b').ipv4] },
      b: { priority: 100, unicastPeers: [l.router('a').ipv4] },
    });
    // The observer captures VRRP sent to the multicast group: there must be none.
    const capture = l.spawn('obs', ['tcpdump', '-i', 'eth0', '-n', '-l', '-c', '1', 'ip proto 112 and dst host 224.0.0.18']);
    let captured = '';
    capture.stdout?.on('data', (c: Buffer) => (captured += c.toString()));
    let captureLog = '';
    capture.stderr?.on('data', (c: Buffer) => (captureLog += c.toString()));
    await l.until('tcpdump listening', () => (captureLog.includes('listening on') ? true : undefined), 5000);
    await startElected(l, l.router('a').ipv4);
    expect(l.hasAddress('a', VIP)).toBe(true);
    expect(l.hasAddress('b', VIP)).toBe(false);
    await l.until('b receives unicast adverts', async () => ((counters(await l.instance('b', 'web')).adverts_received as number) > 3 ? true : undefined));
    await l.stopDaemon('a', 'SIGKILL');
    await l.waitForState('b', 'web', 'MASTER', 5000);
    expect(l.hasAddress('b', VIP)).toBe(true);
    capture.kill('SIGTERM');
    expect(captured).toBe('');
  });
});
