/**
 * One configured instance inside the engine: its runner once the OS facts resolved (or the error
 * that keeps it from starting, retried), its tracker and track scripts, and its status entry.
 */
import type { Config, TrackScript, VrrpInstanceConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { JsonObject, JsonValue } from '../control/protocol.js';
import type { LinkEvent } from '../os/links.js';
import type { VrrpTransport } from '../os/vrrp-socket.js';
import { InstanceSetupError, instanceKey, machineConfigFor, resolveInstance, setupFor, type BoundInterface } from './instance-setup.js';
import { initialState } from './machine.js';
import type { VrrpEvent } from './machine-types.js';
import { countersJson } from './runner-counters.js';
import { InstanceRunner, type RunnerSetup, type TransitionNotice } from './runner.js';
import type { RunnerOs } from './runner-os.js';
import type { ProcessUser } from '../os/process.js';
import type { VmacHost, VmacLink } from './vmac-host.js';
import { ScriptSet } from './track/script-set.js';
import { ScriptTracker } from './track/scripts.js';
import { FileWatchSet } from './track/files.js';
import type { ProcessWatch } from './track/process-watch.js';
import { quorumMet } from './track/processes.js';
import { InstanceTracker, type TrackKind } from './track/tracker.js';
import { routeKeyText, type RouteKey } from '../os/route-watch.js';

/** How long a graceful stop waits for the priority-0 advert and the VIP removals. */
export const SETTLE_TIMEOUT_MS = 2000;
/** How long resolving an instance's interface and addresses may take before a retry. */
export const RESOLVE_TIMEOUT_MS = 5000;
/** How long a start waits for the first reading of tracked files and processes. */
export const FIRST_READING_TIMEOUT_MS = 3000;

export interface SlotContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly os: RunnerOs;
  readonly scriptUser: () => Promise<ProcessUser | null>;
  /** The engine's serialised dispatcher. */
  readonly dispatch: (instance: string, event: VrrpEvent) => void;
  readonly onTransition: (notice: TransitionNotice) => void;
  readonly afterIo?: (fn: () => void) => void;
  /** The engine's VMACs. */
  readonly vmacs: VmacHost;
  /** One /proc scanner for every instance's tracked processes. */
  readonly processes: ProcessWatch;
  /** Whether a watched route is in its table; null while the route watcher has no answer yet. */
  readonly routePresent: (key: RouteKey) => boolean | null;
}

