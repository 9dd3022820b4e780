/**
 * STATS and STATS64 nests (IPVS_STATS_ATTR_*): STATS has u64 byte counters and
 * u32 others; STATS64 is all u64. Each counter is read by its length (4 or 8),
 * so either nest decodes; a missing counter is 0; PAD and unknown types are
 * skipped. Never throws.
 */
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import { attrsByType, decodeAttrs, readU32, readU64 } from './attrs.js';
import { IpvsStatsAttr } from './constants.js';

export interface IpvsStats {
  readonly conns: bigint;
  readonly inPkts: bigint;
  readonly outPkts: bigint;
  readonly inBytes: bigint;
  readonly outBytes: bigint;
  /** Rates, per second (estimator, 2 s average). */
  readonly cps: bigint;
  readonly inPps: bigint;
  readonly outPps: bigint;
  readonly inBps: bigint;
  readonly outBps: bigint;
}

const FIELDS: readonly [keyof IpvsStats, number][] = [
  ['conns', IpvsStatsAttr.CONNS],
  ['inPkts', IpvsStatsAttr.INPKTS],
  ['outPkts', IpvsStatsAttr.OUTPKTS],
  ['inBytes', IpvsStatsAttr.INBYTES],
  ['outBytes', IpvsStatsAttr.OUTBYTES],
  ['cps', IpvsStatsAttr.CPS],
  ['inPps', IpvsStatsAttr.INPPS],
  ['outPps', IpvsStatsAttr.OUTPPS],
  ['inBps', IpvsStatsAttr.INBPS],
  ['outBps', IpvsStatsAttr.OUTBPS],
];

function readCounter(value: Buffer): DecodeResult<bigint> {
  if (value.length === 8) return readU64(value);
  const small = readU32(value);
  return small.ok ? decoded(BigInt(small.value)) : refused(`expected 4 or 8 bytes, got ${value.length}`);
}

/** Decodes the payload of a STATS or STATS64 nest. */
export function decodeStats(nest: Buffer): DecodeResult<IpvsStats> {
  const list = decodeAttrs(nest);
  if (!list.ok) return refused(`stats: ${list.reason}`);
  const attrs = attrsByType(list.value);
  const out: Record<string, bigint> = {};
  for (const [name, type] of FIELDS) {
    const value = attrs.get(type);
    if (value === undefined) {
      out[name] = 0n;
      continue;
    }
    const counter = readCounter(value);
    if (!counter.ok) return refused(`stats ${name}: ${counter.reason}`);
    out[name] = counter.value;
  }
  return decoded(out as unknown as IpvsStats);
}

/** Prefers STATS64 (no 32-bit wrap) and falls back to STATS; null when neither is present. */
export function decodeStatsPair(stats: Buffer | undefined, stats64: Buffer | undefined): DecodeResult<IpvsStats | null> {
  const nest = stats64 ?? stats;
  return nest === undefined ? decoded(null) : decodeStats(nest);
}

/** Stats as JSON-safe numbers (counters above 2^53 lose precision, rates never get there). */
export function statsJson(stats: IpvsStats): Record<keyof IpvsStats, number> {
  const out = {} as Record<keyof IpvsStats, number>;
  for (const [name] of FIELDS) out[name] = Number(stats[name]);
  return out;
}
