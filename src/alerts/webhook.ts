/**
 * Webhook delivery: POST the alert payload as JSON with undici. 2xx is
 * delivered; network errors, timeouts, 429 and 5xx are retried; any other
 * status is a permanent failure (retrying would not help).
 */
import { Agent, request } from 'undici';
import { describeError } from '../core/errors.js';
import type { AlertPayload } from './events.js';
import type { Attempt, Deliver } from './queue.js';

export interface WebhookSpec {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface WebhookDelivery {
  readonly deliver: Deliver;
  close(): Promise<void>;
}

export function webhookDelivery(spec: WebhookSpec, userAgent = 'lvs-ha'): WebhookDelivery {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 2 });
  const deliver: Deliver = async (payload: AlertPayload, signal: AbortSignal): Promise<Attempt> => {
    try {
      const res = await request(spec.url, {
        method: 'POST',
        dispatcher,
        signal,
        headers: { 'user-agent': userAgent, ...spec.headers, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      await res.body.dump({ limit: 65536 });
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
      const retryable = res.statusCode === 429 || res.statusCode >= 500;
      return { ok: false, reason: `HTTP ${String(res.statusCode)}`, retryable };
    } catch (err) {
      return { ok: false, reason: describeError(err), retryable: true };
    }
  };
  return {
    deliver,
    close: async () => {
      await dispatcher.destroy();
    },
  };
}
