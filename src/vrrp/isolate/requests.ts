/**
 * Requests to the VRRP isolate that wait for a reply: ids, per-request timeouts on the injected
 * clock, and failing every open one at once when the isolate exits.
 */
import type { JsonValue } from '../../control/protocol.js';
import type { Clock } from '../../core/clock.js';
import { describeError, LvsHaError } from '../../core/errors.js';
import type { HostMessage } from './protocol.js';

export class IsolateError extends LvsHaError {
  readonly code = 'LVSHA_VRRP_ISOLATE';
}

interface Pending {
  readonly resolve: (value: JsonValue) => void;
  readonly reject: (err: Error) => void;
  readonly cancel: () => void;
}

export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly clock: Clock) {}

  /** Send `message` with a fresh id through `send`; resolves with the reply's value. */
  open(message: HostMessage, send: (message: HostMessage) => void, timeoutMs: number): Promise<JsonValue> {
    const id = this.nextId++;
    return new Promise<JsonValue>((resolve, reject) => {
      const cancel = this.clock.setTimer(timeoutMs, () => {
        this.pending.delete(id);
        reject(new IsolateError(`the VRRP isolate did not answer '${message.t}' within ${String(timeoutMs)} ms`));
      });
      this.pending.set(id, { resolve, reject, cancel });
      try {
        send({ ...message, id } as HostMessage);
      } catch (err) {
        this.pending.delete(id);
        cancel();
        reject(new IsolateError(`cannot reach the VRRP isolate: ${describeError(err)}`));
      }
    });
  }

  /** A reply arrived; an unknown id (timed out already) is ignored. */
  settle(id: number, outcome: { ok: true; value: JsonValue } | { ok: false; error: string }): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.cancel();
    if (outcome.ok) pending.resolve(outcome.value);
    else pending.reject(new IsolateError(outcome.error));
  }

  /** The isolate is gone: every open request fails with `reason`. */
  failAll(reason: string): void {
    for (const [id, pending] of this.pending) {
      pending.cancel();
      pending.reject(new IsolateError(reason));
      this.pending.delete(id);
    }
  }
}

/** `work`, or an IsolateError after timeoutMs. */
export function within(clock: Clock, work: Promise<void>, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cancel = clock.setTimer(timeoutMs, () => {
      reject(new IsolateError(`no answer from the VRRP isolate within ${String(timeoutMs)} ms`));
    });
    work.then(() => { cancel(); resolve(); }, (err: unknown) => { cancel(); reject(err instanceof Error ? err : new IsolateError(String(err))); });
  });
}
