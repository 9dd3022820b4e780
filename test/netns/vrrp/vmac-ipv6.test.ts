/**
 * IPv6 VMAC (RFC 9568 §7.3: 00:00:5e:00:02:VRID; Keepalived's use_vmac on an IPv6 instance): the
 * VIP lives on a macvlan with the virtual MAC, so an observer's neighbour entry for the IPv6 VIP
 * keeps that MAC across a failover and the VIP answers from the new master although every NA
 * from b about the VIP is dropped at the switch. Without VMAC, under the same drop, the entry
 * stays on a's MAC and the VIP is unreachable. While BACKUP, b's VMAC sends no frame with the
 * virtual MAC as source (no MLD report, router solicitation or NA for its copied link-local:
 * nftables chain vmac_out), and without that chain it does. The VMAC is removed on stop. And
 * with Keepalived 2.2.7 (use_vmac) as the master, lvs-ha's VMAC takes over the same virtual MAC.
 * On a strict MLD-snooping switch (a querier, no port flooding unregistered multicast) the groups
 * the VMAC needs (ff02::12, the VIP's solicited-node group) are registered from the parents, so
 * there is one master and the VIP resolves; with the routers' MLD reports dropped at that switch
 * there are two masters and the VIP does not resolve.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Keepalived } from '../../helpers/keepalived.js';
import { sleep, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, startElected, writePair } from './pair.js';

const PREFIX = 'lv6m';
const VIP6 = 'fd77::100';
const VMAC = '00:00:5e:00:02:33'; // VRID 51
const VMAC_IF = 'vrrp6.51';

let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

function writeV6(l: VrrpLab, extra: readonly string[]): void {
  writePair(l, { a: { priority: 150 }, b: { priority: 100 } }, { virtualAddresses: [`${VIP6}/64`], extra });
}

function observerMac(l: VrrpLab): string | null {
  const out = l.netns.ip(l.router('obs').ns, ['-j', '-6', 'neigh', 'show', VIP6, 'dev', 'eth0']);
  const entries = JSON.parse(out || '[]') as { lladdr?: string }[];
  return entries[0]?.lladdr ?? null;
}

function nft(l: VrrpLab, ns: string, args: readonly string[]): void {
  const r = l.netns.exec(ns, ['nft', ...args]);
  expect(r.status, r.stderr).toBe(0);
}

/** Drop every NA b sends about the VIP (ICMPv6 type 136 whose target is the VIP), at the switch. */
function dropNaFromB(l: VrrpLab): void {
  const port = l.router('b').switchPort;
  nft(l, l.switchNs, ['add', 'table', 'bridge', PREFIX]);
  nft(l, l.switchNs, ['add', 'chain', 'bridge', PREFIX, 'filt', '{ type filter hook forward priority 0; }']);
  nft(l, l.switchNs, ['add', 'rule', 'bridge', PREFIX, 'filt', 'iifname', port, 'icmpv6', 'type', 'nd-neighbor-advert', '@th,64,128', '0xfd770000000000000000000000000100', 'counter', 'drop']);
}

function droppedNas(l: VrrpLab): number {
  const out = l.netns.exec(l.switchNs, ['nft', 'list', 'chain', 'bridge', PREFIX, 'filt']).stdout;
  return Number(/counter packets (\d+)/.exec(out)?.[1] ?? '0');
}

async function pingsWithin(l: VrrpLab, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (l.exec('obs', ['ping', '-6', '-c1', '-W1', VIP6]).status === 0) return true;
    await sleep(100);
  }
  return false;
}

async function failover(l: VrrpLab): Promise<void> {
  expect(await pingsWithin(l, 3000)).toBe(true);
  dropNaFromB(l);
  await l.stopDaemon('a', 'SIGTERM');
  await l.waitForState('b', 'web', 'MASTER', 5000);
}

/**
 * A strict MLD-snooping switch (RFC 4541 §3): snooping with the bridge as querier, and no port
 * gets unregistered multicast (mcast_flood off; a Linux bridge floods it by default) or is a
 * multicast router port (mcast_router 0: no port gets every group). Stricter than RFC 4541:
 * the bridge then floods no ff02::1 either (unsolicited NAs), which the VMAC does not need.
 */
async function strictSwitch(l: VrrpLab): Promise<void> {
  for (const who of ['a', 'b', 'obs']) {
    const r = l.netns.exec(l.switchNs, ['bridge', 'link', 'set', 'dev', l.router(who).switchPort, 'mcast_flood', 'off', 'mcast_router', '0']);
    expect(r.status, r.stderr).toBe(0);
  }
  // The bridge forwards by its MDB only once it counts its own querier as present: one query
  // response interval (default 10 s; here 1 s) after the querier is turned on, as the interval
  // was then (so it is set first). Until then it floods, and with mcast_flood off nothing passes.
  l.netns.ip(l.switchNs, ['link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_query_response_interval', '100', 'mcast_query_interval', '200', 'mcast_startup_query_interval', '200']);
  l.netns.ip(l.switchNs, ['link', 'set', 'br0', 'type', 'bridge', 'mcast_querier', '1']);
  await sleep(1500);
}

