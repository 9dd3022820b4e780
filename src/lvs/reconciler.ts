/**
 * The reconciler: reads the live IPVS table, computes the desired one from it
 * (desired state may keep live weights for real servers without a verdict),
 * plans (./plan.ts) and applies the difference in order. It runs on request
 * (every desired-state change) and on a slow timer (drift repair: a
 * destination deleted or re-weighted by hand is put back on the next run).
 * That timer is the one repair scheduler: it decides when the next repair or
 * retry is due; `onDue` decides how it runs (the daemon queues it on its one
 * event queue, so a repair never races another input).
 *
 * - Requests merge: a request while a run is in progress schedules exactly
 *   one more run, shared by every request made meanwhile.
 * - A failed operation is logged, counted by kind and retried on the next
 *   run (sooner than the slow timer: `retryMs`); it is never fatal. A failed
 *   dump fails that run only.
 * - ipvs.timeouts and the IPVS sysctls the config sets (./sysctls.ts) are
 *   read back each run and set when they differ; so is lvs-ha's own nftables
 *   table (fullnat SNAT, ./nft/owner.ts), before the IPVS operations.
 * - Services the desired state does not own are left alone (plan.ts).
 * Counters and the last live table are for status: after a run the kernel
 * accepted whole, the table read plus the operations (./live-after.ts), else
 * a fresh read.
 */
import type { IpvsTimeouts } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { liveTable, type IpvsApi, type LiveEntry } from './ipvs/client.js';
import { timeoutsDiffer } from './ipvs/timeouts.js';
import type { IpvsSysctlApi, IpvsSysctlSetting } from './sysctls.js';
import type { ServiceKey, Table } from './model.js';
import { plan, planSummary, type Operation } from './plan.js';
import { liveAfter } from './live-after.js';
import { applyOperations, errorKind } from './reconcile-ops.js';
import type { NftablesApi } from '../os/nftables.js';
import { NftOwner, type NftTableStatus } from './nft/owner.js';
import type { NftTableSpec } from './nft/table.js';

export interface DesiredState {
  readonly table: Table;
  /** Which live services are ours (desired ones always are). */
  readonly owned: (key: ServiceKey) => boolean;
  /** ipvs.timeouts to enforce, or null to leave the kernel's. */
  readonly timeouts: IpvsTimeouts | null;
  /** IPVS sysctls to enforce (none = leave every one as it is). */
  readonly sysctls?: readonly IpvsSysctlSetting[];
  /** The owned nftables table (fullnat SNAT; no chains = absent); undefined = not managed. */
  readonly nft?: NftTableSpec;
}

export type ReconcilerIpvs = Pick<
  IpvsApi,
  'readTable' | 'addService' | 'editService' | 'delService' | 'addDest' | 'editDest' | 'delDest' | 'getTimeouts' | 'setTimeouts'
>;

export interface ReconcilerOptions {
  readonly ipvs: ReconcilerIpvs;
  /** Where the IPVS sysctls are read and written; absent = desired sysctls are not applied. */
  readonly sysctls?: IpvsSysctlApi;
  /** The nftables adapter for the owned table; absent = the table is not managed. */
  readonly nft?: NftablesApi;
  readonly clock: Clock;
  readonly log: Logger;
  /** The desired state, given the live table just read. */
  readonly desired: (live: Table) => DesiredState;
  /** Drift-repair period (default 60 s). */
  readonly intervalMs?: number;
  /** After a run with failures, the next run comes this soon (default 5 s). */
  readonly retryMs?: number;
  /**
   * A repair or retry is due ('timer' or 'retry'). Default: request() at
   * once. The owner that serialises its inputs passes its queue here and
   * calls request() from there.
   */
  readonly onDue?: (reason: 'timer' | 'retry') => void;
}

export const RECONCILE_INTERVAL_DEFAULT_MS = 60_000;
export const RECONCILE_RETRY_DEFAULT_MS = 5_000;

export interface RunResult {
  readonly ok: boolean;
  readonly reason: string;
  readonly ops: readonly Operation[];
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly durationMs: number;
  /** The run's error when the dump itself failed. */
  readonly error?: string;
  /** Its kind (errno name such as ENOENT), with `error`. */
  readonly errorKind?: string;
}

