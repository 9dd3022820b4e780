/**
 * One configured instance inside the engine: its runner once the OS facts resolved (or the error
 * that keeps it from starting, retried), its tracker and track scripts, and its status entry.
 */
import type { Config, VrrpInstanceConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { JsonObject, JsonValue } from '../control/protocol.js';
import { InstanceSetupError, resolveInstance, machineConfigFor, localVridsFor } from './instance-setup.js';
import { initialState } from './machine.js';
import type { VrrpEvent } from './machine-types.js';
import { countersJson } from './runner-counters.js';
import { InstanceRunner, type TransitionNotice } from './runner.js';
import type { RunnerOs } from './runner-os.js';
import type { ScriptUser } from './track/exec.js';
import { ScriptTracker } from './track/scripts.js';
import { InstanceTracker, type TrackKind } from './track/tracker.js';

/** How long a graceful stop waits for the priority-0 advert and the VIP removals. */
export const SETTLE_TIMEOUT_MS = 2000;
/** How long resolving an instance's interface and addresses may take before a retry. */
export const RESOLVE_TIMEOUT_MS = 5000;

export interface SlotContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly os: RunnerOs;
  readonly scriptUser: () => Promise<ScriptUser | null>;
  /** The engine's serialised dispatcher. */
  readonly dispatch: (instance: string, event: VrrpEvent) => void;
  readonly onTransition: (notice: TransitionNotice) => void;
  readonly afterIo?: (fn: () => void) => void;
}

/** Instances whose key is unchanged by a reload keep running. */
export function instanceKey(config: Config, instance: VrrpInstanceConfig): string {
  const vrids = [...localVridsFor(config, instance).entries()].sort(([a], [b]) => a - b);
  return JSON.stringify({ instance, checksum: config.vrrp.ipv4Checksum, vrids, user: config.scripts.user });
}

export class InstanceSlot {
  runner: InstanceRunner | null = null;
  error: string | null = null;
  private readonly tracker: InstanceTracker;
  private readonly scripts: ScriptTracker[] = [];
  private stopped = false;
  private starting: Promise<void> | null = null;
  readonly log: Logger;

  constructor(
    readonly config: VrrpInstanceConfig,
    readonly key: string,
    private readonly ctx: SlotContext,
  ) {
    this.log = ctx.log.child({ instance: config.name });
    this.tracker = new InstanceTracker(config, (name) => this.linkUp(name));
  }

  get name(): string {
    return this.config.name;
  }

  private linkUp(name: string): boolean {
    return this.ctx.os.links?.current().get(name)?.up ?? false;
  }

  /** Try to start; on failure keep the reason (status shows it) and let the engine retry. */
  start(full: Config): Promise<void> {
    if (this.runner || this.stopped) return Promise.resolve();
    this.starting ??= this.tryStart(full).finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async tryStart(full: Config): Promise<void> {
    const { os, clock } = this.ctx;
    try {
      const resolved = await this.withTimeout(resolveInstance(full, this.config, os.addresses));
      if (this.stopped) return;
      const transport = os.openTransport(this.config.family, {
        ifname: resolved.ifname,
        ifindex: resolved.setup.ifindex,
        sourceAddress: resolved.sourceAddress,
        joinGroup: this.config.unicastPeers.length === 0,
      });
      const machine = initialState(machineConfigFor(this.config, resolved.setup.primaryAddress));
      this.runner = new InstanceRunner(resolved.setup, machine, {
        clock,
        log: this.log,
        transport,
        addresses: os.addresses,
        frames: os.frames,
        dispatch: (event) => {
          this.ctx.dispatch(this.name, event);
        },
        onTransition: this.ctx.onTransition,
        ...(this.ctx.afterIo ? { afterIo: this.ctx.afterIo } : {}),
      });
      if (this.error !== null) this.log.info({ was: this.error }, 'instance can start now');
      this.error = null;
    } catch (err) {
      const message = describeError(err);
      if (message !== this.error) this.log.error({ err: message }, 'instance cannot start; retrying');
      this.error = message;
      return;
    }
    for (const t of this.config.track.interfaces) this.tracker.set('interface', t.name, this.linkUp(t.name));
    this.ctx.dispatch(this.name, { type: 'TrackChanged', ...this.tracker.verdict() });
    this.ctx.dispatch(this.name, { type: 'Startup' });
    this.startScripts();
  }

  private startScripts(): void {
    for (const script of this.config.track.scripts) {
      const tracker = new ScriptTracker({
        clock: this.ctx.clock,
        log: this.log,
        script,
        user: this.ctx.scriptUser,
        onChange: (healthy) => {
          this.track('script', script.name, healthy);
        },
      });
      this.scripts.push(tracker);
      tracker.start();
    }
  }

  /** A wedged rtnetlink request must not keep the instance from ever retrying. */
  private async withTimeout<T>(work: Promise<T>): Promise<T> {
    let cancel: () => void = () => undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      cancel = this.ctx.clock.setTimer(RESOLVE_TIMEOUT_MS, () => {
        reject(new InstanceSetupError(`no answer from rtnetlink within ${String(RESOLVE_TIMEOUT_MS)} ms`));
      });
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      cancel();
    }
  }

  /** A tracked object changed: feed the machine the new verdict. */
  track(kind: TrackKind, name: string, healthy: boolean): void {
    if (!this.tracker.set(kind, name, healthy) || !this.runner) return;
    this.ctx.dispatch(this.name, { type: 'TrackChanged', ...this.tracker.verdict() });
  }

  tracks(kind: TrackKind, name: string): boolean {
    return this.tracker.tracks(kind, name);
  }

  /** Graceful stop: Shutdown (priority 0 from MASTER, VIPs removed), wait (bounded), release. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    for (const s of this.scripts.splice(0)) s.stop();
    const runner = this.runner;
    if (!runner) return;
    this.ctx.dispatch(this.name, { type: 'Shutdown' });
    let cancel: () => void = () => undefined;
    const timeout = new Promise<void>((resolve) => {
      cancel = this.ctx.clock.setTimer(SETTLE_TIMEOUT_MS, resolve);
    });
    await Promise.race([runner.settle(), timeout]);
    cancel();
    runner.close();
    this.runner = null;
  }

  snapshot(): JsonObject {
    const c = this.config;
    const base: Record<string, JsonValue> = {
      name: c.name,
      vrid: c.vrid,
      interface: c.interface,
      family: c.family,
      priority: c.priority,
      advert_interval_ms: c.advertIntervalMs,
      virtual_addresses: c.virtualAddresses.map((v) => `${v.text}/${String(v.prefixLength)}`),
      tracking: this.tracker.snapshot(),
    };
    const runner = this.runner;
    if (!runner) {
      return { ...base, state: this.error === null ? 'INIT' : 'FAULT', effective_priority: c.priority, master_address: null, last_transition: null, error: this.error };
    }
    const s = runner.state;
    const last = s.lastTransition;
    return {
      ...base,
      state: s.name,
      // MASTER that sent priority 0 and waits for a peer to take over (state stays MASTER).
      resigning: s.resignUntilMs !== null,
      effective_priority: s.effectivePriority,
      master_address: s.master?.address ?? null,
      master_priority: s.master?.priority ?? null,
      master_adver_interval_ms: s.masterAdverIntervalMs,
      primary_address: runner.setup.primaryAddress,
      last_transition: last
        ? { from: last.from, to: last.to, reason: last.reason, at: runner.lastTransitionAt?.toISOString() ?? null }
        : null,
      counters: countersJson(runner.counters),
      error: null,
    };
  }
}
