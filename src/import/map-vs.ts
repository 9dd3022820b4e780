/** `virtual_server` (address port, fwmark, or group) and its `real_server`s into lvs-ha virtual_servers. */
import { ipFamily } from './map-instance.js';
import { buildCheck, type CheckDefaults, CHECKER_TYPES, type CheckerType, defaultsHandlers } from './map-check.js';
import type { YamlMap } from './model.js';
import type { Loc, Stmt } from './types.js';
import { addressArg, arg, argLoc, checkAddress, type Collector, dispatch, intArg, kaNumber, nameArg, parseUint, portValue } from './values.js';

export type VsKey = { kind: 'address'; address: string; port: number } | { kind: 'fwmark'; fwmark: number };

interface RsAcc extends CheckDefaults {
  readonly loc: Loc;
  readonly address: string;
  readonly port: number | undefined;
  weight?: number | undefined;
  upper?: number | undefined;
  lower?: number | undefined;
  inhibit: boolean;
  checkers: Stmt[];
  /** Checker blocks without an lvs-ha equivalent (PING_CHECK, ...). */
  unsupported: string[];
}

export interface VsAcc extends CheckDefaults {
  readonly loc: Loc;
  scheduler?: string | undefined;
  flags: string[];
  method?: string | undefined;
  tunType?: string | undefined;
  tunPort?: number | undefined;
  persistenceMs?: number | undefined;
  granularity?: string | undefined;
  protocol?: string | undefined;
  family?: string | undefined;
  quorum?: number | undefined;
  hysteresis?: number | undefined;
  sorry?: { address: string; port: number | undefined };
  inhibit: boolean;
  /** Where `ops` (one-packet scheduling) was given. */
  ops?: Loc | undefined;
  realServers: RsAcc[];
}

type Handler<S> = (s: Stmt, state: S) => void;

const FLAG_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'flag-1': { sh: 'sh-fallback', mh: 'mh-fallback' },
  'flag-2': { sh: 'sh-port', mh: 'mh-port' },
};
const DEFAULT_PERSISTENCE_MS = 360_000;

/** Keepalived's schedulers; it matches the name case-sensitively ("Invalid lvs_scheduler 'RR' - ignoring"). */
const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'];

function scheduler(cx: Collector, s: Stmt, v: VsAcc): void {
  const name = nameArg(cx, s);
  if (name === undefined) return;
  if (SCHEDULERS.includes(name)) {
    v.scheduler = name;
    return;
  }
  const hint = SCHEDULERS.includes(name.toLowerCase()) ? `; write '${name.toLowerCase()}' (Keepalived reads scheduler names in lower case only)` : `; the schedulers are ${SCHEDULERS.join(', ')}`;
  cx.warn(argLoc(s), `${s.keyword} ${name}: Keepalived ignores it ("Invalid lvs_scheduler"), so the service uses its default wlc; so does the conversion${hint}`);
}

function method(cx: Collector, s: Stmt, v: VsAcc): void {
  const m = nameArg(cx, s);
  if (m === undefined) return;
  // Keepalived matches NAT, DR and TUN in upper case only: "PARSER : unknown [dr] routing method", and the service keeps NAT.
  if (!['NAT', 'DR', 'TUN'].includes(m)) {
    const hint = ['NAT', 'DR', 'TUN'].includes(m.toUpperCase()) ? `; write '${m.toUpperCase()}' (Keepalived reads it in upper case only)` : '; write NAT, DR or TUN';
    cx.warn(argLoc(s), `${s.keyword} ${m}: Keepalived does not know this method ("unknown [${m}] routing method") and keeps its default NAT; so does the conversion${hint}`);
    return;
  }
  v.method = m.toLowerCase();
  const rest = s.args.slice(1);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w === 'type') v.tunType = rest[++i];
    else if (w === 'port') v.tunPort = parseUint(rest[++i]) ?? undefined;
    else cx.warn(s.loc, `${s.keyword}: option '${w ?? ''}' has no lvs-ha equivalent; dropped`);
  }
}

function warnAlpha(cx: Collector, s: Stmt): void {
  cx.warn(s.loc, 'alpha: lvs-ha has no start-up mode per service; real servers start with unknown health until their first check result');
}

