/**
 * Reload in place (issue 13): an instance restarts only when its socket identity changes;
 * removing, adding or re-prioritising a sibling on the same interface causes no transition of
 * the others and no new socket; priority, interval, VIPs, tracking and local VRIDs change on the
 * running instance.
 */
import { describe, expect, it, vi } from 'vitest';
import type { VrrpInstanceConfig } from '../../../src/config/types.js';
import type { ReceivedVrrpPacket } from '../../../src/os/vrrp-socket.js';
import { decodeAdvert, encodeAdvert } from '../../../src/vrrp/packet.js';
import { configWith, engineHarness, flush, instanceConfig, packetFrom, type FakeTransport } from './runner-fakes.js';

type Row = Record<string, unknown>;

function makeEngine() {
  const { engine, clock, os, notices, row } = engineHarness();
  const rows = (): Row[] => engine.snapshot() as Row[];
  const counters = (name: string): Row => row(name).counters as Row;
  /** The transport an instance sends on (by its VRID in the adverts). */
  const transportOf = (vrid: number): FakeTransport | undefined => os.transports.find((t) => t.sent.some((s) => decoded(s.payload)?.vrid === vrid));
  const transitions = (from: number, name: string): string[] =>
    notices.slice(from).filter((n) => n.instance === name).map((n) => `${n.record.from}>${n.record.to}`);
  return { engine, clock, os, notices, rows, row, counters, transportOf, transitions };
}

function decoded(payload: Buffer): { vrid: number; priority: number; maxAdverIntMs: number; addresses: readonly string[] } | undefined {
  const d = decodeAdvert(payload, { family: 'ipv4', src: '10.0.0.1', dst: '224.0.0.18', hopLimit: 255 });
  return d.ok ? d.value.advert : undefined;
}

function lastAdvert(t: FakeTransport | undefined) {
  const last = t?.sent.at(-1);
  return last ? decoded(last.payload) : undefined;
}

/** An advert from a peer at 10.0.0.9 for the given VRID. */
function peerAdvert(vrid: number, priority: number) {
  return packetFrom('10.0.0.9', priority, 255, vrid);
}

const web = instanceConfig();
const api = instanceConfig({ name: 'api', vrid: 52, virtualAddresses: [{ text: '10.0.0.101', family: 'ipv4', prefixLength: 24 }] });
const db = instanceConfig({ name: 'db', vrid: 53, virtualAddresses: [{ text: '10.0.0.102', family: 'ipv4', prefixLength: 24 }] });

async function bothMaster(instances: readonly VrrpInstanceConfig[] = [web, api]) {
  const t = makeEngine();
  await t.engine.start(configWith(instances));
  t.clock.advance(400);
  await flush();
  for (const i of instances) expect(t.row(i.name).state).toBe('MASTER');
  return t;
}

