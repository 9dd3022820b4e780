/**
 * Interop with Keepalived 2.2.7 (the Debian package, vrrp_version 3) at 100 ms adverts, in a
 * namespace lab on a bridge (prefix lvq): router a has priority 200, router b priority 100.
 * - Keepalived master, lvs-ha backup: both agree on the master, the VIP is only on Keepalived;
 *   a crash of Keepalived gives an lvs-ha takeover within the master-down interval.
 * - lvs-ha master, Keepalived backup: the same the other way; kill -9 and SIGTERM of lvs-ha give
 *   a Keepalived takeover within the master-down interval and about the skew time.
 * - Negative half: lvs-ha with ipv4_checksum rfc9568 is refused by Keepalived, which logs
 *   "Invalid VRRPv3 checksum" and becomes a second MASTER. So the positive cases can tell.
 * lvs-ha's view comes from `status --json` and its transition log lines; Keepalived's from its
 * "Entering X STATE" log lines (test/helpers/keepalived.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Keepalived } from '../../helpers/keepalived.js';
import { sleep, type VrrpLab } from '../../helpers/vrrp-lab.js';
import {
  ADVERT_MS, counters, DOWN_MS, HIGH, interopLab, keepalivedOn, LOW, lvsHaEnteredAt, MARGIN_MS, PREFIX,
  SKEW_MS, VIP, writeLvsHa,
} from './lab.js';

const newLab = interopLab(PREFIX);

/** Keepalived on a (priority 200, MASTER), then lvs-ha on b (priority 100) that has heard it. */
async function keepalivedMaster(l: VrrpLab): Promise<Keepalived> {
  const ka = keepalivedOn(l, 'a', HIGH);
  ka.start();
  await ka.waitForState('MASTER');
  writeLvsHa(l, 'b', LOW);
  l.startDaemon('b');
  await l.waitForState('b', 'web', 'BACKUP');
  await l.until('b hears a', async () => ((await l.instance('b', 'web')).master_address === l.router('a').ipv4 ? true : undefined));
  return ka;
}

/** lvs-ha on a (priority 200, MASTER), then Keepalived on b (priority 100) as BACKUP. */
async function lvsHaMaster(l: VrrpLab, ipv4Checksum?: string): Promise<Keepalived> {
  writeLvsHa(l, 'a', HIGH, ipv4Checksum);
  l.startDaemon('a');
  await l.waitForState('a', 'web', 'MASTER');
  const ka = keepalivedOn(l, 'b', LOW);
  ka.start();
  await ka.waitForState('BACKUP');
  return ka;
}

describe('Keepalived 2.2.7 MASTER, lvs-ha BACKUP (100 ms adverts)', () => {
  it('both agree that Keepalived is master; the VIP is only there; lvs-ha accepts its adverts', async () => {
    const l = await newLab();
    const ka = await keepalivedMaster(l);
    await sleep(1000); // ten adverts: nobody changes its mind
    expect(ka.state).toBe('MASTER');
    expect(ka.transitions.map((t) => t.state)).toEqual(['BACKUP', 'MASTER']);
    const b = await l.instance('b', 'web');
    expect(b).toMatchObject({ state: 'BACKUP', master_address: l.router('a').ipv4, master_priority: HIGH, master_adver_interval_ms: ADVERT_MS });
    expect(l.transitions('b', 'web').map((t) => t.to)).toEqual(['BACKUP']);
    const c = counters(b);
    expect(c.adverts_received).toBeGreaterThanOrEqual(8);
    expect((c.checksum_seen as Record<string, number>).rfc5798).toBe(c.adverts_received);
    expect(c.drops_total).toBe(0);
    expect(c.adverts_sent).toBe(0);
    expect(l.hasAddress('a', VIP)).toBe(true);
    expect(l.hasAddress('b', VIP)).toBe(false);
  });

  it('Keepalived crashes: lvs-ha takes over within the master-down interval plus a margin', async () => {
    const l = await newLab();
    const ka = await keepalivedMaster(l);
    const crashedAt = Date.now();
    await ka.crash();
    await l.waitForState('b', 'web', 'MASTER', 5000);
    const gap = lvsHaEnteredAt(l, 'b', 'MASTER', crashedAt) - crashedAt;
    console.log(`Keepalived crash -> lvs-ha MASTER: ${String(gap)} ms (master-down ${DOWN_MS.toFixed(1)} ms)`);
    expect(gap).toBeGreaterThanOrEqual(DOWN_MS - ADVERT_MS - 20);
    expect(gap).toBeLessThanOrEqual(DOWN_MS + MARGIN_MS);
    expect(l.hasAddress('b', VIP)).toBe(true);
    expect((await l.instance('b', 'web')).last_transition).toMatchObject({ from: 'BACKUP', to: 'MASTER', reason: 'master_down_timer' });
  });

  it('Keepalived stops (SIGTERM, priority 0): lvs-ha takes over within about the skew time', async () => {
    const l = await newLab();
    const ka = await keepalivedMaster(l);
    const stoppedAt = Date.now();
    await ka.stop();
    await l.waitForState('b', 'web', 'MASTER', 5000);
    const gap = lvsHaEnteredAt(l, 'b', 'MASTER', stoppedAt) - stoppedAt;
    console.log(`Keepalived SIGTERM -> lvs-ha MASTER: ${String(gap)} ms (skew ${SKEW_MS.toFixed(1)} ms)`);
    expect(gap).toBeLessThanOrEqual(SKEW_MS + MARGIN_MS);
    expect(l.hasAddress('a', VIP)).toBe(false);
    expect(l.hasAddress('b', VIP)).toBe(true);
  });
});

