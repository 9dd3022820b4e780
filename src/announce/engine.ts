/**
 * The ECMP announcer: owns one route per announced VIP in its routing table
 * and protocol (the contract with FRR or BIRD, which export that table by
 * BGP), and keeps the VIPs local while the daemon runs, by a `local` route of
 * its protocol in the local table (not an interface address, whose connected
 * route zebra would prefer over the imported announcement).
 *
 * Every input is a task on the daemon's one event queue, like the director's:
 * a health change (coalesced: one evaluation queued at a time, however many
 * real servers flapped), a reload, maintenance on/off and the repair timer.
 * Each evaluation decides (decide.ts, pure), then reconciles the kernel: read
 * the table, diff (route-plan.ts, pure), apply. A restart therefore changes
 * nothing that is already right, and a route deleted by hand comes back at the
 * next repair. Stop: withdraw every VIP, wait `stop_grace` so the router moves
 * the flows, then remove the local routes.
 */
import { ecmpWarnings } from '../config/ecmp.js';
import type { Config, EcmpConfig } from '../config/types.js';
import type { JsonValue } from '../control/protocol.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { QuorumState } from '../health/quorum.js';
import type { InterfaceInfo } from '../os/addresses.js';
import type { RouteChange, RouteOwner } from '../os/route-table.js';
import { advance, decide, type AnnounceChange, type NodePhase, type VipAnnounceState } from './decide.js';
import { drainStep, startDrain, type DrainState } from './drain.js';
import { planRoutes, prefixOf, type LiveRoute, type RouteOp, type WantedRoute } from './route-plan.js';

export const DEFAULT_ANNOUNCE_REPAIR_MS = 30_000;

/** The kernel as the announcer sees it (src/os/route-table.ts and src/os/addresses.ts in production). */
export interface AnnounceKernel {
  listRoutes(table: number): Promise<LiveRoute[]>;
  addRoute(route: WantedRoute, owner: RouteOwner): Promise<RouteChange>;
  deleteRoute(route: LiveRoute | WantedRoute, owner: RouteOwner): Promise<RouteChange>;
  interfaceByName(name: string): Promise<InterfaceInfo | undefined>;
  /** Make the VIP local here (a `local` route of our protocol in the local table). */
  addLocal(address: string, ifindex: number, protocol: number): Promise<RouteChange>;
  removeLocal(address: string, protocol: number): Promise<RouteChange>;
  close(): void;
}

/** What the announcer needs of the rest of the daemon. */
export interface AnnounceOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Run a task on the daemon's event queue (rejects once the queue is closed). */
  readonly enqueue: (label: string, run: () => Promise<void>) => Promise<void>;
  readonly openKernel: () => AnnounceKernel;
  /** Quorum per virtual server (Director.quorumStates). */
  readonly quorum: () => ReadonlyMap<string, QuorumState>;
  /** Subscribe to health transitions (Director.onHealthChange). */
  readonly onHealthChange: (listener: () => void) => () => void;
  /** An announce or withdraw happened (alerts, logs). */
  readonly onChange?: (change: AnnounceChange, at: Date) => void;
  /** Packets into the services on these VIPs, fresh from the kernel (Director.packetsTo); null without IPVS. */
  readonly packetsTo?: (vips: ReadonlySet<string>) => Promise<bigint | null>;
  readonly repairMs?: number;
  /** How often the maintenance drain reads the counters. */
  readonly drainPollMs?: number;
}

export const DEFAULT_DRAIN_POLL_MS = 200;

interface Counters {
  evaluations: number;
  announcements: number;
  withdrawals: number;
  routeOps: number;
  routeErrors: number;
}

/** VIP -> the virtual servers on it. */
function vipsOf(config: Config): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const vs of config.virtualServers) {
    if (vs.key.kind !== 'address') continue;
    const list = out.get(vs.key.address.text) ?? [];
    list.push(vs.name);
    out.set(vs.key.address.text, list);
  }
  return out;
}

function ownerOf(e: EcmpConfig): RouteOwner {
  return { table: e.routeTable, protocol: e.routeProtocol };
}

export class AnnounceEngine {
  private config: Config | null = null;
  private kernel: AnnounceKernel | null = null;
  private phase: NodePhase = 'running';
  private maintenanceSince: Date | null = null;
  private states = new Map<string, VipAnnounceState>();
  private ifindex: number | null = null;
  private deviceProblem: string | null = null;
  /** VIPs this engine made local, with the protocol of that local route (removed at stop or when no longer configured). */
  private readonly placed = new Map<string, number>();
  private lastError: string | null = null;
  private lastConflict: string | null = null;
  private queued = false;
  private unsubscribe: (() => void) | null = null;
  private cancelRepair: (() => void) | null = null;
  private stopped = false;
  private drain: DrainState | null = null;
  private cancelDrain: (() => void) | null = null;
  private readonly counters: Counters = { evaluations: 0, announcements: 0, withdrawals: 0, routeOps: 0, routeErrors: 0 };
  private readonly log: Logger;

