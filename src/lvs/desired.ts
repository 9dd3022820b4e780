/**
 * Desired state (pure): the IPVS services and destinations that should exist,
 * from the config, the health of the real servers, operator overrides and the
 * director's role. The rules (inhibit, remove, sorry server, unknown health,
 * drains, role) are in docs/ipvs.md; every one of them is decided here.
 */
import type {
  AddressFamily,
  Config,
  Forwarding,
  RealServerConfig,
  SchedulerFlag,
  VirtualServerConfig,
  VirtualServerKey,
} from '../config/types.js';
import type { HealthState } from '../health/hysteresis.js';
import type { QuorumState } from '../health/quorum.js';
import type { VrrpStateName } from '../vrrp/machine-types.js';
import {
  EMPTY_TABLE,
  canonicalAddress,
  destinationKeyText,
  findDestination,
  fullNetmask,
  indexServices,
  serviceKeyText,
  SvcFlag,
  type Destination,
  type FwdMethod,
  type Service,
  type ServiceEntry,
  type ServiceKey,
  type Table,
  type TunnelParams,
} from './model.js';

/** The director's role: a VRRP state, or STOPPED while the daemon shuts down. */
export type DirectorRole = VrrpStateName | 'STOPPED';

export interface RealServerHealth {
  readonly state: HealthState;
  /** A dynamic weight reported by the check, or null. */
  readonly weight: number | null;
}

/** What the health engine knows, looked up by virtual-server name and real-server address:port. */
export interface HealthView {
  /** undefined is read as unknown (no verdict yet). */
  realServer(virtualServer: string, address: string, port: number): RealServerHealth | undefined;
  quorum(virtualServer: string): QuorumState;
}

/** An operator drain: weight 0 for this real server (in one virtual server, or in all when null). */
export interface DrainOverride {
  readonly address: string;
  readonly port: number;
  readonly virtualServer: string | null;
}

export interface DesiredOptions {
  readonly drains?: readonly DrainOverride[];
  /**
   * The live kernel table, used only for real servers whose health is still
   * unknown (and quorum still unknown): they keep what the kernel has, so a
   * daemon restart changes nothing before the first verdicts.
   */
  readonly live?: Table | null;
  /** Withdraw our services while FAULT or STOPPED (default false: the table stays). */
  readonly withdrawOnFault?: boolean;
  /**
   * Weight of a real server with no verdict yet that the kernel does not
   * have: 'zero' (default: present but quiesced until its first verdict) or
   * 'configured' (keepalived's default: in service at once).
   */
  readonly unknownWeight?: 'zero' | 'configured';
}

const SCHED_FLAG_BITS: Readonly<Record<SchedulerFlag, number>> = {
  'sh-fallback': SvcFlag.SCHED1,
  'sh-port': SvcFlag.SCHED2,
  'mh-fallback': SvcFlag.SCHED1,
  'mh-port': SvcFlag.SCHED2,
};

/** The family of a virtual server. */
export function virtualServerFamily(key: VirtualServerKey): AddressFamily {
  return key.kind === 'fwmark' ? key.family : key.address.family;
}

/** The IPVS service key of a virtual server. */
export function serviceKeyOf(vs: VirtualServerConfig): ServiceKey {
  const k = vs.key;
  if (k.kind === 'fwmark') return { kind: 'fwmark', family: k.family, fwmark: k.fwmark };
  return { kind: 'address', family: k.address.family, protocol: k.protocol, address: k.address.text, port: k.port };
}

/** The service attributes a virtual server asks for (independent of health). */
export function serviceOf(vs: VirtualServerConfig): Service {
  const family = virtualServerFamily(vs.key);
  const schedBits = vs.schedulerFlags.reduce((acc, f) => acc | SCHED_FLAG_BITS[f], 0);
  const p = vs.persistence;
  return {
    key: serviceKeyOf(vs),
    scheduler: vs.scheduler,
    flags: schedBits | (p === null ? 0 : SvcFlag.PERSISTENT) | (vs.ops === true ? SvcFlag.ONEPACKET : 0),
    timeoutS: p === null ? 0 : p.timeoutS,
    netmask: p === null ? fullNetmask(family) : p.netmask,
    peName: null,
  };
}

function fwdOf(f: Forwarding): { fwd: FwdMethod; tunnel: TunnelParams | null } {
  switch (f.method) {
    case 'dr':
      return { fwd: 'droute', tunnel: null };
    case 'nat':
    case 'fullnat': // masquerading; the source rewrite is nftables' (./snat.ts)
      return { fwd: 'masq', tunnel: null };
    case 'tun':
      return { fwd: 'tunnel', tunnel: { type: f.tunType, port: f.tunType === 'gue' ? (f.tunPort ?? 0) : 0, flags: 0 } };
  }
}

/** A destination for a real server of `vs` with the given weight. */
export function destinationOf(vs: VirtualServerConfig, rs: RealServerConfig, weight: number): Destination {
  return {
    family: rs.address.family,
    address: rs.address.text,
    port: rs.port,
    ...fwdOf(vs.forwarding),
    weight,
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
  };
}

