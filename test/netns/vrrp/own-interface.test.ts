/**
 * The instance's own interface is tracked (issue 13). A pair a (200) / b (100), one instance:
 * - a's eth0 set down: a is FAULT (VIP removed) and b takes over; eth0 up: a comes back;
 * - a's eth0 losing its carrier (its switch port cut) is the same FAULT, not a second master
 *   (this was split.test.ts's split brain); after the heal a is MASTER again and its
 *   announcement points the observer's ARP entry back at it;
 * - a's eth0 deleted and re-created (same name, MAC and address, new ifindex): the daemon, not
 *   restarted, opens a new socket on it, becomes MASTER again and b hears its adverts.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, vrrpConfig, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, counters, VIP } from './pair.js';

const PREFIX = 'owni';
let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

async function electedPair(): Promise<VrrpLab> {
  lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
  const l = lab;
  // Let gratuitous ARPs replace a fresh ARP entry at once (the default locktime is 1 s).
  l.exec('obs', ['sysctl', '-qw', 'net.ipv4.neigh.eth0.locktime=0']);
  for (const [name, priority] of [['a', 200], ['b', 100]] as const) {
    l.writeConfig(name, vrrpConfig({
      node: `${PREFIX}-${name}`,
      socket: l.socketPath(name),
      instances: [{ name: 'web', vrid: 51, priority, virtualAddresses: [`${VIP}/24`] }],
    }));
  }
  l.startDaemon('a');
  await l.waitForState('a', 'web', 'MASTER');
  l.startDaemon('b');
  await l.waitForState('b', 'web', 'BACKUP');
  await l.until('b hears a', async () => ((await l.instance('b', 'web')).master_address === l.router('a').ipv4 ? true : undefined));
  return l;
}

/** The MAC the observer's ARP cache holds for the VIP, or null. */
function observerMacForVip(l: VrrpLab): string | null {
  const out = l.netns.ip(l.router('obs').ns, ['-j', 'neigh', 'show', VIP, 'dev', 'eth0']);
  const entries = JSON.parse(out) as { lladdr?: string }[];
  return entries[0]?.lladdr ?? null;
}

/** a is MASTER with the VIP again, b BACKUP without it and hearing a. */
async function backToA(l: VrrpLab): Promise<void> {
  await l.waitForState('a', 'web', 'MASTER', 5000);
  await l.waitForState('b', 'web', 'BACKUP', 3000);
  await l.until('b hears a again', async () => ((await l.instance('b', 'web')).master_address === l.router('a').ipv4 ? true : undefined), 3000);
  await l.until('VIP back on a only', () => (l.hasAddress('a', VIP) && !l.hasAddress('b', VIP) ? true : undefined), 3000);
}

describe('own interface', () => {
  it('eth0 down: FAULT and the peer takes over; up: back; a cut switch port (no carrier) is the same FAULT', async () => {
    const l = await electedPair();
    const ns = l.router('a').ns;
    l.netns.ip(ns, ['link', 'set', 'eth0', 'down']);
    await l.waitForState('a', 'web', 'FAULT', 3000);
    expect((await l.instance('a', 'web')).last_transition).toMatchObject({ from: 'MASTER', to: 'FAULT', reason: 'fault' });
    expect((await l.instance('a', 'web')).tracking).toContainEqual({ kind: 'interface', name: 'eth0', weight: 0, failed: true });
    await l.waitForState('b', 'web', 'MASTER', 3000);
    await l.until('VIP gone from a', () => (l.hasAddress('a', VIP) ? undefined : true), 3000);
    expect(l.hasAddress('b', VIP)).toBe(true);

    l.netns.ip(ns, ['link', 'set', 'eth0', 'up']);
    await backToA(l);
    const trail = l.transitions('a', 'web').map((t) => `${String(t.from)}>${String(t.to)}`);
    expect(trail).toEqual(['INIT>BACKUP', 'BACKUP>MASTER', 'MASTER>FAULT', 'FAULT>BACKUP', 'BACKUP>MASTER']);

    // The far end of a's veth goes down: a's eth0 stays administratively up but has no
    // carrier. Not a split brain: a is FAULT, b takes over and the observer follows b.
    expect(l.exec('obs', ['ping', '-c1', '-W1', VIP]).status).toBe(0);
    expect(observerMacForVip(l)).toBe(l.router('a').mac);
    l.setSwitchPort('a', false);
    await l.waitForState('a', 'web', 'FAULT', 3000);
    await l.waitForState('b', 'web', 'MASTER', 3000);
    await l.until('observer follows b', () => (observerMacForVip(l) === l.router('b').mac ? true : undefined), 3000);
    // Heal: a comes back through BACKUP, preempts b and announces: the observer points at a.
    l.setSwitchPort('a', true);
    await backToA(l);
    await l.until('observer points at a again', () => (observerMacForVip(l) === l.router('a').mac ? true : undefined), 3000);
    await sleep(500);
    expect([(await l.instance('a', 'web')).state, (await l.instance('b', 'web')).state]).toEqual(['MASTER', 'BACKUP']);
  });

  it('eth0 deleted and re-created with a new ifindex: a rebinds by itself and is MASTER again', async () => {
    const l = await electedPair();
    const pid = l.daemon('a').process.pid;
    const oldIfindex = l.ifindex('a');
    l.deleteLink('a');
    await l.waitForState('a', 'web', 'FAULT', 3000);
    await l.waitForState('b', 'web', 'MASTER', 3000);
    await sleep(300);

    l.recreateLink('a');
    expect(l.ifindex('a')).not.toBe(oldIfindex);
    await backToA(l);
    expect(l.daemon('a').process.pid).toBe(pid);
    expect(l.daemon('a').process.exitCode).toBeNull();
    const a = await l.instance('a', 'web');
    expect(a).toMatchObject({ state: 'MASTER', error: null, primary_address: l.router('a').ipv4 });
    const rebind = l.logLines('a').find((line) => line.msg === 'own interface re-created; opening a new socket on it');
    expect(rebind).toMatchObject({ instance: 'web', old_ifindex: oldIfindex, ifindex: l.ifindex('a') });
    // It keeps sending on the new socket: b keeps hearing it.
    const heard = counters(await l.instance('b', 'web')).adverts_received as number;
    await sleep(500);
    expect(counters(await l.instance('b', 'web')).adverts_received as number).toBeGreaterThan(heard + 2);
    expect((await l.instance('b', 'web')).state).toBe('BACKUP');
  });
});
