/**
 * The `track`, `announce` and `notify` blocks of a VRRP instance.
 */
import type { Node } from 'yaml';
import { isScalar } from 'yaml';
import { absolutePath, argv, parsed, duration, int, interfaceName, listOf, map, name, oneOf, reportDuplicates, str, values } from './read.js';
import { KEYS } from './keys.js';
import type { Ctx, Located, MapReader, Read } from './reader.js';
import type { AnnounceConfig, TrackFile, TrackInterface, TrackProcess, TrackRoute, TrackScript, TrackVirtualServer, VrrpInstanceConfig } from './types.js';
import { parseRouteDestination } from './values.js';

/** Priority deltas: a tracked failure moves priority by at most this much; 0 means FAULT. */
const WEIGHT_MIN = -254;
const WEIGHT_MAX = 254;

export const TRACK_DEFAULTS = {
  weight: 0,
  scriptIntervalMs: 2000,
  scriptTimeoutMs: 1000,
  scriptRise: 1,
  scriptFall: 1,
  routeTable: 254,
  processQuorum: 1,
  processIntervalMs: 1000,
  /** Keepalived's track_file default: the file's value is the delta as it stands. */
  fileWeight: 1,
} as const;

/** Table names the kernel reserves (iproute2's rt_tables); any other table is given by number. */
const ROUTE_TABLES: Readonly<Record<string, number>> = { main: 254, local: 255, default: 253 };
/** The kernel truncates a process name (comm) to 15 bytes. */
const COMM_MAX = 15;
/** A file's value times its weight must stay an integer that means something for a priority. */
const FILE_VALUE_WEIGHT_MAX = 254;

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

const routeTable: Read<number> = (ctx, node, path) => {
  const expected = `a table id 1..4294967295 or one of ${Object.keys(ROUTE_TABLES).join(', ')}`;
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === 'string' && v in ROUTE_TABLES) return ROUTE_TABLES[v];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 0xffffffff) return v;
  ctx.mismatch(node, path, expected);
  return undefined;
};

function readTrackRoute(ctx: Ctx, node: Node, path: string): TrackRoute | undefined {
  const m = map(KEYS.trackRoute)(ctx, node, path);
  if (!m) return undefined;
  const dest = m.req('destination', parsed(parseRouteDestination));
  const table = m.opt('table', routeTable) ?? TRACK_DEFAULTS.routeTable;
  const expect = m.opt('expect', oneOf(['present', 'absent'] as const)) ?? 'present';
  const weight = m.opt('weight', int(WEIGHT_MIN, WEIGHT_MAX)) ?? TRACK_DEFAULTS.weight;
  if (dest === undefined) return undefined;
  const text = `${dest.text}/${String(dest.prefixLength)}`;
  return { name: `${text} table ${String(table)}`, family: dest.family, destination: dest.text, prefixLength: dest.prefixLength, table, expect, weight };
}

function readTrackProcess(ctx: Ctx, node: Node, path: string): TrackProcess | undefined {
  const m = map(KEYS.trackProcess)(ctx, node, path);
  if (!m) return undefined;
  const n = m.req('name', name);
  const processAt = m.optAt('process', str);
  const commandAt = m.optAt('command_line', listOf(str));
  const matchAt = m.optAt('match', oneOf(['exact', 'prefix'] as const));
  const quorum = m.opt('quorum', int(0, 65535)) ?? TRACK_DEFAULTS.processQuorum;
  const quorumMaxAt = m.optAt('quorum_max', int(0, 65535));
  const intervalMs = m.opt('interval', duration({ min: 100, max: 3_600_000 })) ?? TRACK_DEFAULTS.processIntervalMs;
  const weight = m.opt('weight', int(WEIGHT_MIN, WEIGHT_MAX)) ?? TRACK_DEFAULTS.weight;
  if ((processAt === undefined) === (commandAt === undefined)) {
    ctx.report(m.node, m.path, 'a tracked process needs exactly one of process (its name) or command_line');
    return undefined;
  }
  if (processAt && Buffer.byteLength(processAt.value) > COMM_MAX) {
    ctx.report(processAt.node, processAt.path, `a process name is at most ${String(COMM_MAX)} bytes (the kernel truncates longer ones); match a longer one with command_line`, ctx.describe(processAt.node));
    return undefined;
  }
  if (commandAt?.value.length === 0) {
    ctx.report(commandAt.node, commandAt.path, 'command_line must list at least the program', 'an empty list');
    return undefined;
  }
  if (matchAt && processAt) ctx.report(matchAt.node, matchAt.path, 'match applies to command_line only (a process name always matches exactly)', ctx.describe(matchAt.node));
  const quorumMax = quorumMaxAt?.value ?? null;
  if (quorumMaxAt && quorumMax !== null && quorumMax < quorum) {
    ctx.report(quorumMaxAt.node, quorumMaxAt.path, `must not be below quorum (${String(quorum)}): no count of processes could be healthy`, ctx.describe(quorumMaxAt.node));
  }
  if (n === undefined) return undefined;
  return {
    name: n,
    process: processAt?.value ?? null,
    commandLine: commandAt ? values(commandAt.value) : null,
    match: matchAt?.value ?? 'exact',
    quorum,
    quorumMax,
    weight,
    intervalMs,
  };
}

function readTrackFile(ctx: Ctx, node: Node, path: string): TrackFile | undefined {
  const m = map(KEYS.trackFile)(ctx, node, path);
  if (!m) return undefined;
  const n = m.req('name', name);
  const p = m.req('path', absolutePath);
  const weight = m.opt('weight', int(-FILE_VALUE_WEIGHT_MAX, FILE_VALUE_WEIGHT_MAX)) ?? TRACK_DEFAULTS.fileWeight;
  if (n === undefined || p === undefined) return undefined;
  return { name: n, path: p, weight };
}

export function readTrack(m: MapReader | undefined): TrackSection {
  const empty: TrackSection = { track: { interfaces: [], scripts: [], virtualServers: [], routes: [], processes: [], files: [] }, virtualServerRefs: [] };
  if (!m) return empty;
  const ctx = m.ctx;
  const ifs = m.opt('interfaces', listOf(readTrackInterface)) ?? [];
  reportDuplicates(ctx, ifs, (t) => t.name, 'tracked interface');
  const scripts = m.opt('scripts', listOf(readTrackScript)) ?? [];
  reportDuplicates(ctx, scripts, (t) => t.name, 'track script name');
  const vsLocated = m.opt('virtual_servers', listOf(readTrackVirtualServer)) ?? [];
  const vs = vsLocated.map((l) => l.value);
  reportDuplicates(ctx, vs, (t) => t.name, 'tracked virtual server');
  const routes = m.opt('routes', listOf(readTrackRoute)) ?? [];
  reportDuplicates(ctx, routes, (t) => t.name, 'tracked route');
  const processes = m.opt('processes', listOf(readTrackProcess)) ?? [];
  reportDuplicates(ctx, processes, (t) => t.name, 'tracked process name');
  const files = m.opt('files', listOf(readTrackFile)) ?? [];
  reportDuplicates(ctx, files, (t) => t.name, 'tracked file name');
  return {
    track: {
      interfaces: values(ifs),
      scripts: values(scripts),
      virtualServers: values(vs),
      routes: values(routes),
      processes: values(processes),
      files: values(files),
    },
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
