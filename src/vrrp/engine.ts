/**
 * The VRRP engine: every configured instance (an InstanceSlot each), sync groups, tracking,
 * notify, status, reload and graceful stop.
 *
 * All machine events of all instances pass through ONE synchronous dispatcher (dispatch/drain):
 * an event is applied to its runner, then the sync-group follow-ups of that step are queued
 * behind it, so no two steps ever interleave and a group's moves keep their order. Nothing in
 * the dispatcher awaits: sends, address changes and notify runs are started and left to finish.
 *
 * The OS side (sockets, rtnetlink) is opened lazily, on the first configured instance, so a
 * daemon without VRRP instances needs no privileges for it.
 */
import type { Config } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { JsonValue } from '../control/protocol.js';
import type { LinkEvent } from '../os/links.js';
import { instanceKey } from './instance-setup.js';
import { InstanceSlot, type SlotContext } from './instance-slot.js';
import type { VrrpEvent } from './machine-types.js';
import { NotifyQueue, notifyRuns } from './notify.js';
import type { TransitionNotice } from './runner.js';
import type { RunnerOs } from './runner-os.js';
import { syncGroupFollowUps } from './sync-group.js';
import type { ProcessUser } from '../os/process.js';
import { demoteThread, ProcessScanner, ProcessWatch, type ScanFn } from './track/process-watch.js';
import { openVmacManager, type VmacManager } from '../os/vmac.js';
import { VmacHost } from './vmac-host.js';
import { openRouteWatcher, routeKeyText, type RouteKey, type RouteWatcher } from '../os/route-watch.js';

/** How often an instance that could not start (missing interface, no address) is retried. */
export const START_RETRY_MS = 2000;
/** Subtracted from the tracked priority delta while the operator holds an instance down. */
export const OPERATOR_HOLD_DELTA = 1000;
/** How long a stop lets queued notify runs (the shutdown transitions) finish. */
export const NOTIFY_STOP_GRACE_MS = 5000;

export interface VrrpEngineOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Opens the OS side on first need (production: openRunnerOs). */
  readonly openOs: (log: Logger) => Promise<RunnerOs>;
  /** Resolves the script user (production: from /etc/passwd; refuses root). */
  readonly resolveScriptUser: (name: string) => Promise<ProcessUser | null>;
  /** Every transition, for the alert bus (routed by the daemon). */
  readonly onTransition?: (notice: TransitionNotice) => void;
  /** See RunnerPorts.afterIo (production: setImmediate). */
  readonly afterIo?: (fn: () => void) => void;
  /** The route watcher, opened when an instance first tracks a route (default: rtnetlink). */
  readonly openRoutes?: () => RouteWatcher;
  /** VMAC interfaces, opened when an instance first has one (default: rtnetlink). */
  readonly openVmacs?: () => VmacManager;
  /** The /proc scan for tracked processes (default: a worker thread). */
  readonly scanProcesses?: ScanFn;
}

export class VrrpEngine {
  private config: Config | null = null;
  private os: RunnerOs | null = null;
  private readonly slots = new Map<string, InstanceSlot>();
  private readonly queue: { instance: string; event: VrrpEvent }[] = [];
  private draining = false;
  private cancelRetry: (() => void) | null = null;
  private unwatchLinks: (() => void) | null = null;
  private stopped = false;
  /** Instances the operator holds down (drill, maintenance), with their last tracking verdict. */
  private readonly holds = new Set<string>();
  private readonly verdicts = new Map<string, { priorityDelta: number; fault: boolean }>();
  readonly notify: NotifyQueue;
  private readonly log: Logger;
  private readonly processes: ProcessWatch;
  private readonly scanner: ProcessScanner | null = null;
  private routes: RouteWatcher | null = null;
  private readonly vmacs: VmacHost;
  /** Route keys whose presence the watcher answered (the others are unknown yet). */
  private routesKnown = new Set<string>();

  constructor(private readonly options: VrrpEngineOptions) {
    this.log = options.logger.child({ component: 'vrrp' });
    let scan = options.scanProcesses;
    if (!scan) {
      const scanner = new ProcessScanner(options.clock, (tid) => {
        void demoteThread(tid).then((problem) => {
          if (problem !== null) this.log.warn({ tid, err: problem }, 'cannot lower the scheduling of the process-scan thread');
        });
      });
      this.scanner = scanner;
      scan = (patterns) => scanner.scan(patterns);
    }
    this.vmacs = new VmacHost(options.openVmacs ?? openVmacManager, this.log.child({ part: 'vmac' }));
    this.processes = new ProcessWatch(options.clock, this.log.child({ part: 'processes' }), scan);
    this.notify = new NotifyQueue(options.clock, this.log.child({ part: 'notify' }), () => this.scriptUser());
  }

