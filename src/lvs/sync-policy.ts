/**
 * IPVS sync-daemon policy (pure): which kernel sync daemons the director's
 * role wants, and the start/stop operations that get the kernel there.
 *
 * Role -> wanted daemons (docs/ipvs.md, "Sync daemons"):
 *   MASTER            master (and backup too with `backupWhileMaster`)
 *   BACKUP            backup
 *   INIT, FAULT       backup: a director that is not (or no longer) master
 *                     keeps receiving the master's connections, so it can
 *                     take over with them (keepalived: start and "leave
 *                     MASTER" both run the backup daemon)
 *   STOPPED           none (daemon shutdown)
 * Without `ipvs_sync` in the config the daemons are not ours: no operations.
 */
import type { AddressFamily, IpvsSyncConfig } from '../config/types.js';
import type { DirectorRole } from './desired.js';
import { canonicalAddress } from './model.js';

export type SyncDaemonState = 'master' | 'backup';

/** The parameters of one kernel sync daemon, as NEW_DAEMON takes and GET_DAEMON reports them. */
export interface DaemonParams {
  readonly state: SyncDaemonState;
  readonly interface: string;
  readonly syncId: number;
  readonly group: string;
  readonly groupFamily: AddressFamily;
  readonly port: number;
  readonly ttl: number;
  readonly maxLen: number;
}

export interface SyncDaemons {
  readonly master: DaemonParams | null;
  readonly backup: DaemonParams | null;
}

export const NO_SYNC_DAEMONS: SyncDaemons = { master: null, backup: null };

export type DaemonOperation =
  | { readonly op: 'StopDaemon'; readonly state: SyncDaemonState; readonly previous: DaemonParams }
  | { readonly op: 'StartDaemon'; readonly params: DaemonParams };

export interface SyncPolicyOptions {
  /** Also run the backup daemon while MASTER (default false). */
  readonly backupWhileMaster?: boolean;
}

/** IP + UDP header bytes the kernel subtracts from the MTU for a sync message. */
const SYNC_HEADER_BYTES: Readonly<Record<AddressFamily, number>> = { ipv4: 28, ipv6: 48 };

/** The parameters of a daemon of the given state from the config. */
export function daemonParams(state: SyncDaemonState, cfg: IpvsSyncConfig): DaemonParams {
  return {
    state,
    interface: cfg.interface,
    syncId: cfg.syncId,
    group: canonicalAddress(cfg.group.text),
    groupFamily: cfg.group.family,
    port: cfg.port,
    ttl: cfg.ttl,
    maxLen: cfg.maxLen,
  };
}

/** The daemons the role wants; null when the config has no `ipvs_sync` (daemons left alone). */
export function wantedSyncDaemons(role: DirectorRole, cfg: IpvsSyncConfig | null, options: SyncPolicyOptions = {}): SyncDaemons | null {
  if (cfg === null) return null;
  switch (role) {
    case 'MASTER':
      return { master: daemonParams('master', cfg), backup: options.backupWhileMaster === true ? daemonParams('backup', cfg) : null };
    case 'BACKUP':
    case 'INIT':
    case 'FAULT':
      return { master: null, backup: daemonParams('backup', cfg) };
    case 'STOPPED':
      return NO_SYNC_DAEMONS;
  }
}

/**
 * The sync_maxlen the kernel keeps for an explicit value (protocol-reference
 * C1): clamped to [1 (master) or 1024 (backup), 65535 - IP/UDP headers].
 */
export function effectiveMaxLen(state: SyncDaemonState, family: AddressFamily, maxLen: number): number {
  const low = state === 'master' ? 1 : 1024;
  const high = 65535 - SYNC_HEADER_BYTES[family];
  return Math.min(high, Math.max(low, maxLen));
}

/** The daemon parameters in the form the kernel reports them back. */
export function canonicalDaemon(p: DaemonParams): DaemonParams {
  return {
    state: p.state,
    interface: p.interface,
    syncId: p.syncId,
    group: canonicalAddress(p.group),
    groupFamily: p.groupFamily,
    port: p.port,
    ttl: p.ttl === 0 ? 1 : p.ttl,
    maxLen: effectiveMaxLen(p.state, p.groupFamily, p.maxLen),
  };
}

export function sameDaemon(a: DaemonParams, b: DaemonParams): boolean {
  return JSON.stringify(canonicalDaemon(a)) === JSON.stringify(canonicalDaemon(b));
}

/**
 * Operations from the live daemons to the wanted ones: a daemon with other
 * parameters is stopped and started again; every stop comes before any start.
 * `wanted` null (sync not configured) gives no operations.
 */
export function syncDaemonPlan(live: SyncDaemons, wanted: SyncDaemons | null): DaemonOperation[] {
  if (wanted === null) return [];
  const stops: DaemonOperation[] = [];
  const starts: DaemonOperation[] = [];
  for (const state of ['master', 'backup'] as const) {
    const have = live[state];
    const want = wanted[state];
    if (have !== null && (want === null || !sameDaemon(have, want))) stops.push({ op: 'StopDaemon', state, previous: have });
    if (want !== null && (have === null || !sameDaemon(have, want))) starts.push({ op: 'StartDaemon', params: want });
  }
  return [...stops, ...starts];
}

/** The daemons after the operations (pure; the reference the tests use). */
export function applyDaemonPlan(live: SyncDaemons, ops: readonly DaemonOperation[]): SyncDaemons {
  let out: SyncDaemons = live;
  for (const o of ops) {
    out = o.op === 'StopDaemon' ? { ...out, [o.state]: null } : { ...out, [o.params.state]: o.params };
  }
  return out;
}
