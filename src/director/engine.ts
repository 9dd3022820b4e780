/**
 * The director engine: health checks, alerts, the IPVS reconciler and the
 * sync daemons, driven through the daemon's ONE event queue.
 *
 * Every input becomes a queued task that recomputes the desired state and
 * asks the reconciler to apply it: a health change, a VRRP transition (the
 * role that `ipvs_sync.follow` names also moves the sync daemons), a reload,
 * a drain and the reconnect timer. Role policy (docs/operations.md): the
 * IPVS table is programmed whatever the role; VIPs are the VRRP engine's.
 *
 * Without IPVS in the kernel (or without CAP_NET_ADMIN) the director keeps
 * running: the failed connect is logged, counted, raised once as
 * `reconcile_error`, and retried every `reconnectMs`.
 */
import type { Config, VirtualServerConfig } from '../config/types.js';
import type { JsonValue } from '../control/protocol.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { EventBus } from '../alerts/bus.js';
import type { LvsHaEvent } from '../alerts/events.js';
import { healthKey, staticHealthView, type DirectorRole, type DrainOverride, type HealthView, type RealServerHealth } from '../lvs/desired.js';
import type { IpvsApi } from '../lvs/ipvs/client.js';
import { canonicalAddress } from '../lvs/model.js';
import { desiredStateFor } from '../lvs/reconcile-desired.js';
import { Reconciler, type ReconcilerCounters, type RunResult } from '../lvs/reconciler.js';
import { planJson, renderPlan } from '../lvs/render.js';
import type { Operation } from '../lvs/plan.js';
import { applySyncForRole, stopSyncDaemons } from '../lvs/sync-daemon.js';
import type { SyncDaemons } from '../lvs/sync-policy.js';
import type { HealthState } from '../health/hysteresis.js';
import type { QuorumState } from '../health/quorum.js';
import type { VrrpStateName } from '../vrrp/machine-types.js';
import type { TransitionNotice } from '../vrrp/runner.js';
import { drainsStatus, ipvsSyncStatus, reconcileStatus, virtualServersStatus, type HealthVsStatus } from './status.js';
import { QueueClosedError, type EventQueue } from '../core/event-queue.js';
import { directorRole } from './role.js';
import type { IpvsSysctlApi } from '../lvs/sysctls.js';
import type { FamilyEvent, FamilyWatch } from '../os/genl-family-watch.js';
import type { NftablesApi } from '../os/nftables.js';
import { NftOwner } from '../lvs/nft/owner.js';
import { desiredNftTable } from '../lvs/nft/desired.js';
import { filteredInstances } from '../lvs/nft/vip-filter.js';

export const DEFAULT_RECONNECT_MS = 30_000;

export interface HealthPort {
  /** Before update(): whatever the new virtual servers need first (the script user of exec checks). */
  prepare?(virtualServers: readonly VirtualServerConfig[]): Promise<void>;
  update(virtualServers: readonly VirtualServerConfig[]): void;
  stop(): void;
  status(): readonly HealthVsStatus[];
  /** Quorum per virtual server without building the whole status (absent in fakes: status() is scanned). */
  quorumStates?(): ReadonlyMap<string, QuorumState>;
  counters?(): { checks: number; checkFailures: number; transitions: number; scheduledChecks: number };
}

export interface AlertsPort {
  handle(event: LvsHaEvent): void;
  update(configs: Config['alerts']): Promise<void>;
  close(): Promise<void>;
  status(): unknown;
}

export interface IpvsConnection {
  readonly ipvs: IpvsApi;
  /** The IPVS sysctls of the daemon's namespace (absent in fakes: not applied). */
  readonly sysctls?: IpvsSysctlApi;
  /** The nftables adapter for lvs-ha's own table (fullnat SNAT; absent in fakes: not managed). */
  readonly nft?: NftablesApi;
  close(): void;
}

/** The errno of a request to a generic netlink family id the kernel no longer knows. */
const FAMILY_LOST_KIND = 'ENOENT';

