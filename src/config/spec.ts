/**
 * A declarative description of every config key, beside keys.ts: its value
 * type, range or choices, default and a one-line description. The JSON Schema
 * (schema.ts, `lvs-ha __schema`, lvs-ha.schema.json) is built from it alone.
 *
 * The validator stays the imperative readers (vrrp.ts, checks.ts, ...), which
 * give located errors with a "did you mean". What keeps the two in step:
 * - the type of SPEC below requires exactly the keys of KEYS per mapping
 *   (a key missing here, or one keys.ts does not admit, fails `tsc`);
 * - defaults and choices are taken from the readers' own constants;
 * - test/unit/config/schema.test.ts probes every range and choice of this
 *   file against the readers (in-range accepted, out-of-range refused) and
 *   compares the defaults with docs/configuration.md.
 */
import { ALERT_DEFAULTS, ALERT_EVENTS } from './alerts.js';
import { CHECK_DEFAULTS, DNS_QUERY_TYPES, DNS_RCODES, UDP_PAYLOAD_MAX_BYTES } from './checks.js';
import type { KEYS } from './keys.js';
import { ECMP_DEFAULTS } from './ecmp.js';
import { CONTROL_DEFAULTS, IPVS_SYNC_DEFAULTS, IPVS_TIMEOUT_DEFAULTS, SCRIPT_USER_DEFAULT } from './sections.js';
import { ANNOUNCE_DEFAULTS, TRACK_DEFAULTS } from './track.js';
import type { CheckType } from './types.js';
import { formatDuration, NAME_PATTERN } from './values.js';
import { MAX_KERNEL_TIMEOUT_MS, SCHEDULER_FLAGS, SCHEDULERS, VS_DEFAULTS } from './virtual-servers.js';
import { VRRP_DEFAULTS } from './vrrp.js';

/** The mappings of KEYS that are mappings of their own (the checkXxx lists are per-type subsets of `check`). */
export type MappingName = Exclude<keyof typeof KEYS, `check${Capitalize<CheckType>}`>;

export type ValueType =
  /** A string; `what` names the kind for people (docs, descriptions). */
  | { readonly t: 'string'; readonly what: string; readonly pattern?: string; readonly maxLength?: number; readonly not?: readonly string[] }
  | { readonly t: 'int'; readonly min: number; readonly max: number }
  | { readonly t: 'bool' }
  | { readonly t: 'enum'; readonly values: readonly string[] }
  /** A duration written with a unit; min and max in ms, a multiple of step ms. */
  | { readonly t: 'duration'; readonly min: number; readonly max: number; readonly step?: number }
  | { readonly t: 'list'; readonly item: ValueType; readonly minItems?: number }
  | { readonly t: 'map'; readonly ref: MappingName }
  /** An argv: a list of strings whose first is an absolute path. */
  | { readonly t: 'command' }
  /** A mapping of HTTP header names to string values. */
  | { readonly t: 'headers' }
  | { readonly t: 'false' }
  | { readonly t: 'anyOf'; readonly of: readonly ValueType[] };

export interface KeySpec {
  readonly type: ValueType;
  readonly doc: string;
  readonly required?: true;
  /** The default as it would be written in the file (absent: none, or one that depends on other keys). */
  readonly default?: string | number | boolean | readonly string[];
}

// --- value kinds -------------------------------------------------------------------------------

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H16 = '[0-9A-Fa-f]{1,4}';
/** RFC 4291 text forms (RFC 3986 IPv6address), with an embedded IPv4 tail. */
const IPV6 = (() => {
  const ls32 = `(?:${H16}:${H16}|${IPV4})`;
  const rep = (n: number): string => (n === 0 ? '' : `(?:${H16}:){${n}}`);
  const head = (n: number): string => (n < 0 ? '' : n === 0 ? `(?:${H16})?` : `(?:(?:${H16}:){0,${n}}${H16})?`);
  return `(?:${[
    `${rep(6)}${ls32}`,
    `::${rep(5)}${ls32}`,
    `${head(0)}::${rep(4)}${ls32}`,
    `${head(1)}::${rep(3)}${ls32}`,
    `${head(2)}::${rep(2)}${ls32}`,
    `${head(3)}::${H16}:${ls32}`,
    `${head(4)}::${ls32}`,
    `${head(5)}::${H16}`,
    `${head(6)}::`,
  ].join('|')})`;
})();
const V4_LEN = '(?:[1-9]|[12]\\d|3[0-2])';
const V6_LEN = '(?:[1-9]|[1-9]\\d|1[01]\\d|12[0-8])';
const PORT = '(?:[1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d\\d|655[0-2]\\d|6553[0-5])';
const DNS_LABEL = '[A-Za-z0-9_*](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';

