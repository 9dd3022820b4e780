/**
 * The daemon side of the control socket: a Unix stream socket, mode 0600 (0660
 * with a read-only group), newline-delimited JSON. It frames and decodes
 * requests and hands each valid one to the handler; what a command does is the
 * daemon's business.
 *
 * Guards: every connection's peer credentials (SO_PEERCRED) are checked
 * against the access policy (./access.ts) before anything is read; replies go
 * out one at a time, and a client that does not read them stops being read
 * (and is answered no further) until its backlog drains, so a client that never
 * reads holds at most one reply plus MAX_BUFFERED_BYTES of the daemon's memory,
 * and is closed when the idle timeout passes without progress.
 */
import { mkdirSync, chmodSync, chownSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { probeSocket } from './client.js';
import { loadLvshaNet, type PeerCred } from '../native/lvsha-net.js';
import { accessLevel, permits, refusalMessage, type AccessLevel, type AccessPolicy } from './access.js';
import { ControlSocketError, errnoCode } from './errors.js';
import { LineFramer, type Frame } from './line-framer.js';
import {
  encodeReply, errorReply, isStreamedReply, MAX_LINE_BYTES, parseRequest, partReply, successReply,
  type ControlReply, type ControlRequest, type JsonObject, type StreamedReply,
} from './protocol.js';

export type ControlHandler = (request: ControlRequest) => Promise<ControlReply | StreamedReply>;

export interface ControlServerOptions {
  readonly socketPath: string;
  readonly handler: ControlHandler;
  /** Connections beyond this are answered `busy` and closed. */
  readonly maxConnections?: number;
  /** A connection idle this long is closed. */
  readonly idleTimeoutMs?: number;
  /** How long to wait for an existing socket to answer before judging it. */
  readonly probeTimeoutMs?: number;
  /** Called for per-connection trouble worth a log line (never for ordinary errors replies). */
  readonly onConnectionError?: (err: Error) => void;
  /** Who may connect; default: root and this process's uid, no read-only group. */
  readonly access?: AccessPolicy;
  /** The peer's credentials (default: SO_PEERCRED through the native addon; null = unknown, refused). */
  readonly peerCred?: (socket: Socket) => PeerCred | null;
  /** Called when a peer is refused (a log line, rate-limited by the caller if it likes). */
  readonly onRefused?: (message: string, cred: PeerCred | null) => void;
}

export interface ControlServer {
  readonly socketPath: string;
  /** Open connections and the reply bytes waiting in their write buffers (for tests and status). */
  stats(): { readonly connections: number; readonly bufferedBytes: number; readonly refused: number };
  /** Stop accepting, drop open connections, remove the socket file if it is still ours. */
  close(): Promise<void>;
}

const SOCKET_MODE = 0o600;
const GROUP_SOCKET_MODE = 0o660;
/** A client that pipelines more unanswered requests than this is disconnected. */
const MAX_PENDING_PER_CONNECTION = 64;
/** Above this many unsent reply bytes, the connection is not read and not answered until it drains. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
const DIR_MODE = 0o700;

function defaultPolicy(): AccessPolicy {
  return { adminUids: [0, process.geteuid?.() ?? 0], readonlyGid: null };
}

/** SO_PEERCRED of a connected Unix socket through the native addon; null if it cannot be read. */
export function socketPeerCred(socket: Socket): PeerCred | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return loadLvshaNet().peerCred(fd);
  } catch {
    return null;
  }
}

/**
 * With a read-only group, the socket is 0660 root:group, and the directory it
 * sits in must let the group through: a private directory (owned by us, not
 * shared with others) becomes group-owned with mode 0710.
 */
function openToGroup(socketPath: string, gid: number): void {
  chownSync(socketPath, -1, gid);
  chmodSync(socketPath, GROUP_SOCKET_MODE);
  const dir = dirname(socketPath);
  const st = statSync(dir);
  const shared = (st.mode & 0o1000) !== 0 || (st.mode & 0o002) !== 0 || st.uid !== (process.geteuid?.() ?? 0);
  if (shared) return;
  if (st.gid !== gid) chownSync(dir, -1, gid);
  if ((st.mode & 0o010) === 0) chmodSync(dir, (st.mode & 0o7777) | 0o010);
}