describe('reload in place', () => {
  it('removing a sibling: the other makes no transition, keeps its socket, and drops the removed VRID as unknown', async () => {
    const t = await bothMaster();
    const from = t.notices.length;
    const webTransport = t.transportOf(51);
    await t.engine.applyConfig(configWith([web]));
    expect(t.transitions(from, 'web')).toEqual([]);
    expect(t.transitions(from, 'api')).toEqual(['MASTER>INIT']);
    expect(t.os.transports).toHaveLength(2);
    expect(webTransport?.closed).toBe(false);
    expect(t.transportOf(52)?.closed).toBe(true);
    expect(t.counters('web').transitions).toBe(2);
    webTransport?.deliver(peerAdvert(52, 200)); // checks 5/6 now use the new local VRIDs
    expect(t.counters('web').drops).toEqual({ vrid_unknown: 1 });
    expect(t.row('web').state).toBe('MASTER');
    await t.engine.stop();
  });

  it('adding a sibling: the running one makes no transition and keeps its socket; the new VRID is known to it', async () => {
    const t = await bothMaster([web]);
    const from = t.notices.length;
    const webTransport = t.transportOf(51);
    webTransport?.deliver(peerAdvert(52, 200));
    expect(t.counters('web').drops).toEqual({ vrid_unknown: 1 });
    await t.engine.applyConfig(configWith([web, api]));
    expect(t.transitions(from, 'web')).toEqual([]);
    expect(t.transitions(from, 'api')).toEqual(['INIT>BACKUP']);
    expect(t.os.transports).toHaveLength(2);
    expect(webTransport?.closed).toBe(false);
    webTransport?.deliver(peerAdvert(52, 200)); // a sibling's advert: ignored, not counted
    expect(t.counters('web').drops).toEqual({ vrid_unknown: 1 });
    await t.engine.stop();
  });

  it('re-prioritising a sibling: neither instance makes a transition; the sibling advertises its new priority at once', async () => {
    const t = await bothMaster([web, api, db]);
    const from = t.notices.length;
    const apiTransport = t.transportOf(52);
    const sent = apiTransport?.sent.length ?? 0;
    await t.engine.applyConfig(configWith([web, { ...api, priority: 120 }, db]));
    expect(t.notices.slice(from)).toEqual([]);
    expect(t.os.transports).toHaveLength(3);
    expect(t.os.transports.every((tr) => !tr.closed)).toBe(true);
    expect(apiTransport?.sent.length).toBe(sent + 1); // at once, not at the next tick
    expect(lastAdvert(apiTransport)?.priority).toBe(120);
    expect(t.row('api')).toMatchObject({ state: 'MASTER', priority: 120, effective_priority: 120, master_priority: 120 });
    expect(lastAdvert(t.transportOf(51))?.priority).toBe(150);
    t.clock.advance(100);
    expect(lastAdvert(apiTransport)?.priority).toBe(120); // and keeps it
    await t.engine.stop();
  });

  it('a changed interval is advertised at once and the adver timer follows the new cadence', async () => {
    const t = await bothMaster([web]);
    const tr = t.transportOf(51);
    await t.engine.applyConfig(configWith([{ ...web, advertIntervalMs: 300 }]));
    expect(lastAdvert(tr)?.maxAdverIntMs).toBe(300);
    const sent = tr?.sent.length ?? 0;
    t.clock.advance(299);
    expect(tr?.sent.length).toBe(sent);
    t.clock.advance(1);
    expect(tr?.sent.length).toBe(sent + 1);
    expect(t.counters('web').transitions).toBe(2);
    await t.engine.stop();
  });

  it('VIPs as MASTER: new ones added and announced, dropped ones removed, adverts carry the new list; no transition', async () => {
    const t = await bothMaster([web]);
    const frames = t.os.fakeFrames.sent.length;
    const vips = [{ text: '10.0.0.110', family: 'ipv4' as const, prefixLength: 24 }];
    await t.engine.applyConfig(configWith([{ ...web, virtualAddresses: vips }]));
    await flush();
    expect([...t.os.fakeAddresses.present]).toEqual(['10.0.0.110']);
    expect(t.os.fakeFrames.sent.length).toBeGreaterThan(frames);
    t.clock.advance(100);
    expect(lastAdvert(t.transportOf(51))?.addresses).toEqual(['10.0.0.110']);
    expect(t.counters('web').transitions).toBe(2);
    await t.engine.stop();
  });

  it('VIPs as BACKUP: only the config changes (nothing is added)', async () => {
    const t = makeEngine();
    await t.engine.start(configWith([web]));
    await flush();
    expect(t.row('web').state).toBe('BACKUP');
    const log = t.os.fakeAddresses.log.length;
    await t.engine.applyConfig(configWith([{ ...web, virtualAddresses: [{ text: '10.0.0.110', family: 'ipv4', prefixLength: 24 }] }]));
    await flush();
    expect(t.os.fakeAddresses.log.slice(log)).toEqual([]);
    t.clock.advance(400);
    await flush();
    expect([...t.os.fakeAddresses.present]).toEqual(['10.0.0.110']);
    await t.engine.stop();
  });

  it('virtual_addresses_excluded: managed like the VIPs, never in the adverts; a reload of that list alone changes them in place', async () => {
    const ex = (last: number) => ({ text: `10.0.0.${String(last)}`, family: 'ipv4' as const, prefixLength: 24 });
    const withEx = { ...web, excludedAddresses: [ex(120)] };
    const t = await bothMaster([withEx]);
    expect([...t.os.fakeAddresses.present].sort()).toEqual(['10.0.0.100', '10.0.0.120']);
    expect(t.os.fakeFrames.sent.some((f) => f.frame.includes(Buffer.from([10, 0, 0, 120])))).toBe(true);
    expect(lastAdvert(t.transportOf(51))?.addresses).toEqual(['10.0.0.100']);
    expect(t.row('web').virtual_addresses_excluded).toEqual(['10.0.0.120/24']);
    const from = t.notices.length;
    const transport = t.transportOf(51);
    await t.engine.applyConfig(configWith([{ ...web, excludedAddresses: [ex(121)] }]));
    await flush();
    expect(t.transitions(from, 'web')).toEqual([]);
    expect([...t.os.fakeAddresses.present].sort()).toEqual(['10.0.0.100', '10.0.0.121']);
    t.clock.advance(100);
    expect(t.transportOf(51)).toBe(transport);
    expect(lastAdvert(transport)?.addresses).toEqual(['10.0.0.100']);
    // A better master: both kinds go.
    transport?.deliver(peerAdvert(51, 200));
    await flush();
    expect(t.row('web').state).toBe('BACKUP');
    expect([...t.os.fakeAddresses.present]).toEqual([]);
    await t.engine.stop();
  });

  it('tracking in place: an added tracked link that is down lowers the priority; removing it restores it; no restart', async () => {
    const t = await bothMaster([web]);
    t.os.fakeLinks.set('eth1', false);
    const tracked = { ...web, track: { interfaces: [{ name: 'eth1', weight: -50 }], scripts: [], virtualServers: [], routes: [], processes: [], files: [] } };
    await t.engine.applyConfig(configWith([tracked]));
    expect(t.row('web')).toMatchObject({ state: 'MASTER', effective_priority: 100 });
    expect(lastAdvert(t.transportOf(51))?.priority).toBe(100);
    await t.engine.applyConfig(configWith([web]));
    expect(t.row('web')).toMatchObject({ state: 'MASTER', effective_priority: 150 });
    expect(t.counters('web').transitions).toBe(2);
    expect(t.os.transports).toHaveLength(1);
    await t.engine.stop();
  });

  it('track scripts in place: an added script is started without a fault; a removed one is stopped', async () => {
    const t = await bothMaster([web]);
    const timers = t.clock.pendingTimers();
    const script = { name: 'chk', command: ['/bin/true'], intervalMs: 1000, timeoutMs: 500, rise: 1, fall: 1, weight: 0 };
    await t.engine.applyConfig(configWith([{ ...web, track: { interfaces: [], scripts: [script], virtualServers: [], routes: [], processes: [], files: [] } }]));
    expect(t.clock.pendingTimers()).toBe(timers + 1); // its first run is scheduled
    expect(t.row('web')).toMatchObject({ state: 'MASTER' });
    expect(t.row('web').tracking).toContainEqual({ kind: 'script', name: 'chk', weight: 0, failed: false });
    await t.engine.applyConfig(configWith([web]));
    expect(t.clock.pendingTimers()).toBe(timers);
    expect(t.counters('web').transitions).toBe(2);
    await t.engine.stop();
  });

  it('a changed socket identity (unicast peers) restarts the instance on a new socket', async () => {
    const t = await bothMaster([web]);
    const from = t.notices.length;
    await t.engine.applyConfig(configWith([{ ...web, unicastPeers: [{ text: '10.0.0.2', family: 'ipv4' }] }]));
    expect(t.transitions(from, 'web')).toEqual(['MASTER>INIT', 'INIT>BACKUP']);
    expect(t.os.transports).toHaveLength(2);
    expect(t.os.transports[0]?.closed).toBe(true);
    await t.engine.stop();
  });

  it('the notify command changes in place (used by the next transition)', async () => {
    const t = await bothMaster([web]);
    const enqueue = vi.spyOn(t.engine.notify, 'enqueue').mockImplementation(() => undefined);
    await t.engine.applyConfig(configWith([{ ...web, notify: { command: ['/bin/notify-me'], master: null, backup: null, fault: null, stop: null } }]));
    expect(t.counters('web').transitions).toBe(2);
    expect(enqueue).not.toHaveBeenCalled();
    t.transportOf(51)?.deliver(peerAdvert(51, 250)); // a better master: MASTER -> BACKUP
    expect(enqueue).toHaveBeenCalledWith(expect.objectContaining({ command: ['/bin/notify-me'], from: 'MASTER', to: 'BACKUP' }));
    await t.engine.stop();
  });
});