function sorryDestination(vs: VirtualServerConfig): Destination | null {
  const s = vs.sorryServer;
  if (s === null) return null;
  return {
    family: s.address.family,
    address: s.address.text,
    port: s.port,
    ...fwdOf(vs.forwarding),
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
}

function isDrained(drains: readonly DrainOverride[], vs: string, rs: RealServerConfig): boolean {
  const addr = canonicalAddress(rs.address.text);
  return drains.some(
    (d) => canonicalAddress(d.address) === addr && d.port === rs.port && (d.virtualServer === null || d.virtualServer === vs),
  );
}

interface VsContext {
  readonly vs: VirtualServerConfig;
  readonly health: HealthView;
  readonly drains: readonly DrainOverride[];
  readonly unknownWeight: 'zero' | 'configured';
  /** The live entry of this service, or undefined. */
  readonly live: ServiceEntry | undefined;
  /** Quorum lost with a sorry server (or unknown with the sorry server live): real servers step aside. */
  readonly sorryActive: boolean;
}

const ALWAYS_UP: RealServerHealth = { state: 'up', weight: null };
const NO_VERDICT: RealServerHealth = { state: 'unknown', weight: null };

/**
 * The weight a real server should have, or null when it should be absent.
 * Rules in order: no check -> up; unknown keeps the live weight, else 0 (or
 * configured with unknownWeight 'configured'); down -> inhibit 0 / remove
 * absent; sorry mode -> the same as down; drained -> 0; up -> the dynamic
 * weight if reported, else the configured weight.
 */
function realServerWeight(ctx: VsContext, rs: RealServerConfig): number | null {
  const h = rs.check === null ? ALWAYS_UP : (ctx.health.realServer(ctx.vs.name, rs.address.text, rs.port) ?? NO_VERDICT);
  const withdrawn = ctx.vs.onFailure === 'inhibit' ? 0 : null;
  let weight: number | null;
  if (h.state === 'unknown') {
    const live = findDestination(ctx.live, destinationKeyText({ family: rs.address.family, address: rs.address.text, port: rs.port }));
    if (live !== undefined) return isDrained(ctx.drains, ctx.vs.name, rs) ? 0 : live.weight;
    weight = ctx.unknownWeight === 'zero' ? 0 : rs.weight;
  } else if (h.state === 'down') {
    return withdrawn;
  } else {
    weight = h.weight === null ? rs.weight : Math.max(0, Math.trunc(h.weight));
  }
  if (ctx.sorryActive) return withdrawn;
  return isDrained(ctx.drains, ctx.vs.name, rs) ? 0 : weight;
}

function sorryIsActive(vs: VirtualServerConfig, health: HealthView, live: ServiceEntry | undefined): boolean {
  const sorry = sorryDestination(vs);
  if (sorry === null) return false;
  switch (health.quorum(vs.name)) {
    case 'lost':
      return true;
    case 'held':
      return false;
    case 'unknown':
      return findDestination(live, destinationKeyText(sorry)) !== undefined;
  }
}

/** The desired entry of one virtual server. */
export function desiredEntry(vs: VirtualServerConfig, health: HealthView, options: DesiredOptions = {}): ServiceEntry {
  const service = serviceOf(vs);
  const live = options.live ? indexServices(options.live).get(serviceKeyText(service.key)) : undefined;
  const ctx: VsContext = {
    vs,
    health,
    drains: options.drains ?? [],
    unknownWeight: options.unknownWeight ?? 'zero',
    live,
    sorryActive: sorryIsActive(vs, health, live),
  };
  const destinations: Destination[] = [];
  const seen = new Set<string>();
  for (const rs of vs.realServers) {
    const weight = realServerWeight(ctx, rs);
    if (weight === null) continue;
    const dest = destinationOf(vs, rs, weight);
    const key = destinationKeyText(dest);
    if (seen.has(key)) continue;
    seen.add(key);
    destinations.push(dest);
  }
  const sorry = sorryDestination(vs);
  if (ctx.sorryActive && sorry !== null && !seen.has(destinationKeyText(sorry))) destinations.push(sorry);
  return { service, destinations };
}

/**
 * The desired IPVS table. The table is the same on MASTER and BACKUP (the
 * backup needs identical services for synced connections to bind); only with
 * `withdrawOnFault` does FAULT or STOPPED give an empty table.
 */
export function desiredTable(config: Config, health: HealthView, role: DirectorRole, options: DesiredOptions = {}): Table {
  if (options.withdrawOnFault === true && (role === 'FAULT' || role === 'STOPPED')) return EMPTY_TABLE;
  const seen = new Set<string>();
  const services: ServiceEntry[] = [];
  for (const vs of config.virtualServers) {
    const entry = desiredEntry(vs, health, options);
    const key = serviceKeyText(entry.service.key);
    if (seen.has(key)) continue;
    seen.add(key);
    services.push(entry);
  }
  return { services };
}

/** The services a set of configs describes: pass the current and, across a reload, the previous config. */
export function ownedBy(...configs: readonly Config[]): (key: ServiceKey) => boolean {
  const keys = new Set(configs.flatMap((c) => c.virtualServers.map((vs) => serviceKeyText(serviceKeyOf(vs)))));
  return (key) => keys.has(serviceKeyText(key));
}

/** A HealthView over plain records, keyed "vs|address|port" and by virtual-server name. */
export function staticHealthView(
  realServers: Readonly<Record<string, RealServerHealth>>,
  quorum: Readonly<Record<string, QuorumState>> = {},
): HealthView {
  const rs = new Map(Object.entries(realServers));
  const q = new Map(Object.entries(quorum));
  return {
    realServer: (vs, address, port) => rs.get(healthKey(vs, address, port)),
    quorum: (vs) => q.get(vs) ?? 'unknown',
  };
}

/** The key staticHealthView uses for a real server. */
export function healthKey(virtualServer: string, address: string, port: number): string {
  return `${virtualServer}|${canonicalAddress(address)}|${port}`;
}