/** The switch ports registered for a group in the bridge's MDB. */
function mdbPorts(l: VrrpLab, group: string): string[] {
  const parsed = JSON.parse(l.netns.exec(l.switchNs, ['bridge', '-j', 'mdb', 'show', 'dev', 'br0']).stdout || '[]') as { mdb?: { port: string; grp: string }[] }[];
  return parsed.flatMap((x) => x.mdb ?? []).filter((e) => e.grp === group).map((e) => e.port).sort();
}

/** The IPv6 groups joined on a router's eth0 (the VMAC's parent). */
function parentGroups(l: VrrpLab, who: string): string {
  return l.exec(who, ['ip', '-6', 'maddr', 'show', 'dev', 'eth0']).stdout;
}

/** Frames with the virtual MAC as Ethernet source entering the switch from b's port. */
async function captureFromB(l: VrrpLab): Promise<{ proc: ChildProcess; lines: () => string[] }> {
  const proc = l.netns.spawn(l.switchNs, ['tcpdump', '-i', l.router('b').switchPort, '-n', '-l', '-e', '-Q', 'in', `ether src ${VMAC}`]);
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  await l.until('tcpdump listening', () => (err.includes('listening on') ? true : undefined), 5000);
  return { proc, lines: () => out.split('\n').filter((s) => s.trim() !== '') };
}

/** a MASTER, then b started with its switch port watched from before its VMAC exists, until b hears a. */
async function startWatched(l: VrrpLab): Promise<{ proc: ChildProcess; lines: () => string[] }> {
  l.startDaemon('a');
  await l.waitForState('a', 'web', 'MASTER');
  // b's VMAC is watched from before it exists: its first MLD reports come with its creation.
  const capture = await captureFromB(l);
  l.startDaemon('b');
  await l.waitForState('b', 'web', 'BACKUP');
  await l.until('b hears a', async () => ((await l.instance('b', 'web')).master_address === l.router('a').linkLocal ? true : undefined));
  return capture;
}

