/**
 * Kernel sync-daemon control: read the running master/backup daemons with
 * GET_DAEMON, and bring them to what the policy (./sync-policy.ts) wants for
 * the director's role, stopping before starting. A refused start or stop is
 * reported (never thrown), so a VRRP transition never fails on it; the
 * caller logs it and raises the `sync_daemon_error` alert.
 */
import type { IpvsSyncConfig } from '../config/types.js';
import { describeError } from '../core/errors.js';
import type { DirectorRole } from './desired.js';
import type { IpvsApi } from './ipvs/client.js';
import { renderDaemonOperation } from './render.js';
import { errorKind } from './reconcile-ops.js';
import {
  NO_SYNC_DAEMONS,
  syncDaemonPlan,
  wantedSyncDaemons,
  type DaemonOperation,
  type DaemonParams,
  type SyncDaemons,
  type SyncPolicyOptions,
} from './sync-policy.js';

export type SyncDaemonApi = Pick<IpvsApi, 'getDaemons' | 'startDaemon' | 'stopDaemon'>;

export interface DaemonFailure {
  readonly op: DaemonOperation;
  readonly kind: string;
  readonly message: string;
}

export interface SyncApplyResult {
  readonly ops: readonly DaemonOperation[];
  readonly failures: readonly DaemonFailure[];
  /** What the kernel runs afterwards (read back). */
  readonly daemons: SyncDaemons;
}

/** The running daemons, by state. */
export async function readSyncDaemons(ipvs: SyncDaemonApi): Promise<SyncDaemons> {
  const list = await ipvs.getDaemons();
  return {
    master: list.find((d) => d.state === 'master') ?? null,
    backup: list.find((d) => d.state === 'backup') ?? null,
  };
}

/** Starts or stops one daemon. */
export async function applyDaemonOperation(ipvs: SyncDaemonApi, o: DaemonOperation): Promise<void> {
  if (o.op === 'StartDaemon') await ipvs.startDaemon(o.params);
  else await ipvs.stopDaemon(o.state);
}

/** Brings the kernel's daemons to `wanted` (null: not ours, nothing done). Throws only if reading fails. */
export async function applySyncDaemons(ipvs: SyncDaemonApi, wanted: SyncDaemons | null): Promise<SyncApplyResult> {
  const live = await readSyncDaemons(ipvs);
  const ops = syncDaemonPlan(live, wanted);
  if (ops.length === 0) return { ops, failures: [], daemons: live };
  const failures: DaemonFailure[] = [];
  for (const o of ops) {
    try {
      await applyDaemonOperation(ipvs, o);
    } catch (err) {
      failures.push({ op: o, kind: errorKind(err), message: `${renderDaemonOperation(o)}: ${describeError(err)}` });
    }
  }
  return { ops, failures, daemons: await readSyncDaemons(ipvs) };
}

/**
 * The policy and the kernel together: the daemons the role wants, applied.
 * `backupWhileMaster` defaults to the config's `backup_while_master`.
 */
export function applySyncForRole(
  ipvs: SyncDaemonApi,
  role: DirectorRole,
  cfg: IpvsSyncConfig | null,
  options: SyncPolicyOptions = {},
): Promise<SyncApplyResult> {
  const effective: SyncPolicyOptions = { backupWhileMaster: options.backupWhileMaster ?? cfg?.backupWhileMaster ?? false };
  return applySyncDaemons(ipvs, wantedSyncDaemons(role, cfg, effective));
}

/** Stops whatever runs (daemon shutdown with `ipvs_sync` configured). */
export function stopSyncDaemons(ipvs: SyncDaemonApi): Promise<SyncApplyResult> {
  return applySyncDaemons(ipvs, NO_SYNC_DAEMONS);
}

function daemonJson(p: DaemonParams | null): Record<string, unknown> | null {
  if (p === null) return null;
  return { interface: p.interface, sync_id: p.syncId, group: p.group, port: p.port, ttl: p.ttl, max_len: p.maxLen };
}

/** `ipvs_sync` in `status --json`: { master: {...} | null, backup: {...} | null }. */
export function syncStatusJson(d: SyncDaemons): { master: Record<string, unknown> | null; backup: Record<string, unknown> | null } {
  return { master: daemonJson(d.master), backup: daemonJson(d.backup) };
}