export function vsHandlers(cx: Collector): Readonly<Record<string, Handler<VsAcc>>> {
  const flag: Handler<VsAcc> = (s, v) => { v.flags.push(s.keyword); };
  return {
    ...defaultsHandlers(cx),
    lb_algo: (s, v) => { scheduler(cx, s, v); },
    lvs_sched: (s, v) => { scheduler(cx, s, v); },
    lb_kind: (s, v) => { method(cx, s, v); },
    lvs_method: (s, v) => { method(cx, s, v); },
    'flag-1': flag,
    'flag-2': flag,
    'sh-port': flag,
    'sh-fallback': flag,
    'mh-port': flag,
    'mh-fallback': flag,
    ops: (s, v) => { v.ops = s.loc; },
    // Keepalived: "number '0' outside range [1, 2678400]" / "persistence_timeout invalid": the service is not persistent.
    persistence_timeout: (s, v) => {
      if (s.args.length === 0) {
        v.persistenceMs = DEFAULT_PERSISTENCE_MS;
        return;
      }
      const sec = kaNumber(cx, s, { min: 1, max: 2_678_400, what: 'a whole number of seconds', invalid: { ignore: 'the service is not persistent' } });
      v.persistenceMs = sec === undefined ? v.persistenceMs : sec * 1000;
    },
    persistence_granularity: (s, v) => { v.granularity = arg(cx, s) ?? v.granularity; },
    // Keepalived reads TCP, UDP and SCTP in any case; anything else: "Unknown protocol BOGUS - ignoring".
    protocol: (s, v) => {
      const p = nameArg(cx, s);
      if (p === undefined) return;
      if (['tcp', 'udp', 'sctp'].includes(p.toLowerCase())) v.protocol = p.toLowerCase();
      else cx.warn(argLoc(s), `protocol ${p}: Keepalived ignores it ("Unknown protocol ${p} - ignoring"), so the line does not count; so does the conversion (write TCP, UDP or SCTP)`);
    },
    // Keepalived reads inet and inet6 in lower case only: "unknown address family INET", ignored.
    ip_family: (s, v) => {
      const f = nameArg(cx, s);
      if (f === 'inet6' || f === 'inet') v.family = f === 'inet6' ? 'ipv6' : 'ipv4';
      else if (f !== undefined) cx.warn(argLoc(s), `ip_family ${f}: Keepalived ignores it ("unknown address family"), and so does the conversion; write inet or inet6 (lower case)`);
    },
    // Keepalived: "Quorum 0 must be in [1, 4294967295]. Setting to 1."
    quorum: (s, v) => { v.quorum = kaNumber(cx, s, { min: 1, max: 65535, invalid: { set: 1 } }) ?? v.quorum; },
    hysteresis: (s, v) => { v.hysteresis = intArg(cx, s, 0, 65535) ?? v.hysteresis; },
    sorry_server: (s, v) => {
      const address = addressArg(cx, s);
      if (address !== undefined) v.sorry = { address, port: portValue(cx, s.keyword, s.args[1], argLoc(s, 1)) };
    },
    inhibit_on_failure: (s, v) => { v.inhibit = s.args[0] !== 'false' && s.args[0] !== 'no'; },
    real_server: (s, v) => {
      const r = readRealServer(cx, s);
      if (r) addRealServer(cx, v, r);
    },
    alpha: (s) => { warnAlpha(cx, s); },
  };
}

export function rsHandlers(cx: Collector): Readonly<Record<string, Handler<RsAcc>>> {
  const checker: Handler<RsAcc> = (s, r) => { r.checkers.push(s); };
  const entries: [string, Handler<RsAcc>][] = CHECKER_TYPES.map((t) => [t, checker]);
  return {
    ...defaultsHandlers(cx),
    ...Object.fromEntries(entries),
    // Keepalived: "Real server weight -3 is outside range 0-2147483647" (ignored); lvs-ha (IPVS via ipvsadm) takes 0..65535.
    weight: (s, r) => { r.weight = realServerWeight(cx, s) ?? r.weight; },
    uthreshold: (s, r) => { r.upper = intArg(cx, s, 0, 65535) ?? r.upper; },
    lthreshold: (s, r) => { r.lower = intArg(cx, s, 0, 65535) ?? r.lower; },
    inhibit_on_failure: (s, r) => { r.inhibit = s.args[0] !== 'false' && s.args[0] !== 'no'; },
    alpha: (s) => { warnAlpha(cx, s); },
  };
}

