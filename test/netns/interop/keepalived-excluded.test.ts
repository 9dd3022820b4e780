/**
 * virtual_addresses_excluded against Keepalived 2.2.7 (virtual_ipaddress_excluded), prefix lvxe,
 * 100 ms adverts, VRID 51: one VIP 10.77.0.100 and one excluded 10.77.0.101 on both sides.
 * Keepalived leaves excluded addresses out of its adverts and drops an advert whose address
 * count differs from its own virtual_ipaddress list ("received an unexpected ip number count").
 * - With virtual_addresses_excluded: lvs-ha (200) MASTER, Keepalived (100) stays BACKUP and never
 *   logs the count error; both addresses are on lvs-ha only. lvs-ha stops: Keepalived takes both.
 * - Negative half, both addresses in virtual_addresses (what the importer wrote before): the
 *   advert carries 2 addresses, Keepalived logs the count error and becomes a second MASTER.
 */
import { describe, expect, it } from 'vitest';
import { masterDownIntervalMs } from '../../../src/vrrp/timers.js';
import { Keepalived } from '../../helpers/keepalived.js';
import { sleep, vrrpConfig, type VrrpLab } from '../../helpers/vrrp-lab.js';
import { ADVERT_MS, counters, interopLab, HIGH, LOW, MARGIN_MS, SKEW_MS } from './lab.js';

const PREFIX = 'lvxe';
const VIP = '10.77.0.100';
const EXCLUDED = '10.77.0.101';
const COUNT_ERROR = 'received an unexpected ip number count';

const newLab = interopLab(PREFIX);

/** lvs-ha on a at priority 200: the excluded address in its own list, or (negative) with the VIPs. */
async function lvsHaMaster(l: VrrpLab, excludedKey: boolean): Promise<Keepalived> {
  l.writeConfig('a', vrrpConfig({
    node: `${PREFIX}-a`,
    socket: l.socketPath('a'),
    instances: [{
      name: 'web',
      vrid: 51,
      priority: HIGH,
      advertInterval: `${String(ADVERT_MS)}ms`,
      virtualAddresses: excludedKey ? [`${VIP}/24`] : [`${VIP}/24`, `${EXCLUDED}/24`],
      ...(excludedKey ? { extra: [`virtual_addresses_excluded: [${EXCLUDED}/24]`] } : {}),
    }],
  }));
  l.startDaemon('a');
  await l.waitForState('a', 'web', 'MASTER');
  const ka = new Keepalived(l, 'b', {
    priority: LOW,
    advertInt: String(ADVERT_MS / 1000),
    vip: `${VIP}/24`,
    instanceLines: ['virtual_ipaddress_excluded {', `  ${EXCLUDED}/24`, '}'],
  });
  ka.start();
  return ka;
}

describe('virtual_addresses_excluded: lvs-ha MASTER, Keepalived 2.2.7 BACKUP with virtual_ipaddress_excluded', () => {
  it('Keepalived accepts the adverts (no count error) and stays BACKUP; both addresses move to it when lvs-ha stops', async () => {
    const l = await newLab();
    const ka = await lvsHaMaster(l, true);
    await ka.waitForState('BACKUP');
    // Four of Keepalived's master-down intervals (360.9 ms at priority 100 and 100 ms).
    await sleep(4 * masterDownIntervalMs(LOW, ADVERT_MS) + MARGIN_MS);
    expect(ka.transitions.map((t) => t.state)).toEqual(['BACKUP']);
    expect(ka.output).not.toContain(COUNT_ERROR);
    const a = await l.instance('a', 'web');
    expect(a).toMatchObject({ state: 'MASTER', virtual_addresses: [`${VIP}/24`], virtual_addresses_excluded: [`${EXCLUDED}/24`] });
    expect(counters(a).drops_total).toBe(0);
    expect([l.hasAddress('a', VIP), l.hasAddress('a', EXCLUDED)]).toEqual([true, true]);
    expect([l.hasAddress('b', VIP), l.hasAddress('b', EXCLUDED)]).toEqual([false, false]);

    const stoppedAt = Date.now();
    const exit = await l.stopDaemon('a', 'SIGTERM');
    expect(exit.code).toBe(0);
    await ka.waitForState('MASTER', 5000);
    const gap = (ka.enteredAt('MASTER', stoppedAt) ?? Infinity) - stoppedAt;
    console.log(`lvs-ha SIGTERM -> Keepalived MASTER (excluded address): ${String(gap)} ms (skew ${SKEW_MS.toFixed(1)} ms)`);
    expect(gap).toBeLessThanOrEqual(SKEW_MS + MARGIN_MS);
    expect([l.hasAddress('a', VIP), l.hasAddress('a', EXCLUDED)]).toEqual([false, false]);
    await l.until('both addresses on b', () => (l.hasAddress('b', VIP) && l.hasAddress('b', EXCLUDED) ? true : undefined), 2000);
    expect(ka.output).not.toContain(COUNT_ERROR);
  });
});

describe('negative half: the excluded address carried in the adverts (both in virtual_addresses)', () => {
  it('Keepalived drops every advert for the count ("2, expected 1") and becomes a second MASTER', async () => {
    const l = await newLab();
    const ka = await lvsHaMaster(l, false);
    await ka.waitForState('MASTER', 5000);
    await sleep(300);
    expect(ka.output).toContain(`${COUNT_ERROR} 2, expected 1`);
    expect(ka.transitions.map((t) => t.state)).toEqual(['BACKUP', 'MASTER']);
    const a = await l.instance('a', 'web');
    expect(a.state).toBe('MASTER');
    expect(l.hasAddress('a', VIP) && l.hasAddress('b', VIP)).toBe(true);
  });
});