export interface DirectorOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly queue: EventQueue;
  readonly connectIpvs: () => Promise<IpvsConnection>;
  /**
   * Tells when the IPVS generic netlink family goes (ip_vs unloaded) and comes
   * back (src/os/genl-family-watch.ts); absent = found out on the next run
   * and by the reconnect timer only.
   */
  readonly watchIpvsFamily?: (onEvent: (e: FamilyEvent) => void, onError: (err: Error) => void) => FamilyWatch;
  readonly createHealth: (o: { scriptsUser: string | null; publish: (e: LvsHaEvent) => void; onHealthChange: () => void }) => Promise<HealthPort>;
  readonly createAlerts: (config: Config) => Promise<AlertsPort>;
  /** Quorum verdicts to VRRP tracking (VrrpEngine.setVirtualServerQuorum). */
  readonly setQuorum?: (virtualServer: string, ok: boolean) => void;
  readonly reconnectMs?: number;
  readonly reconcileIntervalMs?: number;
  /**
   * nftables for lvs-ha's own table while IPVS is unavailable (accept_mode's VIP
   * filter needs no IPVS; with IPVS the connection's adapter is used, by the
   * reconciler). Absent: the table is not managed without IPVS.
   */
  readonly nft?: NftablesApi;
  readonly retryMs?: number;
}

/** A HealthView over the health service's status (one scan per desired state). */
export function healthViewOf(status: readonly HealthVsStatus[]): HealthView {
  const rs: Record<string, RealServerHealth> = {};
  const quorum: Record<string, QuorumState> = {};
  for (const vs of status) {
    quorum[vs.name] = vs.quorum.state as QuorumState;
    for (const r of vs.real_servers) rs[healthKey(vs.name, r.address, r.port)] = { state: r.health as HealthState, weight: r.weight };
  }
  return staticHealthView(rs, quorum);
}

export class Director {
  private config: Config | null = null;
  private previous: Config | null = null;
  private health: HealthPort | null = null;
  private alerts: AlertsPort | null = null;
  private conn: IpvsConnection | null = null;
  private reconciler: Reconciler | null = null;
  private readonly bus: EventBus<LvsHaEvent>;
  private readonly states = new Map<string, VrrpStateName>();
  private role: DirectorRole = 'INIT';
  private syncDaemons: SyncDaemons | null = null;
  private syncError: string | null = null;
  private drains: DrainOverride[] = [];
  private lastReloadOps: readonly Operation[] = [];
  private connectErrors = 0;
  /** Times the IPVS family vanished under a connection (ip_vs unloaded) and was looked up again. */
  private familyLosses = 0;
  private lastConnectError: string | null = null;
  private cancelReconnect: (() => void) | null = null;
  private familyWatch: FamilyWatch | null = null;
  private lastFailures = 0;
  private stopped = false;
  /** The instances whose VIPs accept_mode filters now (../lvs/nft/vip-filter.ts), as last seen. */
  private filtered = '';
  /** The owned nftables table while IPVS is unavailable (with IPVS the reconciler owns it). */
  private readonly nftWithoutIpvs: NftOwner | null;
  private readonly healthListeners = new Set<() => void>();
  private readonly log: Logger;

  constructor(private readonly options: DirectorOptions) {
    this.log = options.logger.child({ component: 'director' });
    this.nftWithoutIpvs = options.nft === undefined ? null : new NftOwner(options.nft, options.clock, this.log.child({ part: 'nftables' }), (kind, message) => {
      this.publish({ type: 'reconcile_error', at: options.clock.wallNow(), kind, reason: message });
    });
    this.bus = new EventBus<LvsHaEvent>((err, event) => {
      this.log.error({ err: describeError(err), event: event.type }, 'event listener failed');
    });
    this.bus.subscribe((event) => this.alerts?.handle(event));
    this.bus.subscribe((event) => {
      if (event.type === 'quorum_lost' || event.type === 'quorum_restored') {
        this.options.setQuorum?.(event.virtualServer, event.type === 'quorum_restored');
      }
    });
  }

  /** Publish an event to the alert sinks (and the quorum hook). */
  publish(event: LvsHaEvent): void {
    this.bus.publish(event);
  }

  async start(config: Config): Promise<void> {
    this.config = config;
    this.alerts = await this.options.createAlerts(config);
    this.health = await this.options.createHealth({
      scriptsUser: config.scripts.user,
      publish: (e) => {
        this.publish(e);
      },
      onHealthChange: () => {
        this.enqueue('health', async () => { await this.reconcile('health'); });
        for (const listener of this.healthListeners) listener();
      },
    });
    await this.health.prepare?.(config.virtualServers);
    this.health.update(config.virtualServers);
    this.watchFamily();
    await this.connect();
  }

