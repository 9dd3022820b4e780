/**
 * Health checks (`check:` on a virtual server or a real server): tcp, http,
 * https and exec, each with its own allowed keys.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { absolutePath, argv, bool, duration, int, ip, matching, oneOf, str } from './read.js';
import { KEYS } from './keys.js';
import { MapReader, type Ctx } from './reader.js';
import type { AddressFamily, CheckConfig, CheckType, HttpStatusRange, IpAddress } from './types.js';
import { familyName } from './values.js';

export const CHECK_DEFAULTS = {
  intervalMs: 2000,
  timeoutMs: 1000,
  rise: 2,
  fall: 3,
  method: 'GET',
  path: '/',
  expectStatus: [[200, 299]] as readonly HttpStatusRange[],
  tlsVerify: true,
  maxBodyBytes: 1_048_576,
} as const;

const CHECK_TYPES = ['tcp', 'http', 'https', 'exec'] as const;
const KEYS_BY_TYPE: Readonly<Record<CheckType, readonly string[]>> = {
  tcp: KEYS.checkTcp,
  http: KEYS.checkHttp,
  https: KEYS.checkHttps,
  exec: KEYS.checkExec,
};

/** Where a check is written: per real server, or as the default of a virtual server. */
export interface CheckScope {
  readonly family: AddressFamily;
  readonly level: 'virtual_server' | 'real_server';
}

function forbidOtherKeys(m: MapReader, type: CheckType): void {
  for (const key of KEYS.check) {
    if (KEYS_BY_TYPE[type].includes(key)) continue;
    const allowedFor = CHECK_TYPES.filter((t) => KEYS_BY_TYPE[t].includes(key)).join(', ');
    m.forbid(key, `for check type ${type} (only for ${allowedFor})`);
  }
}

const statusEntry = (ctx: Ctx, node: Node, path: string): HttpStatusRange | undefined => {
  const expected = "an HTTP status 100..599 or a range like '200-299'";
  const v = isScalar(node) ? node.value : undefined;
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  const m = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(text);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || lo < 100 || hi > 599 || lo > hi) {
    ctx.mismatch(node, path, expected);
    return undefined;
  }
  return [lo, hi];
};

function readExpectStatus(m: MapReader): readonly HttpStatusRange[] {
  const node = m.valueNode('expect_status');
  if (node === undefined) return CHECK_DEFAULTS.expectStatus;
  const path = m.sub('expect_status');
  if (!isSeq(node)) return [statusEntry(m.ctx, node, path) ?? [200, 299]];
  if (node.items.length === 0) m.ctx.report(node, path, 'must list at least one status or range', 'an empty list');
  return node.items.flatMap((raw, i) => {
    const item = m.ctx.resolve(raw, `${path}[${i}]`);
    const r = item === undefined ? undefined : statusEntry(m.ctx, item, `${path}[${i}]`);
    return r === undefined ? [] : [r];
  });
}

const regexSource = (ctx: Ctx, node: Node, path: string): string | undefined => {
  const source = str(ctx, node, path);
  if (source === undefined) return undefined;
  try {
    new RegExp(source);
    return source;
  } catch (err) {
    const why = err instanceof Error ? err.message : 'invalid';
    ctx.report(node, path, `must be a valid regular expression (JavaScript syntax): ${why}`, ctx.describe(node));
    return undefined;
  }
};

const sha256Hex = matching(/^[0-9a-fA-F]{64}$/, 'a sha256 digest: 64 hexadecimal characters');
const md5Hex = matching(/^[0-9a-fA-F]{32}$/, 'an md5 digest: 32 hexadecimal characters');

function readConnect(m: MapReader, scope: CheckScope): { connectAddress: IpAddress | null; connectPort: number | null; bindAddress: IpAddress | null } {
  const connect = m.optAt('connect_address', ip);
  const bind = m.optAt('bind_address', ip);
  if (connect && scope.level === 'virtual_server') {
    m.ctx.report(m.keyNode('connect_address') ?? connect.node, connect.path, 'connect_address on a virtual-server check would probe one address for every real server; set it on the real server\'s check');
  }
  const family = connect?.value.family ?? scope.family;
  for (const a of [connect, bind]) {
    if (a && a.value.family !== family) {
      m.ctx.report(a.node, a.path, `must be an ${familyName(family)} address like the address it probes`, a.value.text);
    }
  }
  return { connectAddress: connect?.value ?? null, connectPort: m.opt('connect_port', int(1, 65535)) ?? null, bindAddress: bind?.value ?? null };
}

