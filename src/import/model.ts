/**
 * What the converter builds: the lvs-ha YAML as plain objects (snake_case
 * keys, durations as text), in the key order the output shows.
 */
import type { Loc } from './types.js';

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue | undefined };
export type YamlMap = Record<string, YamlValue | undefined>;

/** The global facts other blocks depend on. */
export interface Globals {
  routerId: { value: string; loc: Loc } | null;
  vrrpVersion: string | null;
  scriptUser: string | null;
  /** vrrp_rt_priority, clamped to 1..99 as Keepalived does. */
  rtPriority: number | null;
  strict: boolean;
  announce: { repeat?: number; refreshMs?: number; intervalMs?: number; gnaIntervalMs?: number };
  sync: SyncDaemon | null;
  timeouts: YamlMap | null;
}

export interface SyncDaemon {
  readonly loc: Loc;
  readonly iface: string;
  /** The Keepalived instance name, or null when none was given. */
  readonly instance: string | null;
  readonly extra: YamlMap;
}

export function emptyGlobals(): Globals {
  return { routerId: null, vrrpVersion: null, scriptUser: null, rtPriority: null, strict: false, announce: {}, sync: null, timeouts: null };
}