  constructor(private readonly options: AnnounceOptions) {
    this.log = options.logger.child({ component: 'announce' });
  }

  async start(config: Config): Promise<void> {
    this.config = config;
    if (!config.ecmp) return;
    this.warn(config);
    this.kernel = this.options.openKernel();
    this.unsubscribe = this.options.onHealthChange(() => { this.request('health'); });
    await this.placeAddresses();
    await this.evaluate('start');
    this.armRepair();
  }

  /** Inside the queue, after the director applied the same reload. */
  async applyConfig(config: Config): Promise<void> {
    const old = this.config?.ecmp ?? null;
    this.config = config;
    const next = config.ecmp;
    const moved = next === null || old?.routeTable !== next.routeTable || old.routeProtocol !== next.routeProtocol;
    if (old && moved) {
      // The old contract ends: withdraw everything from the old table/protocol first.
      await this.reconcileRoutes(old, []);
    }
    if (!next) {
      await this.removeAddresses(new Set());
      this.states = new Map();
      this.stopTimers();
      this.kernel?.close();
      this.kernel = null;
      return;
    }
    this.warn(config);
    if (!this.kernel) {
      this.kernel = this.options.openKernel();
      this.unsubscribe = this.options.onHealthChange(() => { this.request('health'); });
    }
    if (old && old.device !== next.device) await this.removeAddresses(new Set());
    await this.removeAddresses(new Set(next.vips));
    await this.placeAddresses();
    await this.evaluate('reload');
    this.armRepair();
  }

  /** Maintenance on: withdraw every VIP (through the queue); off: announce again where healthy. */
  async setMaintenance(on: boolean): Promise<void> {
    const entering = { now: false };
    await this.options.enqueue(`announce:maintenance:${on ? 'on' : 'off'}`, async () => {
      entering.now = on && this.maintenanceSince === null;
      this.maintenanceSince = on ? (this.maintenanceSince ?? this.options.clock.wallNow()) : null;
      await this.evaluate(on ? 'maintenance on' : 'maintenance off');
    });
    if (!on) this.endDrain();
    else if (entering.now) await this.beginDrain();
  }

  /**
   * After the withdrawal: watch the kernel's packet counter for the VIPs until it stood
   * still for drain_quiet (safe to stop) or drain_timeout passed. Reads only, off the queue.
   */
  private async beginDrain(): Promise<void> {
    this.endDrain();
    const ecmp = this.config?.ecmp;
    if (!ecmp) return;
    const vips = new Set(ecmp.vips);
    const read = async (): Promise<bigint | null> => {
      try {
        return (await this.options.packetsTo?.(vips)) ?? null;
      } catch (err) {
        this.log.warn({ err: describeError(err) }, 'drain: cannot read the IPVS counters');
        return null;
      }
    };
    this.drain = startDrain(this.options.clock.nowMs(), await read());
    const policy = { quietMs: ecmp.drainQuietMs, timeoutMs: ecmp.drainTimeoutMs };
    const tick = (): void => {
      this.cancelDrain = this.options.clock.setTimer(this.options.drainPollMs ?? DEFAULT_DRAIN_POLL_MS, () => {
        void read().then((packets) => {
          if (!this.drain || this.stopped) return;
          this.drain = drainStep(this.drain, packets, this.options.clock.nowMs(), policy);
          if (this.drain.phase === 'draining') tick();
          else this.log.info({ phase: this.drain.phase, after_ms: Math.round(this.options.clock.nowMs() - this.drain.startedMs), packets_since: String(this.drain.packetsSince) }, this.drain.phase === 'safe' ? 'drained: no packet reached the VIPs for drain_quiet; safe to stop' : 'drain did not settle');
        });
      });
    };
    if (this.drain.phase === 'draining') tick();
  }

  private endDrain(): void {
    this.cancelDrain?.();
    this.cancelDrain = null;
    this.drain = null;
  }

  private drainSnapshot(): JsonValue {
    const d = this.drain;
    if (!d) return null;
    const now = this.options.clock.nowMs();
    return {
      state: d.phase,
      elapsed_ms: Math.round(now - d.startedMs),
      quiet_ms: Math.round(now - d.lastChangeMs),
      packets_since_withdrawal: d.packets === null ? null : Number(d.packetsSince),
    };
  }

  private warn(config: Config): void {
    for (const w of ecmpWarnings(config)) this.log.warn(w);
  }

  enabled(): boolean {
    return this.config?.ecmp != null;
  }

