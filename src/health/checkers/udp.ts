/**
 * UDP check (Keepalived's UDP_CHECK): one datagram to the real server from a
 * connected socket, so that the kernel hands an ICMP port unreachable for it
 * back to this socket (Linux reports it as ECONNREFUSED on a connected UDP
 * socket; an unconnected one never sees it).
 *
 * - With a reply expectation (`require_reply`, `expect_reply`,
 *   `expect_reply_hex`): up on the first reply that matches; a reply that does
 *   not match, an ICMP error, or no reply by the checker's deadline is down.
 * - Without one: up when no ICMP error came back by the deadline (or a reply
 *   came, which is checked against nothing); down on an ICMP error. This is
 *   Keepalived's default (`require_reply` off): silence is success, since
 *   many UDP services never answer a probe they do not understand.
 *
 * The deadline is the checker's own, just before the scheduler's `timeout`
 * (ownDeadlineMs), so that a silent success is not turned into a timeout.
 * One socket per run, closed when the run ends, whatever ends it; only the
 * first datagram received is looked at (at most 64 KiB, one read).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { IpAddress } from '../../config/types.js';
import { errorCode, ownDeadlineMs, withSignal, type Checker, type NowMs, type StartRun } from './types.js';

export interface UdpCheckSpec {
  readonly host: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly port: number;
  readonly bindAddress: IpAddress | null;
  readonly payload: Buffer;
  readonly requireReply: boolean;
  readonly expectReply: string | null;
  readonly expectReplyHex: string | null;
  readonly timeoutMs: number;
}

/** null when a reply satisfies the expectations, else the reason it does not. */
export function udpReplyVerdict(spec: Pick<UdpCheckSpec, 'expectReplyHex'>, replyRe: RegExp | null, reply: Buffer): string | null {
  if (spec.expectReplyHex !== null) {
    const want = Buffer.from(spec.expectReplyHex, 'hex');
    if (reply.length < want.length || !reply.subarray(0, want.length).equals(want)) {
      return `reply ${reply.subarray(0, 32).toString('hex')}${reply.length > 32 ? '...' : ''} does not start with ${spec.expectReplyHex}`;
    }
  }
  if (replyRe !== null && !replyRe.test(reply.toString('latin1'))) {
    return `reply does not match /${replyRe.source}/`;
  }
  return null;
}

/** The reason for an error on the socket: an ICMP error comes back as one of these. */
export function udpErrorText(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'ICMP port unreachable (ECONNREFUSED)';
    case 'EHOSTUNREACH':
      return 'ICMP host unreachable (EHOSTUNREACH)';
    case 'ENETUNREACH':
      return 'ICMP network unreachable (ENETUNREACH)';
    default:
      return `socket error: ${code}`;
  }
}

export function udpChecker(spec: UdpCheckSpec, now: NowMs): Checker {
  const replyRe = spec.expectReply === null ? null : new RegExp(spec.expectReply);
  const waitMs = ownDeadlineMs(spec.timeoutMs);
  const start: StartRun = (done) => {
    const t0 = now();
    let finished = false;
    let timer: NodeJS.Timeout | null = null;
    let socket: Socket | null = createSocket({ type: spec.family === 'ipv6' ? 'udp6' : 'udp4', recvBufferSize: 65_536 });
    const finish = (reason: string | null): void => {
      if (finished) return;
      finished = true;
      if (timer !== null) clearTimeout(timer);
      const s = socket;
      socket = null;
      try {
        s?.close();
      } catch {
        // not running (closed already)
      }
      const latencyMs = now() - t0;
      done(reason === null ? { ok: true, latencyMs } : { ok: false, latencyMs, reason });
    };
    socket.on('error', (err) => { finish(udpErrorText(errorCode(err))); });
    socket.on('message', (msg) => { finish(udpReplyVerdict(spec, replyRe, msg)); });
    const connect = (): void => {
      socket?.connect(spec.port, spec.host, () => {
        socket?.send(spec.payload, (err) => { if (err) finish(`send: ${errorCode(err)}`); });
      });
    };
    if (spec.bindAddress !== null) socket.bind({ address: spec.bindAddress.text, port: 0 }, connect);
    else connect();
    timer = setTimeout(() => {
      finish(spec.requireReply ? `no reply within ${String(waitMs)} ms` : null);
    }, waitMs);
    return (reason) => { finish(reason.message); };
  };
  return withSignal(start);
}
