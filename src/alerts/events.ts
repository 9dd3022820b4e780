/**
 * The typed events lvs-ha publishes. Health checking contributes the four
 * below; the VRRP and IPVS engines extend the union with theirs (and add a
 * case to alertOf, which the compiler then demands).
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

export type LvsHaEvent = RealServerEvent | QuorumEvent;

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
  | { readonly kind: 'virtual_server'; readonly virtual_server: string };

function objectKey(o: AlertObject): string {
  switch (o.kind) {
    case 'real_server':
      return `real_server:${o.virtual_server}/${o.address.includes(':') ? `[${o.address}]` : o.address}:${String(o.port)}`;
    case 'virtual_server':
      return `virtual_server:${o.virtual_server}`;
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
