/**
 * VMAC (RFC 9568 §7.3, Keepalived's use_vmac): the VIP lives on a macvlan with the virtual MAC
 * 00:00:5e:00:01:VRID, so an observer's neighbour entry for the VIP keeps that MAC across a
 * failover and traffic resumes with no ARP for the VIP from the new master at all: here every
 * ARP frame from b about the VIP is dropped on the switch. Without VMAC, the same failover leaves the observer's entry on a's
 * MAC, and with b's ARP for the VIP dropped the VIP stays unreachable. The VMAC is removed on stop and the
 * parent's ARP sysctls restored.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, startElected, VIP, writePair } from './pair.js';

const PREFIX = 'lvp';
const VMAC = '00:00:5e:00:01:33'; // VRID 51

let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

function observerMac(l: VrrpLab): string | null {
  const out = l.netns.ip(l.router('obs').ns, ['-j', 'neigh', 'show', VIP, 'dev', 'eth0']);
  const entries = JSON.parse(out || '[]') as { lladdr?: string }[];
  return entries[0]?.lladdr ?? null;
}

/** Drop every ARP frame b sends for the VIP (announcements and replies), at the switch. */
function dropArpFromB(l: VrrpLab): void {
  const port = l.router('b').switchPort;
  const nft = (args: string[]): void => {
    const r = l.netns.exec(l.switchNs, ['nft', ...args]);
    expect(r.status, r.stderr).toBe(0);
  };
  nft(['add', 'table', 'bridge', 'lvp']);
  nft(['add', 'chain', 'bridge', 'lvp', 'filt', '{ type filter hook forward priority 0; }']);
  nft(['add', 'rule', 'bridge', 'lvp', 'filt', 'iifname', port, 'arp', 'saddr', 'ip', VIP, 'drop']);
}

async function failover(l: VrrpLab): Promise<void> {
  if ((await l.instance('a', 'web').catch(() => null))?.state !== 'MASTER') await startElected(l, l.router('a').ipv4);
  expect(l.exec('obs', ['ping', '-c1', '-W1', VIP]).status).toBe(0);
  dropArpFromB(l);
  await l.stopDaemon('a', 'SIGTERM');
  await l.waitForState('b', 'web', 'MASTER', 5000);
}

async function pingsWithin(l: VrrpLab, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (l.exec('obs', ['ping', '-c1', '-W1', VIP]).status === 0) return true;
    await sleep(100);
  }
  return false;
}

describe('VMAC', () => {
  it.each([
    ['adverts on the VMAC', 'vmac: true'],
    ['adverts on the parent (xmit_base)', 'vmac: { xmit_base: true }'],
  ])('with VMAC (%s) the observer keeps the virtual MAC and reaches the VIP on b with no ARP from b', async (_what, vmac) => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    writePair(l, { a: { priority: 150 }, b: { priority: 100 } }, { extra: [vmac] });
    const parentArp = (): string => l.exec('a', ['cat', ...['arp_ignore', 'arp_filter', 'arp_announce'].map((k) => `/proc/sys/net/ipv4/conf/eth0/${k}`)]).stdout.split('\n').join(' ').trim();
    expect(parentArp()).toBe('0 0 0');
    await startElected(l, l.router('a').ipv4);
    expect(parentArp()).toBe('1 1 2');
    expect(l.exec('a', ['cat', '/sys/class/net/vrrp.51/address']).stdout.trim()).toBe(VMAC);
    expect(l.exec('a', ['ip', '-6', 'addr', 'show', 'dev', 'vrrp.51']).stdout.trim()).toBe('');
    await failover(l);
    // a's VMAC went with a, and a's parent sysctls are back.
    expect(l.exec('a', ['ip', 'link', 'show', 'vrrp.51']).status).not.toBe(0);
    expect(parentArp()).toBe('0 0 0');
    expect(l.exec('b', ['cat', '/sys/class/net/vrrp.51/address']).stdout.trim()).toBe(VMAC);
    expect(await pingsWithin(l, 3000)).toBe(true);
    expect(observerMac(l)).toBe(VMAC);
    expect(l.addresses('b').length).toBeGreaterThan(0);
  });

  it('without VMAC the MAC changes, and with no ARP from b the VIP stays unreachable', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    writePair(l, { a: { priority: 150 }, b: { priority: 100 } });
    await failover(l);
    expect(observerMac(l)).toBe(l.router('a').mac);
    expect(await pingsWithin(l, 3000)).toBe(false);
  });

  it('a VMAC left by a crash is taken over on restart; an interface of that name that is no macvlan is refused, never deleted', async () => {
    lab = await VrrpLab.create(PREFIX, ['a']);
    const l = lab;
    writePair(l, { a: { priority: 150 } }, { extra: ['vmac: true'] });
    l.startDaemon('a');
    await l.waitForState('a', 'web', 'MASTER');
    const ifindex = l.exec('a', ['cat', '/sys/class/net/vrrp.51/ifindex']).stdout.trim();
    await l.stopDaemon('a', 'SIGKILL');
    expect(l.exec('a', ['cat', '/sys/class/net/vrrp.51/ifindex']).stdout.trim()).toBe(ifindex); // left behind
    l.startDaemon('a');
    await l.waitForState('a', 'web', 'MASTER');
    expect(l.exec('a', ['cat', '/sys/class/net/vrrp.51/ifindex']).stdout.trim()).toBe(ifindex);
    expect(l.logLines('a').some((line) => line.msg === 'VMAC taken over from a previous run')).toBe(true);
    await l.stopDaemon('a', 'SIGTERM');
    expect(l.exec('a', ['ip', 'link', 'show', 'vrrp.51']).status).not.toBe(0);

    // Someone else's interface under that name: refused with the reason, left alone.
    l.netns.ip(l.router('a').ns, ['link', 'add', 'vrrp.51', 'type', 'veth', 'peer', 'name', 'other0']);
    l.startDaemon('a');
    const inst = await l.until('start refused', async () => {
      const i = await l.instance('a', 'web').catch(() => null);
      return typeof i?.error === 'string' ? i : undefined;
    });
    expect(inst).toMatchObject({ state: 'FAULT' });
    expect(String(inst.error)).toContain('interface vrrp.51 exists and is not a macvlan on eth0');
    expect(l.exec('a', ['ip', 'link', 'show', 'vrrp.51']).status).toBe(0);
  });
});
