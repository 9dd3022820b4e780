/**
 * Generic netlink adapter on the `netlink` npm package: resolve a family by
 * name through nlctrl, send doit requests (REQUEST|ACK) and dumps
 * (REQUEST|DUMP, multi-part until DONE). Kernel errors become a typed
 * NetlinkError carrying errno, its name and the command.
 *
 * Receive side: no message peeking, a 64 KiB receive buffer (the kernel sizes
 * dump messages to at most 32 KiB) and a large SO_RCVBUF so that big dumps
 * do not overrun the socket (ENOBUFS). A truncated datagram or a socket error
 * fails the request in flight. Requests on one socket are serialised: the
 * package groups multi-part replies per socket and the kernel runs one dump
 * per socket at a time. Known limit: the package drops the DONE message, so an
 * error code the kernel puts in DONE is not seen (IPVS dumps never set one).
 */
import { endianness } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { AttrStream, createNetlink, genl, GENL_ID_CTRL, MessageType, type NetlinkMessage, type NetlinkSocket } from 'netlink';
import { LvsHaError } from '../core/errors.js';

const LITTLE_ENDIAN = endianness() === 'LE';
const NLM_F_DUMP = 0x300;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_VERSION = 2;
const GENL_HDRLEN = 4;
const ENOENT = 2;
const EPERM = 1;
const EMSGSIZE = 90;
const ETIMEDOUT = 110;
const EPROTO = 71;

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
  /** Per request (default 5000 ms). */
  timeoutMs?: number;
  /** SO_RCVBUF (default 4 MiB; the kernel caps it at rmem_max unless root uses FORCE). */
  socketReceiveBufferBytes?: number;
}

/** Splits a genl message (netlink payload = 4-byte genl header + attributes). */
export function parseGenlPayload(msg: NetlinkMessage): GenlMessage | undefined {
  if (msg.data.length < GENL_HDRLEN) return undefined;
  return { cmd: msg.data.readUInt8(0), version: msg.data.readUInt8(1), flags: msg.flags, payload: msg.data.subarray(GENL_HDRLEN) };
}

function genlHeader(cmd: number, version: number): Buffer {
  return Buffer.from([cmd, version, 0, 0]);
}

/** The errno of an NLMSG_ERROR (0 = ACK), positive. */
export function errorCodeOf(msg: NetlinkMessage): number | undefined {
  if (msg.type !== (MessageType.ERROR as number)) return undefined;
  if (msg.data.length < 4) return EPROTO;
  return Math.abs(LITTLE_ENDIAN ? msg.data.readInt32LE(0) : msg.data.readInt32BE(0));
}

interface Failure {
  errno: number;
  detail: string;
  cause?: unknown;
}

