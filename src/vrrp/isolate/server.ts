/**
 * The isolate's side: a VrrpEngine driven by messages from the daemon. Requests run one at a
 * time in arrival order (an apply finishes before the next hold), transitions go out at once,
 * and the `instances` snapshot is pushed whenever it changed (checked every SNAPSHOT_TICK_MS and
 * right after each transition), so the daemon answers `status` without asking.
 *
 * If the daemon goes away (crash, kill -9: the IPC channel closes), the isolate resigns like a
 * graceful stop (priority 0, VIPs removed) and exits: VRRP must not keep a VIP that nobody
 * health-checks or reconciles.
 */
import type { JsonValue } from '../../control/protocol.js';
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { TransitionNotice } from '../runner.js';
import { parseHostMessage, type HostMessage, type IsolateMessage } from './protocol.js';

/** How often the isolate checks whether the snapshot changed (counters, master heard). */
export const SNAPSHOT_TICK_MS = 100;
/** An unchanged snapshot still goes out this often, with the isolate's own health. */
export const HEALTH_EVERY_MS = 1000;

/** The engine as the isolate drives it (VrrpEngine). */
export interface IsolatedEngine {
  applyConfig(config: Extract<HostMessage, { t: 'apply' }>['config']): Promise<void>;
  setHold(instance: string, on: boolean, resign?: boolean): boolean;
  held(instance: string): boolean;
  setVirtualServerQuorum(name: string, ok: boolean): void;
  snapshot(): JsonValue;
  stop(): Promise<void>;
}

/** The IPC channel to the daemon (production: process.send / process.on). */
export interface ParentChannel {
  send(message: IsolateMessage, done?: () => void): void;
  onMessage(listener: (message: unknown) => void): void;
  onDisconnect(listener: () => void): void;
}

/** Event-loop delay of the isolate (production: perf_hooks.monitorEventLoopDelay). */
export interface LoopDelayProbe {
  /** Largest delay since the last call and since the start, ms. */
  read(): { readonly windowMaxMs: number; readonly maxMs: number };
}

export interface IsolateServerOptions {
  readonly clock: Clock;
  readonly loopDelay?: LoopDelayProbe;
  readonly log: Logger;
  readonly channel: ParentChannel;
  /** Called once the engine has stopped (production: exit the process). */
  readonly exit: (code: number) => void;
}

export function transitionMessage(notice: TransitionNotice): IsolateMessage {
  const { record } = notice;
  return {
    t: 'transition',
    transition: { instance: notice.instance, from: record.from, to: record.to, reason: record.reason, atMs: record.atMs, priority: notice.priority, at: notice.at.toISOString() },
  };
}

export class IsolateServer {
  private engine: IsolatedEngine | null = null;
  private chain: Promise<void> = Promise.resolve();
  private lastSent = '';
  private lastSentMs = -Infinity;
  private windowMaxMs = 0;
  private publishQueued = false;
  private cancelTick: (() => void) | null = null;
  private stopping = false;

  constructor(private readonly options: IsolateServerOptions) {}

  /** Attach the engine (built with onTransition -> this.onTransition) and start listening. */
  attach(engine: IsolatedEngine): void {
    this.engine = engine;
    const { channel } = this.options;
    channel.onMessage((raw) => {
      this.receive(raw);
    });
    channel.onDisconnect(() => {
      this.options.log.warn('the daemon is gone (control channel closed); resigning and exiting');
      void this.stop(null);
    });
    channel.send({ t: 'ready', pid: process.pid });
    this.tick();
  }

  /** The engine's transition hook: forward it, then the new snapshot. */
  onTransition(notice: TransitionNotice): void {
    this.send(transitionMessage(notice));
    this.queuePublish();
  }

  private send(message: IsolateMessage, done?: () => void): void {
    try {
      this.options.channel.send(message, done);
    } catch (err) {
      // The channel closed under us: the disconnect handler stops the engine.
      this.options.log.debug({ err: describeError(err), type: message.t }, 'message to the daemon not sent');
      done?.();
    }
  }

  private receive(raw: unknown): void {
    const parsed = parseHostMessage(raw);
    if (!parsed.ok) {
      this.options.log.error({ reason: parsed.reason }, 'refused a malformed message from the daemon');
      return;
    }
    const message = parsed.value;
    if (message.t === 'stop') {
      void this.stop(message.id);
      return;
    }
    this.chain = this.chain.then(() => this.handle(message));
  }

  private async handle(message: Exclude<HostMessage, { t: 'stop' }>): Promise<void> {
    const engine = this.engine;
    if (!engine || this.stopping) return;
    try {
      switch (message.t) {
        case 'apply':
          await engine.applyConfig(message.config);
          this.reply(message.id, true);
          break;
        case 'hold':
          this.reply(message.id, engine.setHold(message.instance, message.on, message.resign));
          break;
        case 'quorum':
          engine.setVirtualServerQuorum(message.name, message.ok);
          break;
        case 'sync':
          this.publish();
          this.reply(message.id, true);
          break;
      }
    } catch (err) {
      if ('id' in message) this.send({ t: 'reply', id: message.id, ok: false, error: describeError(err) });
      else this.options.log.error({ err: describeError(err), type: message.t }, 'message failed');
    }
    this.queuePublish();
  }

  private reply(id: number, value: JsonValue): void {
    this.send({ t: 'reply', id, ok: true, value });
  }

  /** Graceful stop, then exit; `id` null when the daemon is gone (nobody to answer). */
  private async stop(id: number | null): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.cancelTick?.();
    await this.chain;
    try {
      await this.engine?.stop();
    } catch (err) {
      this.options.log.error({ err: describeError(err) }, 'vrrp engine did not stop cleanly');
    }
    this.publish();
    if (id === null) {
      this.options.exit(0);
      return;
    }
    this.send({ t: 'reply', id, ok: true, value: true }, () => {
      this.options.exit(0);
    });
  }

  private tick(): void {
    this.publish();
    this.cancelTick = this.options.clock.setTimer(SNAPSHOT_TICK_MS, () => {
      this.tick();
    });
  }

  private queuePublish(): void {
    if (this.publishQueued) return;
    this.publishQueued = true;
    queueMicrotask(() => {
      this.publishQueued = false;
      this.publish();
    });
  }

  /** Push the snapshot if it changed since the last push. */
  private publish(): void {
    const engine = this.engine;
    if (!engine) return;
    const instances = engine.snapshot();
    const rows: readonly JsonValue[] = Array.isArray(instances) ? (instances as readonly JsonValue[]) : [];
    const names = rows.flatMap((row) => (isNamed(row) ? [row.name] : []));
    const held = names.filter((name) => engine.held(name));
    const text = JSON.stringify([instances, held]);
    const delay = this.options.loopDelay?.read() ?? { windowMaxMs: 0, maxMs: 0 };
    this.windowMaxMs = Math.max(this.windowMaxMs, delay.windowMaxMs);
    if (text === this.lastSent && this.options.clock.nowMs() - this.lastSentMs < HEALTH_EVERY_MS) return;
    this.lastSent = text;
    this.lastSentMs = this.options.clock.nowMs();
    const cpu = process.cpuUsage();
    const health = { pid: process.pid, loopDelayMaxMs: delay.maxMs, loopDelayWindowMaxMs: this.windowMaxMs, cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
    this.windowMaxMs = 0;
    this.send({ t: 'snapshot', instances, held, health });
  }
}

function isNamed(row: JsonValue): row is { readonly name: string } {
  return typeof row === 'object' && row !== null && !Array.isArray(row) && typeof (row as { name?: unknown }).name === 'string';
}