function realServerWeight(cx: Collector, s: Stmt): number | undefined {
  const raw = s.args[0];
  if (raw !== undefined && /^-\d+$/.test(raw)) {
    cx.warn(argLoc(s), `weight ${raw}: Keepalived ignores it ("Real server weight ${raw} is outside range 0-2147483647"), so the weight stays 1; so does the conversion`);
    return undefined;
  }
  return kaNumber(cx, s, { min: 0, max: 65535, lvsHaLimit: true, invalid: { refuse: '(IPVS weights as ipvsadm writes them; Keepalived would take it)' } });
}

function readRealServer(cx: Collector, s: Stmt): RsAcc | null {
  const address = s.args[0];
  if (address === undefined) {
    cx.error(s.loc, 'real_server without an address');
    return null;
  }
  // Keepalived skips it: "Invalid real server ip address/port ... - skipping".
  const why = 'Keepalived skips this real server ("Invalid real server ip address/port")';
  if (!checkAddress(cx, 'real_server', address, argLoc(s), false, why)) return null;
  const port = s.args[1] === undefined ? undefined : portValue(cx, 'real_server', s.args[1], argLoc(s, 1));
  if (s.args[1] !== undefined && port === undefined) return null;
  const r: RsAcc = { loc: s.loc, address, port, inhibit: false, checkers: [], unsupported: [] };
  dispatch(cx, 'real_server', s.block ?? [], rsHandlers(cx), r);
  r.unsupported = (s.block ?? []).map((c) => c.keyword).filter((k) => /_(CHECK|GET)$/.test(k) && !CHECKER_TYPES.includes(k as CheckerType));
  return r;
}

/** Keepalived keeps the first of two real servers with the same address and port. */
function addRealServer(cx: Collector, v: VsAcc, r: RsAcc): void {
  const first = v.realServers.find((o) => o.address === r.address && o.port === r.port);
  if (first === undefined) {
    v.realServers.push(r);
    return;
  }
  cx.warn(r.loc, `real_server ${r.address} ${String(r.port ?? '')} repeats the one at line ${String(first.loc.line)}; Keepalived keeps only the first, and so does the conversion`);
}

export function readVirtualServer(cx: Collector, s: Stmt): VsAcc {
  const v: VsAcc = { loc: s.loc, flags: [], inhibit: false, realServers: [] };
  dispatch(cx, 'virtual_server', s.block ?? [], vsHandlers(cx), v);
  if (v.protocol === undefined && s.args[0] !== 'fwmark') {
    cx.warn(s.loc, "virtual_server without 'protocol': Keepalived programs it as UDP ('no protocol set - defaulting to UDP'), so it is written as protocol: udp; if TCP was meant, add 'protocol TCP' (Keepalived was not balancing TCP for it)");
  }
  return v;
}

/** The protocol Keepalived programs: UDP when the virtual server has no protocol line. */
export function vsProtocol(v: VsAcc): string {
  return v.protocol ?? 'udp';
}

function schedulerFlags(cx: Collector, v: VsAcc, scheduler: string): string[] {
  const out: string[] = [];
  for (const f of v.flags) {
    const name = FLAG_NAMES[f]?.[scheduler] ?? (f.startsWith('flag-') ? undefined : f);
    if (name === undefined) cx.warn(v.loc, `${f} has no meaning for scheduler ${scheduler} in lvs-ha; dropped`);
    else out.push(name);
  }
  return out;
}

function persistence(v: VsAcc, family: string): YamlMap | undefined {
  if (v.persistenceMs === undefined) return undefined;
  const out: YamlMap = { timeout: `${Math.max(1, Math.round(v.persistenceMs / 1000))}s` };
  if (v.granularity !== undefined) out.netmask = family === 'ipv6' && /^\d+$/.test(v.granularity) ? Number(v.granularity) : v.granularity;
  return out;
}