  /** VIPs announced right now (the kernel routes exist). */
  announcedVips(): string[] {
    return [...this.states].filter(([, s]) => s.announced).map(([vip]) => vip);
  }

  /**
   * Withdraw, wait the grace so the router moves the flows, drop the VIP
   * addresses. Called after the queue closed (nothing else runs).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopTimers();
    const ecmp = this.config?.ecmp;
    if (!ecmp || !this.kernel) return;
    const wasAnnounced = this.announcedVips().length > 0;
    this.phase = 'stopping';
    await this.evaluate('stop');
    if (wasAnnounced && ecmp.stopGraceMs > 0) {
      this.log.info({ grace_ms: ecmp.stopGraceMs }, 'VIPs withdrawn; waiting for the router to move the flows before stopping');
      await new Promise<void>((resolve) => { this.options.clock.setTimer(ecmp.stopGraceMs, resolve); });
    }
    await this.removeAddresses(new Set());
    this.kernel.close();
    this.kernel = null;
  }

  /** The `announce` status section (null without an `ecmp` section). */
  snapshot(): JsonValue {
    const ecmp = this.config?.ecmp;
    if (!ecmp) return null;
    return {
      route_table: ecmp.routeTable,
      route_protocol: ecmp.routeProtocol,
      device: ecmp.device,
      phase: this.phase,
      maintenance: { on: this.maintenanceSince !== null, since: this.maintenanceSince?.toISOString() ?? null, drain: this.drainSnapshot() },
      vips: ecmp.vips.map((vip) => {
        const s = this.states.get(vip);
        return { address: vip, state: s?.announced ? 'announced' : 'withdrawn', reason: s?.reason ?? 'not evaluated yet', since: s?.since.toISOString() ?? null };
      }),
      last_error: this.lastError,
      conflict: this.lastConflict,
      counters: {
        evaluations: this.counters.evaluations,
        announcements: this.counters.announcements,
        withdrawals: this.counters.withdrawals,
        route_ops: this.counters.routeOps,
        route_errors: this.counters.routeErrors,
      },
    };
  }

