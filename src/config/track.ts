/**
 * The `track`, `announce` and `notify` blocks of a VRRP instance.
 */
import type { Node } from 'yaml';
import { argv, duration, int, interfaceName, listOf, map, name, reportDuplicates, values } from './read.js';
import { KEYS } from './keys.js';
import type { Ctx, Located, MapReader } from './reader.js';
import type { AnnounceConfig, TrackInterface, TrackScript, TrackVirtualServer, VrrpInstanceConfig } from './types.js';

/** Priority deltas: a tracked failure moves priority by at most this much; 0 means FAULT. */
const WEIGHT_MIN = -254;
const WEIGHT_MAX = 254;

export const TRACK_DEFAULTS = {
  weight: 0,
  scriptIntervalMs: 2000,
  scriptTimeoutMs: 1000,
  scriptRise: 1,
  scriptFall: 1,
} as const;

export const ANNOUNCE_DEFAULTS: AnnounceConfig = { repeat: 5, intervalMs: 10, refreshMs: 0 };

export interface TrackSection {
  readonly track: VrrpInstanceConfig['track'];
  /** Virtual-server names, to resolve once every virtual server is known. */
  readonly virtualServerRefs: readonly Located<string>[];
}

function readTrackInterface(ctx: Ctx, node: Node, path: string): TrackInterface | undefined {
  const m = map(KEYS.trackInterface)(ctx, node, path);
  if (!m) return undefined;
  const n = m.req('name', interfaceName);
  const weight = m.opt('weight', int(WEIGHT_MIN, WEIGHT_MAX)) ?? TRACK_DEFAULTS.weight;
  return n === undefined ? undefined : { name: n, weight };
}

function readTrackScript(ctx: Ctx, node: Node, path: string): TrackScript | undefined {
  const m = map(KEYS.trackScript)(ctx, node, path);
  if (!m) return undefined;
  const n = m.req('name', name);
  const command = m.req('command', argv);
  const intervalMs = m.opt('interval', duration({ min: 100, max: 3_600_000 })) ?? TRACK_DEFAULTS.scriptIntervalMs;
  const timeoutAt = m.optAt('timeout', duration({ min: 10, max: 3_600_000 }));
  const timeoutMs = timeoutAt?.value ?? Math.min(TRACK_DEFAULTS.scriptTimeoutMs, intervalMs);
  if (timeoutAt && timeoutMs > intervalMs) {
    ctx.report(timeoutAt.node, timeoutAt.path, 'must not be longer than the interval (runs of one script never overlap)', ctx.describe(timeoutAt.node));
  }
  const rise = m.opt('rise', int(1, 1000)) ?? TRACK_DEFAULTS.scriptRise;
  const fall = m.opt('fall', int(1, 1000)) ?? TRACK_DEFAULTS.scriptFall;
  const weight = m.opt('weight', int(WEIGHT_MIN, WEIGHT_MAX)) ?? TRACK_DEFAULTS.weight;
  if (n === undefined || command === undefined) return undefined;
  return { name: n, command, intervalMs, timeoutMs, rise, fall, weight };
}

function readTrackVirtualServer(ctx: Ctx, node: Node, path: string): Located<TrackVirtualServer> | undefined {
  const m = map(KEYS.trackVirtualServer)(ctx, node, path);
  if (!m) return undefined;
  const n = m.reqAt('name', name);
  const weight = m.opt('weight', int(WEIGHT_MIN, WEIGHT_MAX)) ?? TRACK_DEFAULTS.weight;
  return n === undefined ? undefined : { value: { name: n.value, weight }, node: n.node, path: n.path };
}

export function readTrack(m: MapReader | undefined): TrackSection {
  const empty: TrackSection = { track: { interfaces: [], scripts: [], virtualServers: [] }, virtualServerRefs: [] };
  if (!m) return empty;
  const ctx = m.ctx;
  const ifs = m.opt('interfaces', listOf(readTrackInterface)) ?? [];
  reportDuplicates(ctx, ifs, (t) => t.name, 'tracked interface');
  const scripts = m.opt('scripts', listOf(readTrackScript)) ?? [];
  reportDuplicates(ctx, scripts, (t) => t.name, 'track script name');
  const vsLocated = m.opt('virtual_servers', listOf(readTrackVirtualServer)) ?? [];
  const vs = vsLocated.map((l) => l.value);
  reportDuplicates(ctx, vs, (t) => t.name, 'tracked virtual server');
  return {
    track: { interfaces: values(ifs), scripts: values(scripts), virtualServers: values(vs) },
    virtualServerRefs: vs.map((l) => ({ value: l.value.name, node: l.node, path: l.path })),
  };
}

export function readAnnounce(m: MapReader | undefined): AnnounceConfig {
  if (!m) return ANNOUNCE_DEFAULTS;
  return {
    repeat: m.opt('repeat', int(1, 100)) ?? ANNOUNCE_DEFAULTS.repeat,
    intervalMs: m.opt('interval', duration({ min: 0, max: 10_000 })) ?? ANNOUNCE_DEFAULTS.intervalMs,
    refreshMs: m.opt('refresh', duration({ min: 0, max: 86_400_000 })) ?? ANNOUNCE_DEFAULTS.refreshMs,
  };
}

export function readNotify(m: MapReader | undefined): VrrpInstanceConfig['notify'] {
  if (!m) return null;
  const notify = {
    command: m.opt('command', argv) ?? null,
    master: m.opt('master', argv) ?? null,
    backup: m.opt('backup', argv) ?? null,
    fault: m.opt('fault', argv) ?? null,
    stop: m.opt('stop', argv) ?? null,
  };
  if (Object.values(notify).every((v) => v === null)) {
    m.ctx.report(m.node, m.path, 'notify needs at least one of command, master, backup, fault, stop');
    return null;
  }
  return notify;
}
