/**
 * The request engine under the generic netlink adapter (./genl.ts): netlink
 * messages over one or more datagram sockets ("lanes"), matched to their
 * requests by sequence number.
 *
 * - doit requests (REQUEST|ACK) are pipelined: up to `window` of them are in
 *   flight on lane 0 at once, sent in batches (several messages per datagram,
 *   refilled when half the window is free); each ends at its ACK (or error),
 *   in any order.
 * - dumps (REQUEST|DUMP) run one per lane (the kernel runs one dump per socket
 *   at a time), several at once on separate lanes; each ends at DONE (whose
 *   error code is honoured) or an error.
 * - doits and dumps never overlap, and requests leave in the order they were
 *   made, so every request sees the effect of all earlier ones of the other
 *   kind. The kernel handles a socket's requests in the order sent.
 * - One timer for everything in flight: a request without its final message
 *   within `timeoutMs` (at most 1.5 x; for a dump: since its last part) fails
 *   with ETIMEDOUT; a late reply is ignored.
 * - A socket error, a truncated or malformed datagram fails what is in flight
 *   on that lane, and the lane gets a fresh socket for its next request.
 */
import { endianness } from 'node:os';
import type { Clock } from '../core/clock.js';

const LE = endianness() === 'LE';
const NLMSG_HDRLEN = 16;
const NLMSG_NOOP = 1;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLMSG_OVERRUN = 4;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const EPROTO = 71;
export const EMSGSIZE = 90;
export const ETIMEDOUT = 110;

/** What the engine needs of a netlink socket (the real one wraps the `netlink` package's raw socket). */
export interface DatagramSocket {
  /** Sends one datagram (the buffers concatenated); `done` reports a send error. */
  send(datagram: readonly Buffer[], done: (err?: Error & { errno?: number }) => void): void;
  onMessage(handler: (datagram: Buffer, truncated: boolean) => void): void;
  onError(handler: (err: Error & { errno?: number; syscall?: string }) => void): void;
  /** Keep the process alive while requests are in flight (ref/unref). */
  keepAlive(on: boolean): void;
  close(): void;
}

/** One netlink message of a reply (header fields and payload). */
export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  data: Buffer;
}

/** Why a request failed: errno (positive), an optional wording, whether the kernel said it. */
export class Failure extends Error {
  constructor(
    readonly errno: number,
    readonly detail: string | undefined,
    /** The errno is the kernel's answer to this very request. */
    readonly fromKernel: boolean,
    cause?: unknown,
  ) {
    super(detail ?? `errno ${errno}`, cause === undefined ? undefined : { cause });
  }
}

export interface EngineRequest {
  type: number;
  kind: 'doit' | 'dump';
  /** Payload after the netlink header. */
  body: readonly Buffer[];
}

export interface EngineOptions {
  clock: Clock;
  timeoutMs: number;
  /** doit requests in flight at once (lane 0). */
  window: number;
  /** Sockets available for concurrent dumps (lane 0 included). */
  lanes: number;
}

interface Job {
  readonly request: EngineRequest;
  readonly resolve: (msgs: NlMessage[]) => void;
  readonly reject: (f: Failure) => void;
  readonly replies: NlMessage[];
  seq: number;
  lane: number;
  /** Timer ticks seen while in flight (a dump's count restarts with each part). */
  ticks: number;
}

