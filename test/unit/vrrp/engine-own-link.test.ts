/**
 * The instance's own interface is tracked (issue 13): down = FAULT (sync-group siblings follow),
 * up = BACKUP again; deleted and re-created (new ifindex) = a new socket on the new interface,
 * without a daemon restart.
 */
import { describe, expect, it } from 'vitest';
import { START_RETRY_MS } from '../../../src/vrrp/engine.js';
import { decodeAdvert } from '../../../src/vrrp/packet.js';
import { configWith, engineHarness, flush, instanceConfig } from './runner-fakes.js';

function makeEngine() {
  const { engine, clock, os, notices, row } = engineHarness();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await flush();
  };
  return { engine, clock, os, notices, row, settle };
}

const web = instanceConfig();
const other = instanceConfig({ name: 'other', vrid: 52, interface: 'eth1', virtualAddresses: [{ text: '10.0.1.100', family: 'ipv4', prefixLength: 24 }] });

describe('own interface', () => {
  it('down: FAULT (VIP removed, priority 0 sent); up: BACKUP, then MASTER again with a fresh announcement', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    t.clock.advance(400);
    await t.settle();
    expect(t.row('web').state).toBe('MASTER');
    expect(t.row('web').tracking).toEqual([{ kind: 'interface', name: 'eth0', weight: 0, failed: false }]);
    t.os.fakeLinks.set('eth0', false);
    expect(t.row('web')).toMatchObject({ state: 'FAULT', last_transition: { from: 'MASTER', to: 'FAULT', reason: 'fault' } });
    const last = t.os.transports[0]?.sent.at(-1);
    const d = decodeAdvert(last?.payload ?? Buffer.alloc(0), { family: 'ipv4', src: '10.0.0.1', dst: '224.0.0.18', hopLimit: 255 });
    expect(d.ok && d.value.advert.priority).toBe(0);
    await t.settle();
    expect(t.os.fakeAddresses.present.size).toBe(0);
    t.os.fakeLinks.set('eth0', true);
    expect(t.row('web')).toMatchObject({ state: 'BACKUP', last_transition: { from: 'FAULT', to: 'BACKUP', reason: 'fault_cleared' } });
    const frames = t.os.fakeFrames.sent.length;
    t.clock.advance(400);
    await t.settle();
    expect(t.row('web').state).toBe('MASTER');
    expect(t.os.fakeFrames.sent.length).toBeGreaterThan(frames);
    expect(t.os.transports).toHaveLength(1); // same socket throughout
    await t.engine.stop();
  });

  it('a sync-group sibling on another interface follows the own-interface fault, and comes back with it', async () => {
    const t = makeEngine();
    t.os.fakeAddresses.setInterface('eth1', { ifindex: 3, ipv4: '10.0.1.1' });
    t.os.fakeLinks.set('eth1', true, 3);
    await t.engine.start(configWith([web, other], [{ name: 'g', instances: ['web', 'other'] }]));
    t.clock.advance(400);
    await t.settle();
    expect([t.row('web').state, t.row('other').state]).toEqual(['MASTER', 'MASTER']);
    t.os.fakeLinks.set('eth0', false);
    expect(t.row('other')).toMatchObject({ state: 'FAULT', last_transition: { reason: 'sync_group' } });
    t.os.fakeLinks.set('eth0', true);
    expect([t.row('web').state, t.row('other').state]).toEqual(['BACKUP', 'BACKUP']);
    await t.engine.stop();
  });

  it('deleted and re-created with a new ifindex: FAULT, then a new socket on the new interface and MASTER there', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    t.clock.advance(400);
    await t.settle();
    expect(t.os.fakeAddresses.ifindexOf.get('10.0.0.100')).toBe(2);
    t.os.fakeAddresses.setInterface('eth0', undefined);
    t.os.fakeLinks.remove('eth0');
    expect(t.row('web').state).toBe('FAULT');
    await t.settle();
    t.os.fakeAddresses.setInterface('eth0', { ifindex: 7, ipv4: '10.0.0.1' });
    t.os.fakeLinks.set('eth0', true, 7);
    await t.settle();
    expect(t.os.transports).toHaveLength(2);
    expect(t.os.transports[0]?.closed).toBe(true);
    expect(t.os.transports[1]?.options.ifindex).toBe(7);
    expect(t.row('web')).toMatchObject({ state: 'BACKUP', error: null });
    t.clock.advance(400);
    await t.settle();
    expect(t.row('web').state).toBe('MASTER');
    expect(t.os.fakeAddresses.ifindexOf.get('10.0.0.100')).toBe(7);
    expect(t.os.transports[1]?.sent.length).toBeGreaterThan(0);
    const trail = t.notices.map((n) => `${n.record.from}>${n.record.to}`);
    expect(trail).toEqual(['INIT>BACKUP', 'BACKUP>MASTER', 'MASTER>FAULT', 'FAULT>INIT', 'INIT>BACKUP', 'BACKUP>MASTER']);
    await t.engine.stop();
  });

  it('re-created before its address is back: the rebind waits (FAULT with the reason) and is retried', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    await t.settle();
    t.os.fakeLinks.remove('eth0');
    t.os.fakeAddresses.setInterface('eth0', { ifindex: 8 });
    t.os.fakeLinks.set('eth0', true, 8);
    await t.settle();
    expect(t.row('web')).toMatchObject({ state: 'FAULT', error: 'interface eth0 has no IPv4 address to send adverts from' });
    t.os.fakeAddresses.setInterface('eth0', { ifindex: 8, ipv4: '10.0.0.1' });
    t.clock.advance(START_RETRY_MS);
    await t.settle();
    expect(t.row('web')).toMatchObject({ state: 'BACKUP', error: null });
    expect(t.os.transports.at(-1)?.options.ifindex).toBe(8);
    await t.engine.stop();
  });

  it('an up event under a new ifindex rebinds even when the deletion was never seen', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    await t.settle();
    t.os.fakeAddresses.setInterface('eth0', { ifindex: 7, ipv4: '10.0.0.1' });
    t.os.fakeLinks.set('eth0', true, 7);
    await t.settle();
    expect(t.os.transports.map((tr) => [tr.options.ifindex, tr.closed])).toEqual([[2, true], [7, false]]);
    await t.engine.stop();
  });

  it('removed and re-created with the same ifindex still rebinds (its multicast membership died with it)', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    await t.settle();
    t.os.fakeLinks.remove('eth0');
    t.os.fakeLinks.set('eth0', true, 2);
    await t.settle();
    expect(t.os.transports).toHaveLength(2);
    expect(t.os.transports[0]?.closed).toBe(true);
    await t.engine.stop();
  });
});
