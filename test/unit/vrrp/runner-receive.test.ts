/**
 * The runner executes what the machine decides about received adverts (issue 13): the one
 * receive path, the filters (sibling VRID, unknown peers), the reply limit and its counter, the
 * re-announcement on link-up, and the make-before-break resign seen from the wire.
 */
import { describe, expect, it } from 'vitest';
import { countersJson } from '../../../src/vrrp/runner-counters.js';
import { decodeAdvert } from '../../../src/vrrp/packet.js';
import { flush, packetFrom, SELF, setupRunner } from './runner-fakes.js';

function priorityOf(payload: Buffer | undefined, dst = '224.0.0.18'): number | null {
  const d = decodeAdvert(payload ?? Buffer.alloc(0), { family: 'ipv4', src: SELF, dst, hopLimit: 255 });
  return d.ok ? d.value.advert.priority : null;
}

function asMaster(...args: Parameters<typeof setupRunner>): ReturnType<typeof setupRunner> {
  const t = setupRunner(...args);
  t.runner.apply({ type: 'Startup' });
  t.clock.advance(400);
  expect(t.runner.state.name).toBe('MASTER');
  return t;
}

describe('InstanceRunner receive path', () => {
  it('100 lower-priority adverts within one interval: one reply out, 99 counted as replies_suppressed', async () => {
    const t = asMaster();
    t.clock.advance(50);
    const before = t.transport.sent.length;
    for (let i = 0; i < 100; i++) t.transport.deliver(packetFrom('10.0.0.9', 100));
    expect(t.transport.sent.length - before).toBe(1);
    expect(t.runner.counters.repliesSuppressed).toBe(99);
    expect(t.runner.counters.advertsReceived).toBe(100);
    expect(countersJson(t.runner.counters)).toMatchObject({ replies_suppressed: 99, adverts_received: 100 });
    // The periodic cadence goes on: one advert per interval, not one per advert heard.
    t.clock.advance(100);
    expect(t.transport.sent.length - before).toBe(2);
    await flush();
  });

  it('an advert for a sibling VRID on the interface is ignored: not received, not dropped', () => {
    const t = asMaster({}, [52]);
    t.transport.deliver(packetFrom('10.0.0.9', 200, 255, 52));
    expect(t.runner.state.name).toBe('MASTER');
    expect(t.runner.counters.advertsReceived).toBe(0);
    expect(t.runner.counters.drops.size).toBe(0);
  });

  it('multicast with allowed_peers: another source is dropped as unknown_peer; a listed one is obeyed', () => {
    const t = asMaster({ allowedPeers: [{ text: '10.0.0.2', family: 'ipv4' }] });
    t.transport.deliver(packetFrom('10.0.0.9', 200));
    expect(t.runner.state.name).toBe('MASTER');
    expect(Object.fromEntries(t.runner.counters.drops)).toEqual({ unknown_peer: 1 });
    expect(t.runner.counters.advertsReceived).toBe(0);
    t.transport.deliver(packetFrom('10.0.0.2', 200));
    expect(t.runner.state.name).toBe('BACKUP');
  });

  it('a whole IPv4 packet with a bad header is dropped under the codec reason', () => {
    const t = asMaster();
    const p = packetFrom('10.0.0.9', 200);
    if (p.family !== 4) throw new Error('IPv4 expected');
    p.packet[9] = 17;
    t.transport.deliver(p);
    expect(Object.fromEntries(t.runner.counters.drops)).toEqual({ ip_protocol: 1 });
  });

  it('linkRestored() dispatches LinkRestored: a MASTER announces again, once per three intervals', async () => {
    const t = asMaster();
    await flush();
    t.clock.advance(100);
    const frames = t.frames.sent.length;
    t.runner.linkRestored();
    await flush();
    expect(t.frames.sent.length).toBe(frames + 1);
    t.runner.linkRestored();
    await flush();
    expect(t.frames.sent.length).toBe(frames + 1);
    expect(t.runner.counters.reannounces).toBe(1);
  });
});

describe('InstanceRunner resign (make-before-break)', () => {
  it('keeps the VIPs and sends nothing after its priority-0 advert until the peer is heard; then removes them', async () => {
    const t = asMaster();
    await flush();
    const before = t.transport.sent.length;
    t.runner.apply({ type: 'Resign' });
    await flush();
    expect(priorityOf(t.transport.sent.at(-1)?.payload)).toBe(0);
    expect(t.addresses.present.has('10.0.0.100')).toBe(true);
    t.clock.advance(300); // less than Master_Down_Interval (341 ms): silence
    t.transport.deliver(packetFrom('10.0.0.9', 100)); // lower priority: not answered
    expect(t.transport.sent.length).toBe(before + 1);
    expect(t.runner.state).toMatchObject({ name: 'MASTER', resignUntilMs: expect.any(Number) as number });
    t.transport.deliver(packetFrom('10.0.0.9', 200));
    await flush();
    expect(t.runner.state.name).toBe('BACKUP');
    expect(t.addresses.present.size).toBe(0);
    expect(t.transport.sent.length).toBe(before + 1); // no second priority 0
  });

  it('nobody takes over: adverts resume after Master_Down_Interval and the VIPs never left', async () => {
    const t = asMaster();
    await flush();
    t.runner.apply({ type: 'Resign' });
    const log = t.addresses.log.length;
    t.clock.advance(350);
    await flush();
    expect(priorityOf(t.transport.sent.at(-1)?.payload)).toBe(150);
    expect(t.runner.state).toMatchObject({ name: 'MASTER', resignUntilMs: null });
    expect(t.addresses.log.slice(log).filter((l) => l.startsWith('remove'))).toEqual([]);
    expect(t.addresses.present.has('10.0.0.100')).toBe(true);
  });
});
