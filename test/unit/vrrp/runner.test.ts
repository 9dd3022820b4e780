import { describe, expect, it } from 'vitest';
import { decodeAdvert } from '../../../src/vrrp/packet.js';
import { flush, packetFrom, SELF, setupRunner } from './runner-fakes.js';

describe('InstanceRunner', () => {
  it('startup -> BACKUP, then master-down -> MASTER: advert to the group (rfc5798), VIP added, then announced', async () => {
    const t = setupRunner();
    t.runner.apply({ type: 'Startup' });
    expect(t.runner.state.name).toBe('BACKUP');
    expect(t.transport.sent).toHaveLength(0);
    t.clock.advance(400); // 3 x 100 + skew(150) = 341.4 ms
    expect(t.runner.state.name).toBe('MASTER');
    expect(t.transport.sent[0]?.dest).toBe('224.0.0.18');
    const decoded = decodeAdvert(t.transport.sent[0]?.payload ?? Buffer.alloc(0), { family: 'ipv4', src: SELF, dst: '224.0.0.18', hopLimit: 255 });
    expect(decoded.ok && decoded.value.checksum).toBe('rfc5798');
    expect(decoded.ok && decoded.value.advert.priority).toBe(150);
    await flush();
    expect([...t.addresses.present]).toEqual(['10.0.0.100']);
    expect(t.frames.sent.length).toBe(1);
    t.clock.advance(10);
    expect(t.frames.sent.length).toBe(2); // repeat 2, 10 ms apart
    t.clock.advance(100);
    expect(t.frames.sent.length).toBe(2);
    expect(t.notices.map((n) => `${n.record.from}>${n.record.to}:${n.record.reason}`)).toEqual(['INIT>BACKUP:startup', 'BACKUP>MASTER:master_down_timer']);
    expect(t.runner.counters.transitions).toBe(2);
  });

  it('startup as BACKUP removes VIPs left by an earlier run', async () => {
    const t = setupRunner();
    t.addresses.present.add('10.0.0.100');
    t.runner.apply({ type: 'Startup' });
    await flush();
    expect(t.runner.state.name).toBe('BACKUP');
    expect(t.addresses.present.size).toBe(0);
  });

  it('sends one advert per adver interval while MASTER (one host timer per kind)', async () => {
    const t = setupRunner();
    t.runner.apply({ type: 'Startup' });
    t.clock.advance(400);
    const after = t.transport.sent.length;
    t.clock.advance(1000);
    expect(t.transport.sent.length - after).toBe(10);
    await flush();
    expect(t.runner.counters.advertsSent).toBe(t.transport.sent.length);
  });

  it('unicast: one advert per peer, checksummed for that peer', () => {
    const t = setupRunner({ unicastPeers: [{ text: '10.0.0.2', family: 'ipv4' }, { text: '10.0.0.3', family: 'ipv4' }] });
    t.runner.apply({ type: 'Startup' });
    t.clock.advance(400);
    expect(t.transport.sent.map((s) => s.dest)).toEqual(['10.0.0.2', '10.0.0.3']);
    const second = t.transport.sent[1];
    const ok = decodeAdvert(second?.payload ?? Buffer.alloc(0), { family: 'ipv4', src: SELF, dst: '10.0.0.3', hopLimit: 255 });
    expect(ok.ok).toBe(true);
  });

  it('unicast: adverts from a host that is not a configured peer are dropped as unknown_peer', () => {
    const t = setupRunner({ unicastPeers: [{ text: '10.0.0.2', family: 'ipv4' }] });
    t.runner.apply({ type: 'Startup' });
    t.clock.advance(400);
    t.transport.deliver(packetFrom('10.0.0.9', 200));
    expect(t.runner.state.name).toBe('MASTER');
    expect(Object.fromEntries(t.runner.counters.drops)).toEqual({ unknown_peer: 1 });
    t.transport.deliver(packetFrom('10.0.0.2', 200));
    expect(t.runner.state.name).toBe('BACKUP');
  });

  it('receive: a higher-priority advert is obeyed; a bad TTL or unknown VRID is dropped and counted, not obeyed', async () => {
    const t = setupRunner();
    t.runner.apply({ type: 'Startup' });
    t.clock.advance(400);
    expect(t.runner.state.name).toBe('MASTER');
    t.transport.deliver(packetFrom('10.0.0.9', 200, 64));
    t.transport.deliver(packetFrom('10.0.0.9', 200, 255, 99));
    expect(t.runner.state.name).toBe('MASTER');
    expect(Object.fromEntries(t.runner.counters.drops)).toEqual({ ttl: 1, vrid_unknown: 1 });
    t.transport.deliver(packetFrom('10.0.0.9', 200));
    expect(t.runner.state.name).toBe('BACKUP');
    expect(t.runner.counters.advertsReceived).toBe(1);
    expect(t.runner.counters.checksumSeen.get('rfc5798')).toBe(1);
    await flush();
    expect(t.addresses.present.size).toBe(0);
  });

  it('a VIP removed by someone else is put back while MASTER, not while BACKUP', async () => {
    const t = setupRunner();
    t.runner.apply({ type: 'Startup' });
    t.addresses.externalRemove('10.0.0.100');
    await flush();
    expect(t.addresses.present.size).toBe(0);
    t.clock.advance(400);
    await flush();
    expect(t.addresses.present.has('10.0.0.100')).toBe(true);
    t.addresses.externalRemove('10.0.0.100');
    await flush();
    expect(t.addresses.present.has('10.0.0.100')).toBe(true);
    expect(t.runner.counters.vipsRestored).toBe(1);
  });

  it('a MASTER hearing a lower-priority master answers and announces again (split brain heal), rate-limited', async () => {
    const t = setupRunner();
    t.runner.apply({ type: 'Startup' });
    t.clock.advance(400);
    await flush();
    t.clock.advance(50);
    const frames = t.frames.sent.length;
    const sent = t.transport.sent.length;
    t.transport.deliver(packetFrom('10.0.0.9', 100));
    await flush();
    expect(t.transport.sent.length).toBe(sent + 1);
    expect(t.frames.sent.length).toBe(frames + 1);
    t.transport.deliver(packetFrom('10.0.0.9', 100));
    await flush();
    expect(t.frames.sent.length).toBe(frames + 1);
    expect(t.runner.counters.reannounces).toBe(1);
    expect(t.runner.state.name).toBe('MASTER');
  });

  it('shutdown from MASTER: priority-0 advert, VIP removed, announcements stopped; settle() waits', async () => {
    const t = setupRunner({ announce: { repeat: 50, intervalMs: 10, refreshMs: 0 } });
    t.runner.apply({ type: 'Startup' });
    t.clock.advance(400);
    await flush();
    t.runner.apply({ type: 'Shutdown' });
    await t.runner.settle();
    const last = t.transport.sent.at(-1);
    const decoded = decodeAdvert(last?.payload ?? Buffer.alloc(0), { family: 'ipv4', src: SELF, dst: '224.0.0.18', hopLimit: 255 });
    expect(decoded.ok && decoded.value.advert.priority).toBe(0);
    expect(t.addresses.present.size).toBe(0);
    const frames = t.frames.sent.length;
    t.clock.advance(200);
    expect(t.frames.sent.length).toBe(frames);
    t.runner.close();
    expect(t.transport.closed).toBe(true);
  });
});