/** Quorum: Keepalived sums the weights of live servers, lvs-ha counts them. */
function quorum(cx: Collector, v: VsAcc, out: YamlMap): YamlMap | undefined {
  if (v.quorum === undefined && v.hysteresis === undefined) return undefined;
  const weights = new Set(v.realServers.map((r) => r.weight ?? 1));
  const [w = 1] = [...weights];
  const total = v.realServers.reduce((sum, r) => sum + (r.weight ?? 1), 0);
  let q = v.quorum ?? 1;
  let h = v.hysteresis ?? 0;
  if (q > total) {
    cx.warn(v.loc, `quorum ${String(q)} exceeds the total weight ${String(total)} of the real servers; Keepalived lowers it to ${String(total)}, and so does the conversion`);
    q = total;
  }
  if (h >= q && h > 0) {
    cx.warn(v.loc, `hysteresis ${String(h)} >= quorum ${String(q)}; Keepalived sets it to ${String(Math.max(0, q - 1))}, and so does the conversion`);
    h = Math.max(0, q - 1);
  }
  if (weights.size > 1) {
    cx.warn(v.loc, `quorum ${q} / hysteresis ${h}: Keepalived sums the weights of live real servers, lvs-ha counts them; the weights differ, so the numbers are kept as counts: check them`);
    return { min_up: q, hysteresis: h };
  }
  const minUp = Math.max(1, Math.ceil(q / Math.max(1, w)));
  const hyst = Math.floor(h / Math.max(1, w));
  if (w !== 1) {
    cx.noteKey(out, 'quorum', `Keepalived quorum ${q} / hysteresis ${h} in weight units, divided by the common weight ${w}`);
    if (minUp * w !== q || hyst * w !== h) cx.warn(v.loc, `quorum ${q} / hysteresis ${h} are not multiples of the common weight ${w}; rounded to min_up ${minUp}, hysteresis ${hyst}`);
  }
  return { min_up: minUp, hysteresis: hyst };
}

function onFailure(cx: Collector, v: VsAcc, out: YamlMap): string {
  const inhibited = v.realServers.filter((r) => r.inhibit).length;
  if (v.inhibit || (inhibited > 0 && inhibited === v.realServers.length)) return 'inhibit';
  if (inhibited > 0) {
    cx.warn(v.loc, `inhibit_on_failure is set on ${inhibited} of ${v.realServers.length} real servers; lvs-ha decides per virtual server: inhibit for all`);
    return 'inhibit';
  }
  cx.noteKey(out, 'on_failure', "Keepalived's default (no inhibit_on_failure)");
  return 'remove';
}

/**
 * The port Keepalived programs for a real (or sorry) server: with NAT the
 * written one (the service port when absent); otherwise the service port, or 0
 * for a fwmark service, whatever was written (warned when that differs).
 */
function programmedPort(cx: Collector, v: VsAcc, loc: Loc, what: string, port: number | undefined, key: VsKey): number | undefined {
  const vsPort = key.kind === 'fwmark' ? 0 : key.port;
  if ((v.method ?? 'nat') === 'nat' || port === undefined || port === vsPort) return port;
  const kind = key.kind === 'fwmark' ? 'a fwmark service' : `service port ${String(vsPort)}`;
  cx.warn(loc, `${what} port ${String(port)}: with ${(v.method ?? '').toUpperCase()} the port cannot be translated; Keepalived programs ${String(vsPort)} (${kind}), and so does the conversion`);
  return vsPort;
}

function realServerOut(cx: Collector, v: VsAcc, r: RsAcc, key: VsKey): YamlMap {
  const out: YamlMap = cx.origin({ address: r.address }, r.loc);
  const port = programmedPort(cx, v, r.loc, `real_server ${r.address}`, r.port, key);
  if (port !== undefined && (key.kind === 'fwmark' || port !== key.port)) out.port = port;
  else if (port === undefined && key.kind === 'fwmark') out.port = 0;
  out.weight = r.weight ?? 1;
  if (r.upper !== undefined) out.upper_threshold = r.upper;
  if (r.lower !== undefined) out.lower_threshold = r.lower;
  const supported = r.checkers.filter((c) => CHECKER_TYPES.includes(c.keyword as CheckerType));
  const [first, ...more] = supported;
  if (first === undefined && r.unsupported.length > 0) {
    cx.warn(r.loc, `real_server ${r.address}: none of its checkers (${r.unsupported.join(', ')}) has an lvs-ha equivalent, so it has no check and stays in service: add a check by hand`);
  }
  for (const c of more) cx.warn(c.loc, `${c.keyword}: lvs-ha runs one check per real server; only the first (${first?.keyword ?? ''}) is converted`);
  const inherited: CheckDefaults = { ...stripUndefined(v), ...stripUndefined(r) };
  const check = first ? buildCheck(cx, first, inherited) : null;
  if (check) out.check = check;
  return out;
}

