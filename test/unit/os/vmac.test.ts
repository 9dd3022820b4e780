import { describe, expect, it } from 'vitest';
import { addrGenModeNone, linkKind, macvlanLinkinfo, virtualMac, type GroupMembership, type VmacManager, type VmacSpec } from '../../../src/os/vmac.js';
import { VmacHost, vmacParentGroups } from '../../../src/vrrp/vmac-host.js';
import { Writable } from 'node:stream';
import { createRootLogger, silentLogger } from '../../../src/core/log.js';
import { solicitedNodeGroup } from '../../../src/core/ip.js';
import { setupFor } from '../../../src/vrrp/instance-setup.js';
import { configWith, instanceConfig } from '../vrrp/runner-fakes.js';

describe('VMAC', () => {
  it('derives the RFC virtual MAC per family and VRID', () => {
    expect(virtualMac('ipv4', 51)).toBe('00:00:5e:00:01:33');
    expect(virtualMac('ipv4', 1)).toBe('00:00:5e:00:01:01');
    expect(virtualMac('ipv6', 255)).toBe('00:00:5e:00:02:ff');
  });

  it('encodes IFLA_LINKINFO for a private macvlan as the kernel lays it out, and reads the kind back', () => {
    const info = macvlanLinkinfo();
    // kind: len 12 (4 + "macvlan\0"), type 1; data: nested (0x8002), len 12, holding mode (type 1) = 1 (private)
    expect(info.toString('hex')).toBe('0c0001006d6163766c616e00' + '0c000280' + '08000100' + '01000000');
    expect(linkKind(info)).toBe('macvlan');
    expect(linkKind(undefined)).toBeUndefined();
    expect(linkKind(Buffer.from([2, 0, 1, 0]))).toBeUndefined();
  });

  it('puts the VIPs and the announcements on the VMAC, with its MAC as the sender', () => {
    const instance = instanceConfig({ vmac: { interface: 'vrrp.51', xmitBase: false } });
    const bound = { ifname: 'eth0', ifindex: 2, sourceAddress: '10.0.0.1', mac: new Uint8Array([2, 0, 0, 0, 0, 1]) };
    const vmac = new Uint8Array([0, 0, 0x5e, 0, 1, 0x33]);
    const setup = setupFor(configWith([instance]), instance, bound, { ifindex: 9, mac: vmac });
    expect(setup.ifindex).toBe(9);
    expect(setup.primaryAddress).toBe('10.0.0.1');
    const frame = setup.announceFrames[0];
    expect(frame?.subarray(6, 12)).toEqual(Buffer.from(vmac)); // Ethernet source
    expect(setupFor(configWith([instance]), instance, bound).ifindex).toBe(2);
  });

  it('IFLA_AF_SPEC for IPv6 VMACs: AF_INET6 holding IFLA_INET6_ADDR_GEN_MODE = none, as `ip link set X addrgenmode none` sends', () => {
    const spec = addrGenModeNone();
    expect([...spec.keys()]).toEqual([10]); // AF_INET6
    // len 5 (4 + one byte), type 8 (IFLA_INET6_ADDR_GEN_MODE), value 1 (IN6_ADDR_GEN_MODE_NONE), padded to 8
    expect(spec.get(10)?.toString('hex')).toBe('05000800' + '01000000');
  });

  it('the host asks for the family\'s MAC, the parent\'s link-local on an IPv6 VMAC unless xmit_base, and restores the parent after the last VMAC', async () => {
    const specs: VmacSpec[] = [];
    const restored: Record<string, string>[] = [];
    const manager: VmacManager = {
      reconcile: (spec) => {
        specs.push(spec);
        const parentBefore = spec.family === 'ipv4' ? { arp_ignore: specs.length > 2 ? '1' : '0', arp_filter: '0', arp_announce: '0' } : {};
        return Promise.resolve({ ifindex: 10 + specs.length, created: true, allRpFilter: false, parentBefore });
      },
      remove: () => Promise.resolve(),
      restoreParent: (_p, before) => { restored.push({ ...before }); return Promise.resolve(); },
      parentGroups: () => fakeMembership([]),
      close: () => undefined,
    };
    const host = new VmacHost(() => manager, silentLogger());
    const parent = { ifindex: 2, sourceAddress: 'fe80::1' };
    const v6 = instanceConfig({ name: 'v6', family: 'ipv6', vrid: 51, vmac: { interface: 'vrrp6.51', xmitBase: false } });
    const v6base = instanceConfig({ name: 'v6b', family: 'ipv6', vrid: 52, vmac: { interface: 'vrrp6.52', xmitBase: true } });
    const v4 = instanceConfig({ name: 'v4', vrid: 53, vmac: { interface: 'vrrp.53', xmitBase: false } });
    const link = await host.ensure(v6, parent);
    expect(Buffer.from(link.mac).toString('hex')).toBe('00005e000233');
    await host.ensure(v6base, parent);
    await host.ensure(v4, { ifindex: 2, sourceAddress: '10.0.0.1' });
    expect(specs).toEqual([
      { name: 'vrrp6.51', parentIfindex: 2, mac: '00:00:5e:00:02:33', family: 'ipv6', linkLocal: 'fe80::1' },
      { name: 'vrrp6.52', parentIfindex: 2, mac: '00:00:5e:00:02:34', family: 'ipv6', linkLocal: undefined },
      { name: 'vrrp.53', parentIfindex: 2, mac: '00:00:5e:00:01:35', family: 'ipv4', linkLocal: undefined },
    ]);
    await host.release('v4');
    await host.release('v6');
    expect(restored).toEqual([]);
    await host.release('v6b');
    // The IPv4 VMAC came after the IPv6 ones on that parent: its values as found are restored.
    expect(restored).toEqual([{ arp_ignore: '1', arp_filter: '0', arp_announce: '0' }]);
  });

  it('solicited-node groups (RFC 4291 §2.7.1): ff02::1:ff and the low 24 bits', () => {
    expect(solicitedNodeGroup('fd77::100')).toBe('ff02::1:ff00:100');
    expect(solicitedNodeGroup('2001:db8::abcd:ef12:3456')).toBe('ff02::1:ff12:3456');
    expect(solicitedNodeGroup('fe80::200:5eff:fe00:233')).toBe('ff02::1:ff00:233');
    expect(solicitedNodeGroup('10.0.0.1')).toBeNull();
  });

  it('the groups an IPv6 VMAC needs on its parent: ff02::12 unless unicast or xmit_base, and each VIP\'s solicited-node group once', () => {
    // The first two share a solicited-node group (same low 24 bits).
    const vips = ['fd77::100', 'fd77::5:0:100', 'fe80::5'].map((text) => ({ family: 'ipv6' as const, text, prefixLength: 64 }));
    const v6 = instanceConfig({ family: 'ipv6', vmac: { interface: 'vrrp6.51', xmitBase: false }, virtualAddresses: vips });
    expect(vmacParentGroups(v6)).toEqual(['ff02::12', 'ff02::1:ff00:100', 'ff02::1:ff00:5']);
    expect(vmacParentGroups({ ...v6, vmac: { interface: 'vrrp6.51', xmitBase: true } })).toEqual(['ff02::1:ff00:100', 'ff02::1:ff00:5']);
    expect(vmacParentGroups({ ...v6, unicastPeers: [{ family: 'ipv6', text: 'fe80::2' }] })).toEqual(['ff02::1:ff00:100', 'ff02::1:ff00:5']);
    // virtual_addresses_excluded live on the VMAC too: their NSs must reach it as well.
    expect(vmacParentGroups({ ...v6, excludedAddresses: [{ family: 'ipv6', text: 'fd77::7:0:abcd', prefixLength: 64 }] })).toEqual(['ff02::12', 'ff02::1:ff00:100', 'ff02::1:ff00:5', 'ff02::1:ff00:abcd']);
    expect(vmacParentGroups({ ...v6, vmac: null })).toEqual([]);
    expect(vmacParentGroups(instanceConfig({ vmac: { interface: 'vrrp.51', xmitBase: false } }))).toEqual([]); // IPv4
  });

  it('the host joins the groups on the parent with the VMAC, adjusts them on a reload, logs a failed join and runs on, and leaves them with the VMAC', async () => {
    const opened: { ifindex: number; m: ReturnType<typeof fakeMembership> }[] = [];
    const manager: VmacManager = {
      reconcile: () => Promise.resolve({ ifindex: 11, created: true, allRpFilter: false, parentBefore: {} }),
      remove: () => Promise.resolve(),
      restoreParent: () => Promise.resolve(),
      parentGroups: (ifindex) => {
        const m = fakeMembership(['ff02::1:ff00:bad']);
        opened.push({ ifindex, m });
        return m;
      },
      close: () => undefined,
    };
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const logLines = (): Record<string, unknown>[] => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const host = new VmacHost(() => manager, createRootLogger({ level: 'info', destination }));
    const vip = (text: string): { family: 'ipv6'; text: string; prefixLength: number } => ({ family: 'ipv6', text, prefixLength: 64 });
    const v6 = instanceConfig({ name: 'v6', family: 'ipv6', vrid: 51, vmac: { interface: 'vrrp6.51', xmitBase: false }, virtualAddresses: [vip('fd77::100')] });
    await host.ensure(v6, { ifindex: 2, sourceAddress: 'fe80::1' });
    expect(opened.map((o) => o.ifindex)).toEqual([2]);
    expect(opened[0]?.m.joined).toEqual(['ff02::12', 'ff02::1:ff00:100']);
    // Reload: one VIP replaced, one added whose join fails (logged with the reason).
    host.update({ ...v6, virtualAddresses: [vip('fd77::200'), vip('fd77::bad')] });
    expect(opened).toHaveLength(1);
    expect(opened[0]?.m.joined).toEqual(['ff02::12', 'ff02::1:ff00:200']);
    expect(logLines().find((l) => String(l.msg).startsWith('cannot join'))).toMatchObject({ group: 'ff02::1:ff00:bad', err: 'setsockopt: No such device', interface: 'eth0' });
    await host.release('v6');
    expect(opened[0]?.m.closed).toBe(true);
    host.update(v6); // no VMAC any more: nothing opened
    expect(opened).toHaveLength(1);
    // An IPv4 VMAC needs no group: no socket.
    await host.ensure(instanceConfig({ name: 'v4', vmac: { interface: 'vrrp.51', xmitBase: false } }), { ifindex: 2, sourceAddress: '10.0.0.1' });
    expect(opened).toHaveLength(1);
  });
});

/** In-memory memberships: joins of the groups in `failing` fail as the kernel would refuse them. */
function fakeMembership(failing: readonly string[]): GroupMembership & { closed: boolean } {
  const joined = new Set<string>();
  return {
    closed: false,
    set(groups) {
      for (const g of [...joined]) if (!groups.includes(g)) joined.delete(g);
      const failures = [];
      for (const g of groups) {
        if (failing.includes(g)) failures.push({ group: g, action: 'join' as const, err: 'setsockopt: No such device' });
        else joined.add(g);
      }
      return failures;
    },
    get joined() {
      return [...joined].sort();
    },
    close() {
      this.closed = true;
    },
  };
}