describe('vrrp.ipv6_addresses in place', () => {
  const v6 = instanceConfig({ family: 'ipv6', virtualAddresses: [{ text: '2001:db8::100', family: 'ipv6', prefixLength: 64 }] });
  const withMode = (mode: 'rfc9568' | 'keepalived') => {
    const c = configWith([v6]);
    return { ...c, vrrp: { ...c.vrrp, ipv6Addresses: mode } };
  };
  /** What Keepalived sends for this instance: the configured address only. */
  const keepalivedAdvert = (): ReceivedVrrpPacket => ({
    family: 6,
    payload: Buffer.from(encodeAdvert({ family: 'ipv6', vrid: 51, priority: 100, maxAdverIntMs: 100, addresses: ['2001:db8::100'] }, { src: 'fe80::9', dst: 'ff02::12', ipv4Checksum: 'rfc5798' })),
    src: 'fe80::9',
    dst: 'ff02::12',
    hopLimit: 255,
    ifindex: 2,
  });
  const sentAddresses = (t: FakeTransport | undefined): readonly string[] | undefined => {
    const last = t?.sent.at(-1);
    if (!last) return undefined;
    const d = decodeAdvert(last.payload, { family: 'ipv6', src: 'fe80::1', dst: 'ff02::12', hopLimit: 255, ipv6Addresses: 'keepalived' });
    return d.ok ? d.value.advert.addresses : undefined;
  };

  it('keepalived -> rfc9568 by reload: no transition, same socket; the next advert and the receive check follow', async () => {
    const t = makeEngine();
    await t.engine.start(withMode('keepalived'));
    t.clock.advance(400);
    await flush();
    expect(t.row('web').state).toBe('MASTER');
    const transport = t.os.transports[0];
    expect(sentAddresses(transport)).toEqual(['2001:db8::100']);
    transport?.deliver(keepalivedAdvert());
    expect(t.counters('web')).toMatchObject({ adverts_received: 1, drops_total: 0, notes: { ipv6_first_not_link_local: 1 } });
    const from = t.notices.length;
    await t.engine.applyConfig(withMode('rfc9568'));
    t.clock.advance(100);
    await flush();
    expect(t.transitions(from, 'web')).toEqual([]);
    expect(t.os.transports).toEqual([transport]);
    expect(sentAddresses(transport)).toEqual(['fe80::200:5eff:fe00:233', '2001:db8::100']);
    transport?.deliver(keepalivedAdvert());
    expect(t.counters('web')).toMatchObject({ adverts_received: 1, drops: { ipv6_first_not_link_local: 1 } });
    await t.engine.stop();
  });
});
