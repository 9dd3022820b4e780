/**
 * ICMP echo check (Keepalived's PING_CHECK), IPv4 and IPv6, over raw sockets
 * of the raw-socket package (as the VRRP IPv4 transport uses).
 *
 * One raw socket per address family for the whole process, shared by every
 * icmp check: a raw ICMP socket receives every ICMP message of the host, so
 * one socket per run would copy each reply to every open socket. It is opened
 * by the first run in flight and closed when no run is in flight. Each echo
 * request carries an (identifier, sequence) pair unique in the process (a
 * 32-bit counter split in two, the identifier starting at a random value), and
 * a reply counts only with that pair and the probed address as its source.
 * An ICMP error that quotes one of our requests (destination unreachable,
 * time exceeded) marks that request lost at once, with the error as reason.
 *
 * A run sends `count` requests at once and is up as soon as `min_replies`
 * replies are in; down as soon as too many are lost to reach it, or at the
 * checker's own deadline (ownDeadlineMs), with `N of M echo replies`.
 * Bounded: the pending table holds only the requests of runs in flight, every
 * entry is removed when its run ends; received messages are parsed in place.
 */
import { createRequire } from 'node:module';
import type { IpAddress } from '../../config/types.js';
import { parseIp } from '../../config/values.js';
import { ownDeadlineMs, withSignal, type Checker, type NowMs, type StartRun } from './types.js';

export interface IcmpCheckSpec {
  readonly address: IpAddress;
  readonly count: number;
  readonly minReplies: number;
  readonly timeoutMs: number;
}

interface RawSocket {
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  send(buffer: Buffer, offset: number, length: number, address: string, afterCallback: (err: Error | null, bytes: number) => void): void;
  close(): void;
}

