/**
 * One HTTP request over an undici Client through the low-level `dispatch`
 * API: the status and at most `maxBodyBytes` of the body, collected in a
 * handler (no Readable stream, no async iterator per response). A body
 * larger than the limit is cut there and the connection aborted.
 *
 * Two forms: `dispatchStart` (a callback and a cancel function: what the
 * scheduler's cheap path uses, no promise, no AbortSignal) and `dispatchOnce`
 * (a promise and an AbortSignal, built on it).
 */
import type { Client, Dispatcher } from 'undici';

export interface HttpRequest {
  readonly path: string;
  readonly method: 'GET' | 'HEAD';
  readonly headers: Readonly<Record<string, string>>;
  readonly maxBodyBytes: number;
}

export interface Body {
  readonly bytes: Buffer;
  readonly truncated: boolean;
}

export interface HttpOutcome {
  readonly status: number;
  readonly body: Body;
}

class BodyLimitReached extends Error {
  readonly code = 'LVSHA_BODY_LIMIT';
}

/** Called exactly once: with the outcome, or with the error (also the cancel reason). */
export type DispatchDone = (err: Error | null, outcome: HttpOutcome | null) => void;

const EMPTY = Buffer.alloc(0);

/** Start one request; returns a cancel function (aborts the request, then done(reason)). */
export function dispatchStart(client: Client, req: HttpRequest, onDone: DispatchDone): (reason: Error) => void {
  let controller: Dispatcher.DispatchController | null = null;
  let settled = false;
  let status = 0;
  // one chunk is the common case (a small body): no array until a second one
  let first: Buffer | null = null;
  let more: Buffer[] | null = null;
  let size = 0;
  const body = (): Buffer => {
    if (more !== null) return Buffer.concat(more, size);
    return first ?? EMPTY;
  };
  const add = (chunk: Buffer): void => {
    size += chunk.length;
    if (first === null) {
      first = chunk;
    } else {
      more ??= [first];
      more.push(chunk);
    }
  };
  const done = (err: Error | null, truncated: boolean): void => {
    if (settled) return;
    settled = true;
    if (err === null) onDone(null, { status, body: { bytes: body(), truncated } });
    else onDone(err, null);
  };
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart: (c) => {
      controller = c;
      if (settled) c.abort(new Error('aborted'));
    },
    onResponseStart: (_c, statusCode) => {
      status = statusCode; // 1xx responses come first; the final one wins
    },
    onResponseData: (c, chunk) => {
      if (settled) return;
      const room = req.maxBodyBytes - size;
      if (chunk.length > room) {
        add(chunk.subarray(0, room));
        done(null, true);
        c.abort(new BodyLimitReached(`body larger than ${String(req.maxBodyBytes)} bytes`));
        return;
      }
      add(chunk);
    },
    onResponseEnd: () => {
      done(null, false);
    },
    onResponseError: (_c, err) => {
      done(err, false);
    },
  };
  client.dispatch({ path: req.path, method: req.method, headers: req.headers, reset: true }, handler);
  return (reason) => {
    if (settled) return;
    controller?.abort(reason);
    done(reason, false);
  };
}

/** The promise form: the signal aborts the request; the promise then rejects with the signal's reason. */
export function dispatchOnce(client: Client, req: HttpRequest, signal: AbortSignal): Promise<HttpOutcome> {
  return new Promise<HttpOutcome>((resolve, reject) => {
    const reasonOf = (): Error => {
      const reason: unknown = signal.reason;
      return reason instanceof Error ? reason : new Error('aborted');
    };
    if (signal.aborted) {
      reject(reasonOf());
      return;
    }
    const onAbort = (): void => { cancel(reasonOf()); };
    signal.addEventListener('abort', onAbort, { once: true });
    const cancel = dispatchStart(client, req, (err, outcome) => {
      signal.removeEventListener('abort', onAbort);
      if (outcome !== null) resolve(outcome);
      else reject(err ?? new Error('request failed'));
    });
  });
}