/** Splits a datagram into netlink messages; undefined when malformed. */
export function parseNlMessages(buf: Buffer): NlMessage[] | undefined {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = LE ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) return undefined;
    const type = LE ? buf.readUInt16LE(off + 4) : buf.readUInt16BE(off + 4);
    const flags = LE ? buf.readUInt16LE(off + 6) : buf.readUInt16BE(off + 6);
    const seq = LE ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    out.push({ type, flags, seq, data: buf.subarray(off + NLMSG_HDRLEN, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
}

/** A netlink header in host byte order (port id 0: the kernel fills in the sender). */
export function nlHeader(length: number, type: number, flags: number, seq: number): Buffer {
  const h = Buffer.alloc(NLMSG_HDRLEN);
  if (LE) {
    h.writeUInt32LE(length, 0); h.writeUInt16LE(type, 4); h.writeUInt16LE(flags, 6); h.writeUInt32LE(seq, 8);
  } else {
    h.writeUInt32BE(length, 0); h.writeUInt16BE(type, 4); h.writeUInt16BE(flags, 6); h.writeUInt32BE(seq, 8);
  }
  return h;
}

function statusOf(data: Buffer): number {
  if (data.length < 4) return EPROTO;
  return Math.abs(LE ? data.readInt32LE(0) : data.readInt32BE(0));
}

export class NetlinkEngine {
  private readonly sockets: (DatagramSocket | undefined)[];
  private readonly queue: Job[] = [];
  private head = 0;
  private readonly inflight = new Map<number, Job>();
  /** Dumps in flight per lane (0 or 1). */
  private readonly laneBusy: boolean[];
  private inflightKind: 'doit' | 'dump' | null = null;
  private nextSeq = 1;
  private cancelTimer: (() => void) | null = null;
  private closed = false;
  private alive = false;
  private pumping = false;
  private pumpQueued = false;

  constructor(private readonly openSocket: () => DatagramSocket, private readonly options: EngineOptions) {
    this.sockets = new Array<DatagramSocket | undefined>(Math.max(1, options.lanes)).fill(undefined);
    this.laneBusy = this.sockets.map(() => false);
    this.socketOf(0);
  }

  /** Queues a request; resolves with its reply messages (without the final ACK/DONE). */
  submit(request: EngineRequest): Promise<NlMessage[]> {
    return new Promise<NlMessage[]>((resolve, reject) => {
      if (this.closed) {
        reject(new Failure(EPROTO, 'socket closed', false));
        return;
      }
      this.queue.push({ request, resolve, reject, replies: [], seq: 0, lane: 0, ticks: 0 });
      // Requests made in the same synchronous run (e.g. a phase of a plan) leave together.
      if (!this.pumpQueued) {
        this.pumpQueued = true;
        queueMicrotask(() => {
          this.pumpQueued = false;
          this.pump();
        });
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const failure = new Failure(EPROTO, 'socket closed', false);
    for (const job of [...this.inflight.values(), ...this.queue.slice(this.head)]) job.reject(failure);
    this.inflight.clear();
    this.queue.length = 0;
    this.head = 0;
    this.cancelTimer?.();
    this.cancelTimer = null;
    for (const s of this.sockets) s?.close();
  }

  private socketOf(lane: number): DatagramSocket {
    const existing = this.sockets[lane];
    if (existing !== undefined) return existing;
    const socket = this.openSocket();
    socket.onMessage((datagram, truncated) => { this.receive(lane, datagram, truncated); });
    socket.onError((err) => {
      const errno = Math.abs(err.errno ?? EPROTO);
      this.resetLane(lane, socket, new Failure(errno, `socket error ${err.message}`, false, err));
    });
    this.sockets[lane] = socket;
    socket.keepAlive(this.alive);
    return socket;
  }

  /** Sends queued requests while the rules allow (FIFO; doits pipelined; dumps one per lane). */
  private pump(): void {
    if (this.pumping) return; // a request that ended during a send: the loop below goes on
    this.pumping = true;
    try {
      this.pumpNow();
    } finally {
      this.pumping = false;
    }
    this.setAlive(this.inflight.size > 0);
  }

  /**
   * doits leave in batches: once the window is open again (half of it free),
   * every doit that fits goes in one datagram (the kernel handles each message
   * of a datagram in order and answers each one on its own), so the socket is
   * written once per batch, not once per request.
   */
  private pumpNow(): void {
    const batch: Job[] = [];
    const lowWater = Math.max(0, Math.floor(this.options.window / 2));
    while (this.head < this.queue.length && !this.closed) {
      const job = this.queue[this.head];
      if (job === undefined) break;
      const lane = this.laneFor(job.request.kind);
      if (lane === undefined) break;
      if (job.request.kind === 'doit' && batch.length === 0 && this.inflight.size > lowWater) break;
      this.head += 1;
      this.register(job, lane);
      if (job.request.kind === 'doit') batch.push(job);
      else this.send(lane, [job]);
    }
    if (batch.length > 0) this.send(0, batch);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private laneFor(kind: 'doit' | 'dump'): number | undefined {
    if (this.inflightKind !== null && this.inflightKind !== kind) return undefined;
    if (kind === 'doit') return this.inflight.size < this.options.window ? 0 : undefined;
    const free = this.laneBusy.indexOf(false);
    return free < 0 ? undefined : free;
  }

  private register(job: Job, lane: number): void {
    job.seq = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0xffffffff ? 1 : this.nextSeq + 1;
    job.lane = lane;
    this.inflight.set(job.seq, job);
    this.inflightKind = job.request.kind;
    if (job.request.kind === 'dump') this.laneBusy[lane] = true;
    this.armTimer();
  }

  /** One datagram with the jobs' messages, each padded to 4 bytes. */
  private send(lane: number, jobs: readonly Job[]): void {
    const parts: Buffer[] = [];
    for (const job of jobs) {
      const flags = NLM_F_REQUEST | (job.request.kind === 'dump' ? NLM_F_DUMP : NLM_F_ACK);
      const length = NLMSG_HDRLEN + job.request.body.reduce((n, b) => n + b.length, 0);
      parts.push(nlHeader(length, job.request.type, flags, job.seq), ...job.request.body);
      if (length % 4 !== 0) parts.push(Buffer.alloc(4 - (length % 4)));
    }
    const fail = (failure: Failure): void => {
      for (const job of jobs) this.finish(job, failure);
    };
    try {
      this.socketOf(lane).send(parts, (err) => {
        if (err !== undefined) fail(new Failure(Math.abs(err.errno ?? EPROTO), `send failed: ${err.message}`, false, err));
      });
    } catch (err) {
      fail(new Failure(EPROTO, `send failed: ${String(err)}`, false, err));
    }
  }

  private receive(lane: number, datagram: Buffer, truncated: boolean): void {
    const socket = this.sockets[lane];
    if (socket === undefined) return;
    if (truncated) {
      this.resetLane(lane, socket, new Failure(EMSGSIZE, 'a reply was truncated (EMSGSIZE)', false));
      return;
    }
    const msgs = parseNlMessages(datagram);
    if (msgs === undefined) {
      this.resetLane(lane, socket, new Failure(EPROTO, 'malformed netlink datagram', false));
      return;
    }
    for (const msg of msgs) this.handle(lane, msg);
  }

  private handle(lane: number, msg: NlMessage): void {
    const job = this.inflight.get(msg.seq);
    if (job?.lane !== lane || msg.type === NLMSG_NOOP) return; // late reply of a failed request, or noise
    if (msg.type === NLMSG_ERROR || msg.type === NLMSG_DONE) {
      const errno = statusOf(msg.data);
      if (errno === 0) this.finish(job, undefined);
      else this.finish(job, new Failure(errno, undefined, true));
      return;
    }
    if (msg.type === NLMSG_OVERRUN) {
      this.finish(job, new Failure(EPROTO, 'the kernel reported an overrun', false));
      return;
    }
    job.replies.push(msg);
    if (job.request.kind === 'dump') job.ticks = 0;
  }

  /** Ends a request (resolved when failure is undefined) and sends what may go next. */
  private finish(job: Job, failure: Failure | undefined): void {
    if (this.inflight.get(job.seq) !== job) return;
    this.inflight.delete(job.seq);
    if (job.request.kind === 'dump') this.laneBusy[job.lane] = false;
    if (this.inflight.size === 0) {
      this.inflightKind = null;
      this.cancelTimer?.();
      this.cancelTimer = null;
    }
    if (failure === undefined) job.resolve(job.replies);
    else job.reject(failure);
    this.pump();
  }

  /**
   * After a socket error or a lost reply the socket's state is unknown (a dump
   * may still be running on it): close it, fail what was in flight on it, and
   * let the next request on this lane open a fresh one.
   */
  private resetLane(lane: number, socket: DatagramSocket, failure: Failure): void {
    if (this.sockets[lane] !== socket) return;
    this.sockets[lane] = undefined;
    socket.close();
    for (const job of [...this.inflight.values()]) if (job.lane === lane) this.finish(job, failure);
  }

  /**
   * One timer ticks every timeoutMs / 2 while anything is in flight; a request
   * that has seen three ticks has waited between 1 and 1.5 x timeoutMs. No
   * clock read per request: under emulation a precise clock read is a costly
   * trap, and requests are many.
   */
  private armTimer(): void {
    if (this.cancelTimer !== null || this.inflight.size === 0) return;
    this.cancelTimer = this.options.clock.setTimer(this.options.timeoutMs / 2, () => {
      this.cancelTimer = null;
      const expired: Job[] = [];
      for (const job of this.inflight.values()) {
        job.ticks += 1;
        if (job.ticks >= 3) expired.push(job);
      }
      for (const job of expired) {
        this.finish(job, new Failure(ETIMEDOUT, `no reply within ${this.options.timeoutMs} ms`, false));
      }
      this.armTimer();
    });
  }

  private setAlive(on: boolean): void {
    if (on === this.alive) return;
    this.alive = on;
    for (const s of this.sockets) s?.keepAlive(on);
  }
}
