/**
 * Real-server checkers: TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, SMTP_CHECK,
 * DNS_CHECK, UDP_CHECK and PING_CHECK into one lvs-ha `check`.
 *
 * Timing: interval = delay_loop; timeout = connect_timeout (misc_timeout);
 * fall = retry + 1 (the failed check and its retries); rise = 1.
 * delay_before_retry has no equivalent: lvs-ha probes every interval.
 * A url's `digest` (MD5 of the body) becomes expect_digest_md5, lowercased.
 */
import type { YamlMap, YamlValue } from './model.js';
import type { Loc, Stmt } from './types.js';
import { addressArg, arg, blockWords, type Collector, commandArgv, dispatch, durationText, kaNumber, kaSeconds, secondsArg } from './values.js';

/** Timing and host settings inherited virtual_server -> real_server -> checker. */
export interface CheckDefaults {
  delayLoopMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
  retry?: number | undefined;
  delayBeforeRetryMs?: number | undefined;
  virtualhost?: string | undefined;
}

export const KEEPALIVED_CHECK_DEFAULTS = { delayLoopMs: 60_000, connectTimeoutMs: 5000, retry: 1, miscRetry: 0, httpDelayBeforeRetryMs: 3000, delayBeforeRetryMs: 1000 } as const;

export type CheckerType = 'TCP_CHECK' | 'HTTP_GET' | 'SSL_GET' | 'MISC_CHECK' | 'SMTP_CHECK' | 'DNS_CHECK' | 'UDP_CHECK' | 'PING_CHECK';
export const CHECKER_TYPES: readonly CheckerType[] = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK'];

/** DNS_CHECK types lvs-ha's dns check asks (Keepalived knows A NS CNAME SOA MX TXT AAAA). */
const DNS_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT']);
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

interface CheckerAcc extends CheckDefaults {
  readonly type: CheckerType;
  readonly loc: Loc;
  connectIp?: string | undefined;
  connectPort?: number | undefined;
  bindto?: string | undefined;
  urls: Stmt[];
  sni: boolean;
  command?: string[] | undefined;
  miscTimeoutMs?: number | undefined;
  dynamic: boolean;
  hosts: Stmt[];
  dnsType?: Stmt | undefined;
  dnsName?: string | undefined;
  payload?: Stmt | undefined;
  requireReply?: Stmt | undefined;
  heloName?: string | undefined;
}

type Handler<S> = (s: Stmt, state: S) => void;

/** Handlers for the timing keywords shared by virtual_server, real_server and the checkers. */
export function defaultsHandlers(cx: Collector): Readonly<Record<string, Handler<CheckDefaults>>> {
  return {
    // Keepalived: "delay loop '0' invalid - ignoring", "connect_timeout 0 invalid - ignoring", "Invalid retry connection value '-1'".
    delay_loop: (s, d) => { d.delayLoopMs = kaSeconds(cx, s, { min: 0.001, max: 86_400, invalid: { ignore: 'the inherited or default delay_loop applies' } }) ?? d.delayLoopMs; },
    connect_timeout: (s, d) => { d.connectTimeoutMs = kaSeconds(cx, s, { min: 0.001, max: 4294, invalid: { ignore: 'the inherited or default connect_timeout applies' } }) ?? d.connectTimeoutMs; },
    retry: (s, d) => { d.retry = kaNumber(cx, s, { min: 0, max: 999, invalid: { ignore: 'the inherited or default retry applies' } }) ?? d.retry; },
    delay_before_retry: (s, d) => { d.delayBeforeRetryMs = secondsArg(cx, s) ?? d.delayBeforeRetryMs; },
    virtualhost: (s, d) => { d.virtualhost = arg(cx, s) ?? d.virtualhost; },
  };
}

export function checkerHandlers(cx: Collector): Readonly<Record<string, Handler<CheckerAcc>>> {
  return {
    ...defaultsHandlers(cx),
    nb_get_retry: (s, c) => { c.retry = kaNumber(cx, s, { min: 0, max: 999, invalid: { ignore: 'the inherited or default retry applies' } }) ?? c.retry; },
    connect_ip: (s, c) => { c.connectIp = addressArg(cx, s) ?? c.connectIp; },
    // Keepalived: "Invalid checker connect_port '70000'" (ignored: the real server's port is checked).
    connect_port: (s, c) => { c.connectPort = kaNumber(cx, s, { min: 1, max: 65535, invalid: { ignore: "the real server's port is checked" } }) ?? c.connectPort; },
    bindto: (s, c) => { c.bindto = addressArg(cx, s) ?? c.bindto; },
    url: (s, c) => { c.urls.push(s); },
    enable_sni: (_s, c) => { c.sni = true; },
    misc_path: (s, c) => {
      c.command = commandArgv(cx, s, 'misc_path') ?? c.command;
    },
    misc_timeout: (s, c) => { c.miscTimeoutMs = secondsArg(cx, s) ?? c.miscTimeoutMs; },
    misc_dynamic: (_s, c) => { c.dynamic = true; },
    host: (s, c) => { c.hosts.push(s); },
    // DNS_CHECK
    type: (s, c) => { c.dnsType = s; },
    name: (s, c) => { c.dnsName = arg(cx, s) ?? c.dnsName; },
    // UDP_CHECK
    payload: (s, c) => { c.payload = s; },
    require_reply: (s, c) => { c.requireReply = s; },
    // SMTP_CHECK
    helo_name: (s, c) => { c.heloName = arg(cx, s) ?? c.heloName; },
  };
}

