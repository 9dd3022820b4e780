/**
 * The typed events lvs-ha publishes: health checking's four (real server
 * down/up, quorum lost/restored), the VRRP engine's transitions, and the
 * director's sync-daemon and reconcile errors. alertOf has a case for each
 * (the compiler demands it).
 */
import type { AlertEvent } from '../config/types.js';

export interface RealServerEvent {
  readonly type: 'real_server_down' | 'real_server_up';
  readonly at: Date;
  readonly virtualServer: string;
  readonly address: string;
  readonly port: number;
  /** Health before the transition: up, down or unknown. */
  readonly from: string;
  readonly reason: string;
}

export interface QuorumEvent {
  readonly type: 'quorum_lost' | 'quorum_restored';
  readonly at: Date;
  readonly virtualServer: string;
  readonly upCount: number;
  readonly minUp: number;
  readonly hysteresis: number;
  readonly reason: string;
}

/** A VRRP instance changed state. */
export interface VrrpTransitionEvent {
  readonly type: 'vrrp_transition';
  /** Not about a virtual server (keeps `event.virtualServer` readable on the whole union). */
  readonly virtualServer?: undefined;
  readonly at: Date;
  readonly instance: string;
  readonly from: string;
  readonly to: string;
  readonly priority: number;
  readonly reason: string;
}

/** A kernel sync daemon could not be started or stopped for the director's role. */
export interface SyncDaemonErrorEvent {
  readonly type: 'sync_daemon_error';
  /** Not about a virtual server (keeps `event.virtualServer` readable on the whole union). */
  readonly virtualServer?: undefined;
  readonly at: Date;
  /** The role the daemons were being brought to (MASTER, BACKUP, ...). */
  readonly role: string;
  readonly kind: string;
  readonly reason: string;
}

/** The IPVS reconciler failed (no IPVS, a refused operation, a failed dump). */
export interface ReconcileErrorEvent {
  readonly type: 'reconcile_error';
  /** Not about a virtual server (keeps `event.virtualServer` readable on the whole union). */
  readonly virtualServer?: undefined;
  readonly at: Date;
  readonly kind: string;
  readonly reason: string;
}

/** An ECMP director announced or withdrew a VIP (its route in the announcement table). */
export interface VipAnnounceEvent {
  readonly type: 'vip_announced' | 'vip_withdrawn';
  /** Not about a virtual server (keeps `event.virtualServer` readable on the whole union). */
  readonly virtualServer?: undefined;
  readonly at: Date;
  readonly vip: string;
  readonly reason: string;
}

export type LvsHaEvent = RealServerEvent | QuorumEvent | VrrpTransitionEvent | SyncDaemonErrorEvent | ReconcileErrorEvent | VipAnnounceEvent;

/** The JSON body every alert sink receives (webhook POST body, exec stdin). Version 1. */
export interface AlertPayload {
  readonly version: 1;
  readonly event: AlertEvent;
  readonly node: string;
  /** What the event is about. */
  readonly object: AlertObject;
  /** Deduplication key: event name plus object identity. */
  readonly key: string;
  readonly reason: string;
  /** When the event happened (ISO 8601, UTC). */
  readonly at: string;
  /** Event-specific extra fields. */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export type AlertObject =
  | { readonly kind: 'real_server'; readonly virtual_server: string; readonly address: string; readonly port: number }
  | { readonly kind: 'virtual_server'; readonly virtual_server: string }
  | { readonly kind: 'instance'; readonly instance: string }
  | { readonly kind: 'vip'; readonly vip: string }
  | { readonly kind: 'director' };

function objectKey(o: AlertObject): string {
  switch (o.kind) {
    case 'real_server':
      return `real_server:${o.virtual_server}/${o.address.includes(':') ? `[${o.address}]` : o.address}:${String(o.port)}`;
    case 'virtual_server':
      return `virtual_server:${o.virtual_server}`;
    case 'instance':
      return `instance:${o.instance}`;
    case 'vip':
      return `vip:${o.vip}`;
    case 'director':
      return 'director';
  }
}

/** Project an event to the alert payload (pure). */
export function alertOf(event: LvsHaEvent, node: string): AlertPayload {
  let object: AlertObject;
  let details: AlertPayload['details'];
  switch (event.type) {
    case 'real_server_down':
    case 'real_server_up':
      object = { kind: 'real_server', virtual_server: event.virtualServer, address: event.address, port: event.port };
      details = { from: event.from };
      break;
    case 'quorum_lost':
    case 'quorum_restored':
      object = { kind: 'virtual_server', virtual_server: event.virtualServer };
      details = { up_count: event.upCount, min_up: event.minUp, hysteresis: event.hysteresis };
      break;
    case 'vrrp_transition':
      object = { kind: 'instance', instance: event.instance };
      details = { from: event.from, to: event.to, priority: event.priority };
      break;
    case 'sync_daemon_error':
      object = { kind: 'director' };
      details = { role: event.role, kind: event.kind };
      break;
    case 'reconcile_error':
      object = { kind: 'director' };
      details = { kind: event.kind };
      break;
    case 'vip_announced':
    case 'vip_withdrawn':
      object = { kind: 'vip', vip: event.vip };
      details = {};
      break;
  }
  return {
    version: 1,
    event: event.type,
    node,
    object,
    key: `${event.type} ${objectKey(object)}`,
    reason: event.reason,
    at: event.at.toISOString(),
    details,
  };
}
