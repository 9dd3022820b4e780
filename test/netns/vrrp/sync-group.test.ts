/**
 * A sync group of an IPv4 and an IPv6 instance on both routers: a tracked-interface fault of
 * one member on the master puts the whole group there in FAULT, and the peer takes over both
 * instances (both VIPs); when the fault clears, the group comes back together.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { vrrpConfig, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, PREFIX, VIP } from './pair.js';

const VIP6 = 'fd77::100';
let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

function write(l: VrrpLab, name: string, priority: number, tracked: boolean): void {
  l.writeConfig(name, vrrpConfig({
    node: `lve-${name}`,
    socket: l.socketPath(name),
    instances: [
      { name: 'v4', vrid: 51, priority, virtualAddresses: [`${VIP}/24`], extra: tracked ? ['track: { interfaces: [{ name: trk0, weight: 0 }] }'] : [] },
      { name: 'v6', vrid: 61, priority, virtualAddresses: [`${VIP6}/64`] },
    ],
    syncGroups: [{ name: 'g', instances: ['v4', 'v6'] }],
  }));
}

describe('sync group', () => {
  it('one member in FAULT puts the group in FAULT; the peer takes over every member', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    const l = lab;
    const ns = l.router('a').ns;
    l.netns.ip(ns, ['link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']);
    l.netns.up(ns, 'trk1');
    l.netns.up(ns, 'trk0');
    write(l, 'a', 200, true);
    write(l, 'b', 100, false);
    l.startDaemon('a');
    await l.waitForState('a', 'v4', 'MASTER');
    await l.waitForState('a', 'v6', 'MASTER');
    l.startDaemon('b');
    await l.waitForState('b', 'v4', 'BACKUP');
    await l.waitForState('b', 'v6', 'BACKUP');

    l.netns.ip(ns, ['link', 'set', 'trk0', 'down']);
    await l.waitForState('a', 'v6', 'FAULT', 3000);
    expect((await l.instance('a', 'v6')).last_transition).toMatchObject({ from: 'MASTER', to: 'FAULT', reason: 'sync_group' });
    expect((await l.instance('a', 'v4')).last_transition).toMatchObject({ from: 'MASTER', to: 'FAULT', reason: 'fault' });
    await l.waitForState('b', 'v4', 'MASTER', 3000);
    await l.waitForState('b', 'v6', 'MASTER', 3000);
    expect(l.hasAddress('b', VIP) && l.hasAddress('b', VIP6)).toBe(true);
    await l.until('VIPs gone from a', () => (l.hasAddress('a', VIP) || l.hasAddress('a', VIP6) ? undefined : true), 3000);

    l.netns.ip(ns, ['link', 'set', 'trk0', 'up']);
    await l.waitForState('a', 'v4', 'MASTER', 5000);
    await l.waitForState('a', 'v6', 'MASTER', 5000);
    await l.waitForState('b', 'v4', 'BACKUP', 3000);
    await l.waitForState('b', 'v6', 'BACKUP', 3000);
  });
});