  /** ip_vs unloaded: reconnect at once (not at the next run); loaded again: connect at once (not at the reconnect timer). */
  private watchFamily(): void {
    if (!this.options.watchIpvsFamily) return;
    try {
      this.familyWatch = this.options.watchIpvsFamily((e) => {
        this.enqueue(`ipvs:family-${e}`, async () => {
          if (this.stopped) return;
          if (e === 'removed' && this.conn) await this.familyLost('nlctrl: the IPVS family was removed');
          if (e === 'added' && !this.conn) {
            this.cancelReconnect?.();
            this.cancelReconnect = null;
            this.log.info('nlctrl: the IPVS family is back: connecting');
            await this.connect();
          }
        });
      }, (err) => {
        this.log.warn({ err: describeError(err) }, 'the IPVS family watch stopped; ip_vs reloads are found by the next reconcile');
      });
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'cannot watch the IPVS family; ip_vs reloads are found by the next reconcile');
    }
  }

  /** Inside the queue: a reload was applied. Unchanged checks keep their state (health.update). */
  async applyConfig(config: Config): Promise<void> {
    // First, so that a missing script user fails the reload before anything changed.
    await this.health?.prepare?.(config.virtualServers);
    const old = this.config;
    this.config = config;
    this.previous = old;
    await this.alerts?.update(config.alerts);
    this.health?.update(config.virtualServers);
    if (JSON.stringify(old?.ipvsSync ?? null) !== JSON.stringify(config.ipvsSync)) await this.applySync();
    this.filtered = filteredInstances(config, this.masters()).join(',');
    const result = await this.reconcile('reload');
    this.lastReloadOps = result?.ops ?? [];
    this.previous = null;
  }

  /** The IPVS operations the last reload applied (what `lvs-ha reload` prints). */
  reloadChanges(): { text: string; json: JsonValue } {
    const ops = this.lastReloadOps;
    return { text: renderPlan(ops), json: JSON.parse(JSON.stringify(planJson(ops))) as JsonValue };
  }

  /** VRRP transition (synchronous, from the VRRP dispatcher): alert now, role change through the queue. */
  onTransition(notice: TransitionNotice): void {
    const { record } = notice;
    this.states.set(notice.instance, record.to);
    this.publish({
      type: 'vrrp_transition', at: notice.at, instance: notice.instance, from: record.from, to: record.to,
      priority: notice.priority, reason: record.reason,
    });
    this.enqueue(`vrrp:${notice.instance}`, () => this.onRoleInputs());
  }

  async drain(override: DrainOverride): Promise<void> {
    this.drains = [...this.drains.filter((d) => !sameDrain(d, override)), override];
    await this.reconcile('drain');
  }

  /** The running config's virtual servers (empty before the first config). */
  virtualServers(): readonly VirtualServerConfig[] {
    return this.config?.virtualServers ?? [];
  }

  /** False when no such drain was set. */
  async undrain(override: DrainOverride): Promise<boolean> {
    const before = this.drains.length;
    this.drains = this.drains.filter((d) => !sameDrain(d, override));
    if (this.drains.length === before) return false;
    await this.reconcile('undrain');
    return true;
  }

  drainList(): JsonValue {
    return drainsStatus(this.drains);
  }

  /** Be told of every health transition (the ECMP announcer re-evaluates its VIPs); returns the unsubscribe. */
  onHealthChange(listener: () => void): () => void {
    this.healthListeners.add(listener);
    return () => { this.healthListeners.delete(listener); };
  }

  /** Quorum state per virtual server (absent: not known yet). */
  quorumStates(): ReadonlyMap<string, QuorumState> {
    if (this.health?.quorumStates) return this.health.quorumStates();
    return new Map((this.health?.status() ?? []).map((v) => [v.name, v.quorum.state as QuorumState]));
  }

  /**
   * Packets the kernel counted into the services on these addresses, fresh from the kernel
   * (the ECMP drain watches it stop rising every 200 ms); null without IPVS. Services only:
   * one GET_SERVICE dump, whatever the number of real servers behind them.
   */
  async packetsTo(addresses: ReadonlySet<string>): Promise<bigint | null> {
    if (!this.conn) return null;
    let total = 0n;
    for (const s of await this.conn.ipvs.getServices()) {
      const key = s.service.key;
      if (key.kind === 'address' && addresses.has(canonicalAddress(key.address))) total += s.stats?.inPkts ?? 0n;
    }
    return total;
  }

  currentRole(): DirectorRole {
    return this.role;
  }

  /** Status sections: virtual_servers, ipvs_sync, reconcile, drains, alerts. */
  statusSections(): Record<string, () => JsonValue> {
    return {
      virtual_servers: () => (this.config
        ? virtualServersStatus(this.config, this.health?.status() ?? [], this.reconciler?.live() ?? null, this.drains)
        : []),
      ipvs_sync: () => ipvsSyncStatus({
        follow: this.config?.ipvsSync?.follow ?? null, role: this.role, maintenance: false,
        daemons: this.syncDaemons, lastError: this.syncError,
      }),
      reconcile: () => reconcileStatus(
        { connected: this.conn !== null, connectErrors: this.connectErrors, lastConnectError: this.lastConnectError, familyLost: this.familyLosses },
        this.reconciler?.counters() ?? null,
        this.reconciler ? null : this.nftWithoutIpvs?.status() ?? null,
      ),
      drains: () => drainsStatus(this.drains),
      health_checks: () => {
        const c = this.health?.counters?.();
        return c ? { checks: c.checks, check_failures: c.checkFailures, transitions: c.transitions, scheduled: c.scheduledChecks } : null;
      },
      alerts: () => JSON.parse(JSON.stringify(this.alerts?.status() ?? [])) as JsonValue,
    };
  }

  counters(): ReconcilerCounters | null {
    return this.reconciler?.counters() ?? null;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelReconnect?.();
    this.cancelReconnect = null;
    this.familyWatch?.close();
    this.familyWatch = null;
    this.health?.stop();
    await this.reconciler?.stop();
    if (this.conn && this.config?.ipvsSync) {
      await stopSyncDaemons(this.conn.ipvs).catch((err: unknown) => {
        this.log.warn({ err: describeError(err) }, 'could not stop the sync daemons');
      });
    }
    this.conn?.close();
    this.conn = null;
    await this.alerts?.close();
  }

  private enqueue(label: string, run: () => Promise<void>): void {
    this.options.queue.enqueue({ label, run }).catch((err: unknown) => {
      if (err instanceof QueueClosedError) return;
      this.log.error({ label, err: describeError(err) }, 'queued task failed');
    });
  }

  private async onRoleInputs(): Promise<void> {
    if (!this.config) return;
    const role = directorRole(this.config, this.states);
    const filtered = filteredInstances(this.config, this.masters()).join(',');
    const roleChanged = role !== this.role;
    if (!roleChanged && filtered === this.filtered) return;
    if (roleChanged) {
      this.log.info({ from: this.role, to: role }, 'director role changed');
      this.role = role;
      await this.applySync();
    }
    if (filtered !== this.filtered) {
      this.log.info({ instances: filtered === '' ? [] : filtered.split(',') }, 'accept_mode: VIP filter follows the masters');
      this.filtered = filtered;
    }
    await this.reconcile(roleChanged ? `role ${role}` : 'accept_mode');
  }

  /** The VRRP instances that are MASTER now. */
  private masters(): Set<string> {
    return new Set([...this.states].filter(([, s]) => s === 'MASTER').map(([n]) => n));
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.conn) return;
    try {
      this.conn = await this.options.connectIpvs();
    } catch (err) {
      const message = `IPVS unavailable: ${describeError(err)}`;
      this.connectErrors += 1;
      const first = this.lastConnectError !== message;
      this.lastConnectError = message;
      if (first) {
        this.log.error({ retry_ms: this.reconnectMs() }, message);
        this.publish({ type: 'reconcile_error', at: this.options.clock.wallNow(), kind: 'no_ipvs', reason: message });
      } else {
        this.log.debug(message);
      }
      this.scheduleReconnect();
      // The owned nftables table does not need IPVS: applied now and at each reconnect attempt (drift repair).
      await this.applyNftWithoutIpvs();
      return;
    }
    this.log.info('IPVS connected');
    this.reconciler = new Reconciler({
      ipvs: this.conn.ipvs,
      ...(this.conn.sysctls ? { sysctls: this.conn.sysctls } : {}),
      ...(this.conn.nft ? { nft: this.conn.nft } : {}),
      clock: this.options.clock,
      log: this.log.child({ part: 'reconciler' }),
      desired: (live) => this.desired(live),
      // The reconciler's timer is the one repair scheduler (drift repair, and the
      // retry after a failed run); its runs come through the queue like every input.
      ...(this.options.reconcileIntervalMs !== undefined ? { intervalMs: this.options.reconcileIntervalMs } : {}),
      ...(this.options.retryMs !== undefined ? { retryMs: this.options.retryMs } : {}),
      onDue: (reason) => { this.enqueue('ipvs:repair', async () => { await this.reconcile(reason); }); },
    });
    await this.reconciler.start();
    this.checkReconcileErrors();
    await this.applySync();
  }

  private reconnectMs(): number {
    return this.options.reconnectMs ?? DEFAULT_RECONNECT_MS;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.cancelReconnect) return;
    this.cancelReconnect = this.options.clock.setTimer(this.reconnectMs(), () => {
      this.cancelReconnect = null;
      this.enqueue('ipvs:reconnect', () => this.connect());
    });
  }

  private desired(live: Parameters<typeof desiredStateFor>[1]): ReturnType<typeof desiredStateFor> {
    const config = this.config;
    if (!config) throw new Error('director: no config');
    return desiredStateFor(
      { config, health: healthViewOf(this.health?.status() ?? []), role: this.role, options: { drains: this.drains }, previous: this.previous, masters: this.masters() },
      live,
    );
  }

  /** Without IPVS: the same desired table (../lvs/nft/desired.ts), applied by the same kind of owner. */
  private async applyNftWithoutIpvs(): Promise<void> {
    const config = this.config;
    if (!config || !this.nftWithoutIpvs || this.reconciler) return;
    await this.nftWithoutIpvs.apply(desiredNftTable(config, this.masters()));
  }

  private async reconcile(reason: string): Promise<RunResult | null> {
    if (!this.reconciler) {
      await this.applyNftWithoutIpvs();
      return null;
    }
    const result = await this.reconciler.request(reason);
    this.checkReconcileErrors();
    if (!result.ok && result.errorKind === FAMILY_LOST_KIND) {
      await this.familyLost(result.error ?? 'ENOENT');
      return result;
    }
    // Drift repair covers the sync daemons too: one stopped by hand (ipvsadm --stop-daemon) runs again.
    if (reason === 'timer' || reason === 'retry') await this.applySync();
    return result;
  }

  /**
   * The table dump answered ENOENT: the kernel knows no generic netlink family
   * by the id resolved at connect, i.e. ip_vs was unloaded (and maybe loaded
   * again under a new id). Drop the connection and connect again, which
   * resolves the family anew and reconciles the whole table (a reloaded ip_vs
   * is empty); until ip_vs is back, the reconnect timer retries.
   */
  private async familyLost(reason: string): Promise<void> {
    this.familyLosses += 1;
    this.log.warn({ reason, family_lost: this.familyLosses }, 'the IPVS generic netlink family is gone (ip_vs unloaded?): reconnecting');
    await this.reconciler?.stop();
    this.conn?.close();
    this.conn = null;
    this.reconciler = null;
    this.syncDaemons = null;
    await this.connect();
  }

  /** Raise reconcile_error when anything of a run failed since the last look. */
  private checkReconcileErrors(): void {
    const c = this.reconciler?.counters();
    if (!c) return;
    // Every recorded error: failed runs and operations, timeouts, sysctls, the nftables table.
    const failures = Object.values(c.errorsByKind).reduce((a, b) => a + b, 0);
    if (failures > this.lastFailures && c.lastError) {
      this.publish({ type: 'reconcile_error', at: this.options.clock.wallNow(), kind: c.lastError.kind, reason: c.lastError.message });
    }
    this.lastFailures = failures;
  }

  private async applySync(): Promise<void> {
    const config = this.config;
    if (!this.conn || !config?.ipvsSync) return;
    try {
      const result = await applySyncForRole(this.conn.ipvs, this.role, config.ipvsSync);
      this.syncDaemons = result.daemons;
      this.syncError = result.failures[0]?.message ?? null;
      for (const f of result.failures) {
        this.log.error({ kind: f.kind, role: this.role }, f.message);
        this.publish({ type: 'sync_daemon_error', at: this.options.clock.wallNow(), role: this.role, kind: f.kind, reason: f.message });
      }
      if (result.ops.length > 0) this.log.info({ role: this.role, ops: result.ops.length }, 'sync daemons set for the role');
    } catch (err) {
      this.syncError = `sync daemons: ${describeError(err)}`;
      this.log.error({ role: this.role }, this.syncError);
      this.publish({ type: 'sync_daemon_error', at: this.options.clock.wallNow(), role: this.role, kind: 'read', reason: this.syncError });
    }
  }
}

function sameDrain(a: DrainOverride, b: DrainOverride): boolean {
  return canonicalAddress(a.address) === canonicalAddress(b.address) && a.port === b.port && a.virtualServer === b.virtualServer;
}