export interface ReconcilerCounters {
  readonly runs: number;
  readonly failedRuns: number;
  readonly opsApplied: number;
  readonly opsFailed: number;
  readonly errorsByKind: Readonly<Record<string, number>>;
  readonly lastError: { readonly message: string; readonly kind: string; readonly at: string } | null;
  readonly lastRun: { readonly at: string; readonly durationMs: number; readonly ops: number; readonly failed: number } | null;
  /** The IPVS sysctls the config sets, as the kernel had them after the last run (full name). */
  readonly sysctls: Readonly<Record<string, number>>;
  /** The owned nftables table after the last run; null while not managed. */
  readonly nftables: NftTableStatus | null;
}

interface MutableCounters {
  runs: number;
  failedRuns: number;
  opsApplied: number;
  opsFailed: number;
  errorsByKind: Record<string, number>;
  lastError: ReconcilerCounters['lastError'];
  lastRun: ReconcilerCounters['lastRun'];
  sysctls: Record<string, number>;
}

export class Reconciler {
  private current: Promise<RunResult> | null = null;
  private queued: Promise<RunResult> | null = null;
  private cancelTimer: (() => void) | null = null;
  private stopped = true;
  private liveEntries: readonly LiveEntry[] | null = null;
  /** A read and the operations the kernel accepted since, applied when live() is next called. */
  private pendingOps: readonly Operation[] = [];
  private readonly stats: MutableCounters = {
    runs: 0, failedRuns: 0, opsApplied: 0, opsFailed: 0, errorsByKind: {}, lastError: null, lastRun: null, sysctls: {},
  };

  private readonly nftOwner: NftOwner | null;

  constructor(private readonly options: ReconcilerOptions) {
    this.nftOwner = options.nft === undefined ? null : new NftOwner(options.nft, options.clock, options.log, (kind, message) => {
      this.recordError(kind, message);
    });
  }

  /** Starts the slow timer and runs once now. */
  start(): Promise<RunResult> {
    this.stopped = false;
    return this.request('start');
  }

  /** Stops the timer; waits for a run in progress (and a queued one) to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.queued?.catch(() => undefined);
    await this.current?.catch(() => undefined);
  }

  /** Asks for a run; merges with a run already queued. Never rejects. */
  request(reason: string): Promise<RunResult> {
    if (this.current === null) return this.begin(reason);
    this.queued ??= this.current.then(() => {
      this.queued = null;
      return this.begin(`${reason} (merged)`);
    });
    return this.queued;
  }

  counters(): ReconcilerCounters {
    return { ...this.stats, errorsByKind: { ...this.stats.errorsByKind }, sysctls: { ...this.stats.sysctls }, nftables: this.nftOwner?.status() ?? null };
  }

  /**
   * The live table as last read, with counters and stats (stats decoded on
   * first access); after a run that changed something, the read plus the
   * operations when all were accepted, else a fresh read. Null before the first run.
   */
  live(): readonly LiveEntry[] | null {
    if (this.pendingOps.length > 0 && this.liveEntries !== null) {
      this.liveEntries = liveAfter(this.liveEntries, this.pendingOps);
      this.pendingOps = [];
    }
    return this.liveEntries;
  }

  private begin(reason: string): Promise<RunResult> {
    const run = this.runOnce(reason).then((result) => {
      this.current = null;
      const failed = result.failed > 0 || !result.ok;
      if (failed) this.arm(this.options.retryMs ?? RECONCILE_RETRY_DEFAULT_MS, 'retry');
      else this.arm(this.options.intervalMs ?? RECONCILE_INTERVAL_DEFAULT_MS, 'timer');
      return result;
    });
    this.current = run;
    return run;
  }