describe('lvs-ha MASTER, Keepalived 2.2.7 BACKUP (100 ms adverts, default checksum)', () => {
  it('both agree that lvs-ha is master; the VIP is only there; Keepalived never complains', async () => {
    const l = await newLab();
    const ka = await lvsHaMaster(l);
    await sleep(1500); // more than four master-down intervals of Keepalived
    expect(ka.state).toBe('BACKUP');
    expect(ka.transitions.map((t) => t.state)).toEqual(['BACKUP']);
    expect(ka.output).not.toContain('Invalid VRRPv3 checksum');
    const a = await l.instance('a', 'web');
    expect(a).toMatchObject({ state: 'MASTER', master_address: l.router('a').ipv4, priority: HIGH });
    expect(counters(a).drops_total).toBe(0);
    expect(l.transitions('a', 'web').map((t) => t.to)).toEqual(['BACKUP', 'MASTER']);
    expect(l.hasAddress('a', VIP)).toBe(true);
    expect(l.hasAddress('b', VIP)).toBe(false);
  });

  it('lvs-ha is killed (-9): Keepalived takes over within the master-down interval plus a margin', async () => {
    const l = await newLab();
    const ka = await lvsHaMaster(l);
    await sleep(500);
    const killedAt = Date.now();
    await l.stopDaemon('a', 'SIGKILL');
    await ka.waitForState('MASTER', 5000);
    const gap = (ka.enteredAt('MASTER', killedAt) ?? Infinity) - killedAt;
    console.log(`lvs-ha kill -9 -> Keepalived MASTER: ${String(gap)} ms (master-down ${DOWN_MS.toFixed(1)} ms)`);
    expect(gap).toBeGreaterThanOrEqual(DOWN_MS - ADVERT_MS - 20);
    expect(gap).toBeLessThanOrEqual(DOWN_MS + MARGIN_MS);
    await l.until('VIP on b', () => (l.hasAddress('b', VIP) ? true : undefined), 2000);
  });

  it('lvs-ha stops (SIGTERM, priority 0): Keepalived takes over within about the skew time', async () => {
    const l = await newLab();
    const ka = await lvsHaMaster(l);
    await sleep(500);
    const stoppedAt = Date.now();
    const exit = await l.stopDaemon('a', 'SIGTERM');
    expect(exit.code).toBe(0);
    await ka.waitForState('MASTER', 5000);
    const gap = (ka.enteredAt('MASTER', stoppedAt) ?? Infinity) - stoppedAt;
    console.log(`lvs-ha SIGTERM -> Keepalived MASTER: ${String(gap)} ms (skew ${SKEW_MS.toFixed(1)} ms)`);
    expect(gap).toBeLessThanOrEqual(SKEW_MS + MARGIN_MS);
    expect(l.hasAddress('a', VIP)).toBe(false);
    await l.until('VIP on b', () => (l.hasAddress('b', VIP) ? true : undefined), 2000);
  });
});

describe('negative half: lvs-ha with ipv4_checksum rfc9568 against Keepalived 2.2.7', () => {
  it('Keepalived refuses the adverts ("Invalid VRRPv3 checksum") and becomes a second MASTER', async () => {
    const l = await newLab();
    writeLvsHa(l, 'a', HIGH, 'rfc9568');
    l.startDaemon('a');
    await l.waitForState('a', 'web', 'MASTER');
    const ka = keepalivedOn(l, 'b', LOW);
    ka.start();
    await ka.waitForState('MASTER', 5000);
    await sleep(500);
    expect(ka.output).toContain('Invalid VRRPv3 checksum');
    // lvs-ha accepts Keepalived's rfc5798 adverts (receive takes both) and stays master: two masters.
    const a = await l.instance('a', 'web');
    expect(a.state).toBe('MASTER');
    expect((counters(a).checksum_seen as Record<string, number>).rfc5798).toBeGreaterThan(0);
    expect(ka.state).toBe('MASTER');
    expect(l.hasAddress('a', VIP) && l.hasAddress('b', VIP)).toBe(true);
  });
});
