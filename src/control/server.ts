/**
 * The daemon side of the control socket: a Unix stream socket, mode 0600,
 * newline-delimited JSON. It frames and decodes requests and hands each valid
 * one to the handler; what a command does is the daemon's business.
 */
import { mkdirSync, chmodSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { probeSocket } from './client.js';
import { ControlSocketError, errnoCode } from './errors.js';
import { LineFramer, type Frame } from './line-framer.js';
import {
  encodeReply, errorReply, MAX_LINE_BYTES, parseRequest,
  type ControlReply, type ControlRequest,
} from './protocol.js';

export type ControlHandler = (request: ControlRequest) => Promise<ControlReply>;

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
}

export interface ControlServer {
  readonly socketPath: string;
  /** Stop accepting, drop open connections, remove the socket file if it is still ours. */
  close(): Promise<void>;
}

const SOCKET_MODE = 0o600;
/** A client that pipelines more unanswered requests than this is disconnected. */
const MAX_PENDING_PER_CONNECTION = 64;
const DIR_MODE = 0o700;

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
  // Half-open allowed: a client may send its request and shut its side at once
  // (`echo ... | socat`); the replies still go out before we close ours.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    serveConnection(socket, connections, options);
  });
  await bindRestricted(server, socketPath);
  try {
    chmodSync(socketPath, SOCKET_MODE);
    if ((statSync(socketPath).mode & 0o077) !== 0) throw new Error('mode is still wider than 0600');
  } catch (err) {
    await new Promise((resolve) => server.close(resolve));
    throw new ControlSocketError('LVSHA_CONTROL_SETUP', `cannot restrict ${socketPath} to mode 0600: ${String(err)}`, { cause: err });
  }
  const identity = identityOf(socketPath);
  let closing: Promise<void> | null = null;
  return {
    socketPath,
    replacedStale: claim === 'replaced-stale',
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

function serveConnection(socket: Socket, connections: Set<Socket>, options: ControlServerOptions): void {
  const maxConnections = options.maxConnections ?? 32;
  if (connections.size >= maxConnections) {
    const busy = encodeReply(errorReply(null, { code: 'busy', message: `too many control connections (limit ${maxConnections})` }));
    socket.on('error', () => undefined);
    socket.end(busy, () => socket.destroy());
    return;
  }
  connections.add(socket);
  socket.setTimeout(options.idleTimeoutMs ?? 60_000, () => socket.destroy());
  socket.on('close', () => connections.delete(socket));
  socket.on('error', (err) => options.onConnectionError?.(err));
  const framer = new LineFramer(MAX_LINE_BYTES);
  // Replies go out in request order: each request waits for the one before it.
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  const enqueue = (frames: readonly Frame[]): void => {
    for (const frame of frames) {
      if (++pending > MAX_PENDING_PER_CONNECTION) {
        socket.destroy();
        return;
      }
      chain = chain.then(() => answer(frame, options.handler)).then(
        (reply) => {
          pending -= 1;
          if (!socket.destroyed) socket.write(encodeReply(reply));
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

async function answer(frame: Frame, handler: ControlHandler): Promise<ControlReply> {
  if (frame.kind === 'oversized') {
    return errorReply(null, { code: 'line_too_long', message: `request line longer than ${MAX_LINE_BYTES} bytes; discarded` });
  }
  const parsed = parseRequest(frame.text);
  if (!parsed.ok) return errorReply(parsed.refusal.id, parsed.refusal.error);
  try {
    return await handler(parsed.request);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return errorReply(parsed.request.id, { code: 'internal', message: `internal error: ${message}` });
  }
}
