/**
 * Health checks (`check:` on a virtual server or a real server): tcp, http,
 * https, exec, dns, udp, icmp and smtp, each with its own allowed keys.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { absolutePath, argv, bool, duration, int, ip, matching, oneOf, str } from './read.js';
import { KEYS } from './keys.js';
import { MapReader, type Ctx, type Read } from './reader.js';
import type { AddressFamily, CheckConfig, CheckType, DnsQueryType, DnsRcode, HttpStatusRange, IpAddress } from './types.js';
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
  /** Keepalived's DNS_CHECK defaults: the root zone's SOA. */
  queryName: '.',
  queryType: 'SOA',
  expectRcode: 'NOERROR',
  /** Keepalived's PING_CHECK sends one echo request. */
  icmpCount: 1,
  icmpMinReplies: 1,
  starttls: false,
} as const;

export const DNS_QUERY_TYPES: readonly DnsQueryType[] = ['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'];
export const DNS_RCODES: readonly DnsRcode[] = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
/** A UDP check's payload fits one datagram of a plain Ethernet MTU (1500 − 20 − 8). */
export const UDP_PAYLOAD_MAX_BYTES = 1472;

const CHECK_TYPES = ['tcp', 'http', 'https', 'exec', 'dns', 'udp', 'icmp', 'smtp'] as const;
const KEYS_BY_TYPE: Readonly<Record<CheckType, readonly string[]>> = {
  tcp: KEYS.checkTcp,
  http: KEYS.checkHttp,
  https: KEYS.checkHttps,
  exec: KEYS.checkExec,
  dns: KEYS.checkDns,
  udp: KEYS.checkUdp,
  icmp: KEYS.checkIcmp,
  smtp: KEYS.checkSmtp,
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
  const bind = m.has('bind_address') ? m.optAt('bind_address', ip) : undefined;
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

/** A DNS name: '.' (the root) or labels of 1..63 characters, 253 at most, an optional final dot. */
const dnsName: Read<string> = (ctx, node, path) => {
  const expected = "a DNS name like 'www.example.com' or '.' (the root)";
  const text = str(ctx, node, path);
  if (text === undefined) return undefined;
  const bare = text.endsWith('.') && text !== '.' ? text.slice(0, -1) : text;
  const ok = text === '.' || (bare.length <= 253 && bare.split('.').every((l) => /^[A-Za-z0-9_*](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l)));
  if (!ok) {
    ctx.mismatch(node, path, expected);
    return undefined;
  }
  return text;
};

const hexBytes = (max: number): Read<string> => {
  const expected = "hexadecimal bytes in quotes, e.g. '0a1b' (an even number of 0-9 a-f characters)";
  return (ctx, node, path) => {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(v)) {
      ctx.mismatch(node, path, expected);
      return undefined;
    }
    if (v.length / 2 > max) {
      ctx.report(node, path, `must be at most ${String(max)} bytes`, `${String(v.length / 2)} bytes`);
      return undefined;
    }
    return v.toLowerCase();
  };
};

function readDns(m: MapReader) {
  const expectRcode = m.opt('expect_rcode', oneOf(DNS_RCODES)) ?? CHECK_DEFAULTS.expectRcode;
  const answer = m.optAt('expect_answer', regexSource);
  if (answer && expectRcode !== 'NOERROR') {
    m.ctx.report(m.keyNode('expect_answer') ?? answer.node, answer.path, `expect_answer needs answers, but expect_rcode ${expectRcode} has none (only NOERROR carries answers)`);
  }
  return {
    queryName: m.opt('query_name', dnsName) ?? CHECK_DEFAULTS.queryName,
    queryType: m.opt('query_type', oneOf(DNS_QUERY_TYPES)) ?? CHECK_DEFAULTS.queryType,
    expectRcode,
    expectAnswer: answer?.value ?? null,
  };
}

function readUdp(m: MapReader) {
  const ctx = m.ctx;
  if (m.has('payload') && m.has('payload_hex')) {
    ctx.report(m.keyNode('payload_hex') ?? m.node, m.sub('payload_hex'), 'payload and payload_hex are two ways to write the one datagram sent: write only one');
  }
  const text = m.optAt('payload', str);
  if (text && Buffer.byteLength(text.value) > UDP_PAYLOAD_MAX_BYTES) {
    ctx.report(text.node, text.path, `must be at most ${String(UDP_PAYLOAD_MAX_BYTES)} bytes`, `${String(Buffer.byteLength(text.value))} bytes`);
  }
  const payloadHex = text ? Buffer.from(text.value).toString('hex') : (m.opt('payload_hex', hexBytes(UDP_PAYLOAD_MAX_BYTES)) ?? '');
  const expectReply = m.opt('expect_reply', regexSource) ?? null;
  const expectReplyHex = m.opt('expect_reply_hex', hexBytes(UDP_PAYLOAD_MAX_BYTES)) ?? null;
  const require = m.optAt('require_reply', bool);
  const expecting = expectReply !== null || expectReplyHex !== null;
  if (require?.value === false && expecting) {
    ctx.report(require.node, require.path, 'require_reply: false contradicts expect_reply / expect_reply_hex, which need a reply');
  }
  return { payloadHex, requireReply: require?.value ?? expecting, expectReply, expectReplyHex };
}

function readIcmp(m: MapReader, scope: CheckScope) {
  const { connectAddress } = readConnect(m, scope);
  const count = m.opt('count', int(1, 10)) ?? CHECK_DEFAULTS.icmpCount;
  const min = m.optAt('min_replies', int(1, 10));
  if (min && min.value > count) {
    m.ctx.report(min.node, min.path, `must not exceed count (${String(count)}): only count echo requests are sent`, String(min.value));
  }
  return { connectAddress, count, minReplies: min?.value ?? CHECK_DEFAULTS.icmpMinReplies };
}

function readSmtp(m: MapReader) {
  const starttls = m.opt('starttls', bool) ?? CHECK_DEFAULTS.starttls;
  if (!starttls) for (const key of KEYS_TLS_ONLY) m.forbid(key, 'for check type smtp without starttls: true (there is no TLS to configure)');
  return {
    heloName: m.opt('helo_name', matching(/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$|^\[[0-9A-Fa-f:.]+\]$/, "a host name like 'director-a.example.com' or an address literal like '[10.0.0.1]'")) ?? null,
    starttls,
    tlsVerify: starttls ? (m.opt('tls_verify', bool) ?? CHECK_DEFAULTS.tlsVerify) : true,
    tlsServerName: starttls ? (m.opt('tls_server_name', matching(/^[A-Za-z0-9.-]+$/, 'a DNS name for TLS SNI')) ?? null) : null,
    caFile: starttls ? (m.opt('ca_file', absolutePath) ?? null) : null,
  };
}

const KEYS_TLS_ONLY = ['tls_verify', 'tls_server_name', 'ca_file'] as const;

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
    case 'dns':
      return { type, ...timing, ...readConnect(m, scope), ...readDns(m) };
    case 'udp':
      return { type, ...timing, ...readConnect(m, scope), ...readUdp(m) };
    case 'icmp':
      return { type, ...timing, ...readIcmp(m, scope) };
    case 'smtp':
      return { type, ...timing, ...readConnect(m, scope), ...readSmtp(m) };
  }
}
