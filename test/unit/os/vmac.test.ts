import { describe, expect, it } from 'vitest';
import { linkKind, macvlanLinkinfo, virtualMac } from '../../../src/os/vmac.js';
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
});