  private scriptUser(): Promise<ProcessUser | null> {
    if (!this.config) return Promise.resolve(null);
    return this.options.resolveScriptUser(this.config.scripts.user);
  }

  async start(config: Config): Promise<void> {
    await this.applyConfig(config);
  }

  /**
   * Reload: an instance whose socket identity (instanceKey) is unchanged is changed in place on
   * the running instance, with no transition; one whose identity changed is stopped gracefully
   * and started again; removed ones are stopped, new ones started.
   */
  async applyConfig(config: Config): Promise<void> {
    if (this.stopped) return;
    this.config = config;
    const wanted = new Map(config.vrrp.instances.map((i) => [i.name, i]));
    for (const [name, slot] of [...this.slots]) {
      const next = wanted.get(name);
      if (next && instanceKey(next) === slot.key) continue;
      this.log.info({ instance: name, change: next ? 'socket' : 'removed' }, 'stopping instance for the new config');
      await slot.stop();
      this.slots.delete(name);
    }
    if (wanted.size === 0) return;
    const os = await this.ensureOs();
    await this.watchRoutes(config);
    for (const instance of config.vrrp.instances) {
      const slot = this.slots.get(instance.name);
      if (slot) slot.reconfigure(config, instance);
      else this.slots.set(instance.name, new InstanceSlot(config, instance, this.slotContext(os)));
    }
    await this.startPending();
  }

