import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { buildAnnouncementFrames, initialBurstOffsetsMs, startAnnouncement, type FrameSender } from '../../../src/os/announce.js';

function recorder(clock: FakeClock, failOn?: number): { sender: FrameSender; sent: { at: number; frame: string }[] } {
  const sent: { at: number; frame: string }[] = [];
  return {
    sent,
    sender: {
      send(ifindex, frame) {
        expect(ifindex).toBe(7);
        if (failOn !== undefined && sent.length === failOn) {
          sent.push({ at: clock.nowMs(), frame: 'FAILED' });
          throw new Error('ENETDOWN');
        }
        sent.push({ at: clock.nowMs(), frame: frame.toString() });
      },
    },
  };
}

const frames = [Buffer.from('a'), Buffer.from('b')];

describe('announcement schedule', () => {
  it('offsets are 0, interval, 2 x interval ... and at least one burst', () => {
    expect(initialBurstOffsetsMs(3, 1000)).toEqual([0, 1000, 2000]);
    expect(initialBurstOffsetsMs(0, 1000)).toEqual([0]);
  });

  it('sends every frame at once, then repeat-1 more bursts at the interval, then stops', () => {
    const clock = new FakeClock(100);
    const { sender, sent } = recorder(clock);
    const a = startAnnouncement(clock, { ifindex: 7, frames, repeat: 3, intervalMs: 500, refreshMs: 0 }, sender, () => undefined);
    expect(sent).toEqual([{ at: 100, frame: 'a' }, { at: 100, frame: 'b' }]);
    clock.advance(499);
    expect(sent).toHaveLength(2);
    clock.advance(1);
    expect(sent.slice(2)).toEqual([{ at: 600, frame: 'a' }, { at: 600, frame: 'b' }]);
    clock.advance(10_000);
    expect(sent.map((s) => s.at)).toEqual([100, 100, 600, 600, 1100, 1100]);
    expect(a.bursts()).toBe(3);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refreshes periodically after the initial bursts until cancelled', () => {
    const clock = new FakeClock(0);
    const { sender, sent } = recorder(clock);
    const a = startAnnouncement(clock, { ifindex: 7, frames: [Buffer.from('x')], repeat: 2, intervalMs: 100, refreshMs: 1000 }, sender, () => undefined);
    clock.advance(2150);
    expect(sent.map((s) => s.at)).toEqual([0, 100, 1100, 2100]);
    a.cancel();
    clock.advance(5000);
    expect(sent).toHaveLength(4);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('cancel stops pending bursts at once and is idempotent', () => {
    const clock = new FakeClock(0);
    const { sender, sent } = recorder(clock);
    const a = startAnnouncement(clock, { ifindex: 7, frames, repeat: 5, intervalMs: 100, refreshMs: 0 }, sender, () => undefined);
    clock.advance(100);
    a.cancel();
    a.cancel();
    clock.advance(1000);
    expect(a.bursts()).toBe(2);
    expect(sent).toHaveLength(4);
  });

  it('a send error is reported and neither stops the burst nor the schedule', () => {
    const clock = new FakeClock(0);
    const { sender, sent } = recorder(clock, 0);
    const errors: unknown[] = [];
    startAnnouncement(clock, { ifindex: 7, frames, repeat: 2, intervalMs: 100, refreshMs: 0 }, sender, (e) => errors.push(e));
    clock.advance(100);
    expect(errors).toHaveLength(1);
    expect(sent.map((s) => s.frame)).toEqual(['FAILED', 'b', 'a', 'b']);
  });
});

describe('buildAnnouncementFrames', () => {
  const mac = Buffer.from([2, 0, 0x5e, 0x10, 0, 0x0a]);
  it('one gratuitous ARP per IPv4 VIP from the interface MAC, or from the VMAC when asked', () => {
    const spec = { family: 4 as const, vrid: 51, addresses: ['192.0.2.100', '192.0.2.101', 'fe80::1'], interfaceMac: mac, useVirtualMac: false };
    const plain = buildAnnouncementFrames(spec);
    expect(plain).toHaveLength(2);
    expect(plain.map((f) => f.readUInt16BE(12))).toEqual([0x0806, 0x0806]);
    expect(plain[1]?.subarray(28, 32)).toEqual(Buffer.from([192, 0, 2, 101]));
    expect(plain[0]?.subarray(6, 12)).toEqual(mac);
    const vmac = buildAnnouncementFrames({ ...spec, useVirtualMac: true });
    expect(vmac[0]?.subarray(6, 12)).toEqual(Buffer.from([0, 0, 0x5e, 0, 1, 51]));
  });

  it('one NA per IPv6 VIP, source as given (else the VIP), R flag default on', () => {
    const ll = Buffer.from('fe80000000000000000000000000000a', 'hex');
    const frames = buildAnnouncementFrames({ family: 6, vrid: 52, addresses: ['2001:db8::100'], interfaceMac: mac, useVirtualMac: true, ipv6Source: ll });
    expect(frames).toHaveLength(1);
    expect(frames[0]?.subarray(6, 12)).toEqual(Buffer.from([0, 0, 0x5e, 0, 2, 52]));
    expect(frames[0]?.subarray(22, 38)).toEqual(ll);
    expect(frames[0]?.[58]).toBe(0xa0);
    const noSource = buildAnnouncementFrames({ family: 6, vrid: 52, addresses: ['2001:db8::100'], interfaceMac: mac, useVirtualMac: false, ipv6RouterFlag: false });
    expect(noSource[0]?.subarray(22, 38).toString('hex')).toBe('20010db8000000000000000000000100');
    expect(noSource[0]?.[58]).toBe(0x20);
  });
});
