/**
 * A two-namespace lab for the OS adapter tests: lvoA and lvoB joined by the
 * veth pair lvoa0 / lvob0, with fixed MACs, IPv4 192.0.2.1/.2 and IPv6
 * link-locals without DAD. Sockets are opened inside a namespace by moving
 * the calling thread there with setns() (the addon) for the synchronous part
 * of a callback, then back.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { loadLvshaNet, type LvshaNet } from '../../../src/native/lvsha-net.js';
import type { ReceivedVrrpPacket } from '../../../src/os/vrrp-socket.js';
import { readIpv4Header } from '../../../src/vrrp/packet.js';
import { networkCommands, teardownShell, type NetSpec } from '../../../src/lab/netns.js';

export const NS_A = 'lvoA';
export const NS_B = 'lvoB';
export const IF_A = 'lvoa0';
export const IF_B = 'lvob0';
export const MAC_A = '02:00:5e:10:00:0a';
export const MAC_B = '02:00:5e:10:00:0b';
export const IPV4_A = '192.0.2.1';
export const IPV4_B = '192.0.2.2';
export const LL_A = 'fe80::a';
export const LL_B = 'fe80::b';

export function sh(args: readonly string[]): string {
  return execFileSync(args[0] ?? 'true', args.slice(1), { encoding: 'utf8', timeout: 10_000 });
}

export function inNs(ns: string, args: readonly string[]): string {
  return sh(['ip', 'netns', 'exec', ns, ...args]);
}

/** The lab as the project's one network builder describes it (src/lab/netns.ts). */
export const LAB_NETWORK: NetSpec = {
  namespaces: [{ name: NS_A }, { name: NS_B }],
  veths: [{
    a: { netns: NS_A, ifname: IF_A, mac: MAC_A, addresses: [`${IPV4_A}/24`, `${LL_A}/64`], sysctls: endSysctls(IF_A) },
    b: { netns: NS_B, ifname: IF_B, mac: MAC_B, addresses: [`${IPV4_B}/24`, `${LL_B}/64`], sysctls: endSysctls(IF_B) },
  }],
};

/** No DAD (the link-locals are usable at once) and no automatic link-local beside the fixed one. */
function endSysctls(ifname: string): string[] {
  return [`net.ipv6.conf.${ifname}.accept_dad=0`, `net.ipv6.conf.${ifname}.addr_gen_mode=1`];
}

export function teardownLab(): void {
  sh(['sh', '-c', teardownShell(LAB_NETWORK)]);
}

/** Build the lab and wait (bounded) until both ends are operationally up: linkwatch activates a new veth's qdisc up to ~1 s late, and frames sent before that are dropped. */
export async function setupLab(): Promise<void> {
  teardownLab();
  for (const argv of networkCommands(LAB_NETWORK)) sh(argv);
  await waitFor(
    () => [[NS_A, IF_A], [NS_B, IF_B]].every(([ns = '', ifname = '']) => inNs(ns, ['cat', `/sys/class/net/${ifname}/operstate`]).trim() === 'up'),
    5000,
    'veth pair operstate up',
  );
  // The qdisc is swapped from noop after operstate flips; give linkwatch its moment.
  await new Promise((r) => setTimeout(r, 50));
}

export function ifindexIn(ns: string, ifname: string): number {
  const out = inNs(ns, ['cat', `/sys/class/net/${ifname}/ifindex`]);
  return Number(out.trim());
}

/** Run fn with the calling thread inside ns; sockets fn opens synchronously stay in ns. */
export function withNetns<T>(net: LvshaNet, ns: string, fn: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(`/run/netns/${ns}`, 'r');
  try {
    net.setNetns(target);
    try {
      return fn();
    } finally {
      net.setNetns(home);
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}

export { loadLvshaNet };

/** Resolve when predicate() holds, polling every 20 ms, or reject after timeoutMs. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What a test checks of a received packet: IPv4 header facts read by the codec's own reader. */
export interface PacketView {
  readonly family: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly ttlOrHopLimit: number;
  readonly ifindex: number;
  readonly payload: Buffer;
  readonly ipPayloadLength: number;
  readonly ipTotalLength: number;
}

export function packetView(p: ReceivedVrrpPacket): PacketView {
  if (p.family === 6) {
    return { family: 6, src: p.src, dst: p.dst, ttlOrHopLimit: p.hopLimit, ifindex: p.ifindex, payload: p.payload, ipPayloadLength: p.payload.length, ipTotalLength: 40 + p.payload.length };
  }
  const h = readIpv4Header(p.packet);
  if (!h.ok) throw new Error(`bad IPv4 header: ${h.reason}`);
  const { headerLength, totalLength, ttl, src, dst } = h.value;
  return { family: 4, src, dst, ttlOrHopLimit: ttl, ifindex: p.ifindex, payload: p.packet.subarray(headerLength, totalLength), ipPayloadLength: totalLength - headerLength, ipTotalLength: totalLength };
}