  private arm(delayMs: number, reason: 'timer' | 'retry'): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.stopped) return;
    this.cancelTimer = this.options.clock.setTimer(delayMs, () => {
      this.cancelTimer = null;
      if (this.options.onDue) this.options.onDue(reason);
      else void this.request(reason);
    });
  }

  private recordError(kind: string, message: string): void {
    this.stats.errorsByKind[kind] = (this.stats.errorsByKind[kind] ?? 0) + 1;
    this.stats.lastError = { message, kind, at: this.options.clock.wallNow().toISOString() };
  }

  private async runOnce(reason: string): Promise<RunResult> {
    const { clock, log, ipvs } = this.options;
    const t0 = clock.nowMs();
    this.stats.runs += 1;
    const result = await this.reconcile(ipvs, reason).catch((err: unknown): RunResult => {
      const message = `reconcile (${reason}): ${describeError(err)}`;
      const kind = errorKind(err);
      this.stats.failedRuns += 1;
      this.recordError(kind, message);
      log.error({ err, reason }, message);
      return { ok: false, reason, ops: [], applied: 0, failed: 0, skipped: 0, durationMs: 0, error: message, errorKind: kind };
    });
    const durationMs = clock.nowMs() - t0;
    this.stats.lastRun = { at: clock.wallNow().toISOString(), durationMs, ops: result.ops.length, failed: result.failed };
    return { ...result, durationMs };
  }

  private async reconcile(ipvs: ReconcilerIpvs, reason: string): Promise<RunResult> {
    const { log } = this.options;
    const entries = await ipvs.readTable();
    this.liveEntries = entries;
    this.pendingOps = [];
    const live = liveTable(entries);
    const desired = this.options.desired(live);
    const ops = plan(live, desired.table, desired.owned);
    // Before the IPVS operations: a new fullnat service's first connections need the
    // conntrack sysctl and the SNAT rule already in place.
    let failed = await this.applySysctls(desired.sysctls ?? []);
    failed += await this.nftOwner?.apply(desired.nft) ?? 0;
    const outcome = await applyOperations(ipvs, ops);
    failed += outcome.failures.length;
    for (const f of outcome.failures) {
      this.recordError(f.kind, f.message);
      log.warn({ kind: f.kind, op: f.op.op }, f.message);
    }
    if (desired.timeouts !== null && !(await this.applyTimeouts(ipvs, desired.timeouts))) failed += 1;
    this.stats.opsApplied += outcome.applied;
    this.stats.opsFailed += outcome.failures.length;
    if (ops.length > 0) {
      log.info({ reason, summary: planSummary(ops), applied: outcome.applied, failed, skipped: outcome.skipped }, 'ipvs reconciled');
      if (outcome.failures.length === 0 && outcome.skipped === 0) {
        // Everything was accepted: the table is the one read plus the operations (no second dump).
        this.pendingOps = ops; // applied to the read when status asks (live())
      } else {
        // For status; if this read fails the next run reads again.
        this.liveEntries = await ipvs.readTable().catch(() => entries);
      }
    } else {
      log.debug({ reason }, 'ipvs in sync');
    }
    return { ok: true, reason, ops, applied: outcome.applied, failed, skipped: outcome.skipped, durationMs: 0 };
  }

  private async applyTimeouts(ipvs: ReconcilerIpvs, wanted: IpvsTimeouts): Promise<boolean> {
    try {
      const have = await ipvs.getTimeouts();
      if (timeoutsDiffer(have, wanted)) {
        await ipvs.setTimeouts(wanted);
        this.options.log.info({ from: have, to: wanted }, 'ipvs timeouts set');
      }
      return true;
    } catch (err) {
      const message = `set ipvs timeouts: ${describeError(err)}`;
      this.recordError(errorKind(err), message);
      this.options.log.warn({ err }, message);
      return false;
    }
  }

  /** Sets each wanted sysctl whose live value differs; returns how many failed. */
  private async applySysctls(wanted: readonly IpvsSysctlSetting[]): Promise<number> {
    const api = this.options.sysctls;
    if (api === undefined) return 0;
    let failed = 0;
    const seen: Record<string, number> = {};
    for (const { name, value } of wanted) {
      const full = `net.ipv4.vs.${name}`;
      try {
        const have = await api.read(name);
        seen[full] = have;
        if (have !== value) {
          await api.write(name, value);
          seen[full] = value;
          this.options.log.info({ sysctl: full, from: have, to: value }, 'ipvs sysctl set');
        }
      } catch (err) {
        const message = `set net.ipv4.vs.${name}=${String(value)}: ${describeError(err)}`;
        this.recordError('sysctl', message);
        this.options.log.warn({ err }, message);
        failed += 1;
      }
    }
    this.stats.sysctls = seen;
    return failed;
  }
}
