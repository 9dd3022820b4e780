/**
 * The CLI side of the control socket: connect, send one request, read one
 * reply, close. Every failure becomes a ControlSocketError with a sentence an
 * operator can act on.
 */
import { connect, type Socket } from 'node:net';
import { ControlSocketError, errnoCode } from './errors.js';
import { LineFramer } from './line-framer.js';
import { encodeRequest, MAX_REPLY_BYTES, mergeParts, parseReply, successReply, type ControlCommand, type ControlReply, type JsonObject } from './protocol.js';

export const DEFAULT_SOCKET_PATH = '/run/lvs-ha/control.sock';
export const DEFAULT_CLIENT_TIMEOUT_MS = 5_000;

export interface ControlRequestOptions {
  readonly timeoutMs?: number;
  readonly args?: JsonObject;
}

/** Turn a connect/IO error into the operator-facing error. */
export function describeConnectError(socketPath: string, err: unknown): ControlSocketError {
  const code = errnoCode(err);
  switch (code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new ControlSocketError('LVSHA_CONTROL_NO_DAEMON', `no daemon is listening on ${socketPath} (is lvs-ha running?)`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new ControlSocketError('LVSHA_CONTROL_PERMISSION', `the control socket ${socketPath} is root-only (permission denied; run as root)`, { cause: err });
    case 'ENOTSOCK':
      return new ControlSocketError('LVSHA_CONTROL_NO_DAEMON', `${socketPath} is not a socket (is the --socket path right?)`, { cause: err });
    default: {
      const why = err instanceof Error ? err.message : String(err);
      return new ControlSocketError('LVSHA_CONTROL_IO', `control socket ${socketPath}: ${why}`, { cause: err });
    }
  }
}

/**
 * Send one command and resolve with the daemon's reply (which may itself be an
 * error reply: that is the daemon answering, not a transport failure).
 */
export function requestControl(socketPath: string, cmd: ControlCommand, options: ControlRequestOptions = {}): Promise<ControlReply> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  const id = `${process.pid}-1`;
  return new Promise<ControlReply>((resolve, reject) => {
    const socket: Socket = connect(socketPath);
    const framer = new LineFramer(MAX_REPLY_BYTES);
    let settled = false;
    const finish = (outcome: { reply: ControlReply } | { error: ControlSocketError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if ('reply' in outcome) resolve(outcome.reply);
      else reject(outcome.error);
    };
    const timeout = (): void => {
      finish({ error: new ControlSocketError('LVSHA_CONTROL_TIMEOUT', `the daemon on ${socketPath} did not answer within ${timeoutMs} ms`) });
    };
    let timer = setTimeout(timeout, timeoutMs);
    // A streamed reply (parts with `more`) is merged; each part restarts the timeout.
    const parts: JsonObject[] = [];
    socket.on('connect', () => socket.write(encodeRequest(id, cmd, options.args ?? {})));
    socket.on('error', (err) => {
      finish({ error: describeConnectError(socketPath, err) });
    });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        if (frame.kind === 'oversized') {
          finish({ error: new ControlSocketError('LVSHA_CONTROL_PROTOCOL', `the daemon on ${socketPath} sent a reply longer than ${MAX_REPLY_BYTES} bytes`) });
          return;
        }
        const parsed = parseReply(frame.text);
        if (!parsed.ok) {
          finish({ error: new ControlSocketError('LVSHA_CONTROL_PROTOCOL', `bad reply from ${socketPath}: ${parsed.reason}`) });
          return;
        }
        const reply = parsed.value;
        if (reply.ok && reply.more === true) {
          parts.push(reply.result);
          clearTimeout(timer);
          timer = setTimeout(timeout, timeoutMs);
          continue;
        }
        if (reply.ok && parts.length > 0) finish({ reply: successReply(reply.id, mergeParts([...parts, reply.result])) });
        else finish({ reply });
        return;
      }
    });
    socket.on('close', () => {
      finish({ error: new ControlSocketError('LVSHA_CONTROL_PROTOCOL', `the daemon on ${socketPath} closed the connection without replying`) });
    });
  });
}

/** True when something accepts connections on socketPath (used to detect a live daemon). */
export function probeSocket(socketPath: string, timeoutMs: number): Promise<'live' | 'dead' | 'absent'> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const done = (result: 'live' | 'dead' | 'absent'): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // A daemon that accepts but is wedged still owns the socket: only a refusal proves it dead.
    const timer = setTimeout(() => {
      done('live');
    }, timeoutMs);
    socket.on('connect', () => {
      done('live');
    });
    socket.on('error', (err) => {
      const code = errnoCode(err);
      done(code === 'ENOENT' ? 'absent' : code === 'ECONNREFUSED' ? 'dead' : 'live');
    });
  });
}