/** Top-level settings of an instance that differ between two configs (for the reload log). */
function changedSettings(a: VrrpInstanceConfig, b: VrrpInstanceConfig): string[] {
  return (Object.keys(b) as (keyof VrrpInstanceConfig)[]).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

export class InstanceSlot {
  runner: InstanceRunner | null = null;
  error: string | null = null;
  private current: VrrpInstanceConfig;
  private full: Config;
  private bound: BoundInterface | null = null;
  /** The instance's VMAC while it has one (VIPs and announcements go there). */
  private vipLink: VmacLink | null = null;
  private readonly tracker: InstanceTracker;
  private readonly scripts: ScriptSet;
  private readonly files: FileWatchSet;
  private stopped = false;
  private starting: Promise<void> | null = null;
  private rebinding: Promise<void> | null = null;
  /** The own interface was removed since the runner bound to it: rebind when it is up again. */
  private ownRemoved = false;
  /** The first readings of files and processes were taken (once per slot). */
  private readOnce = false;
  readonly log: Logger;

  constructor(full: Config, config: VrrpInstanceConfig, private readonly ctx: SlotContext) {
    this.full = full;
    this.current = config;
    this.log = ctx.log.child({ instance: config.name });
    this.tracker = new InstanceTracker(config, (name) => this.linkUp(name));
    this.scripts = new ScriptSet((script) => this.scriptTracker(script));
    this.files = new FileWatchSet(ctx.clock, this.log, (name, value) => {
      this.trackValue(name, value);
    });
    this.files.sync(config.track.files);
    this.watchProcesses();
  }

  private watchProcesses(): void {
    const processes = this.current.track.processes;
    this.ctx.processes.set(this.current.name, {
      processes,
      onCounts: (counts) => {
        for (const p of this.current.track.processes) {
          const count = counts.get(p.name);
          if (count !== undefined) this.track('process', p.name, quorumMet(p, count));
        }
      },
    });
  }

  /** Tracked routes as the route watcher sees them now (unknown ones are left as they are). */
  refreshRoutes(): void {
    for (const r of this.current.track.routes) {
      const present = this.ctx.routePresent(r);
      if (present !== null) this.track('route', r.name, r.expect === 'present' ? present : !present);
    }
  }

  /** A watched route appeared or went (key: routeKeyText). */
  onRoute(key: string, present: boolean): void {
    for (const r of this.current.track.routes) {
      if (routeKeyText(r) !== key) continue;
      this.track('route', r.name, r.expect === 'present' ? present : !present);
    }
  }

  /**
   * Before the first start: files read and processes counted once (bounded), so the instance
   * never claims MASTER on a priority its tracked objects are about to lower.
   */
  private async firstReadings(): Promise<void> {
    const work: Promise<void>[] = [this.files.readAll()];
    if (this.current.track.processes.length > 0) work.push(this.ctx.processes.refresh());
    let cancel: () => void = () => undefined;
    const timeout = new Promise<boolean>((resolve) => {
      cancel = this.ctx.clock.setTimer(FIRST_READING_TIMEOUT_MS, () => { resolve(false); });
    });
    const done = await Promise.race([Promise.all(work).then(() => true), timeout]);
    cancel();
    if (!done) this.log.warn({ timeout_ms: FIRST_READING_TIMEOUT_MS }, 'tracked files or processes not read in time; starting with their current state');
    this.refreshRoutes();
  }

  get config(): VrrpInstanceConfig {
    return this.current;
  }

  /** The socket identity this slot runs with (a reload keeps the slot while it is unchanged). */
  get key(): string {
    return instanceKey(this.current);
  }

  get name(): string {
    return this.current.name;
  }

  /** Without a link watcher, tracked links count as down but the own one as up (else no instance could run). */
  private linkUp(name: string): boolean {
    const links = this.ctx.os.links;
    if (!links) return name === this.current.interface;
    return links.current().get(name)?.up ?? false;
  }

  /** Try to start; on failure keep the reason (status shows it) and let the engine retry. */
  start(full: Config): Promise<void> {
    this.full = full;
    if (this.runner || this.stopped) return Promise.resolve();
    this.starting ??= this.tryStart().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async tryStart(): Promise<void> {
    const { os } = this.ctx;
    if (!this.readOnce) {
      await this.firstReadings();
      this.readOnce = true;
      if (this.stopped) return;
    }
    try {
      // The config may change (a reload) while the lookup runs: build the setup from the newest.
      const { bound } = await this.withTimeout(resolveInstance(this.full, this.current, os.addresses));
      if (this.stopped) return;
      const vmac = this.current.vmac ? await this.withTimeout(this.ctx.vmacs.ensure(this.current, bound)) : null;
      this.vipLink = vmac;
      if (this.isStopped()) {
        await this.releaseVmac();
        return;
      }
      // Adverts go out of the VMAC (source MAC the virtual one, RFC 9568 §7.3) unless xmit_base.
      const via = vmac && !this.current.vmac?.xmitBase ? vmac : bound;
      const transport = os.openTransport(this.current.family, {
        ifname: via.ifname,
        ifindex: via.ifindex,
        sourceAddress: bound.sourceAddress,
        joinGroup: this.current.unicastPeers.length === 0,
      });
      this.runner = this.newRunner(setupFor(this.full, this.current, bound, vmac ?? undefined), transport);
      this.bound = bound;
      this.ownRemoved = false;
      if (this.error !== null) this.log.info({ was: this.error }, 'instance can start now');
      this.error = null;
    } catch (err) {
      const message = describeError(err);
      if (message !== this.error) this.log.error({ err: message }, 'instance cannot start; retrying');
      this.error = message;
      return;
    }
    for (const name of this.tracker.interfaces()) this.tracker.set('interface', name, this.linkUp(name));
    this.ctx.dispatch(this.name, { type: 'TrackChanged', ...this.tracker.verdict() });
    this.ctx.dispatch(this.name, { type: 'Startup' });
    this.scripts.sync(this.current.track.scripts);
  }

  private newRunner(setup: RunnerSetup, transport: VrrpTransport): InstanceRunner {
    const machine = initialState(machineConfigFor(this.current, setup.primaryAddress));
    return new InstanceRunner(setup, machine, {
      clock: this.ctx.clock,
      log: this.log,
      transport,
      addresses: this.ctx.os.addresses,
      frames: this.ctx.os.frames,
      dispatch: (event) => {
        this.ctx.dispatch(this.name, event);
      },
      onTransition: this.ctx.onTransition,
      ...(this.ctx.afterIo ? { afterIo: this.ctx.afterIo } : {}),
    });
  }

  private scriptTracker(script: TrackScript): ScriptTracker {
    return new ScriptTracker({
      clock: this.ctx.clock,
      log: this.log,
      script,
      user: this.ctx.scriptUser,
      onChange: (healthy) => {
        this.track('script', script.name, healthy);
      },
    });
  }

  /**
   * A reload that keeps the socket identity: everything else changes on the running instance.
   * The runner takes the new setup (VIPs, advert addresses, local VRIDs, announce, checksum
   * mode), the machine the new settings (ConfigChanged), the tracker the new tracked objects.
   */
  reconfigure(full: Config, instance: VrrpInstanceConfig): void {
    const changed = changedSettings(this.current, instance);
    if (changed.length > 0) this.log.info({ changed }, 'instance changed in place');
    this.full = full;
    this.current = instance;
    this.tracker.reconfigure(instance, (name) => this.linkUp(name), this.runner === null);
    this.files.sync(instance.track.files);
    this.watchProcesses();
    this.refreshRoutes();
    const { runner, bound } = this;
    if (!runner || !bound) return;
    if (this.vipLink) this.ctx.vmacs.update(instance);
    this.scripts.sync(instance.track.scripts);
    runner.reconfigure(setupFor(full, instance, bound, this.vipLink ?? undefined));
    this.ctx.dispatch(this.name, { type: 'ConfigChanged', config: machineConfigFor(instance, bound.sourceAddress) });
    this.ctx.dispatch(this.name, { type: 'TrackChanged', ...this.tracker.verdict() });
  }

  /**
   * A link event: tracking (the own interface included), a re-announcement when the own link
   * comes back, and a rebind when the own interface came back as a new one (deleted and
   * re-created: the socket is bound to the old ifindex). Returns the rebind, if one started.
   */
  onLink(event: LinkEvent): Promise<void> | null {
    const own = event.name === this.current.interface;
    if (own && event.kind === 'removed') this.ownRemoved = true;
    const bound = this.bound;
    if (own && event.up && this.runner && bound && (this.ownRemoved || event.ifindex !== bound.ifindex)) {
      this.tracker.set('interface', event.name, true);
      this.rebinding ??= this.rebind(bound.ifindex, event.ifindex).finally(() => {
        this.rebinding = null;
      });
      return this.rebinding;
    }
    this.track('interface', event.name, event.up);
    if (own && event.up) this.runner?.linkRestored();
    return null;
  }

  private async rebind(oldIfindex: number, ifindex: number): Promise<void> {
    this.log.warn({ interface: this.current.interface, old_ifindex: oldIfindex, ifindex }, 'own interface re-created; opening a new socket on it');
    await this.release();
    await this.start(this.full);
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
    if (!this.tracker.set(kind, name, healthy)) return;
    this.log.info({ kind, name, healthy }, 'tracked object changed');
    if (this.runner) this.ctx.dispatch(this.name, { type: 'TrackChanged', ...this.tracker.verdict() });
  }

  /** A tracked file's new value: feed the machine the new verdict. */
  private trackValue(name: string, value: number): void {
    if (!this.tracker.setValue(name, value)) return;
    this.log.info({ kind: 'file', name, value }, 'tracked file changed');
    if (this.runner) this.ctx.dispatch(this.name, { type: 'TrackChanged', ...this.tracker.verdict() });
  }

  tracks(kind: TrackKind, name: string): boolean {
    return this.tracker.tracks(kind, name);
  }

  /** Graceful stop: Shutdown (priority 0 from MASTER, VIPs removed), wait (bounded), release. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.rebinding;
    this.scripts.stop();
    this.files.stop();
    this.ctx.processes.remove(this.current.name);
    await this.release();
  }

  /** A method, not the field: the value changes across awaits. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private async releaseVmac(): Promise<void> {
    if (!this.vipLink) return;
    this.vipLink = null;
    await this.ctx.vmacs.release(this.name);
  }

  /** Shut the runner down (bounded wait for its sends and address changes) and close it; remove the VMAC. */
  private async release(): Promise<void> {
    const runner = this.runner;
    if (!runner) {
      await this.releaseVmac();
      return;
    }
    this.ctx.dispatch(this.name, { type: 'Shutdown' });
    let cancel: () => void = () => undefined;
    const timeout = new Promise<void>((resolve) => {
      cancel = this.ctx.clock.setTimer(SETTLE_TIMEOUT_MS, resolve);
    });
    await Promise.race([runner.settle(), timeout]);
    cancel();
    runner.close();
    if (this.runner === runner) this.runner = null;
    this.bound = null;
    await this.releaseVmac();
  }

  snapshot(): JsonObject {
    const c = this.current;
    const base: Record<string, JsonValue> = {
      name: c.name,
      vrid: c.vrid,
      interface: c.interface,
      family: c.family,
      priority: c.priority,
      advert_interval_ms: c.advertIntervalMs,
      virtual_addresses: c.virtualAddresses.map((v) => `${v.text}/${String(v.prefixLength)}`),
      virtual_addresses_excluded: (c.excludedAddresses ?? []).map((v) => `${v.text}/${String(v.prefixLength)}`),
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