function readHttp(m: MapReader, type: 'http' | 'https') {
  const ctx = m.ctx;
  const method = m.opt('method', oneOf(['GET', 'HEAD'] as const)) ?? CHECK_DEFAULTS.method;
  const path = m.opt('path', matching(/^\/\S*$/, "an absolute request path starting with '/', without spaces")) ?? CHECK_DEFAULTS.path;
  const host = m.opt('host', matching(/^[^\s/]+$/, 'a Host header value without spaces or slashes')) ?? null;
  const expectStatus = readExpectStatus(m);
  const expectBody = m.opt('expect_body', regexSource) ?? null;
  const expectDigest = m.opt('expect_digest', sha256Hex)?.toLowerCase() ?? null;
  const expectDigestMd5 = m.opt('expect_digest_md5', md5Hex)?.toLowerCase() ?? null;
  if (method === 'HEAD') {
    for (const key of ['expect_body', 'expect_digest', 'expect_digest_md5']) {
      if (m.has(key)) ctx.report(m.keyNode(key) ?? m.node, m.sub(key), `${key} needs a body, but method HEAD receives none`);
    }
  }
  const tls = type === 'https';
  return {
    method,
    path,
    host,
    expectStatus,
    expectBody,
    expectDigest,
    expectDigestMd5,
    tlsVerify: tls ? (m.opt('tls_verify', bool) ?? CHECK_DEFAULTS.tlsVerify) : false,
    tlsServerName: tls ? (m.opt('tls_server_name', matching(/^[A-Za-z0-9.-]+$/, 'a DNS name for TLS SNI')) ?? null) : null,
    caFile: tls ? (m.opt('ca_file', absolutePath) ?? null) : null,
    maxBodyBytes: m.opt('max_body_bytes', int(1, 67_108_864)) ?? CHECK_DEFAULTS.maxBodyBytes,
  };
}

function readTiming(m: MapReader): { intervalMs: number; timeoutMs: number; rise: number; fall: number } {
  const intervalMs = m.opt('interval', duration({ min: 100, max: 3_600_000 })) ?? CHECK_DEFAULTS.intervalMs;
  const timeoutAt = m.optAt('timeout', duration({ min: 10, max: 3_600_000 }));
  const timeoutMs = timeoutAt?.value ?? Math.min(CHECK_DEFAULTS.timeoutMs, intervalMs);
  if (timeoutAt && timeoutMs > intervalMs) {
    m.ctx.report(timeoutAt.node, timeoutAt.path, 'must not be longer than the interval (two runs of one check never overlap)', m.ctx.describe(timeoutAt.node));
  }
  return {
    intervalMs,
    timeoutMs,
    rise: m.opt('rise', int(1, 1000)) ?? CHECK_DEFAULTS.rise,
    fall: m.opt('fall', int(1, 1000)) ?? CHECK_DEFAULTS.fall,
  };
}

/** Read a check. `false` at real-server level means "no check: always up" (null). */
export function readCheck(ctx: Ctx, node: Node, path: string, scope: CheckScope): CheckConfig | null | undefined {
  if (scope.level === 'real_server' && isScalar(node) && node.value === false) return null;
  if (!isMap(node)) {
    ctx.mismatch(node, path, 'a mapping (key: value)');
    return undefined;
  }
  // Suggest only keys of the check's own type; keys of other types get a precise refusal below.
  const typeNode = node.items.find((p) => isScalar(p.key) && p.key.value === 'type')?.value;
  const written = isScalar(typeNode) ? CHECK_TYPES.find((t) => t === typeNode.value) : undefined;
  const m = new MapReader(ctx, node, path, KEYS.check, written === undefined ? KEYS.check : KEYS_BY_TYPE[written]);
  const type = m.req('type', oneOf(CHECK_TYPES));
  if (type === undefined) return undefined;
  forbidOtherKeys(m, type);
  const timing = readTiming(m);
  switch (type) {
    case 'tcp':
      return { type, ...timing, ...readConnect(m, scope) };
    case 'http':
    case 'https':
      return { type, ...timing, ...readConnect(m, scope), ...readHttp(m, type) };
    case 'exec': {
      const command = m.req('command', argv);
      const dynamicWeight = m.opt('dynamic_weight', bool) ?? false;
      return command === undefined ? undefined : { type, ...timing, command, dynamicWeight };
    }
  }
}