describe('IPv6 VMAC', () => {
  it.each([
    ['adverts on the VMAC', 'vmac: true', false],
    ['adverts on the parent (xmit_base)', 'vmac: { xmit_base: true }', false],
    // A snooping bridge with a querier that still floods unregistered groups (a Linux bridge's
    // default); the strict one is below.
    ['adverts on the VMAC, MLD-snooping bridge with a querier', 'vmac: true', true],
  ])('with VMAC (%s) the observer keeps the virtual MAC and reaches the IPv6 VIP on b with every NA from b about it dropped', async (what, vmac, snooping) => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    if (snooping) l.netns.ip(l.switchNs, ['link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_querier', '1', 'mcast_query_interval', '200', 'mcast_startup_query_interval', '200']);
    writeV6(l, [vmac]);
    const xmitBase = what.includes('xmit_base');
    const capture = await startWatched(l);

    // The VMACs: the virtual MAC, no link-local of their own (addr_gen_mode none), the parent's
    // link-local copied unless xmit_base, the VIP on the master only.
    expect(l.exec('a', ['cat', `/sys/class/net/${VMAC_IF}/address`]).stdout.trim()).toBe(VMAC);
    expect(l.exec('b', ['ip', '-d', 'link', 'show', VMAC_IF]).stdout).toContain('addrgenmode none');
    const v6 = (who: string): string[] => {
      const parsed = JSON.parse(l.netns.ip(l.router(who).ns, ['-j', '-6', 'addr', 'show', 'dev', VMAC_IF])) as { addr_info?: { local: string }[] }[];
      return parsed.flatMap((x) => (x.addr_info ?? []).map((i) => i.local)).sort();
    };
    expect(v6('a')).toEqual(xmitBase ? [VIP6] : [VIP6, l.router('a').linkLocal].sort());
    expect(v6('b')).toEqual(xmitBase ? [] : [l.router('b').linkLocal]);
    expect(l.exec('b', ['cat', `/proc/sys/net/ipv6/conf/${VMAC_IF}/accept_dad`, `/proc/sys/net/ipv6/conf/${VMAC_IF}/accept_ra`]).stdout.split('\n').join(' ').trim()).toBe('0 0');
    expect(l.exec('b', ['nft', 'list', 'chain', 'inet', 'lvs_ha', 'vmac_out']).stdout).toContain(`oifname "${VMAC_IF}"`);

    // While BACKUP: an NS for b's link-local (which its VMAC also holds) is answered by eth0 only.
    expect(l.exec('obs', ['ping', '-6', '-c1', '-W1', `${l.router('b').linkLocal}%eth0`]).status).toBe(0);
    const obsNeighB = JSON.parse(l.netns.ip(l.router('obs').ns, ['-j', '-6', 'neigh', 'show', l.router('b').linkLocal, 'dev', 'eth0'])) as { lladdr?: string }[];
    expect(obsNeighB[0]?.lladdr).toBe(l.router('b').mac);
    await sleep(3000);
    capture.proc.kill('SIGTERM');
    expect(capture.lines()).toEqual([]);

    await failover(l);
    // a's VMAC went with a.
    expect(l.exec('a', ['ip', 'link', 'show', VMAC_IF]).status).not.toBe(0);
    expect(await pingsWithin(l, 3000)).toBe(true);
    expect(observerMac(l)).toBe(VMAC);
    expect(l.hasAddress('b', VIP6)).toBe(false); // on the VMAC, not on eth0
    expect(v6('b')).toContain(VIP6);
    expect(droppedNas(l)).toBeGreaterThan(0); // b did announce the VIP: the switch dropped it
    if (snooping) {
      // Registered from b's parent (its VMAC's own reports are dropped).
      expect(mdbPorts(l, 'ff02::12')).toContain(l.router('b').switchPort);
      expect(mdbPorts(l, 'ff02::1:ff00:100')).toContain(l.router('b').switchPort);
    }
    await l.stopDaemon('b', 'SIGTERM');
    expect(l.exec('b', ['ip', 'link', 'show', VMAC_IF]).status).not.toBe(0);
  });

  it('without VMAC the entry stays on a\'s MAC, and with b\'s NAs about the VIP dropped the VIP is unreachable', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    writeV6(l, []);
    await startElected(l, l.router('a').linkLocal);
    await failover(l);
    expect(l.hasAddress('b', VIP6)).toBe(true);
    expect(droppedNas(l)).toBeGreaterThan(0);
    expect(await pingsWithin(l, 3000)).toBe(false);
    expect(observerMac(l)).toBe(l.router('a').mac);
  });

  it('without the vmac_out chain, the backup\'s VMAC answers an NS for its copied link-local from the virtual MAC', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    writeV6(l, ['vmac: true']);
    await startElected(l, l.router('a').linkLocal);
    // The guard removed by hand (drift repair puts it back later): the kernel's own answer leaks.
    nft(l, l.router('b').ns, ['delete', 'chain', 'inet', 'lvs_ha', 'vmac_out']);
    const capture = await captureFromB(l);
    expect(l.exec('obs', ['ping', '-6', '-c1', '-W1', `${l.router('b').linkLocal}%eth0`]).status).toBe(0);
    await l.until('a frame from the virtual MAC', () => (capture.lines().length > 0 ? true : undefined), 3000);
    capture.proc.kill('SIGTERM');
    expect(capture.lines().join('\n')).toContain('neighbor advertisement');
  });

  it('Keepalived 2.2.7 master with use_vmac, lvs-ha backup with vmac: one virtual MAC before and after the failover', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    // Both list the same link-local VIP first (RFC 9568 §5.2.9; lvs-ha drops adverts whose first
    // address is not link-local, Keepalived those whose count differs): the VRID's EUI-64 one.
    const vll = 'fe80::200:5eff:fe00:233';
    const ka = new Keepalived(l, 'a', { priority: 200, advertInt: '0.1', vip: `${vll}/64\n    ${VIP6}/64`, instanceLines: ['use_vmac'] });
    ka.start();
    await ka.waitForState('MASTER');
    writePair(l, { b: { priority: 100 } }, { virtualAddresses: [`${vll}/64`, `${VIP6}/64`], extra: ['vmac: true'] });
    l.startDaemon('b');
    await l.waitForState('b', 'web', 'BACKUP');
    // Keepalived sends from its VMAC (vrrp.51) with a's link-local, copied there as lvs-ha does.
    await l.until('b hears a', async () => ((await l.instance('b', 'web')).master_address === l.router('a').linkLocal ? true : undefined));
    expect(l.exec('a', ['cat', '/sys/class/net/vrrp.51/address']).stdout.trim()).toBe(VMAC);
    expect(await pingsWithin(l, 3000)).toBe(true);
    expect(observerMac(l)).toBe(VMAC);
    dropNaFromB(l);
    await ka.stop();
    await l.waitForState('b', 'web', 'MASTER', 5000);
    expect(await pingsWithin(l, 3000)).toBe(true);
    expect(observerMac(l)).toBe(VMAC);
    expect(droppedNas(l)).toBeGreaterThan(0);
    expect((await l.instance('b', 'web')).counters).toMatchObject({ drops_total: 0 });
  });

  describe('strict MLD-snooping switch', () => {
    const SNMC = 'ff02::1:ff00:100'; // the VIP's solicited-node group

    it('the parents register ff02::12 and the VIP\'s solicited-node group: one master, the VIP resolves by NS, failover keeps the virtual MAC, and b sends nothing from it', async () => {
      lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
      const l = lab;
      await strictSwitch(l);
      writeV6(l, ['vmac: true']);
      const capture = await startWatched(l);
      // Joined on the parents, registered on the routers' ports (the VMACs' own reports are dropped).
      for (const who of ['a', 'b']) {
        expect(parentGroups(l, who)).toContain('ff02::12');
        expect(parentGroups(l, who)).toContain(SNMC);
      }
      const ports = [l.router('a').switchPort, l.router('b').switchPort].sort();
      await l.until('MDB holds both groups on both routers\' ports', () => (mdbPorts(l, 'ff02::12').join() === ports.join() && mdbPorts(l, SNMC).join() === ports.join() ? true : undefined), 5000);
      // Well past b's master-down interval: still one master, b still hearing a.
      await sleep(4000);
      expect((await l.instance('a', 'web')).state).toBe('MASTER');
      expect(await l.instance('b', 'web')).toMatchObject({ state: 'BACKUP', master_address: l.router('a').linkLocal });
      capture.proc.kill('SIGTERM');
      expect(capture.lines()).toEqual([]);
      // The observer resolves the VIP afresh: its NS reaches a through the registered group.
      l.exec('obs', ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
      expect(await pingsWithin(l, 3000)).toBe(true);
      expect(observerMac(l)).toBe(VMAC);

      await l.stopDaemon('a', 'SIGTERM');
      await l.waitForState('b', 'web', 'MASTER', 5000);
      expect(await pingsWithin(l, 3000)).toBe(true);
      expect(observerMac(l)).toBe(VMAC);
      // And afresh on b: its parent registered the group too.
      l.exec('obs', ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
      expect(await pingsWithin(l, 3000)).toBe(true);
      expect(observerMac(l)).toBe(VMAC);
      // A reload that replaces the VIP: its group is joined, the old one left, in place.
      writePair(l, { b: { priority: 100 } }, { virtualAddresses: ['fd77::200/64'], extra: ['vmac: true'] });
      l.daemon('b').process.kill('SIGHUP');
      await l.until('reload applied', async () => ((await l.status('b')).reload_count === 1 ? true : undefined));
      await l.until('group of the new VIP joined', () => (parentGroups(l, 'b').includes('ff02::1:ff00:200') ? true : undefined), 3000);
      expect(parentGroups(l, 'b')).not.toContain(SNMC);
      expect((await l.instance('b', 'web')).state).toBe('MASTER');
      await l.stopDaemon('b', 'SIGTERM');
      // The groups left with the VMAC (b's own link-local group stays).
      expect(parentGroups(l, 'b')).not.toContain('ff02::12');
      expect(parentGroups(l, 'b')).not.toContain('ff02::1:ff00:200');
    });

    it('with the routers\' MLD reports dropped at that switch, b hears no advert (two masters) and the observer cannot resolve the VIP', async () => {
      lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
      const l = lab;
      await strictSwitch(l);
      const ports = `{ ${l.router('a').switchPort}, ${l.router('b').switchPort} }`;
      nft(l, l.switchNs, ['add', 'table', 'bridge', PREFIX]);
      nft(l, l.switchNs, ['add', 'chain', 'bridge', PREFIX, 'mld', '{ type filter hook prerouting priority -200; }']);
      nft(l, l.switchNs, ['add', 'rule', 'bridge', PREFIX, 'mld', 'iifname', ports, 'icmpv6', 'type', '{ mld-listener-report, mld2-listener-report }', 'counter', 'drop']);
      writeV6(l, ['vmac: true']);
      l.startDaemon('a');
      await l.waitForState('a', 'web', 'MASTER');
      l.startDaemon('b');
      await l.waitForState('b', 'web', 'MASTER', 8000);
      expect((await l.instance('a', 'web')).state).toBe('MASTER');
      expect(parentGroups(l, 'b')).toContain('ff02::12'); // joined, but the switch never heard it
      expect(mdbPorts(l, 'ff02::12')).toEqual([]);
      expect(mdbPorts(l, SNMC)).toEqual([]);
      const out = l.netns.exec(l.switchNs, ['nft', 'list', 'chain', 'bridge', PREFIX, 'mld']).stdout;
      expect(Number(/counter packets (\d+)/.exec(out)?.[1] ?? '0')).toBeGreaterThan(0);
      l.exec('obs', ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
      expect(await pingsWithin(l, 3000)).toBe(false);
    });
  });
});
