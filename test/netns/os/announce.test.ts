import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { startAnnouncement } from '../../../src/os/announce.js';
import { openPacketSender, type PacketSender } from '../../../src/os/announce-socket.js';
import { buildGratuitousArp, buildUnsolicitedNa } from '../../../src/os/frames.js';
import { ipv4ToBytes, ipv6ToBytes, macToBytes, virtualMac } from '../../../src/os/inet.js';
import { IF_A, IF_B, LL_A, MAC_A, NS_A, NS_B, ifindexIn, inNs, loadLvshaNet, setupLab, teardownLab, waitFor, withNetns } from './lab.js';

const net = loadLvshaNet();
const STALE_MAC = '02:00:00:00:00:99';
const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';
let ifA = 0;
let sender: PacketSender;

const neigh = (args: string[]): string => inNs(NS_B, ['ip', ...args]);
const bytes = <T>(v: T | undefined): T => {
  if (v === undefined) throw new Error('bad test constant');
  return v;
};

beforeAll(async () => {
  await setupLab();
  ifA = ifindexIn(NS_A, IF_A);
  sender = withNetns(net, NS_A, () => openPacketSender(net));
});
afterAll(() => {
  sender.close();
  teardownLab();
});

describe('announcements over AF_PACKET between namespaces', () => {
  it('a gratuitous ARP from the interface MAC moves a stale neighbour entry to that MAC', async () => {
    neigh(['neigh', 'replace', VIP4, 'lladdr', STALE_MAC, 'dev', IF_B, 'nud', 'stale']);
    expect(neigh(['neigh', 'show', VIP4, 'dev', IF_B])).toContain(STALE_MAC);
    sender.send(ifA, buildGratuitousArp({ sourceMac: bytes(macToBytes(MAC_A)), address: bytes(ipv4ToBytes(VIP4)) }));
    await waitFor(() => neigh(['neigh', 'show', VIP4, 'dev', IF_B]).includes(MAC_A), 3000, 'neighbour at MAC_A');
  });

  it('with the VMAC as source the neighbour entry moves to 00:00:5e:00:01:VRID', async () => {
    neigh(['neigh', 'replace', VIP4, 'lladdr', STALE_MAC, 'dev', IF_B, 'nud', 'stale']);
    sender.send(ifA, buildGratuitousArp({ sourceMac: virtualMac(51, 4), address: bytes(ipv4ToBytes(VIP4)) }));
    await waitFor(() => neigh(['neigh', 'show', VIP4, 'dev', IF_B]).includes('00:00:5e:00:01:33'), 3000, 'neighbour at VMAC');
  });

  it('an unsolicited NA (O=1, R=1) moves a stale IPv6 neighbour entry and marks it a router', async () => {
    neigh(['-6', 'neigh', 'replace', VIP6, 'lladdr', STALE_MAC, 'dev', IF_B, 'nud', 'stale']);
    expect(neigh(['-6', 'neigh', 'show', VIP6, 'dev', IF_B])).not.toContain('router');
    const frame = buildUnsolicitedNa({
      sourceMac: bytes(macToBytes(MAC_A)),
      sourceAddress: bytes(ipv6ToBytes(LL_A)),
      target: bytes(ipv6ToBytes(VIP6)),
    });
    sender.send(ifA, frame);
    await waitFor(() => neigh(['-6', 'neigh', 'show', VIP6, 'dev', IF_B]).includes(MAC_A), 3000, 'IPv6 neighbour at MAC_A');
    expect(neigh(['-6', 'neigh', 'show', VIP6, 'dev', IF_B])).toContain('router');
  });

  it('repeats the burst `repeat` times at `interval` on the real clock', async () => {
    const capture = spawn('ip', ['netns', 'exec', NS_B, 'timeout', '5', 'tcpdump', '-l', '-nn', '-i', IF_B, '-c', '3', '--time-stamp-precision=micro', '-tt', 'arp']);
    let out = '';
    let err = '';
    capture.stdout.on('data', (d: Buffer) => (out += d.toString()));
    capture.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((resolve) => capture.on('exit', () => { resolve(); }));
    await waitFor(() => err.includes('listening on'), 5000, 'tcpdump to listen');
    const frame = buildGratuitousArp({ sourceMac: bytes(macToBytes(MAC_A)), address: bytes(ipv4ToBytes(VIP4)) });
    const a = startAnnouncement(systemClock, { ifindex: ifA, frames: [frame], repeat: 3, intervalMs: 100, refreshMs: 0 }, sender, (e) => {
      throw e;
    });
    await exited;
    a.cancel();
    const times = out.trim().split('\n').map((line) => Number(line.split(' ')[0]));
    expect(times).toHaveLength(3);
    expect(out).toContain(`Request who-has ${VIP4} (ff:ff:ff:ff:ff:ff) tell ${VIP4}`);
    const gaps = times.slice(1).map((t, i) => (t - (times[i] ?? 0)) * 1000);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(80);
      expect(gap).toBeLessThan(400);
    }
    expect(a.bursts()).toBe(3);
  });
});
