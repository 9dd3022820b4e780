/**
 * IPv6 interop with Keepalived 2.2.7 when the VIPs include no link-local address (a single global
 * VIP, fd77::100/64, VRID 51, 100 ms adverts), prefix lv6k. Keepalived sends its configured
 * addresses only and drops adverts whose address count differs from its own ("received an
 * unexpected ip number count"); lvs-ha by default (RFC 9568) sends a derived link-local first and
 * drops adverts whose first address is not link-local (erratum 8300).
 * - `vrrp.ipv6_addresses: keepalived`: one master. Keepalived (200) master, lvs-ha (100) backup
 *   noting every advert as ipv6_first_not_link_local, and lvs-ha takes over when Keepalived
 *   stops; lvs-ha (200) master, Keepalived (100) stays backup and logs no count error.
 * - Negative half, the default rfc9568: both routers end MASTER, lvs-ha's drop counter for
 *   ipv6_first_not_link_local rises and Keepalived logs the count error.
 */
import { describe, expect, it } from 'vitest';
import { masterDownIntervalMs } from '../../../src/vrrp/timers.js';
import { Keepalived } from '../../helpers/keepalived.js';
import { sleep, vrrpConfig, type VrrpLab } from '../../helpers/vrrp-lab.js';
import { ADVERT_MS, counters, interopLab, HIGH, LOW, lvsHaEnteredAt, MARGIN_MS, SKEW_MS } from './lab.js';

const PREFIX = 'lv6k';
const VIP6 = 'fd77::100';
const COUNT_ERROR = 'received an unexpected ip number count';

const newLab = interopLab(PREFIX);

function writeLvsHa(l: VrrpLab, router: string, priority: number, ipv6Addresses?: string): void {
  l.writeConfig(router, vrrpConfig({
    node: `${PREFIX}-${router}`,
    socket: l.socketPath(router),
    ...(ipv6Addresses === undefined ? {} : { ipv6Addresses }),
    instances: [{ name: 'web', vrid: 51, priority, advertInterval: `${String(ADVERT_MS)}ms`, virtualAddresses: [`${VIP6}/64`] }],
  }));
}

function keepalivedOn(l: VrrpLab, router: string, priority: number): Keepalived {
  return new Keepalived(l, router, { priority, advertInt: String(ADVERT_MS / 1000), vip: `${VIP6}/64` });
}

/** Keepalived on a (200) as MASTER, then lvs-ha on b (100). */
async function keepalivedFirst(l: VrrpLab, ipv6Addresses?: string): Promise<Keepalived> {
  const ka = keepalivedOn(l, 'a', HIGH);
  ka.start();
  await ka.waitForState('MASTER');
  writeLvsHa(l, 'b', LOW, ipv6Addresses);
  l.startDaemon('b');
  return ka;
}

describe('vrrp.ipv6_addresses: keepalived, a single global IPv6 VIP', () => {
  it('Keepalived master, lvs-ha backup: one master; lvs-ha notes each advert; it takes over when Keepalived stops', async () => {
    const l = await newLab();
    const ka = await keepalivedFirst(l, 'keepalived');
    await l.waitForState('b', 'web', 'BACKUP');
    await l.until('b hears a', async () => ((await l.instance('b', 'web')).master_address === l.router('a').linkLocal ? true : undefined));
    await sleep(1000); // ten adverts and more than two master-down intervals: nobody changes its mind
    expect(ka.state).toBe('MASTER');
    expect(ka.transitions.map((t) => t.state)).toEqual(['BACKUP', 'MASTER']);
    const b = await l.instance('b', 'web');
    expect(b).toMatchObject({ state: 'BACKUP', master_address: l.router('a').linkLocal, master_priority: HIGH });
    expect(l.transitions('b', 'web').map((t) => t.to)).toEqual(['BACKUP']);
    const c = counters(b);
    expect(c.adverts_received).toBeGreaterThanOrEqual(8);
    expect(c.drops_total).toBe(0);
    expect((c.notes as Record<string, number>).ipv6_first_not_link_local).toBe(c.adverts_received);
    expect(l.hasAddress('a', VIP6)).toBe(true);
    expect(l.hasAddress('b', VIP6)).toBe(false);

    const stoppedAt = Date.now();
    await ka.stop();
    await l.waitForState('b', 'web', 'MASTER', 5000);
    const gap = lvsHaEnteredAt(l, 'b', 'MASTER', stoppedAt) - stoppedAt;
    console.log(`Keepalived SIGTERM -> lvs-ha MASTER (IPv6, keepalived mode): ${String(gap)} ms (skew ${SKEW_MS.toFixed(1)} ms)`);
    expect(gap).toBeLessThanOrEqual(SKEW_MS + MARGIN_MS);
    await l.until('VIP on b', () => (l.hasAddress('b', VIP6) ? true : undefined), 2000);
  });

  it('lvs-ha master, Keepalived backup: Keepalived accepts the configured list (no count error) and stays BACKUP', async () => {
    const l = await newLab();
    writeLvsHa(l, 'a', HIGH, 'keepalived');
    l.startDaemon('a');
    await l.waitForState('a', 'web', 'MASTER');
    const ka = keepalivedOn(l, 'b', LOW);
    ka.start();
    await ka.waitForState('BACKUP');
    // Keepalived's master-down interval at priority 100 and 100 ms is 360.9 ms: four of them.
    await sleep(4 * masterDownIntervalMs(LOW, ADVERT_MS) + MARGIN_MS);
    expect(ka.transitions.map((t) => t.state)).toEqual(['BACKUP']);
    expect(ka.output).not.toContain(COUNT_ERROR);
    const a = await l.instance('a', 'web');
    expect(a.state).toBe('MASTER');
    expect(counters(a).drops_total).toBe(0);
    expect(l.hasAddress('a', VIP6)).toBe(true);
    expect(l.hasAddress('b', VIP6)).toBe(false);
  });
});

describe('negative half: the default (rfc9568) against Keepalived 2.2.7 with a single global IPv6 VIP', () => {
  it('each drops the other: both routers end MASTER, lvs-ha counts ipv6_first_not_link_local drops', async () => {
    const l = await newLab();
    const ka = await keepalivedFirst(l);
    // lvs-ha drops every advert of the MASTER it hears, so its master-down timer runs out.
    await l.waitForState('b', 'web', 'MASTER', 5000);
    await sleep(1000);
    const b = await l.instance('b', 'web');
    const c = counters(b);
    expect(b.state).toBe('MASTER');
    expect(l.transitions('b', 'web').map((t) => t.to)).toEqual(['BACKUP', 'MASTER']);
    expect(c.adverts_received).toBe(0);
    // At least the adverts of the master-down interval (about 3.6 at 100 ms). Once lvs-ha sends
    // as well, Keepalived 2.2.7 goes quiet: as MASTER it restarts its advert timer on every
    // advert it reads, dropped ones included (vrrp_scheduler.c), so the count then stays.
    expect((c.drops as Record<string, number>).ipv6_first_not_link_local).toBeGreaterThanOrEqual(3);
    expect(c.drops_total).toBe((c.drops as Record<string, number>).ipv6_first_not_link_local);
    expect(ka.state).toBe('MASTER');
    expect(ka.transitions.map((t) => t.state)).toEqual(['BACKUP', 'MASTER']);
    expect(ka.output).toContain(`${COUNT_ERROR} 2, expected 1`);
    expect(l.hasAddress('a', VIP6) && l.hasAddress('b', VIP6)).toBe(true);
  });
});
