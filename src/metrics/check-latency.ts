/**
 * Health-check latency histograms (pure): every check result is observed once,
 * per check type and result, into fixed buckets suited to health checks
 * (1 ms .. 5 s). The accumulator lives as long as the daemon (reloads keep
 * it: Prometheus histograms are cumulative). Its snapshot is the
 * `check_latency` section of `lvs-ha status --json`, and /metrics renders
 * `lvs_ha_check_latency_seconds` from that section (from-status.ts), so the two
 * never disagree.
 */
import type { JsonObject, JsonValue } from '../control/protocol.js';
import { histogramSamples, type MetricFamily, type Sample } from './exposition.js';

/** Upper bounds in milliseconds (the +Inf bucket is implicit). */
export const CHECK_LATENCY_BOUNDS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export type CheckResultLabel = 'ok' | 'fail';

interface Series {
  readonly type: string;
  readonly result: CheckResultLabel;
  /** Non-cumulative counts: one per bound, then the +Inf bucket. */
  readonly counts: number[];
  sumMs: number;
  count: number;
}

/** Index of the first bucket whose bound is >= ms (Prometheus `le`); bounds.length for +Inf. */
export function bucketIndex(bounds: readonly number[], ms: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ms <= (bounds[mid] ?? Infinity)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export class CheckLatencyHistogram {
  private readonly series = new Map<string, Series>();

  constructor(private readonly boundsMs: readonly number[] = CHECK_LATENCY_BOUNDS_MS) {}

  /** One finished check: its type (tcp, http, https, exec), whether it passed, its latency. */
  observe(type: string, ok: boolean, latencyMs: number): void {
    const result: CheckResultLabel = ok ? 'ok' : 'fail';
    const key = `${type}\u0000${result}`;
    let s = this.series.get(key);
    if (!s) {
      s = { type, result, counts: new Array<number>(this.boundsMs.length + 1).fill(0), sumMs: 0, count: 0 };
      this.series.set(key, s);
    }
    const ms = Number.isFinite(latencyMs) && latencyMs > 0 ? latencyMs : 0;
    const i = bucketIndex(this.boundsMs, ms);
    s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sumMs += ms;
    s.count += 1;
  }

  /** The status section: bounds, then one entry per (type, result) seen, sorted. */
  snapshot(): JsonObject {
    const series = [...this.series.values()]
      .sort((a, b) => (a.type === b.type ? a.result.localeCompare(b.result) : a.type.localeCompare(b.type)))
      .map((s): JsonObject => ({
        type: s.type,
        result: s.result,
        count: s.count,
        sum_ms: Math.round(s.sumMs * 1000) / 1000,
        bucket_counts: [...s.counts],
      }));
    return { bounds_ms: [...this.boundsMs], series };
  }
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numbers(v: JsonValue | undefined): number[] | null {
  if (!Array.isArray(v)) return null;
  const out = (v as readonly JsonValue[]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return out.length === v.length ? out : null;
}

/** `lvs_ha_check_latency_seconds` from the `check_latency` status section; null when absent or malformed. */
export function checkLatencyFamily(section: JsonValue | undefined): MetricFamily | null {
  if (!isObject(section)) return null;
  const boundsMs = numbers(section.bounds_ms);
  if (boundsMs === null || !Array.isArray(section.series)) return null;
  const bounds = boundsMs.map((ms) => ms / 1000);
  const samples: Sample[] = [];
  for (const s of section.series as readonly JsonValue[]) {
    if (!isObject(s) || typeof s.type !== 'string' || typeof s.result !== 'string' || typeof s.sum_ms !== 'number') continue;
    const counts = numbers(s.bucket_counts);
    if (counts?.length !== bounds.length + 1) continue;
    samples.push(...histogramSamples({ type: s.type, result: s.result }, bounds, counts, s.sum_ms / 1000));
  }
  return {
    name: 'lvs_ha_check_latency_seconds',
    help: 'Health check latency, by check type and result',
    type: 'histogram',
    samples,
  };
}
