/**
 * The director's status sections (pure): `virtual_servers` merges what the
 * health service knows (health, quorum, last check) with what the kernel
 * shows (kernel weight beside the configured one, connections, rates,
 * scheduler, forwarding), plus operator drains; `reconcile` and `ipvs_sync`
 * describe the IPVS side.
 */
import type { Config } from '../config/types.js';
import type { JsonObject, JsonValue } from '../control/protocol.js';
import type { DrainOverride } from '../lvs/desired.js';
import type { LiveEntry } from '../lvs/ipvs/client.js';
import { canonicalAddress } from '../lvs/model.js';
import type { ReconcilerCounters } from '../lvs/reconciler.js';
import type { NftTableStatus } from '../lvs/nft/owner.js';
import { kernelStatus } from '../lvs/reconcile-status.js';
import type { SyncDaemons } from '../lvs/sync-policy.js';
import { syncStatusJson } from '../lvs/sync-daemon.js';

/** The health service's `virtual_servers` entries, as far as the merge needs them. */
export interface HealthVsStatus {
  readonly name: string;
  readonly quorum_up: boolean | null;
  readonly up_count: number;
  readonly quorum: { readonly state: string; readonly min_up: number; readonly hysteresis: number };
  readonly real_servers: readonly {
    readonly address: string;
    readonly port: number;
    readonly health: string;
    readonly since: string;
    readonly weight: number | null;
    readonly last_check: { readonly at: string; readonly latency_ms: number; readonly error: string | null } | null;
  }[];
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

export function isDrainedBy(drains: readonly DrainOverride[], vs: string, address: string, port: number): boolean {
  const a = canonicalAddress(address);
  return drains.some((d) => canonicalAddress(d.address) === a && d.port === port && (d.virtualServer === null || d.virtualServer === vs));
}

/** One entry per configured virtual server: kernel view with health merged into each real server. */
export function virtualServersStatus(
  config: Config,
  health: readonly HealthVsStatus[],
  live: readonly LiveEntry[] | null,
  drains: readonly DrainOverride[],
): JsonValue {
  const byName = new Map(health.map((h) => [h.name, h]));
  return kernelStatus(config, live).map((k): JsonObject => {
    const h = byName.get(k.name);
    const realServers = k.real_servers.map((rs, i): JsonObject => {
      const hr = h?.real_servers[i];
      return toJson({
        ...rs,
        health: hr?.health ?? 'unknown',
        since: hr?.since ?? null,
        check_weight: hr?.weight ?? null,
        last_check: hr?.last_check ?? null,
        drained: isDrainedBy(drains, k.name, rs.address, rs.port),
      }) as JsonObject;
    });
    return toJson({
      name: k.name,
      service: k.service,
      in_kernel: k.in_kernel,
      scheduler: k.scheduler,
      rates: k.rates,
      quorum_up: h?.quorum_up ?? null,
      up_count: h?.up_count ?? 0,
      quorum: h?.quorum ?? null,
      real_servers: realServers,
    }) as JsonObject;
  });
}

export interface IpvsLinkState {
  readonly connected: boolean;
  readonly connectErrors: number;
  readonly lastConnectError: string | null;
  /** Times the IPVS generic netlink family vanished (ip_vs unloaded) and was resolved again. */
  readonly familyLost?: number;
}

/** `nftWithoutIpvs`: the owned nftables table while IPVS is unavailable (the reconciler's otherwise). */
export function reconcileStatus(link: IpvsLinkState, counters: ReconcilerCounters | null, nftWithoutIpvs: NftTableStatus | null = null): JsonValue {
  return toJson({
    ipvs: link.connected ? 'connected' : 'unavailable',
    connect_errors: link.connectErrors,
    family_lost: link.familyLost ?? 0,
    last_connect_error: link.lastConnectError,
    runs: counters?.runs ?? 0,
    failed_runs: counters?.failedRuns ?? 0,
    ops_applied: counters?.opsApplied ?? 0,
    ops_failed: counters?.opsFailed ?? 0,
    errors_by_kind: counters?.errorsByKind ?? {},
    last_error: counters?.lastError ?? null,
    last_run: counters?.lastRun ?? null,
    sysctls: counters?.sysctls ?? {},
    nftables: counters?.nftables ?? nftWithoutIpvs,
  });
}

export interface SyncStatusInput {
  readonly follow: string | null;
  readonly role: string;
  readonly maintenance: boolean;
  readonly daemons: SyncDaemons | null;
  readonly lastError: string | null;
}

/** `ipvs_sync`: { master, backup } as the kernel runs them, plus what drives them. */
export function ipvsSyncStatus(input: SyncStatusInput): JsonValue {
  const d = input.daemons === null ? { master: null, backup: null } : syncStatusJson(input.daemons);
  return toJson({ ...d, follow: input.follow, role: input.role, last_error: input.lastError });
}

export function drainsStatus(drains: readonly DrainOverride[]): JsonValue {
  return drains.map((d) => ({ address: d.address, port: d.port, virtual_server: d.virtualServer }));
}