  /** Watch the routes every instance tracks (opening the watcher on first need); bounded by errors only. */
  private async watchRoutes(config: Config): Promise<void> {
    const keys: RouteKey[] = config.vrrp.instances.flatMap((i) => i.track.routes);
    if (keys.length === 0 && !this.routes) return;
    if (!this.routes) {
      try {
        const watcher = (this.options.openRoutes ?? openRouteWatcher)();
        watcher.onChange((key, present) => {
          for (const slot of this.slots.values()) slot.onRoute(key, present);
        });
        watcher.onError((err) => {
          this.log.error({ err: describeError(err) }, 'route watcher error');
        });
        this.routes = watcher;
      } catch (err) {
        this.log.error({ err: describeError(err) }, 'cannot watch routes; tracked routes keep their state');
        return;
      }
    }
    try {
      await this.routes.watch(keys);
      this.routesKnown = new Set(keys.map(routeKeyText));
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'cannot read the routing tables; tracked routes keep their state');
    }
    for (const slot of this.slots.values()) slot.refreshRoutes();
  }

  private slotContext(os: RunnerOs): SlotContext {
    return {
      vmacs: this.vmacs,
      processes: this.processes,
      routePresent: (key) => (this.routes && this.routesKnown.has(routeKeyText(key)) ? this.routes.present(key) : null),
      clock: this.options.clock,
      log: this.log,
      os,
      scriptUser: () => this.scriptUser(),
      dispatch: (instance, event) => {
        this.dispatch(instance, event);
      },
      onTransition: (notice) => {
        this.onTransition(notice);
      },
      ...(this.options.afterIo ? { afterIo: this.options.afterIo } : {}),
    };
  }

  private async ensureOs(): Promise<RunnerOs> {
    if (this.os) return this.os;
    const os = await this.options.openOs(this.log);
    this.os = os;
    this.unwatchLinks =
      os.links?.onChange((event) => {
        this.onLink(event);
      }) ?? null;
    return os;
  }

  /** Link events: tracking, own-link re-announcements, rebinds; then start what could not start. */
  private onLink(event: LinkEvent): void {
    const rebinds = [...this.slots.values()].flatMap((slot) => slot.onLink(event) ?? []);
    if (!this.config) return;
    // A rebind that cannot start yet (no address on the new interface) is retried like any start.
    if (rebinds.length > 0) void Promise.all(rebinds).then(() => this.startPending());
    else if (event.up) void this.startPending();
  }

  /** A method, not the field: the value changes across awaits. */
  private isStopped(): boolean {
    return this.stopped;
  }

  /** Start every instance without a runner; schedule a retry while some cannot start. */
  private async startPending(): Promise<void> {
    const config = this.config;
    if (!config || this.stopped) return;
    await Promise.all([...this.slots.values()].map((slot) => slot.start(config)));
    const waiting = [...this.slots.values()].some((slot) => !slot.runner);
    if (waiting && !this.cancelRetry && !this.isStopped()) {
      this.cancelRetry = this.options.clock.setTimer(START_RETRY_MS, () => {
        this.cancelRetry = null;
        void this.startPending();
      });
    }
  }

  /** Queue an event for an instance; runs it now unless a dispatch is already running. */
  dispatch(instance: string, event: VrrpEvent): void {
    this.queue.push({ instance, event });
    if (this.draining) return;
    this.draining = true;
    try {
      let next = this.queue.shift();
      while (next !== undefined) {
        this.applyOne(next.instance, next.event);
        next = this.queue.shift();
      }
    } finally {
      this.draining = false;
    }
  }

  private applyOne(instance: string, given: VrrpEvent): void {
    const runner = this.slots.get(instance)?.runner;
    if (!runner) return;
    let event = given;
    if (event.type === 'TrackChanged') {
      this.verdicts.set(instance, { priorityDelta: event.priorityDelta, fault: event.fault });
      if (this.holds.has(instance)) event = { ...event, priorityDelta: event.priorityDelta - OPERATOR_HOLD_DELTA };
    }
    let transition;
    try {
      transition = runner.apply(event);
    } catch (err) {
      this.log.error({ instance, event: event.type, err: describeError(err) }, 'event failed');
      return;
    }
    const group = this.config?.vrrp.syncGroups.find((g) => g.instances.includes(instance));
    if (!group) return;
    const members = group.instances.flatMap((name) => {
      const state = this.slots.get(name)?.runner?.state;
      return state ? [{ name, state }] : [];
    });
    for (const follow of syncGroupFollowUps(members, instance, transition)) this.queue.push({ instance: follow.member, event: follow.event });
  }

  private onTransition(notice: TransitionNotice): void {
    const slot = this.slots.get(notice.instance);
    const runs = notifyRuns(slot?.config.notify ?? null, { instance: notice.instance, from: notice.record.from, to: notice.record.to, priority: notice.priority });
    for (const run of runs) this.notify.enqueue(run);
    try {
      this.options.onTransition?.(notice);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'transition hook failed');
    }
  }

  /**
   * Operator hold (drill, maintenance): the instance's effective priority drops to 1, so it
   * stays BACKUP while a peer is alive. With `resign`, a MASTER resigns now, make-before-break
   * (the Resign event): a priority-0 advert, but the VIPs stay until the peer is heard as
   * master, so clients see no gap; if nobody takes over within Master_Down_Interval it carries
   * on as MASTER (at priority 1). Releasing restores the tracked priority (a preempting
   * instance then takes over again). False: no such instance.
   */
  setHold(instance: string, on: boolean, resign = false): boolean {
    const runner = this.slots.get(instance)?.runner;
    if (!runner) return false;
    if (on) this.holds.add(instance);
    else this.holds.delete(instance);
    const verdict = this.verdicts.get(instance) ?? { priorityDelta: 0, fault: false };
    this.dispatch(instance, { type: 'TrackChanged', ...verdict });
    if (on && resign) this.dispatch(instance, { type: 'Resign' });
    return true;
  }

  held(instance: string): boolean {
    return this.holds.has(instance);
  }

  /** Quorum of a virtual server (fed by the integration): tracked as `track.virtual_servers`. */
  setVirtualServerQuorum(name: string, ok: boolean): void {
    for (const slot of this.slots.values()) slot.track('virtual_server', name, ok);
  }

  /** The `instances` status section. */
  snapshot(): JsonValue {
    return [...this.slots.values()].map((slot) => slot.snapshot());
  }

  /** Graceful stop: every instance resigns (priority 0 from MASTER) and removes its VIPs. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelRetry?.();
    this.cancelRetry = null;
    await Promise.all([...this.slots.values()].map((slot) => slot.stop()));
    this.slots.clear();
    await this.notify.drain(NOTIFY_STOP_GRACE_MS);
    this.processes.close();
    this.scanner?.close();
    this.routes?.close();
    this.routes = null;
    this.vmacs.close();
    this.unwatchLinks?.();
    this.os?.close();
    this.os = null;
    this.log.info('vrrp engine stopped');
  }
}