interface RawSocketModule {
  createSocket(options: { addressFamily: number; protocol: number; bufferSize: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
  Protocol: { ICMP: number; ICMPv6: number };
}

let rawModule: RawSocketModule | null = null;
function raw(): RawSocketModule {
  rawModule ??= createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  return rawModule;
}

/** What a received ICMP message says about one of our echo requests. */
export type EchoEvent =
  | { readonly kind: 'reply'; readonly id: number; readonly seq: number }
  | { readonly kind: 'error'; readonly id: number; readonly seq: number; readonly text: string };

const V4_ERRORS: Readonly<Record<number, string>> = { 3: 'destination unreachable', 11: 'time exceeded' };
const V6_ERRORS: Readonly<Record<number, string>> = { 1: 'destination unreachable', 3: 'time exceeded' };

/**
 * Parse one message of a raw ICMP socket. IPv4 messages start with the IP
 * header; IPv6 ones (ICMPv6 socket) do not. null: not about an echo of ours.
 */
export function parseEchoMessage(family: 4 | 6, msg: Buffer): EchoEvent | null {
  let icmp = msg;
  if (family === 4) {
    const ihl = ((msg[0] ?? 0) & 0x0f) * 4;
    if (ihl < 20 || msg.length < ihl) return null;
    icmp = msg.subarray(ihl);
  }
  if (icmp.length < 8) return null;
  const type = icmp[0] ?? 0;
  const code = icmp[1] ?? 0;
  const replyType = family === 4 ? 0 : 129;
  if (type === replyType && code === 0) return { kind: 'reply', id: icmp.readUInt16BE(4), seq: icmp.readUInt16BE(6) };
  const error = (family === 4 ? V4_ERRORS : V6_ERRORS)[type];
  if (error === undefined) return null;
  // The error quotes the start of our packet: its IP header, then the echo request.
  const inner = icmp.subarray(8);
  let echo: Buffer;
  if (family === 4) {
    if (inner.length < 28 || inner[9] !== 1) return null;
    echo = inner.subarray(((inner[0] ?? 0x45) & 0x0f) * 4);
  } else {
    if (inner.length < 48 || inner[6] !== 58) return null;
    echo = inner.subarray(40);
  }
  if (echo.length < 8 || echo[0] !== (family === 4 ? 8 : 128)) return null;
  return { kind: 'error', id: echo.readUInt16BE(4), seq: echo.readUInt16BE(6), text: `${error} (code ${String(code)})` };
}

/** An echo request: type, code, checksum (IPv4 only: the kernel sums ICMPv6), id, seq, payload. */
export function buildEchoRequest(family: 4 | 6, id: number, seq: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = family === 4 ? 8 : 128;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  payload.copy(b, 8);
  if (family === 4) b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

export function internetChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2 === 1) sum += (b[b.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface Pending {
  readonly source: string;
  readonly onEvent: (event: EchoEvent) => void;
}

/** The process's raw socket of one family and the echo requests in flight on it. */
class EchoSocket {
  private socket: RawSocket | null = null;
  readonly pending = new Map<number, Pending>();

  constructor(private readonly family: 4 | 6) {}

  /** Open the socket if needed; throws when it cannot be opened (no CAP_NET_RAW). */
  acquire(): RawSocket {
    if (this.socket !== null) return this.socket;
    const m = raw();
    const socket = m.createSocket({
      addressFamily: this.family === 4 ? m.AddressFamily.IPv4 : m.AddressFamily.IPv6,
      protocol: this.family === 4 ? m.Protocol.ICMP : m.Protocol.ICMPv6,
      bufferSize: 4096,
    });
    socket.on('message', (msg, source) => { this.onMessage(msg, source); });
    socket.on('error', () => {
      // raw-socket closes the socket after an error: forget it, the next run opens a new one
      if (this.socket === socket) this.socket = null;
    });
    this.socket = socket;
    return socket;
  }

  private onMessage(msg: Buffer, source: string): void {
    if (this.pending.size === 0) return;
    const event = parseEchoMessage(this.family, msg);
    if (event === null) return;
    const key = event.id * 0x10000 + event.seq;
    const p = this.pending.get(key);
    if (p === undefined) return;
    // A reply must come from the probed address; an error may come from a router on the way.
    if (event.kind === 'reply' && canonical(source) !== p.source) return;
    p.onEvent(event);
  }

  /** Close the socket once no request is pending. */
  release(): void {
    if (this.pending.size > 0 || this.socket === null) return;
    const s = this.socket;
    this.socket = null;
    try {
      s.close();
    } catch {
      // closed already
    }
  }
}

function canonical(address: string): string {
  const p = parseIp(address);
  return p.ok ? p.value.text : address;
}

const sockets = { 4: new EchoSocket(4), 6: new EchoSocket(6) };
let counter = Math.floor(Math.random() * 0x10000) * 0x10000;

/** The next (identifier, sequence) pair as one 32-bit key; skips pairs still pending. */
function nextKey(pending: ReadonlyMap<number, Pending>): number {
  for (;;) {
    counter = (counter + 1) % 0x1_0000_0000;
    if (!pending.has(counter)) return counter;
  }
}

const PAYLOAD = Buffer.from('lvs-ha icmp check'.padEnd(32, '.'));

export function icmpChecker(spec: IcmpCheckSpec, now: NowMs): Checker {
  const family: 4 | 6 = spec.address.family === 'ipv4' ? 4 : 6;
  const target = spec.address.text;
  const waitMs = ownDeadlineMs(spec.timeoutMs);
  const start: StartRun = (done) => {
    const t0 = now();
    const echo = sockets[family];
    let socket: RawSocket;
    try {
      socket = echo.acquire();
    } catch (err) {
      done({ ok: false, latencyMs: now() - t0, reason: `icmp socket: ${err instanceof Error ? err.message : String(err)}` });
      return () => undefined;
    }
    const keys: number[] = [];
    let replies = 0;
    let lost = 0;
    let lastError: string | null = null;
    let finished = false;
    const isFinished = (): boolean => finished; // read through a call: closures set it
    const finish = (reason: string | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const k of keys) echo.pending.delete(k);
      echo.release();
      const latencyMs = now() - t0;
      done(reason === null ? { ok: true, latencyMs } : { ok: false, latencyMs, reason });
    };
    const tally = (): string => `${String(replies)} of ${String(spec.count)} echo replies (need ${String(spec.minReplies)})`;
    const settleIfDecided = (): void => {
      if (replies >= spec.minReplies) finish(null);
      else if (spec.count - lost < spec.minReplies) finish(`${tally()}: ${lastError ?? 'lost'}`);
    };
    const onEvent = (key: number) => (event: EchoEvent): void => {
      if (!echo.pending.delete(key)) return;
      if (event.kind === 'reply') replies += 1;
      else {
        lost += 1;
        lastError = event.text;
      }
      settleIfDecided();
    };
    const timer = setTimeout(() => { finish(`${tally()} within ${String(waitMs)} ms`); }, waitMs);
    for (let i = 0; i < spec.count && !isFinished(); i++) {
      const key = nextKey(echo.pending);
      keys.push(key);
      echo.pending.set(key, { source: target, onEvent: onEvent(key) });
      const packet = buildEchoRequest(family, Math.floor(key / 0x10000), key % 0x10000, PAYLOAD);
      socket.send(packet, 0, packet.length, target, (err) => {
        if (err === null || finished || !echo.pending.delete(key)) return;
        lost += 1;
        lastError = `send: ${err.message}`;
        settleIfDecided();
      });
    }
    return (reason) => { finish(reason.message); };
  };
  return withSignal(start);
}
