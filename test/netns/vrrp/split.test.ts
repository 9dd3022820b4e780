/**
 * A cut link between the two directors gives two masters; when it heals, exactly one master is
 * left and it announces the VIP again, so a neighbour that followed the other master during the
 * split (its ARP entry pointing at b) is pointed back at the surviving master (a).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, counters, PREFIX, startElected, VIP, writePair } from './pair.js';

let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

/** The MAC the observer's ARP cache holds for the VIP, or null. */
function observerMacForVip(l: VrrpLab): string | null {
  const out = l.netns.ip(l.router('obs').ns, ['-j', 'neigh', 'show', VIP, 'dev', 'eth0']);
  const entries = JSON.parse(out) as { lladdr?: string }[];
  return entries[0]?.lladdr ?? null;
}

describe('split brain and healing', () => {
  it('cut: both MASTER; restored: exactly one MASTER, and a fresh announcement from it', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    // Let GARPs replace a fresh ARP entry at once (the default locktime is 1 s).
    l.exec('obs', ['sysctl', '-qw', 'net.ipv4.neigh.eth0.locktime=0']);
    writePair(l, { a: { priority: 200 }, b: { priority: 100 } });
    await startElected(l, l.router('a').ipv4);
    expect(l.exec('obs', ['ping', '-c1', '-W1', VIP]).status).toBe(0);
    expect(observerMacForVip(l)).toBe(l.router('a').mac);

    // Cut a (the master) off the switch: b takes over and announces the VIP to the observer.
    l.setSwitchPort('a', false);
    await l.waitForState('b', 'web', 'MASTER', 5000);
    expect((await l.instance('a', 'web')).state).toBe('MASTER');
    expect(l.hasAddress('a', VIP) && l.hasAddress('b', VIP)).toBe(true);
    await l.until('observer follows b', () => (observerMacForVip(l) === l.router('b').mac ? true : undefined), 3000);
    const healsBefore = counters(await l.instance('a', 'web')).reannounces as number;

    // Heal: a hears b (lower priority), answers and re-announces; b yields.
    l.setSwitchPort('a', true);
    await l.waitForState('b', 'web', 'BACKUP', 5000);
    const a = await l.instance('a', 'web');
    expect(a.state).toBe('MASTER');
    expect(counters(a).reannounces as number).toBeGreaterThan(healsBefore);
    await l.until('observer points at a again', () => (observerMacForVip(l) === l.router('a').mac ? true : undefined), 3000);
    await l.until('VIP gone from b', () => (l.hasAddress('b', VIP) ? undefined : true), 3000);
    // And it stays that way: one master.
    await sleep(500);
    const states = [(await l.instance('a', 'web')).state, (await l.instance('b', 'web')).state];
    expect(states).toEqual(['MASTER', 'BACKUP']);
  });
});