class GenericNetlinkClient implements GenericNetlink {
  /** Rejecters of the exchange in flight (at most one: exchanges are serialised). */
  private readonly pending = new Set<(failure: Failure) => void>();
  /** The library groups multi-part replies per socket, so one exchange at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly socket: NetlinkSocket, private readonly timeoutMs: number) {
    socket.on('truncatedMessage', () => {
      this.failAll({ errno: EMSGSIZE, detail: 'a reply was truncated (EMSGSIZE)' });
    });
    socket.on('error', (err) => {
      const errno = Math.abs(err.errno);
      this.failAll({ errno, detail: `socket error ${errnoNameOf(errno)} in ${err.syscall}`, cause: err });
    });
  }

  private failAll(failure: Failure): void {
    for (const reject of this.pending) reject(failure);
  }

  private exchange(type: number, flags: number, data: Buffer[], command: string): Promise<NetlinkMessage[]> {
    const run = this.queue.then(() => this.exchangeNow(type, flags, data, command));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async exchangeNow(type: number, flags: number, data: Buffer[], command: string): Promise<NetlinkMessage[]> {
    let rejectAborted: ((err: Error) => void) | undefined;
    const aborted = new Promise<never>((_, reject) => { rejectAborted = reject; });
    const abort = (f: Failure): void => rejectAborted?.(new NetlinkError({ errno: f.errno, command, detail: f.detail }, { cause: f.cause }));
    this.pending.add(abort);
    try {
      const sent = this.socket.request(type, data, { flags, timeout: this.timeoutMs, checkError: false });
      sent.catch(() => undefined); // if `aborted` wins, a later rejection must not go unhandled
      const [msgs] = await Promise.race([sent, aborted]);
      return msgs;
    } catch (err) {
      if (err instanceof NetlinkError) throw err;
      const timedOut = err instanceof Error && err.message.includes('Timeout');
      const detail = timedOut ? `no reply within ${this.timeoutMs} ms` : `send/receive failed: ${String(err)}`;
      throw new NetlinkError({ errno: timedOut ? ETIMEDOUT : EPROTO, command, detail }, { cause: err });
    } finally {
      this.pending.delete(abort);
    }
  }

  async resolveFamily(name: string, options: ResolveOptions): Promise<GenlFamily> {
    const command = `nlctrl GETFAMILY ${name}`;
    const attrs = new AttrStream();
    attrs.emit(genl.formatMessage({ familyName: name }));
    const data = [genlHeader(CTRL_CMD_GETFAMILY, CTRL_VERSION), ...attrs.bufs.map((b) => Buffer.from(b))];
    // The lookup itself asks the kernel to autoload the module; the first try
    // right after a module load can still miss, so try once more (D1).
    let first = (await this.exchange(GENL_ID_CTRL, 0, data, command))[0];
    if (first !== undefined && errorCodeOf(first) === ENOENT) first = (await this.exchange(GENL_ID_CTRL, 0, data, command))[0];
    const errno = first === undefined ? EPROTO : errorCodeOf(first);
    if (errno === ENOENT) {
      const hint = options.missingHint ?? 'the kernel does not provide it';
      throw new NetlinkError({ errno, command, detail: `generic netlink family "${name}" not found (ENOENT): ${hint}` });
    }
    if (errno !== undefined && errno !== 0) throw new NetlinkError({ errno, command });
    const genlMsg = first === undefined ? undefined : parseGenlPayload(first);
    const id = genlMsg === undefined ? undefined : familyIdOf(genlMsg.payload);
    if (id === undefined) throw new NetlinkError({ errno: EPROTO, command, detail: 'nlctrl reply without a family id' });
    return { id, name, version: options.version };
  }

  async request(family: GenlFamily, request: GenlRequest): Promise<GenlMessage[]> {
    const command = `${family.name} ${request.label ?? `command ${request.cmd}`}`;
    const flags = request.kind === 'dump' ? NLM_F_DUMP : 0;
    const data = [genlHeader(request.cmd, family.version), Buffer.from(request.payload)];
    const replies = await this.exchange(family.id, flags, data, command);
    const out: GenlMessage[] = [];
    for (const msg of replies) {
      const errno = errorCodeOf(msg);
      if (errno === 0) continue;
      if (errno !== undefined) {
        const name = errnoNameOf(errno);
        const detail = request.explain?.(errno, name);
        throw new NetlinkError(detail === undefined ? { errno, command } : { errno, command, detail });
      }
      const parsed = parseGenlPayload(msg);
      if (parsed === undefined) throw new NetlinkError({ errno: EPROTO, command, detail: 'reply shorter than a genl header' });
      out.push(parsed);
    }
    return out;
  }

  close(): void {
    this.failAll({ errno: EPROTO, detail: 'socket closed' });
    this.socket.close();
  }
}

function familyIdOf(payload: Buffer): number | undefined {
  try {
    return genl.parseMessage(payload).familyId;
  } catch {
    return undefined;
  }
}

/** Opens a generic netlink socket. Close it when done. */
export function openGenericNetlink(options: GenericNetlinkOptions = {}): GenericNetlink {
  const socket = createNetlink(16, {
    messagePeeking: false,
    msgBufferSize: 64 * 1024,
    recvBufferSize: options.socketReceiveBufferBytes ?? 4 * 1024 * 1024,
    sendBufferSize: 64 * 1024,
  });
  return new GenericNetlinkClient(socket, options.timeoutMs ?? 5000);
}