/** Refuse if a live daemon owns socketPath; remove a stale socket left by a dead one. */
async function claimSocketPath(socketPath: string, probeTimeoutMs: number): Promise<'fresh' | 'replaced-stale'> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'fresh';
    throw new ControlSocketError('LVSHA_CONTROL_SETUP', `cannot inspect ${socketPath}: ${String(err)}`, { cause: err });
  }
  if (!isSocket) {
    throw new ControlSocketError('LVSHA_CONTROL_NOT_SOCKET', `${socketPath} exists and is not a socket; refusing to replace it`);
  }
  const probe = await probeSocket(socketPath, probeTimeoutMs);
  if (probe === 'live') {
    throw new ControlSocketError('LVSHA_CONTROL_IN_USE', `another lvs-ha daemon is already listening on ${socketPath}; refusing to start a second one`);
  }
  if (probe === 'dead') unlinkSync(socketPath);
  return probe === 'dead' ? 'replaced-stale' : 'fresh';
}

function ensureParentDir(socketPath: string): void {
  try {
    mkdirSync(dirname(socketPath), { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw new ControlSocketError('LVSHA_CONTROL_SETUP', `cannot create the directory of ${socketPath}: ${String(err)}`, { cause: err });
  }
}

/**
 * Bind under a umask that leaves only the owner's bits, so the socket never
 * exists with a wider mode, then chmod as well (belt and braces) and verify.
 * Binding a Unix socket happens synchronously inside listen(), so the umask
 * window covers no other file creation in this process.
 */
function bindRestricted(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      // Another daemon bound the path between our check and our bind.
      if (errnoCode(err) === 'EADDRINUSE') {
        reject(new ControlSocketError('LVSHA_CONTROL_IN_USE', `another lvs-ha daemon is already listening on ${socketPath}; refusing to start a second one`, { cause: err }));
        return;
      }
      reject(new ControlSocketError('LVSHA_CONTROL_SETUP', `cannot listen on ${socketPath}: ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    const previous = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
}

interface SocketIdentity {
  readonly dev: number;
  readonly ino: number;
}

function identityOf(path: string): SocketIdentity | null {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer & { readonly replacedStale: boolean }> {
  const { socketPath } = options;
  ensureParentDir(socketPath);
  const claim = await claimSocketPath(socketPath, options.probeTimeoutMs ?? 1_000);
  const connections = new Set<Socket>();
  const counts = { refused: 0 };
  const policy = options.access ?? defaultPolicy();
  // Half-open allowed: a client may send its request and shut its side at once
  // (`echo ... | socat`); the replies still go out before we close ours.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const cred = (options.peerCred ?? socketPeerCred)(socket);
    const level = accessLevel(cred, policy);
    if (level === null) {
      counts.refused += 1;
      const message = refusalMessage(cred, policy);
      options.onRefused?.(message, cred);
      socket.on('error', () => undefined);
      // Whatever it sends is discarded unread; it gets the reason, then the close. Not destroyed
      // at once, so that a client still writing its request reads the reason, not EPIPE.
      socket.resume();
      socket.end(encodeReply(errorReply(null, { code: 'forbidden', message })));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    serveConnection(socket, connections, options, level);
  });
  await bindRestricted(server, socketPath);
  const gid = policy.readonlyGid;
  try {
    chmodSync(socketPath, SOCKET_MODE);
    if ((statSync(socketPath).mode & 0o077) !== 0) throw new Error('mode is still wider than 0600');
    if (gid !== null) openToGroup(socketPath, gid);
  } catch (err) {
    await new Promise((resolve) => server.close(resolve));
    const what = gid === null ? 'restrict it to mode 0600' : `open it to gid ${String(gid)} (mode 0660)`;
    throw new ControlSocketError('LVSHA_CONTROL_SETUP', `cannot ${what}: ${socketPath}: ${String(err)}`, { cause: err });
  }
  const identity = identityOf(socketPath);
  let closing: Promise<void> | null = null;
  return {
    socketPath,
    replacedStale: claim === 'replaced-stale',
    stats() {
      let bufferedBytes = 0;
      for (const c of connections) bufferedBytes += c.writableLength;
      return { connections: connections.size, bufferedBytes, refused: counts.refused };
    },
    close() {
      closing ??= closeServer(server, connections, socketPath, identity);
      return closing;
    },
  };
}

async function closeServer(server: Server, connections: Set<Socket>, socketPath: string, identity: SocketIdentity | null): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  for (const socket of connections) socket.destroy();
  await closed;
  // Node unlinks the path on close; make sure, but never remove a socket someone else bound since.
  const now = identityOf(socketPath);
  if (now && now.dev === identity?.dev && now.ino === identity.ino) {
    try {
      unlinkSync(socketPath);
    } catch {
      // already gone
    }
  }
}

function serveConnection(socket: Socket, connections: Set<Socket>, options: ControlServerOptions, level: AccessLevel): void {
  const maxConnections = options.maxConnections ?? 32;
  if (connections.size >= maxConnections) {
    const busy = encodeReply(errorReply(null, { code: 'busy', message: `too many control connections (limit ${maxConnections})` }));
    socket.on('error', () => undefined);
    socket.end(busy, () => socket.destroy());
    return;
  }
  connections.add(socket);
  // Idle = no bytes moved either way: a client that stops reading is closed after this too.
  socket.setTimeout(options.idleTimeoutMs ?? 60_000, () => socket.destroy());
  socket.on('close', () => connections.delete(socket));
  socket.on('error', (err) => options.onConnectionError?.(err));
  const framer = new LineFramer(MAX_LINE_BYTES);
  // Replies go out in request order: each request waits for the one before it,
  // and for the client to have taken most of the replies before it.
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  const drained = (): Promise<void> => {
    if (socket.destroyed || socket.writableLength <= MAX_BUFFERED_BYTES) return Promise.resolve();
    socket.pause();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        if (!socket.destroyed) socket.resume();
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  };
  const enqueue = (frames: readonly Frame[]): void => {
    for (const frame of frames) {
      if (++pending > MAX_PENDING_PER_CONNECTION) {
        socket.destroy();
        return;
      }
      chain = chain.then(drained).then(() => (socket.destroyed ? null : answer(frame, options.handler, level))).then(
        async (reply) => {
          pending -= 1;
          if (reply === null || socket.destroyed) return;
          if (!isStreamedReply(reply)) {
            socket.write(encodeReply(reply));
            return;
          }
          await writeParts(socket, reply, drained);
        },
        (err: unknown) => options.onConnectionError?.(err instanceof Error ? err : new Error(String(err))),
      );
    }
  };
  socket.on('data', (chunk: Buffer) => {
    enqueue(framer.push(chunk));
  });
  socket.on('end', () => {
    enqueue(framer.end());
    void chain.then(() => socket.end());
  });
}

/**
 * Writes a streamed reply one part per line, waiting for the client to take
 * the backlog between parts; the last part goes out without `more`. A client
 * that goes away stops the production (the iterator is returned).
 */
async function writeParts(socket: Socket, reply: StreamedReply, drained: () => Promise<void>): Promise<void> {
  let previous: JsonObject | null = null;
  try {
    for await (const part of reply.parts) {
      if (previous !== null) {
        socket.write(encodeReply(partReply(reply.id, previous)));
        await drained();
      }
      if (socket.destroyed) return;
      previous = part;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!socket.destroyed) socket.write(encodeReply(errorReply(reply.id, { code: 'internal', message: `internal error: ${message}` })));
    return;
  }
  if (!socket.destroyed) socket.write(encodeReply(successReply(reply.id, previous ?? {})));
}

async function answer(frame: Frame, handler: ControlHandler, level: AccessLevel): Promise<ControlReply | StreamedReply> {
  if (frame.kind === 'oversized') {
    return errorReply(null, { code: 'line_too_long', message: `request line longer than ${MAX_LINE_BYTES} bytes; discarded` });
  }
  const parsed = parseRequest(frame.text);
  if (!parsed.ok) return errorReply(parsed.refusal.id, parsed.refusal.error);
  if (!permits(level, parsed.request.cmd)) {
    return errorReply(parsed.request.id, { code: 'forbidden', message: `'${parsed.request.cmd}' needs root: control.readonly_group members may run status and connections only` });
  }
  try {
    return await handler(parsed.request);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return errorReply(parsed.request.id, { code: 'internal', message: `internal error: ${message}` });
  }
}