function stripUndefined(d: CheckDefaults): CheckDefaults {
  const out: CheckDefaults = {};
  if (d.delayLoopMs !== undefined) out.delayLoopMs = d.delayLoopMs;
  if (d.connectTimeoutMs !== undefined) out.connectTimeoutMs = d.connectTimeoutMs;
  if (d.retry !== undefined) out.retry = d.retry;
  if (d.delayBeforeRetryMs !== undefined) out.delayBeforeRetryMs = d.delayBeforeRetryMs;
  if (d.virtualhost !== undefined) out.virtualhost = d.virtualhost;
  return out;
}

/** When every real server has the same check (and it probes no fixed address), write it once on the virtual server. */
function hoistCheck(out: YamlMap, rs: YamlMap[]): void {
  const checks = rs.map((r) => JSON.stringify(r.check ?? null));
  const first = rs[0]?.check;
  if (first === undefined || checks.some((c) => c !== checks[0])) return;
  if (typeof first === 'object' && first !== null && !Array.isArray(first) && 'connect_address' in first) return;
  out.check = first;
  for (const r of rs) delete r.check;
}

export function vsName(key: VsKey, protocol: string): string {
  if (key.kind === 'fwmark') return `fwmark-${key.fwmark}`;
  return `${protocol}-${key.address.replace(/:/g, '_')}-${key.port}`;
}

/** A fwmark service's family: ip_family, else (like Keepalived) that of its first real server, else IPv4. */
function fwmarkFamily(v: VsAcc): string {
  if (v.family !== undefined) return v.family;
  const first = v.realServers[0];
  return (first === undefined ? undefined : ipFamily(first.address)) ?? 'ipv4';
}

/** One lvs-ha virtual server for one key (a group yields several). */
export function finishVirtualServer(cx: Collector, v: VsAcc, key: VsKey, name: string): YamlMap {
  const out: YamlMap = cx.origin({ name }, v.loc);
  const protocol = vsProtocol(v);
  const family = key.kind === 'address' ? (ipFamily(key.address) ?? 'ipv4') : fwmarkFamily(v);
  if (key.kind === 'address') Object.assign(out, { address: key.address, port: key.port, protocol });
  else Object.assign(out, { fwmark: key.fwmark }, family === 'ipv6' ? { family: 'ipv6' } : {});
  const scheduler = v.scheduler ?? 'wlc';
  out.scheduler = scheduler;
  if (v.scheduler === undefined) cx.noteKey(out, 'scheduler', "Keepalived's default");
  const flags = schedulerFlags(cx, v, scheduler);
  if (flags.length > 0) out.scheduler_flags = flags;
  if (v.ops !== undefined) {
    // The kernel honours one-packet scheduling for UDP datagrams only; lvs-ha refuses it elsewhere.
    if (key.kind === 'fwmark' || protocol === 'udp') out.ops = true;
    else cx.warn(v.ops, `ops on a ${protocol.toUpperCase()} virtual server: Keepalived sets the flag, but the kernel schedules one packet at a time for UDP only, so it changed nothing; dropped (lvs-ha accepts ops on UDP and fwmark services)`);
  }
  out.persistence = persistence(v, family);
  if (out.persistence === undefined && key.kind === 'address' && key.port === 0) {
    cx.warn(v.loc, 'virtual_server with port 0 and no persistence_timeout: Keepalived makes it persistent for 360 s, and so does the conversion');
    out.persistence = { timeout: `${String(DEFAULT_PERSISTENCE_MS / 1000)}s` };
  }
  out.forwarding = v.method ?? 'nat';
  if (v.method === undefined) cx.noteKey(out, 'forwarding', "Keepalived's default NAT");
  if (v.method === 'tun' && v.tunType !== undefined) out.tun_type = v.tunType;
  if (v.method === 'tun' && v.tunPort !== undefined) out.tun_port = v.tunPort;
  out.on_failure = onFailure(cx, v, out);
  out.quorum = quorum(cx, v, out);
  if (v.sorry) {
    const port = programmedPort(cx, v, v.loc, `sorry_server ${v.sorry.address}`, v.sorry.port, key);
    out.sorry_server = port === undefined ? { address: v.sorry.address } : { address: v.sorry.address, port };
  }
  const rs = v.realServers.map((r) => realServerOut(cx, v, r, key));
  hoistCheck(out, rs);
  out.real_servers = rs;
  return out;
}
