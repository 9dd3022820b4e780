/**
 * Routes events to the configured alert sinks. The log sink always runs
 * (synchronously, one structured line per event). Each configured sink has
 * its own event filter, min-interval deduplication and bounded queue, so one
 * sink's trouble never touches another or the publisher.
 */
import type { AlertEvent, AlertSinkConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { UserIds } from '../os/accounts.js';
import { canonicalJson } from '../health/key.js';
import { MinIntervalFilter } from './dedup.js';
import { alertOf, type AlertPayload, type LvsHaEvent } from './events.js';
import { execDelivery } from './exec.js';
import { DEFAULT_QUEUE, SinkQueue, type Deliver, type SinkCounters } from './queue.js';
import { webhookDelivery } from './webhook.js';

export interface SinkStatus extends SinkCounters {
  readonly name: string;
  readonly type: AlertSinkConfig['type'] | 'log';
  readonly queued: number;
}

export interface DispatcherOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly node: string;
  /** User for exec sinks (null: the daemon's own user). */
  readonly scriptUser: UserIds | null;
  readonly maxQueue?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Replaces the real webhook/exec delivery (tests). */
  readonly makeDelivery?: (config: AlertSinkConfig) => { deliver: Deliver; close: () => Promise<void> };
}

interface Sink {
  readonly config: AlertSinkConfig;
  readonly events: ReadonlySet<AlertEvent>;
  readonly filter: MinIntervalFilter;
  readonly queue: SinkQueue;
  readonly close: () => Promise<void>;
}

export class AlertDispatcher {
  private sinks: Sink[] = [];
  private logged = 0;

  constructor(private readonly options: DispatcherOptions, configs: readonly AlertSinkConfig[]) {
    this.sinks = configs.map((c) => this.buildSink(c));
  }

  /** Handle one event: log it, then enqueue it on every interested sink. Never blocks. */
  handle(event: LvsHaEvent): void {
    const payload = alertOf(event, this.options.node);
    this.logged += 1;
    this.options.log.info(
      { event: payload.event, object: payload.object, reason: payload.reason, details: payload.details },
      `${payload.event} ${payload.key}`,
    );
    const nowMs = this.options.clock.nowMs();
    for (const sink of this.sinks) {
      if (!sink.events.has(payload.event)) continue;
      if (!sink.filter.admit(payload.key, nowMs)) {
        sink.queue.counters.deduplicated += 1;
        continue;
      }
      sink.queue.enqueue(payload);
    }
  }

  /**
   * Replace the sinks (reload). A sink whose configuration is unchanged is
   * kept with its queue, deduplication window and counters; others are rebuilt.
   */
  async update(configs: readonly AlertSinkConfig[]): Promise<void> {
    const old = new Map(this.sinks.map((s) => [canonicalJson(s.config), s]));
    this.sinks = configs.map((c) => {
      const key = canonicalJson(c);
      const kept = old.get(key);
      old.delete(key);
      return kept ?? this.buildSink(c);
    });
    await Promise.all([...old.values()].map((s) => s.close()));
  }

  async close(): Promise<void> {
    const old = this.sinks;
    this.sinks = [];
    await Promise.all(old.map((s) => s.close()));
  }

  /** Delivery counters per sink, for status and metrics. */
  status(): SinkStatus[] {
    const log: SinkStatus = { name: 'log', type: 'log', sent: this.logged, failed: 0, dropped: 0, deduplicated: 0, retries: 0, queued: 0 };
    return [
      log,
      ...this.sinks.map((s) => ({ name: s.config.name, type: s.config.type, queued: s.queue.length, ...s.queue.counters })),
    ];
  }

  private buildSink(config: AlertSinkConfig): Sink {
    const o = this.options;
    const log = o.log.child({ sink: config.name });
    const onFailure = (payload: AlertPayload, reason: string): void => {
      log.warn({ event: payload.event, key: payload.key, reason }, 'alert delivery failed');
    };
    const common = {
      clock: o.clock,
      timeoutMs: config.timeoutMs,
      maxQueue: o.maxQueue ?? DEFAULT_QUEUE.maxQueue,
      backoffBaseMs: o.backoffBaseMs ?? DEFAULT_QUEUE.backoffBaseMs,
      backoffCapMs: o.backoffCapMs ?? DEFAULT_QUEUE.backoffCapMs,
      onFailure,
    };
    const base = { config, events: new Set(config.events), filter: new MinIntervalFilter(config.minIntervalMs) };
    const retries = config.type === 'webhook' ? config.retries : 0;
    if (o.makeDelivery) {
      const made = o.makeDelivery(config);
      const queue = new SinkQueue({ ...common, deliver: made.deliver, retries });
      return { ...base, queue, close: async () => { queue.close(); await made.close(); } };
    }
    switch (config.type) {
      case 'webhook': {
        const hook = webhookDelivery({ url: config.url, headers: config.headers });
        const queue = new SinkQueue({ ...common, deliver: hook.deliver, retries });
        return { ...base, queue, close: async () => { queue.close(); await hook.close(); } };
      }
      case 'exec': {
        const deliver = execDelivery({ command: config.command, user: o.scriptUser });
        const queue = new SinkQueue({ ...common, deliver, retries });
        return { ...base, queue, close: () => { queue.close(); return Promise.resolve(); } };
      }
    }
  }
}