interface UrlAcc {
  path?: string | undefined;
  status: YamlValue[];
  regex?: string | undefined;
  virtualhost?: string | undefined;
  digestMd5?: string | undefined;
}

const MD5_HEX = /^[0-9a-fA-F]{32}$/;

export function urlHandlers(cx: Collector): Readonly<Record<string, Handler<UrlAcc>>> {
  return {
    path: (s, u) => { u.path = arg(cx, s) ?? u.path; },
    // Keepalived ignores a code outside 100..599 ("Invalid HTTP_GET status code '700'").
    status_code: (s, u) => {
      s.args.forEach((code, i) => {
        const bad = code.split('-').some((c) => !/^\d{3}$/.test(c) || Number(c) < 100 || Number(c) > 599);
        if (bad) cx.warn(s.argLocs[i] ?? s.loc, `status_code ${code}: Keepalived ignores it ("Invalid HTTP_GET status code"), and so does the conversion; write codes 100..599 or ranges such as 200-299`);
        else u.status.push(/^\d+$/.test(code) ? Number(code) : code);
      });
    },
    regex: (s, u) => { u.regex = s.args.join(' '); },
    digest: (s, u) => {
      const hex = arg(cx, s);
      if (hex === undefined) return;
      if (MD5_HEX.test(hex)) u.digestMd5 = hex.toLowerCase();
      else cx.warn(s.loc, `url 'digest ${hex}': not an MD5 digest (32 hexadecimal characters); dropped`);
    },
    virtualhost: (s, u) => { u.virtualhost = arg(cx, s) ?? u.virtualhost; },
  };
}

function timing(cx: Collector, c: CheckerAcc, inherited: CheckDefaults, target: YamlMap): YamlMap {
  const pick = <K extends keyof CheckDefaults>(k: K): CheckDefaults[K] => c[k] ?? inherited[k];
  const interval = pick('delayLoopMs') ?? KEEPALIVED_CHECK_DEFAULTS.delayLoopMs;
  const misc = c.type === 'MISC_CHECK';
  let timeout = misc ? (c.miscTimeoutMs ?? interval) : (pick('connectTimeoutMs') ?? KEEPALIVED_CHECK_DEFAULTS.connectTimeoutMs);
  if (timeout > interval) {
    cx.warn(c.loc, `${c.type}: timeout ${durationText(timeout)} is longer than delay_loop ${durationText(interval)}; lvs-ha never overlaps two runs of a check, so the timeout is cut to the interval`);
    timeout = interval;
  }
  const retry = pick('retry') ?? (misc ? KEEPALIVED_CHECK_DEFAULTS.miscRetry : KEEPALIVED_CHECK_DEFAULTS.retry);
  const http = c.type === 'HTTP_GET' || c.type === 'SSL_GET';
  const dbr = pick('delayBeforeRetryMs') ?? (http ? KEEPALIVED_CHECK_DEFAULTS.httpDelayBeforeRetryMs : KEEPALIVED_CHECK_DEFAULTS.delayBeforeRetryMs);
  if (retry > 0) cx.noteKey(target, 'fall', `retry ${retry} + 1; Keepalived retried after ${dbr}ms, lvs-ha probes every interval`);
  return { interval: durationText(interval), timeout: durationText(timeout), rise: 1, fall: retry + 1 };
}

function connect(c: CheckerAcc): YamlMap {
  const out: YamlMap = {};
  if (c.connectIp !== undefined) out.connect_address = c.connectIp;
  if (c.connectPort !== undefined) out.connect_port = c.connectPort;
  if (c.bindto !== undefined) out.bind_address = c.bindto;
  return out;
}

function http(cx: Collector, c: CheckerAcc, inherited: CheckDefaults, target: YamlMap): YamlMap {
  const out: YamlMap = {};
  const [first, ...more] = c.urls;
  for (const extra of more) cx.warn(extra.loc, `${c.type}: lvs-ha checks one URL per check; this url is dropped (the first one is kept)`);
  const u: UrlAcc = { status: [] };
  if (first) dispatch(cx, 'url', first.block ?? [], urlHandlers(cx), u);
  else cx.warn(c.loc, `${c.type} without url: checking path /`);
  out.path = u.path ?? '/';
  const host = u.virtualhost ?? c.virtualhost ?? inherited.virtualhost;
  if (host !== undefined) out.host = host;
  if (u.status.length > 0) out.expect_status = u.status;
  if (u.regex !== undefined) out.expect_body = u.regex;
  if (u.digestMd5 !== undefined) out.expect_digest_md5 = u.digestMd5;
  if (c.type === 'SSL_GET') {
    out.tls_verify = false;
    cx.noteKey(target, 'tls_verify', 'Keepalived SSL_GET does not verify certificates; consider true with ca_file');
    if (c.sni && host !== undefined) out.tls_server_name = host;
  }
  return out;
}