export const T = {
  name: { t: 'string', what: 'name', pattern: NAME_PATTERN.source },
  interface: { t: 'string', what: 'interface', pattern: '^(?!\\.\\.?$)[^/:\\s]{1,15}$' },
  address: { t: 'string', what: 'address', pattern: `^(?:${IPV4}|${IPV6})$` },
  prefix: { t: 'string', what: 'prefix', pattern: `^(?:${IPV4}(?:/${V4_LEN})?|${IPV6}(?:/${V6_LEN})?)$` },
  network: { t: 'string', what: 'network', pattern: `^(?:${IPV4}/(?:0|${V4_LEN})|${IPV6}/(?:0|${V6_LEN}))$` },
  path: { t: 'string', what: 'path', pattern: '^/' },
  hostPort: { t: 'string', what: 'host:port', pattern: `^(?:${IPV4}|\\[${IPV6}\\]):${PORT}$` },
  url: { t: 'string', what: 'http(s) URL', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+' },
  systemName: { t: 'string', what: 'system user or group name', pattern: '^[a-z_][a-z0-9_-]{0,31}$', not: ['root'] },
  text: { t: 'string', what: 'string', pattern: '.' },
  regex: { t: 'string', what: 'JavaScript regular expression', pattern: '.' },
  hex: { t: 'string', what: 'hexadecimal bytes', pattern: '^(?:[0-9a-fA-F]{2})*$', maxLength: UDP_PAYLOAD_MAX_BYTES * 2 },
  dnsName: { t: 'string', what: 'DNS name', pattern: `^(?:\\.|${DNS_LABEL}(?:\\.${DNS_LABEL})*\\.?)$`, maxLength: 254 },
  sniName: { t: 'string', what: 'DNS name', pattern: '^[A-Za-z0-9.-]+$' },
  bool: { t: 'bool' },
  command: { t: 'command' },
} as const satisfies Record<string, ValueType>;

const int = (min: number, max: number): ValueType => ({ t: 'int', min, max });
const duration = (min: number, max: number, step?: number): ValueType => (step === undefined ? { t: 'duration', min, max } : { t: 'duration', min, max, step });
const oneOf = (values: readonly string[]): ValueType => ({ t: 'enum', values });
const list = (item: ValueType, minItems?: number): ValueType => (minItems === undefined ? { t: 'list', item } : { t: 'list', item, minItems });
const map = (ref: MappingName): ValueType => ({ t: 'map', ref });
const ms = formatDuration;

/** Every v4 netmask with contiguous ones, /1 to /32. */
const V4_NETMASKS = Array.from({ length: 32 }, (_, i) => {
  const value = (0xffffffff << (31 - i)) >>> 0;
  return [24, 16, 8, 0].map((s) => (value >>> s) & 0xff).join('.');
});

export const CHECK_TYPES = ['tcp', 'http', 'https', 'exec', 'dns', 'udp', 'icmp', 'smtp'] as const satisfies readonly CheckType[];
/** Fails to compile when CheckType gains a member CHECK_TYPES lacks. */
export const CHECK_TYPES_COMPLETE: [Exclude<CheckType, (typeof CHECK_TYPES)[number]>] extends [never] ? true : never = true;

const WEIGHT = int(-254, 254);
const CHECK = map('check');
const SECONDS = duration(1000, MAX_KERNEL_TIMEOUT_MS, 1000);
const STATUS: ValueType = { t: 'anyOf', of: [int(100, 599), { t: 'string', what: 'HTTP status range', pattern: '^\\s*[1-5]\\d\\d(?:\\s*-\\s*[1-5]\\d\\d)?\\s*$' }] };

type Spec = { readonly [M in MappingName]: Readonly<Record<(typeof KEYS)[M][number], KeySpec>> };

export const SPEC = {
  top: {
    node: { type: T.name, required: true, doc: "This director's name, used in status, logs, metrics and alerts." },
    control: { type: map('control'), doc: 'Control socket and metrics listener.' },
    vrrp: { type: map('vrrp'), doc: 'VRRP instances and sync groups.' },
    ipvs_sync: { type: map('ipvsSync'), doc: "The kernel's IPVS connection-sync daemons; absent: no connection sync." },
    ipvs: { type: map('ipvs'), doc: 'Global IPVS settings.' },
    virtual_servers: { type: list(map('virtualServer')), doc: 'IPVS services with their real servers and checks.' },
    scripts: { type: map('scripts'), doc: 'How scripts (track scripts, exec checks, notify, exec alerts) run.' },
    alerts: { type: list(map('alert')), doc: 'Where operator events are sent (besides the log).' },
    ecmp: { type: map('ecmp'), doc: "One of N active directors behind a router's ECMP: the VIPs are announced by owning one route each; absent: no announcement." },
  },
  control: {
    socket: { type: T.path, default: CONTROL_DEFAULTS.socketPath, doc: 'Unix socket for `lvs-ha status` and the other control verbs (mode 0600); at most 107 bytes.' },
    metrics_listen: { type: T.hostPort, doc: "Address of the Prometheus /metrics listener, e.g. '127.0.0.1:9650' or '[::1]:9650'; not set: metrics off." },
    readonly_group: { type: T.systemName, doc: 'Members of this group may run the read-only control commands (status) without root; not set: root only.' },
  },
  vrrp: {
    ipv4_checksum: { type: oneOf(['rfc5798', 'rfc9568']), default: VRRP_DEFAULTS.ipv4Checksum, doc: 'How IPv4 adverts are checksummed on send: rfc5798 with the pseudo-header (Keepalived, FRR), rfc9568 without. Receive accepts both.' },
    ipv6_addresses: { type: oneOf(['rfc9568', 'keepalived']), default: VRRP_DEFAULTS.ipv6Addresses, doc: 'The address list of IPv6 adverts: rfc9568 sends a link-local first (derived when none is configured) and drops adverts whose first address is not link-local; keepalived sends the configured addresses as listed and accepts such adverts (a Keepalived peer whose VIPs start with a global address).' },
    realtime_priority: { type: int(0, 99), default: VRRP_DEFAULTS.realtimePriority, doc: 'SCHED_RR priority of the VRRP isolate; 0: no real-time scheduling (nice -10).' },
    instances: { type: list(map('instance')), doc: 'The virtual routers.' },
    sync_groups: { type: list(map('syncGroup')), doc: 'Instances that change state together.' },
  },
  instance: {
    name: { type: T.name, required: true, doc: 'Unique among instances and sync groups.' },
    interface: { type: T.interface, required: true, doc: 'Where adverts are sent and received and the virtual addresses are added.' },
    vrid: { type: int(1, 255), required: true, doc: 'Virtual router ID, unique per interface and address family.' },
    priority: { type: int(1, 255), default: VRRP_DEFAULTS.priority, doc: 'Higher wins the election; 255: the address owner (always preempts).' },
    advert_interval: { type: duration(10, 40_950, 10), default: ms(VRRP_DEFAULTS.advertIntervalMs), doc: 'Advertisement interval, 10ms..40950ms in whole centiseconds.' },
    preempt: { type: T.bool, default: VRRP_DEFAULTS.preempt, doc: 'A higher-priority backup takes over from a lower-priority master.' },
    preempt_delay: { type: duration(0, 3_600_000), default: ms(VRRP_DEFAULTS.preemptDelayMs), doc: 'After start-up, wait this long before preempting (0s..1h).' },
    accept_mode: { type: T.bool, default: VRRP_DEFAULTS.acceptMode, doc: 'RFC 9568 Accept_Mode. false: while a non-owner master, traffic to the VIPs that no virtual server serves is dropped (nftables table inet lvs_ha, chain vip_filter); true: accepted.' },
    unicast_peers: { type: list(T.address), doc: 'Empty: multicast adverts. Otherwise adverts go to each peer by unicast (same family as the instance).' },
    unicast_source: { type: T.address, doc: "Source address of unicast adverts (default: the interface's primary address); needs unicast_peers." },
    allowed_peers: { type: list(T.address, 1), doc: 'Multicast mode only: adverts are heard only from these sources (IPv6: their link-local addresses).' },
    virtual_addresses: { type: list(T.prefix, 1), required: true, doc: 'The VIPs, all of one family (the instance family); at most 255 (IPv4) or 89 (IPv6).' },
    virtual_addresses_excluded: { type: list(T.prefix, 1), doc: "Addresses managed like the VIPs (added on MASTER, removed otherwise, announced) but not carried in adverts (Keepalived virtual_ipaddress_excluded); same family, at most 1024." },
    track: { type: map('track'), doc: 'Tracked interfaces, scripts and virtual servers that move the priority (or put the instance in FAULT).' },
    announce: { type: map('announce'), doc: 'Gratuitous ARP / unsolicited NA on becoming master.' },
    notify: { type: map('notify'), doc: 'Commands run on state transitions.' },
    vmac: { type: { t: 'anyOf', of: [T.bool, map('vmac')] }, doc: 'true, or { interface, xmit_base }: a macvlan with the RFC virtual MAC (IPv4 00:00:5e:00:01:VRID, IPv6 00:00:5e:00:02:VRID) carries the VIPs (Keepalived use_vmac). IPv6 needs nftables: table inet lvs_ha, chain vmac_out.' },
  },
  vmac: {
    interface: { type: T.interface, doc: 'Name of the macvlan; default vrrp.VRID (IPv6: vrrp6.VRID).' },
    xmit_base: { type: T.bool, default: false, doc: 'Send and receive adverts on the parent interface (Keepalived vmac_xmit_base); required with unicast_peers.' },
  },
  track: {
    interfaces: { type: list(map('trackInterface')), doc: 'Interfaces whose link state is followed.' },
    scripts: { type: list(map('trackScript')), doc: 'Scripts run periodically; exit 0 = success. Run as scripts.user.' },
    virtual_servers: { type: list(map('trackVirtualServer')), doc: 'Virtual servers of this file, failed while their quorum is lost.' },
    routes: { type: list(map('trackRoute')), doc: 'Routes followed from rtnetlink events: failed while missing (or present, with expect: absent).' },
    processes: { type: list(map('trackProcess')), doc: 'Processes counted in /proc: failed while their count is outside quorum..quorum_max.' },
    files: { type: list(map('trackFile')), doc: 'Files holding an integer: the priority moves by value x weight.' },
  },
  trackInterface: {
    name: { type: T.interface, required: true, doc: 'The interface.' },
    weight: { type: WEIGHT, default: TRACK_DEFAULTS.weight, doc: 'Priority change while the link is down; 0: FAULT.' },
  },
  trackScript: {
    name: { type: T.name, required: true, doc: 'Unique within the instance.' },
    command: { type: T.command, required: true, doc: 'The script, as a list of arguments (no shell); the first is an absolute path.' },
    interval: { type: duration(100, 3_600_000), default: ms(TRACK_DEFAULTS.scriptIntervalMs), doc: 'Time between runs (100ms..1h).' },
    timeout: { type: duration(10, 3_600_000), default: ms(TRACK_DEFAULTS.scriptTimeoutMs), doc: 'A run taking longer fails (default 1s, or the interval if shorter); not longer than interval.' },
    rise: { type: int(1, 1000), default: TRACK_DEFAULTS.scriptRise, doc: 'Consecutive successes that make it succeed.' },
    fall: { type: int(1, 1000), default: TRACK_DEFAULTS.scriptFall, doc: 'Consecutive failures that make it fail.' },
    weight: { type: WEIGHT, default: TRACK_DEFAULTS.weight, doc: 'Priority change while failed; 0: FAULT.' },
  },
  trackVirtualServer: {
    name: { type: T.name, required: true, doc: 'A virtual server of this file.' },
    weight: { type: WEIGHT, default: TRACK_DEFAULTS.weight, doc: 'Priority change while its quorum is lost; 0: FAULT.' },
  },
  trackRoute: {
    destination: { type: T.network, required: true, doc: 'A network with its prefix length (host bits zero), e.g. 198.51.100.0/24 or 0.0.0.0/0.' },
    table: { type: { t: 'anyOf', of: [int(1, 4_294_967_295), oneOf(['main', 'local', 'default'])] }, default: 'main', doc: 'The routing table: main, local, default or a table id.' },
    expect: { type: oneOf(['present', 'absent']), default: 'present', doc: 'present: failed while the route is missing; absent: failed while it is there.' },
    weight: { type: WEIGHT, default: TRACK_DEFAULTS.weight, doc: 'Priority change while failed; 0: FAULT.' },
  },
  trackProcess: {
    name: { type: T.name, required: true, doc: 'Unique within the instance.' },
    process: { type: { ...T.text, maxLength: 15 }, doc: 'The process name (/proc/PID/comm, at most 15 bytes), matched exactly; or command_line.' },
    command_line: { type: list(T.text, 1), doc: 'The arguments matched against /proc/PID/cmdline; or process.' },
    match: { type: oneOf(['exact', 'prefix']), default: 'exact', doc: 'command_line only: the command line equals the list (exact) or starts with it (prefix).' },
    quorum: { type: int(0, 65535), default: TRACK_DEFAULTS.processQuorum, doc: 'At least this many matching processes.' },
    quorum_max: { type: int(0, 65535), doc: 'At most this many (not below quorum); not set: no maximum.' },
    interval: { type: duration(100, 3_600_000), default: ms(TRACK_DEFAULTS.processIntervalMs), doc: 'How often /proc is scanned (100ms..1h).' },
    weight: { type: WEIGHT, default: TRACK_DEFAULTS.weight, doc: 'Priority change while failed; 0: FAULT.' },
  },
  trackFile: {
    name: { type: T.name, required: true, doc: 'Unique within the instance.' },
    path: { type: T.path, required: true, doc: 'The file, holding an integer.' },
    weight: { type: int(-254, 254), default: TRACK_DEFAULTS.fileWeight, doc: "The priority moves by the file's value x weight; 0: any non-zero value means FAULT." },
  },
  announce: {
    repeat: { type: int(1, 100), default: ANNOUNCE_DEFAULTS.repeat, doc: 'Gratuitous ARPs / unsolicited NAs per virtual address on becoming master.' },
    interval: { type: duration(0, 10_000), default: ms(ANNOUNCE_DEFAULTS.intervalMs), doc: 'Gap between the repeats (0s..10s).' },
    refresh: { type: duration(0, 86_400_000), default: ms(ANNOUNCE_DEFAULTS.refreshMs), doc: 'While master, announce again this often; 0s: never (0s..24h).' },
  },
  notify: {
    command: { type: T.command, doc: 'Run on every transition, with the instance, previous state, new state and priority appended.' },
    master: { type: T.command, doc: 'Run, as written, on becoming MASTER.' },
    backup: { type: T.command, doc: 'Run, as written, on becoming BACKUP.' },
    fault: { type: T.command, doc: 'Run, as written, on entering FAULT.' },
    stop: { type: T.command, doc: 'Run, as written, when the instance stops.' },
  },
  syncGroup: {
    name: { type: T.name, required: true, doc: 'Unique among sync groups and distinct from every instance name.' },
    instances: { type: list(T.name, 1), required: true, doc: 'Member instances; they move together.' },
  },
  ipvsSync: {
    interface: { type: T.interface, required: true, doc: 'Interface the sync multicast is sent and received on.' },
    sync_id: { type: int(0, 255), doc: 'Tags sync messages (default: the VRID of follow); both directors must use the same.' },
    follow: { type: T.name, required: true, doc: 'A VRRP instance or sync group whose role drives the sync daemons.' },
    group: { type: T.address, default: IPVS_SYNC_DEFAULTS.group, doc: 'Sync multicast group, IPv4 (224.0.0.0/4) or IPv6 (ff00::/8).' },
    port: { type: int(1, 65535), default: IPVS_SYNC_DEFAULTS.port, doc: 'UDP port of the sync messages.' },
    ttl: { type: int(1, 255), default: IPVS_SYNC_DEFAULTS.ttl, doc: 'Multicast TTL / hop limit.' },
    max_len: { type: int(1024, 65535 - 28), doc: 'Largest sync message payload (default 1472 for an IPv4 group, 1452 for IPv6; at most 65487 for IPv6).' },
    backup_while_master: { type: T.bool, default: false, doc: 'While MASTER, run the backup daemon too.' },
  },
  ipvs: {
    timeouts: { type: map('ipvsTimeouts'), doc: 'IPVS connection timeouts.' },
    sloppy_tcp: { type: T.bool, doc: 'net.ipv4.vs.sloppy_tcp: schedule TCP from any segment (not set: left alone).' },
    sloppy_sctp: { type: T.bool, doc: 'net.ipv4.vs.sloppy_sctp: schedule SCTP from any chunk (not set: left alone).' },
  },
  ipvsTimeouts: {
    tcp: { type: SECONDS, default: `${IPVS_TIMEOUT_DEFAULTS.tcpS}s`, doc: 'Idle timeout of established TCP connections, whole seconds.' },
    tcp_fin: { type: SECONDS, default: `${IPVS_TIMEOUT_DEFAULTS.tcpFinS}s`, doc: 'Timeout after a FIN, whole seconds.' },
    udp: { type: SECONDS, default: `${IPVS_TIMEOUT_DEFAULTS.udpS}s`, doc: 'UDP flow timeout, whole seconds.' },
  },
  virtualServer: {
    name: { type: T.name, required: true, doc: 'Unique; used by track.virtual_servers, status, metrics and alerts.' },
    address: { type: T.address, doc: "The virtual IP; required unless fwmark. Its family is the service's." },
    port: { type: int(0, 65535), doc: 'Required unless fwmark; 0: all ports (needs persistence).' },
    protocol: { type: oneOf(['tcp', 'udp', 'sctp']), default: VS_DEFAULTS.protocol, doc: 'Not with fwmark.' },
    fwmark: { type: int(1, 4_294_967_295), doc: 'A firewall-mark service; excludes address, port and protocol.' },
    family: { type: oneOf(['ipv4', 'ipv6']), default: 'ipv4', doc: "Only with fwmark: the service's family." },
    scheduler: { type: oneOf(SCHEDULERS), default: VS_DEFAULTS.scheduler, doc: 'IPVS scheduler.' },
    scheduler_flags: { type: list(oneOf(SCHEDULER_FLAGS)), doc: 'sh-* only with scheduler sh, mh-* only with scheduler mh.' },
    persistence: { type: map('persistence'), doc: 'Clients of one masked network stick to one real server; not set: no persistence.' },
    forwarding: { type: oneOf(['dr', 'nat', 'tun', 'fullnat']), default: VS_DEFAULTS.forwarding, doc: 'Direct routing, masquerading (NAT), IP tunnelling, or FULLNAT (NAT plus source NAT to the local addresses).' },
    tun_type: { type: oneOf(['ipip', 'gue', 'gre']), default: VS_DEFAULTS.tunType, doc: 'Only with forwarding tun.' },
    tun_port: { type: int(1, 65535), doc: 'The GUE UDP port; required with tun_type gue, only then.' },
    fullnat: { type: map('fullnat'), doc: 'Required with forwarding fullnat, only then: the local addresses (LIP) the real servers see instead of the client.' },
    ops: { type: T.bool, default: false, doc: 'One-packet scheduling; only with protocol udp (or a fwmark service).' },
    on_failure: { type: oneOf(['inhibit', 'remove']), default: VS_DEFAULTS.onFailure, doc: 'A failed real server gets weight 0 (inhibit) or is deleted (remove).' },
    quorum: { type: map('quorum'), doc: 'How many real servers must be up.' },
    sorry_server: { type: map('sorryServer'), doc: 'Used while quorum is lost.' },
    check: { type: CHECK, doc: 'The default check of every real server without a check of its own; not set: always up.' },
    real_servers: { type: list(map('realServer'), 1), required: true, doc: 'The real servers.' },
  },
  persistence: {
    timeout: { type: SECONDS, default: `${VS_DEFAULTS.persistenceTimeoutS}s`, doc: 'Persistence timeout, whole seconds.' },
    netmask: { type: { t: 'anyOf', of: [oneOf(V4_NETMASKS), int(1, 128)] }, doc: 'IPv4: a dotted mask (default 255.255.255.255); IPv6: a prefix length 1..128 (default 128).' },
  },
  fullnat: {
    local_addresses: { type: list(T.address, 1), required: true, doc: "The director's local addresses (LIP) written as the source towards the real servers; the service's family, not the VIP nor a real server." },
    interface: { type: { t: 'string', what: 'interface', pattern: '^[A-Za-z0-9_.-]{1,15}$' }, doc: 'Rewrite only packets leaving through this interface (not set: any).' },
  },
  quorum: {
    min_up: { type: int(1, 65535), default: VS_DEFAULTS.minUp, doc: 'Real servers that must be up.' },
    hysteresis: { type: int(0, 65534), default: VS_DEFAULTS.hysteresis, doc: 'Lost below min_up - hysteresis, restored at min_up + hysteresis; less than min_up.' },
  },
  sorryServer: {
    address: { type: T.address, required: true, doc: 'Same family as the service.' },
    port: { type: int(1, 65535), doc: 'Default: the service port (required for fwmark services).' },
  },
  realServer: {
    address: { type: T.address, required: true, doc: 'Same family as the service, except with forwarding tun.' },
    port: { type: int(0, 65535), doc: "Default: the service's port (required for fwmark services); only nat and fullnat can change it." },
    weight: { type: int(0, 65535), default: VS_DEFAULTS.weight, doc: 'Scheduler weight; 0: no new connections.' },
    upper_threshold: { type: int(0, 65535), default: 0, doc: 'Connection limit above which no new connections are sent; 0: none.' },
    lower_threshold: { type: int(0, 65535), default: 0, doc: 'Resume below this; not above upper_threshold.' },
    check: { type: { t: 'anyOf', of: [CHECK, { t: 'false' }] }, doc: "Replaces the service's check; false: no check, always up." },
  },
  check: {
    type: { type: oneOf(CHECK_TYPES), required: true, doc: 'The checker.' },
    interval: { type: duration(100, 3_600_000), default: ms(CHECK_DEFAULTS.intervalMs), doc: 'Time between the starts of two runs (100ms..1h).' },
    timeout: { type: duration(10, 3_600_000), default: ms(CHECK_DEFAULTS.timeoutMs), doc: 'A run taking longer fails (default 1s, or interval if shorter); not longer than interval.' },
    rise: { type: int(1, 1000), default: CHECK_DEFAULTS.rise, doc: 'Consecutive successes that mark a server up.' },
    fall: { type: int(1, 1000), default: CHECK_DEFAULTS.fall, doc: 'Consecutive failures that mark a server down.' },
    connect_address: { type: T.address, doc: "Probe this address instead of the real server's; only in a real server's own check." },
    connect_port: { type: int(1, 65535), doc: "Probe this port instead of the real server's." },
    bind_address: { type: T.address, doc: 'Source address of the probe.' },
    method: { type: oneOf(['GET', 'HEAD']), default: CHECK_DEFAULTS.method, doc: 'http, https: the request method.' },
    path: { type: { t: 'string', what: 'request path', pattern: '^/\\S*$' }, default: CHECK_DEFAULTS.path, doc: 'http, https: request path (and query).' },
    host: { type: { t: 'string', what: 'Host header', pattern: '^[^\\s/]+$' }, doc: 'http, https: Host header (default: the probed address).' },
    expect_status: { type: { t: 'anyOf', of: [STATUS, list(STATUS, 1)] }, default: ['200-299'], doc: "http, https: statuses that mean up: 200 or '200-299', or a list of them." },
    expect_body: { type: T.regex, doc: 'http, https: the body must match this regular expression.' },
    expect_digest: { type: { t: 'string', what: 'sha256 digest', pattern: '^[0-9a-fA-F]{64}$' }, doc: "http, https: the body's SHA-256 (64 hex characters)." },
    expect_digest_md5: { type: { t: 'string', what: 'md5 digest', pattern: '^[0-9a-fA-F]{32}$' }, doc: "http, https: the body's MD5 (32 hex characters)." },
    max_body_bytes: { type: int(1, 67_108_864), default: CHECK_DEFAULTS.maxBodyBytes, doc: 'http, https: bodies are read up to this size.' },
    tls_verify: { type: T.bool, default: CHECK_DEFAULTS.tlsVerify, doc: 'https, smtp with starttls: verify the server certificate.' },
    tls_server_name: { type: T.sniName, doc: 'https, smtp with starttls: SNI and the name verified.' },
    ca_file: { type: T.path, doc: 'https, smtp with starttls: CA bundle (default: the system CAs).' },
    command: { type: T.command, doc: 'exec (required): the check, as a list of arguments; exit 0 = up.' },
    dynamic_weight: { type: T.bool, default: false, doc: 'exec: exit 2..255 = up with weight status - 2.' },
    query_name: { type: T.dnsName, default: CHECK_DEFAULTS.queryName, doc: 'dns: the name asked.' },
    query_type: { type: oneOf(DNS_QUERY_TYPES), default: CHECK_DEFAULTS.queryType, doc: 'dns: the record type asked.' },
    expect_rcode: { type: oneOf(DNS_RCODES), default: CHECK_DEFAULTS.expectRcode, doc: 'dns: the response code that means up.' },
    expect_answer: { type: T.regex, doc: 'dns: an answer must match this regular expression (only with expect_rcode NOERROR).' },
    payload: { type: { ...T.text, maxLength: UDP_PAYLOAD_MAX_BYTES }, doc: 'udp: the datagram sent, as text (default: empty); not with payload_hex.' },
    payload_hex: { type: T.hex, doc: 'udp: the datagram sent, as hex bytes in quotes; not with payload.' },
    require_reply: { type: T.bool, doc: 'udp: a reply is needed (default false, true with an expect_* key).' },
    expect_reply: { type: T.regex, doc: 'udp: the reply must match this regular expression.' },
    expect_reply_hex: { type: T.hex, doc: 'udp: the reply must start with these bytes.' },
    count: { type: int(1, 10), default: CHECK_DEFAULTS.icmpCount, doc: 'icmp: echo requests per run.' },
    min_replies: { type: int(1, 10), default: CHECK_DEFAULTS.icmpMinReplies, doc: 'icmp: echo replies needed for up; not above count.' },
    helo_name: { type: { t: 'string', what: 'host name or address literal', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$|^\\[[0-9A-Fa-f:.]+\\]$' }, doc: "smtp: the EHLO/HELO name (default: this director's host name)." },
    starttls: { type: T.bool, default: CHECK_DEFAULTS.starttls, doc: 'smtp: upgrade with STARTTLS; the tls_* keys and ca_file apply only then.' },
  },
  scripts: {
    user: { type: T.systemName, default: SCRIPT_USER_DEFAULT, doc: 'The unprivileged user every script runs as (not root).' },
  },
  ecmp: {
    route_table: { type: int(1, 252), default: ECMP_DEFAULTS.routeTable, doc: "The routing table lvs-ha owns (FRR's ip import-table takes 1..252)." },
    route_protocol: { type: int(5, 255), default: ECMP_DEFAULTS.routeProtocol, doc: "Route protocol number of lvs-ha's routes; one no other program writes." },
    device: { type: T.interface, default: ECMP_DEFAULTS.device, doc: 'Where the VIP addresses live and the routes point: loopback or a dummy device.' },
    stop_grace: { type: duration(0, 600_000), default: ms(ECMP_DEFAULTS.stopGraceMs), doc: 'On SIGTERM: withdraw every VIP, wait this long, then stop.' },
    drain_quiet: { type: duration(100, 600_000), default: ms(ECMP_DEFAULTS.drainQuietMs), doc: '`maintenance on` reports safe to stop once no packet reached the VIPs for this long.' },
    drain_timeout: { type: duration(1_000, 3_600_000), default: ms(ECMP_DEFAULTS.drainTimeoutMs), doc: '... or gives up after this long.' },
  },
  alert: {
    name: { type: T.name, required: true, doc: 'Unique among sinks.' },
    type: { type: oneOf(['webhook', 'exec']), required: true, doc: 'webhook: POST the event as JSON; exec: run a command with the event on stdin.' },
    events: { type: list(oneOf(ALERT_EVENTS), 1), doc: 'Which events this sink gets (default: all).' },
    min_interval: { type: duration(0, 86_400_000), default: ms(ALERT_DEFAULTS.minIntervalMs), doc: 'Per object and event, at most one alert in this interval; 0s: every event.' },
    timeout: { type: duration(100, 300_000), default: ms(ALERT_DEFAULTS.timeoutMs), doc: 'Per delivery attempt (100ms..5m).' },
    url: { type: T.url, doc: 'webhook (required): where the event is POSTed.' },
    headers: { type: { t: 'headers' }, doc: 'webhook: extra HTTP headers, e.g. Authorization.' },
    retries: { type: int(0, 20), default: ALERT_DEFAULTS.retries, doc: 'webhook: retries with backoff after a failed delivery.' },
    command: { type: T.command, doc: 'exec (required): the command, as a list of arguments.' },
  },
} as const satisfies Spec;
