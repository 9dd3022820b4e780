/**
 * One HTTP request over an undici Client through the low-level `dispatch`
 * API: the status and at most `maxBodyBytes` of the body, collected in a
 * handler (no Readable stream, no async iterator per response). A body
 * larger than the limit is cut there and the connection aborted. The signal
 * aborts the request; the promise then rejects with the signal's reason.
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

export function dispatchOnce(client: Client, req: HttpRequest, signal: AbortSignal): Promise<HttpOutcome> {
  return new Promise<HttpOutcome>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let settled = false;
    let status = 0;
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: unknown, truncated: boolean): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err === null) resolve({ status, body: { bytes: Buffer.concat(chunks, size), truncated } });
      else reject(err instanceof Error ? err : new Error('request failed'));
    };
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      const err = reason instanceof Error ? reason : new Error('aborted');
      controller?.abort(err);
      done(err, false);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
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
          chunks.push(chunk.subarray(0, room));
          size += room;
          done(null, true);
          c.abort(new BodyLimitReached(`body larger than ${String(req.maxBodyBytes)} bytes`));
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      },
      onResponseEnd: () => {
        done(null, false);
      },
      onResponseError: (_c, err) => {
        done(err, false);
      },
    };
    client.dispatch({ path: req.path, method: req.method, headers: req.headers, reset: true }, handler);
  });
}