function smtp(cx: Collector, c: CheckerAcc): YamlMap {
  const [first, ...more] = c.hosts;
  for (const h of more) cx.warn(h.loc, 'SMTP_CHECK host: lvs-ha checks one address per real server; dropped');
  const out = connect(c);
  for (const { words, loc } of first ? blockWords(first) : []) {
    const [kw, v] = words;
    if (kw === 'connect_ip' && v !== undefined) out.connect_address = v;
    else if (kw === 'connect_port' && v !== undefined) out.connect_port = Number(v);
    else if (kw === 'bindto' && v !== undefined) out.bind_address = v;
    else cx.warn(loc, `SMTP_CHECK host '${words.join(' ')}': not converted`);
  }
  if (c.heloName !== undefined) out.helo_name = c.heloName;
  return out;
}

function dns(cx: Collector, c: CheckerAcc): YamlMap {
  const out = connect(c);
  if (c.dnsType !== undefined) {
    const t = arg(cx, c.dnsType)?.toUpperCase();
    if (t !== undefined && DNS_TYPES.has(t)) out.query_type = t;
    else if (t !== undefined) cx.warn(c.dnsType.loc, `DNS_CHECK type ${t}: not a type lvs-ha's dns check asks (${[...DNS_TYPES].join(' ')}); the default SOA is asked`);
  }
  if (c.dnsName !== undefined) out.query_name = c.dnsName;
  return out;
}

function udp(cx: Collector, c: CheckerAcc): YamlMap {
  const out = connect(c);
  if (c.payload !== undefined) {
    const hex = arg(cx, c.payload);
    if (hex !== undefined && HEX.test(hex)) out.payload_hex = hex.toLowerCase();
    // keepalived -t: "Invalid hex string for UDP_CHECK payload", and the line does not count.
    else if (hex !== undefined) cx.warn(c.payload.loc, `UDP_CHECK payload '${hex}': Keepalived ignores it ("Invalid hex string"), and so does the conversion (an empty datagram is sent); write hexadecimal bytes such as 0a1b`);
  }
  if (c.requireReply !== undefined) {
    const hex = c.requireReply.args[0];
    if (hex === undefined) out.require_reply = true;
    else if (HEX.test(hex)) out.expect_reply_hex = hex.toLowerCase();
    // keepalived -t: "Invalid hex string for UDP_CHECK reply", and the line does not count.
    else cx.warn(c.requireReply.loc, `UDP_CHECK require_reply '${hex}': Keepalived ignores it ("Invalid hex string"), and so does the conversion (no reply is required); write hexadecimal bytes such as 6f6b`);
  }
  return out;
}

function ping(cx: Collector, c: CheckerAcc): YamlMap {
  if (c.connectPort !== undefined) cx.warn(c.loc, 'PING_CHECK connect_port: an echo request has no port; dropped');
  const out: YamlMap = {};
  if (c.connectIp !== undefined) out.connect_address = c.connectIp;
  if (c.bindto !== undefined) out.bind_address = c.bindto;
  return out;
}

/** One checker block of a real server, as an lvs-ha check. */
export function buildCheck(cx: Collector, s: Stmt, inherited: CheckDefaults): YamlMap | null {
  const type = s.keyword as CheckerType;
  const c: CheckerAcc = { type, loc: s.loc, urls: [], sni: false, dynamic: false, hosts: [] };
  dispatch(cx, 'checker', s.block ?? [], checkerHandlers(cx), c, type);
  const out: YamlMap = cx.origin({}, s.loc);
  const t = timing(cx, c, inherited, out);
  switch (type) {
    case 'TCP_CHECK':
      return Object.assign(out, { type: 'tcp', ...t, ...connect(c) });
    case 'SMTP_CHECK':
      return Object.assign(out, { type: 'smtp', ...t, ...smtp(cx, c) });
    case 'DNS_CHECK':
      return Object.assign(out, { type: 'dns', ...t, ...dns(cx, c) });
    case 'UDP_CHECK':
      return Object.assign(out, { type: 'udp', ...t, ...udp(cx, c) });
    case 'PING_CHECK':
      return Object.assign(out, { type: 'icmp', ...t, ...ping(cx, c) });
    case 'HTTP_GET':
    case 'SSL_GET':
      return Object.assign(out, { type: type === 'HTTP_GET' ? 'http' : 'https', ...t, ...connect(c), ...http(cx, c, inherited, out) });
    case 'MISC_CHECK':
      if (c.command === undefined) {
        cx.warn(s.loc, 'MISC_CHECK without misc_path; no check converted');
        return null;
      }
      return Object.assign(out, { type: 'exec', ...t, command: c.command, ...(c.dynamic ? { dynamic_weight: true } : {}) });
  }
}
