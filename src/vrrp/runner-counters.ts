/**
 * Counters of one instance runner and a rate limiter for its drop logs. Plain mutable records
 * owned by one runner (never module-level).
 */
import type { JsonObject } from '../control/protocol.js';

export interface RunnerCounters {
  advertsSent: number;
  advertsReceived: number;
  sendErrors: number;
  transitions: number;
  /** Received packets refused, by reason (codec reasons plus transport reasons). */
  readonly drops: Map<string, number>;
  /** Checksum mode that matched on accepted adverts: rfc5798, rfc9568, ipv6. */
  readonly checksumSeen: Map<string, number>;
  /** Decode notes on accepted adverts (address_mismatch, interval_mismatch, owner_conflict, ipv6_first_not_link_local). */
  readonly notes: Map<string, number>;
  /** VIPs put back after something else removed them while MASTER. */
  vipsRestored: number;
  addressErrors: number;
  announceErrors: number;
  /** Announcement bursts repeated while MASTER because a split brain may have healed. */
  reannounces: number;
  /** Immediate answers to lower-priority (or priority-0) adverts not sent: one per interval at most. */
  repliesSuppressed: number;
}

export function newCounters(): RunnerCounters {
  return {
    advertsSent: 0,
    advertsReceived: 0,
    sendErrors: 0,
    transitions: 0,
    drops: new Map(),
    checksumSeen: new Map(),
    notes: new Map(),
    vipsRestored: 0,
    addressErrors: 0,
    announceErrors: 0,
    reannounces: 0,
    repliesSuppressed: 0,
  };
}

export function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function mapJson(map: ReadonlyMap<string, number>): JsonObject {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function countersJson(c: RunnerCounters): JsonObject {
  let dropsTotal = 0;
  for (const n of c.drops.values()) dropsTotal += n;
  return {
    adverts_sent: c.advertsSent,
    adverts_received: c.advertsReceived,
    send_errors: c.sendErrors,
    transitions: c.transitions,
    drops_total: dropsTotal,
    drops: mapJson(c.drops),
    checksum_seen: mapJson(c.checksumSeen),
    notes: mapJson(c.notes),
    vips_restored: c.vipsRestored,
    address_errors: c.addressErrors,
    announce_errors: c.announceErrors,
    reannounces: c.reannounces,
    replies_suppressed: c.repliesSuppressed,
  };
}

/**
 * At most one log line per key per window; the lines in between are counted and reported
 * with the next one that gets through (RFC 9568 §7.1: log drops, rate-limited).
 */
export class LogLimiter {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();
  constructor(private readonly windowMs: number) {}

  /** Returns the number of suppressed lines to report, or null to stay quiet. */
  admit(key: string, nowMs: number): number | null {
    const entry = this.last.get(key);
    if (entry && nowMs - entry.atMs < this.windowMs) {
      entry.suppressed += 1;
      return null;
    }
    this.last.set(key, { atMs: nowMs, suppressed: 0 });
    return entry?.suppressed ?? 0;
  }
}
