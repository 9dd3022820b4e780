/**
 * Generic netlink adapter: resolve a family by name through nlctrl, send doit
 * requests (REQUEST|ACK) and dumps (REQUEST|DUMP, multi-part until DONE).
 * Kernel errors become a typed NetlinkError carrying errno, its name and the
 * command.
 *
 * Requests go through ./genl-pipeline.ts on the `netlink` package's raw
 * sockets: concurrent doit requests are pipelined (a window of them in flight,
 * replies matched by sequence number, each error mapped to its own request),
 * dumps run one per socket on a small pool of sockets, and doits and dumps
 * never overlap. Callers get pipelining by issuing requests concurrently
 * (e.g. Promise.all over independent operations); requests still reach the
 * kernel in the order they were made.
 *
 * Receive side: no message peeking, a 64 KiB receive buffer (the kernel sizes
 * dump messages to at most 32 KiB) and a large SO_RCVBUF (the kernel caps it
 * at 2 x net.core.rmem_max, 416 KiB by default) so that big dumps and a full
 * window of ACKs (each under 1 KiB of buffer) do not overrun the socket
 * (ENOBUFS). A truncated datagram or a socket error fails the requests in
 * flight on that socket. An error code the kernel puts in DONE fails the dump.
 */
import { getSystemErrorName } from 'node:util';
import { AttrStream, genl, GENL_ID_CTRL, RawNetlinkSocket } from 'netlink';
import { systemClock, type Clock } from '../core/clock.js';
import { LvsHaError } from '../core/errors.js';
import { EPROTO, Failure, NetlinkEngine, type DatagramSocket, type NlMessage } from './genl-pipeline.js';

const NETLINK_GENERIC = 16;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_VERSION = 2;
const GENL_HDRLEN = 4;
const ENOENT = 2;
const EPERM = 1;

export class NetlinkError extends LvsHaError {
  readonly code = 'LVSHA_NETLINK';
  /** Positive errno, e.g. 2 for ENOENT. */
  readonly errno: number;
  /** "ENOENT" etc. */
  readonly errnoName: string;
  /** What was sent, e.g. "IPVS GET_INFO" or "nlctrl GETFAMILY IPVS". */
  readonly command: string;
  constructor(params: { errno: number; command: string; detail?: string }, options?: ErrorOptions) {
    const errnoName = errnoNameOf(params.errno);
    super(`${params.command}: ${params.detail ?? explainErrno(params.errno, errnoName)}`, options);
    this.errno = params.errno;
    this.errnoName = errnoName;
    this.command = params.command;
  }
}

function errnoNameOf(errno: number): string {
  try {
    return getSystemErrorName(-Math.abs(errno));
  } catch {
    return `errno ${errno}`;
  }
}

function explainErrno(errno: number, name: string): string {
  if (errno === EPERM) return `operation not permitted (${name}): needs CAP_NET_ADMIN (run as root or grant the capability)`;
  return `the kernel answered ${name} (errno ${errno})`;
}

export interface GenlFamily {
  id: number;
  name: string;
  /** The version this client speaks (sent in every genl header). */
  version: number;
}

export interface GenlMessage {
  cmd: number;
  version: number;
  flags: number;
  payload: Buffer;
}

export interface GenlRequest {
  cmd: number;
  kind: 'doit' | 'dump';
  payload: Uint8Array;
  /** For error messages: "GET_INFO". Default "command <n>". */
  label?: string;
  /** Family-specific wording for an errno (e.g. IPVS: ESRCH = no such service). */
  explain?: (errno: number, errnoName: string) => string | undefined;
}

export interface ResolveOptions {
  /** The family's version this client speaks. */
  version: number;
  /** Appended to the ENOENT message, e.g. "this kernel has no IPVS (…)". */
  missingHint?: string;
}

export interface GenericNetlink {
  resolveFamily(name: string, options: ResolveOptions): Promise<GenlFamily>;
  request(family: GenlFamily, request: GenlRequest): Promise<GenlMessage[]>;
  close(): void;
}

export interface GenericNetlinkOptions {
  /** Per request (default 5000 ms; for a dump, since its last part). */
  timeoutMs?: number;
  /** SO_RCVBUF (default 4 MiB; the kernel caps it at rmem_max unless root uses FORCE). */
  socketReceiveBufferBytes?: number;
  /** doit requests in flight at once (default 128). */
  window?: number;
  /** Sockets for concurrent dumps (default 4; 1 = dumps one at a time). */
  dumpSockets?: number;
  /** Timers (default the system clock). */
  clock?: Clock;
}

/** Splits a genl message (netlink payload = 4-byte genl header + attributes). */
export function parseGenlPayload(msg: Pick<NlMessage, 'data' | 'flags'>): GenlMessage | undefined {
  if (msg.data.length < GENL_HDRLEN) return undefined;
  return { cmd: msg.data.readUInt8(0), version: msg.data.readUInt8(1), flags: msg.flags, payload: msg.data.subarray(GENL_HDRLEN) };
}

function genlHeader(cmd: number, version: number): Buffer {
  return Buffer.from([cmd, version, 0, 0]);
}