  /** Queue one evaluation unless one is already waiting (a burst of health changes costs one). */
  private request(reason: string): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    this.options.enqueue(`announce:${reason}`, async () => {
      this.queued = false;
      await this.evaluate(reason);
    }).catch((err: unknown) => {
      this.queued = false;
      if (this.stopped) return;
      this.log.error({ err: describeError(err) }, 'announce evaluation failed');
    });
  }

  private armRepair(): void {
    this.cancelRepair?.();
    if (this.stopped) return;
    this.cancelRepair = this.options.clock.setTimer(this.options.repairMs ?? DEFAULT_ANNOUNCE_REPAIR_MS, () => {
      this.cancelRepair = null;
      this.options.enqueue('announce:repair', async () => {
        await this.placeAddresses();
        await this.evaluate('repair');
      }).catch(() => undefined).finally(() => { this.armRepair(); });
    });
  }

  private stopTimers(): void {
    this.endDrain();
    this.cancelRepair?.();
    this.cancelRepair = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Look the device up and put every configured VIP on it (idempotent). */
  private async placeAddresses(): Promise<void> {
    const ecmp = this.config?.ecmp;
    if (!ecmp || !this.kernel) return;
    let info: InterfaceInfo | undefined;
    try {
      info = await this.kernel.interfaceByName(ecmp.device);
    } catch (err) {
      this.lastError = `look up device ${ecmp.device}: ${describeError(err)}`;
      this.log.error(this.lastError);
    }
    if (!info) {
      this.ifindex = null;
      this.deviceProblem = `device ${ecmp.device} not found`;
      return;
    }
    this.ifindex = info.ifindex;
    this.deviceProblem = null;
    for (const vip of ecmp.vips) {
      try {
        const change = await this.kernel.addLocal(vip, info.ifindex, ecmp.routeProtocol);
        this.placed.set(vip, ecmp.routeProtocol);
        if (change === 'added') this.log.info({ vip, device: ecmp.device }, 'VIP made local on the device');
      } catch (err) {
        this.lastError = describeError(err);
        this.deviceProblem = `cannot place ${vip} on ${ecmp.device}: ${describeError(err)}`;
        this.log.error({ vip, device: ecmp.device, err: this.lastError }, 'cannot place the VIP address');
      }
    }
  }

  /** Remove the VIP addresses this engine placed that are not in `keep`. */
  private async removeAddresses(keep: ReadonlySet<string>): Promise<void> {
    if (!this.kernel) return;
    for (const [vip, protocol] of [...this.placed]) {
      if (keep.has(vip)) continue;
      try {
        await this.kernel.removeLocal(vip, protocol);
        this.placed.delete(vip);
      } catch (err) {
        this.log.error({ vip, err: describeError(err) }, 'cannot remove the VIP address');
      }
    }
  }

  private async evaluate(reason: string): Promise<void> {
    const config = this.config;
    const ecmp = config?.ecmp;
    const kernel = this.kernel;
    if (!config || !ecmp || !kernel) return;
    this.counters.evaluations += 1;
    const owner = ownerOf(ecmp);
    const live = await this.readTable(kernel, owner);
    const ours = new Set((live ?? []).filter((r) => r.table === owner.table && r.protocol === owner.protocol).map((r) => r.address));
    const quorum = this.options.quorum();
    const verdicts = decide({
      phase: this.phase,
      maintenance: this.maintenanceSince !== null,
      deviceProblem: this.deviceProblem,
      vips: vipsOf(config),
      quorum: (name) => quorum.get(name) ?? 'unknown',
      inKernel: (vip) => ours.has(vip),
    });
    const ifindex = this.ifindex;
    const wanted: WantedRoute[] = ifindex === null ? [] : [...verdicts]
      .filter(([, v]) => v.announce)
      .map(([vip]) => ({ address: vip, prefixLength: prefixOf(vip), ifindex }));
    const failed = live === null
      ? { add: new Map(wanted.map((w) => [w.address, this.lastError ?? 'table unreadable'])), del: new Map<string, string>() }
      : await this.applyPlan(kernel, owner, live, wanted);
    // What the kernel holds wins over the verdict: a failed add is not announced, a failed delete still is.
    const effective = new Map([...verdicts].map(([vip, v]) => {
      const addErr = failed.add.get(vip);
      const delErr = failed.del.get(vip);
      if (v.announce && addErr !== undefined) return [vip, { announce: false, reason: `route not written: ${addErr}` }];
      if (!v.announce && delErr !== undefined) return [vip, { announce: true, reason: `withdrawal failed (${v.reason}): ${delErr}` }];
      return [vip, v];
    }));
    const now = this.options.clock.wallNow();
    const { states, changes } = advance(this.states, effective, now);
    this.states = states;
    for (const c of changes) {
      if (c.announced) this.counters.announcements += 1;
      else this.counters.withdrawals += 1;
      this.log.info({ vip: c.vip, reason: c.reason, trigger: reason }, c.announced ? 'VIP announced' : 'VIP withdrawn');
      this.options.onChange?.(c, now);
    }
  }

  private async readTable(kernel: AnnounceKernel, owner: RouteOwner): Promise<LiveRoute[] | null> {
    try {
      return await kernel.listRoutes(owner.table);
    } catch (err) {
      this.lastError = describeError(err);
      this.counters.routeErrors += 1;
      this.log.error({ err: this.lastError }, 'cannot read the announcement table');
      return null;
    }
  }

  /** Withdraw every route of an old contract (table/protocol changed or ecmp removed). */
  private async reconcileRoutes(ecmp: EcmpConfig, wanted: readonly WantedRoute[]): Promise<void> {
    const kernel = this.kernel;
    if (!kernel) return;
    const owner = ownerOf(ecmp);
    const live = await this.readTable(kernel, owner);
    if (live) await this.applyPlan(kernel, owner, live, wanted);
  }

  /** Diff and apply; the VIPs whose add or delete failed, with why. */
  private async applyPlan(kernel: AnnounceKernel, owner: RouteOwner, live: readonly LiveRoute[], wanted: readonly WantedRoute[]): Promise<{ add: Map<string, string>; del: Map<string, string> }> {
    const add = new Map<string, string>();
    const del = new Map<string, string>();
    const plan = planRoutes(live, wanted, owner);
    this.lastConflict = plan.conflicts.length > 0
      ? plan.conflicts.map((c) => `${c.address}/${String(c.prefixLength)} held by protocol ${String(c.protocol)}`).join('; ')
      : null;
    for (const c of plan.conflicts) {
      add.set(c.address, `table ${String(owner.table)} already holds ${c.address}/${String(c.prefixLength)} from protocol ${String(c.protocol)} (not ours: left alone)`);
    }
    let errors = 0;
    for (const op of plan.ops) {
      try {
        await this.apply(kernel, op, owner);
        this.counters.routeOps += 1;
      } catch (err) {
        errors += 1;
        this.counters.routeErrors += 1;
        this.lastError = describeError(err);
        this.log.error({ op: op.op, vip: op.route.address, err: this.lastError }, 'announcement route operation failed');
        (op.op === 'add' ? add : del).set(op.route.address, this.lastError);
      }
    }
    if (errors === 0 && plan.conflicts.length === 0) this.lastError = null;
    return { add, del };
  }

  private async apply(kernel: AnnounceKernel, op: RouteOp, owner: RouteOwner): Promise<void> {
    if (op.op === 'add') await kernel.addRoute(op.route, owner);
    else await kernel.deleteRoute(op.route, owner);
  }
}
