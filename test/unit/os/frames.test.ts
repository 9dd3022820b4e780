import { describe, expect, it } from 'vitest';
import { buildGratuitousArp, buildUnsolicitedNa, internetChecksum } from '../../../src/os/frames.js';
import { ipv4ToBytes, ipv6ToBytes, macToBytes, virtualMac } from '../../../src/os/inet.js';

const must = <T>(v: T | undefined): T => {
  if (v === undefined) throw new Error('bad constant');
  return v;
};
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MAC = must(macToBytes('02:00:5e:10:00:0a'));

describe('gratuitous ARP frame', () => {
  it('is an Ethernet broadcast ARP request with sender IP = target IP = VIP', () => {
    const frame = buildGratuitousArp({ sourceMac: MAC, address: must(ipv4ToBytes('192.0.2.100')) });
    const expected = hex(`
      ffffffffffff 02005e10000a 0806
      0001 0800 06 04 0001
      02005e10000a c0000264
      ffffffffffff c0000264`);
    expect(frame).toEqual(expected);
  });

  it('is byte for byte the gratuitous ARP keepalived 2.2.7 sends (captured with tcpdump -xx)', () => {
    // keepalived 2.2.7, VRID 51, VIP 192.0.2.100/24 on an interface with MAC 02:00:5e:10:00:0a, no use_vmac.
    const captured = hex(`
      ffff ffff ffff 0200 5e10 000a 0806 0001
      0800 0604 0001 0200 5e10 000a c000 0264
      ffff ffff ffff c000 0264`);
    expect(buildGratuitousArp({ sourceMac: MAC, address: must(ipv4ToBytes('192.0.2.100')) })).toEqual(captured);
  });

  it('uses the VMAC as Ethernet source and sender hardware address when given', () => {
    const frame = buildGratuitousArp({ sourceMac: virtualMac(51, 4), address: must(ipv4ToBytes('10.0.0.1')) });
    expect(frame.subarray(6, 12)).toEqual(hex('00005e000133'));
    expect(frame.subarray(22, 28)).toEqual(hex('00005e000133'));
    expect(frame.subarray(28, 32)).toEqual(hex('0a000001'));
    expect(frame.subarray(38, 42)).toEqual(hex('0a000001'));
  });

  it('can be a reply with a chosen target hardware address', () => {
    const frame = buildGratuitousArp({
      sourceMac: MAC,
      address: must(ipv4ToBytes('10.0.0.1')),
      operation: 'reply',
      targetMac: hex('000000000000'),
    });
    expect(frame.readUInt16BE(20)).toBe(2);
    expect(frame.subarray(32, 38)).toEqual(hex('000000000000'));
  });
});

describe('unsolicited neighbour advertisement frame', () => {
  it('is ICMPv6 136 to ff02::1 with hop limit 255, R=1 S=0 O=1, TLLA and a correct checksum', () => {
    const frame = buildUnsolicitedNa({
      sourceMac: MAC,
      sourceAddress: must(ipv6ToBytes('fe80::a')),
      target: must(ipv6ToBytes('2001:db8::100')),
    });
    const expected = hex(`
      333300000001 02005e10000a 86dd
      60000000 0020 3a ff
      fe80000000000000000000000000000a
      ff020000000000000000000000000001
      88 00 4941 a0000000
      20010db8000000000000000000000100
      02 01 02005e10000a`);
    expect(frame).toEqual(expected);
  });

  it('puts the VMAC in the TLLA option and clears R when asked', () => {
    const frame = buildUnsolicitedNa({
      sourceMac: MAC,
      sourceAddress: must(ipv6ToBytes('fe80::a')),
      target: must(ipv6ToBytes('2001:db8::100')),
      targetLinkLayer: virtualMac(51, 6),
      router: false,
    });
    expect(frame.subarray(6, 12)).toEqual(MAC);
    expect(frame[58]).toBe(0x20);
    expect(frame.subarray(80, 86)).toEqual(hex('00005e000233'));
    expect(frame.readUInt16BE(56)).toBe(0xc928);
  });

  it('verifies: the checksum over pseudo-header and message folds to zero', () => {
    const frame = buildUnsolicitedNa({
      sourceMac: MAC,
      sourceAddress: must(ipv6ToBytes('fe80::1')),
      target: must(ipv6ToBytes('2001:db8::1')),
    });
    const icmp = frame.subarray(54);
    const pseudo = Buffer.concat([frame.subarray(22, 54), hex('00000020 000000 3a')]);
    expect(internetChecksum(pseudo, icmp)).toBe(0);
    const corrupted = Buffer.from(icmp);
    corrupted[10] = (corrupted[10] ?? 0) ^ 1;
    expect(internetChecksum(pseudo, corrupted)).not.toBe(0);
  });
});

describe('unsolicited NA as keepalived 2.2.7 sends it', () => {
  it('matches the captured frame when built with its choices (VIP as source, R=0)', () => {
    // Captured from keepalived 2.2.7: VRID 52, VIP 2001:db8::100/64, interface MAC 02:00:5e:10:00:0a.
    const captured = hex(`
      3333 0000 0001 0200 5e10 000a 86dd 6000
      0000 0020 3aff 2001 0db8 0000 0000 0000
      0000 0000 0100 ff02 0000 0000 0000 0000
      0000 0000 0001 8800 9913 2000 0000 2001
      0db8 0000 0000 0000 0000 0000 0100 0201
      0200 5e10 000a`);
    const vip = must(ipv6ToBytes('2001:db8::100'));
    expect(buildUnsolicitedNa({ sourceMac: MAC, sourceAddress: vip, target: vip, router: false })).toEqual(captured);
  });
});

describe('internetChecksum', () => {
  it('matches the RFC 1071 example and pads odd lengths with zero', () => {
    // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d.
    expect(internetChecksum(hex('0001f203f4f5f6f7'))).toBe(0x220d);
    expect(internetChecksum(hex('01'))).toBe(0xfeff);
    expect(internetChecksum(hex('00'), hex('01'))).toBe(internetChecksum(hex('0001')));
  });
});
