/**
 * Identity of a health check: the target it probes plus its configuration.
 * Two real servers (in different virtual servers) with the same address, port
 * and an identical check share one scheduled check.
 */
import type { CheckConfig, IpAddress } from '../config/types.js';

export interface CheckTarget {
  readonly address: IpAddress;
  readonly port: number;
}

/** JSON with object keys sorted, so key order in the config does not matter. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** Address text of a target for display and keys: v6 in brackets. */
export function targetText(target: CheckTarget): string {
  const host = target.address.family === 'ipv6' ? `[${target.address.text}]` : target.address.text;
  return `${host}:${String(target.port)}`;
}

/** The check part of a key: its type and canonical configuration (plus extra inputs). */
export function checkIdentity(check: CheckConfig, extra: Readonly<Record<string, unknown>> = {}): string {
  return `${check.type} ${canonicalJson({ check, extra })}`;
}

export function checkKey(target: CheckTarget, check: CheckConfig, extra: Readonly<Record<string, unknown>> = {}): string {
  return `${targetText(target)} ${checkIdentity(check, extra)}`;
}
