/**
 * IPv6 VMAC (RFC 9568 §7.3: 00:00:5e:00:02:VRID; Keepalived's use_vmac on an IPv6 instance): the
 * VIP lives on a macvlan with the virtual MAC, so an observer's neighbour entry for the IPv6 VIP
 * keeps that MAC across a failover and the VIP answers from the new master although every NA
 * from b about the VIP is dropped at the switch. Without VMAC, under the same drop, the entry
 * stays on a's MAC and the VIP is unreachable. While BACKUP, b's VMAC sends no frame with the
 * virtual MAC as source (no MLD report, router solicitation or NA for its copied link-local:
 * nftables chain vmac_out), and without that chain it does. The VMAC is removed on stop. And
 * with Keepalived 2.2.7 (use_vmac) as the master, lvs-ha's VMAC takes over the same virtual MAC.
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

describe('IPv6 VMAC', () => {
  it.each([
    ['adverts on the VMAC', 'vmac: true', false],
    ['adverts on the parent (xmit_base)', 'vmac: { xmit_base: true }', false],
    // The VMAC's MLD reports are dropped, so ff02::12 and the VIP's solicited-node group stay
    // unregistered on the switch: a Linux bridge floods those even with snooping and a querier.
    ['adverts on the VMAC, MLD-snooping bridge with a querier', 'vmac: true', true],
  ])('with VMAC (%s) the observer keeps the virtual MAC and reaches the IPv6 VIP on b with every NA from b about it dropped', async (what, vmac, snooping) => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    if (snooping) l.netns.ip(l.switchNs, ['link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_querier', '1', 'mcast_query_interval', '200', 'mcast_startup_query_interval', '200']);
    writeV6(l, [vmac]);
    const xmitBase = what.includes('xmit_base');
    l.startDaemon('a');
    await l.waitForState('a', 'web', 'MASTER');
    // b's VMAC is watched from before it exists: its first MLD reports come with its creation.
    const capture = await captureFromB(l);
    l.startDaemon('b');
    await l.waitForState('b', 'web', 'BACKUP');
    await l.until('b hears a', async () => ((await l.instance('b', 'web')).master_address === l.router('a').linkLocal ? true : undefined));

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
      const mdb = l.netns.exec(l.switchNs, ['bridge', 'mdb', 'show']).stdout;
      expect(mdb).not.toContain('ff02::12'); // nothing registered it: flooded
      expect(mdb).not.toContain('ff02::1:ff00:100');
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
});