/** The engine's failure as a NetlinkError for `command` (kernel errnos worded by `explain`). */
function toNetlinkError(err: unknown, command: string, explain?: GenlRequest['explain']): NetlinkError {
  if (!(err instanceof Failure)) return new NetlinkError({ errno: EPROTO, command, detail: `send/receive failed: ${String(err)}` }, { cause: err });
  const detail = err.fromKernel ? explain?.(err.errno, errnoNameOf(err.errno)) : err.detail;
  const options = err.cause === undefined ? undefined : { cause: err.cause };
  return new NetlinkError(detail === undefined ? { errno: err.errno, command } : { errno: err.errno, command, detail }, options);
}

/** A GenericNetlink over a NetlinkEngine (real sockets, or fake ones in tests). */
export class GenericNetlinkClient implements GenericNetlink {
  private readonly engine: NetlinkEngine;

  constructor(openSocket: () => DatagramSocket, options: GenericNetlinkOptions = {}) {
    this.engine = new NetlinkEngine(openSocket, {
      clock: options.clock ?? systemClock,
      timeoutMs: options.timeoutMs ?? 5000,
      window: Math.max(1, options.window ?? 128),
      lanes: Math.max(1, options.dumpSockets ?? 4),
    });
  }

  private async exchange(type: number, kind: 'doit' | 'dump', body: Buffer[], command: string, explain?: GenlRequest['explain']): Promise<GenlMessage[]> {
    let msgs: NlMessage[];
    try {
      msgs = await this.engine.submit({ type, kind, body });
    } catch (err) {
      throw toNetlinkError(err, command, explain);
    }
    const out: GenlMessage[] = [];
    for (const msg of msgs) {
      const parsed = parseGenlPayload(msg);
      if (parsed === undefined) throw new NetlinkError({ errno: EPROTO, command, detail: 'reply shorter than a genl header' });
      out.push(parsed);
    }
    return out;
  }

  async resolveFamily(name: string, options: ResolveOptions): Promise<GenlFamily> {
    const command = `nlctrl GETFAMILY ${name}`;
    const attrs = new AttrStream();
    attrs.emit(genl.formatMessage({ familyName: name }));
    const body = [genlHeader(CTRL_CMD_GETFAMILY, CTRL_VERSION), ...attrs.bufs.map((b) => Buffer.from(b))];
    const lookup = (): Promise<GenlMessage[]> => this.exchange(GENL_ID_CTRL, 'doit', body, command);
    let replies: GenlMessage[];
    try {
      // The lookup itself asks the kernel to autoload the module; the first try
      // right after a module load can still miss, so try once more (D1).
      replies = await lookup().catch((err: unknown) => {
        if (err instanceof NetlinkError && err.errno === ENOENT) return lookup();
        throw err;
      });
    } catch (err) {
      if (!(err instanceof NetlinkError) || err.errno !== ENOENT) throw err;
      const hint = options.missingHint ?? 'the kernel does not provide it';
      throw new NetlinkError({ errno: ENOENT, command, detail: `generic netlink family "${name}" not found (ENOENT): ${hint}` });
    }
    const first = replies[0];
    const id = first === undefined ? undefined : familyIdOf(first.payload);
    if (id === undefined) throw new NetlinkError({ errno: EPROTO, command, detail: 'nlctrl reply without a family id' });
    return { id, name, version: options.version };
  }

  request(family: GenlFamily, request: GenlRequest): Promise<GenlMessage[]> {
    const command = `${family.name} ${request.label ?? `command ${request.cmd}`}`;
    const body = [genlHeader(request.cmd, family.version), Buffer.from(request.payload.buffer, request.payload.byteOffset, request.payload.byteLength)];
    return this.exchange(family.id, request.kind, body, command, request.explain);
  }

  close(): void {
    this.engine.close();
  }
}

function familyIdOf(payload: Buffer): number | undefined {
  try {
    return genl.parseMessage(payload).familyId;
  } catch {
    return undefined;
  }
}

/** A DatagramSocket on the `netlink` package's raw socket (NETLINK_GENERIC). */
function rawGenericSocket(receiveBufferBytes: number): DatagramSocket {
  const raw = new RawNetlinkSocket(NETLINK_GENERIC, {
    messagePeeking: false,
    msgBufferSize: 64 * 1024,
    recvBufferSize: receiveBufferBytes,
    sendBufferSize: 256 * 1024,
  });
  raw.unref();
  return {
    send: (datagram, done) => { raw.send([...datagram], { port: 0 }, done); },
    onMessage: (handler) => {
      raw.on('message', (msg: Buffer) => { handler(msg, false); });
      raw.on('truncatedMessage', (msg: Buffer) => { handler(msg, true); });
    },
    onError: (handler) => { raw.on('error', handler); },
    keepAlive: (on) => { if (on) raw.ref(); else raw.unref(); },
    close: () => { raw.close(); },
  };
}

/** Opens a generic netlink client (one socket, more for concurrent dumps on demand). Close it when done. */
export function openGenericNetlink(options: GenericNetlinkOptions = {}): GenericNetlink {
  const receiveBufferBytes = options.socketReceiveBufferBytes ?? 4 * 1024 * 1024;
  return new GenericNetlinkClient(() => rawGenericSocket(receiveBufferBytes), options);
}
