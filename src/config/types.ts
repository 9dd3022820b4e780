/**
 * The typed, immutable configuration model every engine reads.
 *
 * YAML keys are snake_case; this model is camelCase with units in the names
 * (durations are whole milliseconds). The validator (validate.ts) is the only
 * producer of these objects; everything it returns is deeply frozen.
 */

export type AddressFamily = 'ipv4' | 'ipv6';

/** An IP address as validated text plus its family. `text` is canonical (lowercase, compressed v6). */
export interface IpAddress {
  readonly text: string;
  readonly family: AddressFamily;
}

/** An address with prefix length, e.g. 10.0.0.100/24 (prefix defaults to 32 or 128). */
export interface IpPrefix extends IpAddress {
  readonly prefixLength: number;
}

export type Ipv4ChecksumMode = 'rfc9568' | 'rfc5798';

/**
 * The address list of IPv6 adverts. 'rfc9568': a link-local first (configured or derived) on
 * send, adverts whose first address is not link-local dropped (erratum 8300). 'keepalived':
 * the configured addresses in the configured order on send, such adverts accepted with a note.
 */
export type Ipv6AddressesMode = 'rfc9568' | 'keepalived';

export interface ControlConfig {
  readonly socketPath: string;
  /** host:port for the Prometheus /metrics listener, or null when disabled. */
  readonly metricsListen: { readonly host: string; readonly port: number } | null;
  /** A system group whose members may run the read-only control commands (status, connections); null = root only. */
  readonly readonlyGroup: string | null;
}

export interface TrackInterface {
  readonly name: string;
  /** Priority delta on failure; 0 means the instance goes to FAULT. */
  readonly weight: number;
}

export interface TrackScript {
  readonly name: string;
  readonly command: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  readonly weight: number;
}

export interface TrackVirtualServer {
  readonly name: string;
  readonly weight: number;
}

/** A route that must be present (or absent) in a routing table. */
export interface TrackRoute {
  /** Status name: `DESTINATION table TABLE`, e.g. `0.0.0.0/0 table 254`. */
  readonly name: string;
  readonly family: AddressFamily;
  /** The network address (host bits zero) as text, and its prefix length (0 for a default route). */
  readonly destination: string;
  readonly prefixLength: number;
  /** Routing table id (main = 254, local = 255, default = 253). */
  readonly table: number;
  /** What counts as healthy: the route being there (`present`) or not (`absent`). */
  readonly expect: 'present' | 'absent';
  readonly weight: number;
}

/** Running processes matched by name (/proc/PID/comm) or by command line (/proc/PID/cmdline). */
export interface TrackProcess {
  readonly name: string;
  /** Exact process name (comm, at most 15 bytes); null when matching the command line. */
  readonly process: string | null;
  /** The command line to match (argv); null when matching the name. */
  readonly commandLine: readonly string[] | null;
  /** `exact`: argv equals commandLine; `prefix`: argv starts with it (more arguments allowed). */
  readonly match: 'exact' | 'prefix';
  /** Healthy while quorum <= matching processes <= quorumMax (null: no upper bound). */
  readonly quorum: number;
  readonly quorumMax: number | null;
  readonly weight: number;
  /** How often /proc is scanned (one scan serves every tracked process). */
  readonly intervalMs: number;
}

/** A file holding an integer; its value times `weight` is the priority delta (Keepalived track_file). */
export interface TrackFile {
  readonly name: string;
  readonly path: string;
  /** Multiplier; 0: a non-zero value puts the instance in FAULT. */
  readonly weight: number;
}

export interface AnnounceConfig {
  readonly repeat: number;
  readonly intervalMs: number;
  /** 0 = no periodic refresh while master. */
  readonly refreshMs: number;
}

export interface VrrpInstanceConfig {
  readonly name: string;
  readonly interface: string;
  readonly vrid: number;
  readonly family: AddressFamily;
  readonly priority: number;
  /** Whole centiseconds, expressed in ms (10..40950). */
  readonly advertIntervalMs: number;
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  readonly acceptMode: boolean;
  readonly unicastPeers: readonly IpAddress[];
  /**
   * Multicast mode only: adverts are heard only from these sources (IPv6: link-local addresses);
   * others are dropped as `unknown_peer`. Empty: any source (never set with unicastPeers).
   */
  readonly allowedPeers: readonly IpAddress[];
  /** Source address for unicast adverts, if set. */
  readonly unicastSource: IpAddress | null;
  /** The VIPs: managed on transitions and carried in adverts. */
  readonly virtualAddresses: readonly IpPrefix[];
  /**
   * virtual_addresses_excluded: managed like the VIPs (added on MASTER, removed otherwise,
   * announced, on the VMAC) but not in adverts. Every managed address: managedAddresses().
   * The config reader always sets it; optional so configs built in code may leave it out (none).
   */
  readonly excludedAddresses?: readonly IpPrefix[];
  readonly track: {
    readonly interfaces: readonly TrackInterface[];
    readonly scripts: readonly TrackScript[];
    readonly virtualServers: readonly TrackVirtualServer[];
    readonly routes: readonly TrackRoute[];
    readonly processes: readonly TrackProcess[];
    readonly files: readonly TrackFile[];
  };
  readonly announce: AnnounceConfig;
  /**
   * `command`: every transition, with INSTANCE FROM TO PRIORITY appended. `master`, `backup`,
   * `fault`, `stop`: on entering that state (stop: the instance stopping), argv as written
   * (Keepalived's notify_master & co.). Null when none is set.
   */
  readonly notify: NotifyConfig | null;
  /** VRRP virtual MAC (Keepalived's use_vmac): a macvlan carrying the VIPs; null when off. */
  readonly vmac: VmacConfig | null;
}

export interface VmacConfig {
  /** The macvlan's name (default vrrp.VRID). */
  readonly interface: string;
  /** Send and receive adverts on the parent interface instead (Keepalived's vmac_xmit_base). */
  readonly xmitBase: boolean;
}

export interface SyncGroupConfig {
  readonly name: string;
  readonly instances: readonly string[];
}

export interface VrrpConfig {
  readonly ipv4Checksum: Ipv4ChecksumMode;
  readonly ipv6Addresses: Ipv6AddressesMode;
  /** SCHED_RR priority of the VRRP isolate (1..99), or 0 for none (it then runs at nice -10). */
  readonly realtimePriority: number;
  readonly instances: readonly VrrpInstanceConfig[];
  readonly syncGroups: readonly SyncGroupConfig[];
}

export interface IpvsSyncConfig {
  readonly interface: string;
  readonly syncId: number;
  /** Name of the VRRP instance (or sync group) whose role drives the daemons. */
  readonly follow: string;
  readonly group: IpAddress;
  readonly port: number;
  readonly ttl: number;
  readonly maxLen: number;
  /**
   * While MASTER, also run the backup daemon (default false: master daemon only),
   * so a director that was briefly master keeps the connections its peer syncs.
   */
  readonly backupWhileMaster: boolean;
}

export interface NotifyConfig {
  readonly command: readonly string[] | null;
  readonly master: readonly string[] | null;
  readonly backup: readonly string[] | null;
  readonly fault: readonly string[] | null;
  readonly stop: readonly string[] | null;
}

export interface IpvsTimeouts {
  readonly tcpS: number;
  readonly tcpFinS: number;
  readonly udpS: number;
}

/**
 * IPVS sysctls lvs-ha sets in its network namespace (net.ipv4.vs.*, which
 * also cover IPv6 services); null = not set, the kernel's value is left alone.
 */
export interface IpvsSysctls {
  /** sloppy_tcp: a director creates a connection entry for any TCP packet, not only a SYN. */
  readonly sloppyTcp: boolean | null;
  /** sloppy_sctp: the same for SCTP (any chunk, not only INIT). */
  readonly sloppySctp: boolean | null;
}

export interface IpvsConfig {
  readonly timeouts: IpvsTimeouts;
  readonly sysctls: IpvsSysctls;
}

export type Scheduler =
  | 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'dh' | 'sh' | 'mh'
  | 'fo' | 'ovf' | 'sed' | 'nq' | 'twos';

export type SchedulerFlag = 'sh-port' | 'sh-fallback' | 'mh-port' | 'mh-fallback';

export type Protocol = 'tcp' | 'udp' | 'sctp';

export type Forwarding =
  | { readonly method: 'dr' }
  | { readonly method: 'nat' }
  | { readonly method: 'tun'; readonly tunType: 'ipip' | 'gue' | 'gre'; readonly tunPort: number | null }
  | FullnatForwarding;

/**
 * FULLNAT on a mainline kernel: IPVS masquerading (NAT) with net.ipv4.vs.conntrack=1
 * plus an nftables SNAT rule (owned by lvs-ha) that rewrites the source of the
 * forwarded packets to one of the director's local addresses (LIP). The real
 * servers see the LIP, not the client.
 */
export interface FullnatForwarding {
  readonly method: 'fullnat';
  /** The director's addresses used as source towards the real servers (LIP), same family as the service. */
  readonly localAddresses: readonly IpAddress[];
  /** Only packets leaving through this interface are rewritten; null = whichever route the kernel picks. */
  readonly interface: string | null;
}

export type HttpStatusRange = readonly [number, number];

/** What every check has: its schedule and hysteresis. */
export interface CheckTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
}

/** Where a network check connects from and to (null: the real server's address and port; the kernel's choice). */
export interface CheckTarget {
  readonly connectAddress: IpAddress | null;
  readonly connectPort: number | null;
  readonly bindAddress: IpAddress | null;
}

/** TLS of the https and smtp (STARTTLS) checks. */
export interface CheckTls {
  readonly tlsVerify: boolean;
  readonly tlsServerName: string | null;
  readonly caFile: string | null;
}

export type CheckConfig =
  | (CheckTiming & CheckTarget & { readonly type: 'tcp' })
  | (CheckTiming & CheckTarget & CheckTls & {
      readonly type: 'http' | 'https';
      readonly method: 'GET' | 'HEAD';
      readonly path: string;
      readonly host: string | null;
      readonly expectStatus: readonly HttpStatusRange[];
      /** A regular expression source, validated to compile. */
      readonly expectBody: string | null;
      /** Lowercase hex sha256 of the body. */
      readonly expectDigest: string | null;
      /**
       * Lowercase hex MD5 of the body (what Keepalived's `digest` holds). Both
       * digests may be set; each must match. Absent means null (not set).
       */
      readonly expectDigestMd5?: string | null;
      readonly maxBodyBytes: number;
    })
  | (CheckTiming & CheckTarget & {
      /** DNS query over UDP (TCP on truncation) to the real server; see docs/health-checks.md. */
      readonly type: 'dns';
      readonly queryName: string;
      readonly queryType: DnsQueryType;
      readonly expectRcode: DnsRcode;
      /** A regular expression source tested against each answer rendered as text; null: not checked. */
      readonly expectAnswer: string | null;
    })
  | (CheckTiming & CheckTarget & {
      /** One datagram out; a reply (matching) or, without reply expectations, no ICMP error. */
      readonly type: 'udp';
      /** Lowercase hex of the bytes sent (from `payload` or `payload_hex`). */
      readonly payloadHex: string;
      readonly requireReply: boolean;
      /** A regular expression source tested against the reply as latin1 text; null: not checked. */
      readonly expectReply: string | null;
      /** Lowercase hex the reply must start with; null: not checked. */
      readonly expectReplyHex: string | null;
    })
  | (CheckTiming & {
      /** ICMP / ICMPv6 echo over a raw socket. */
      readonly type: 'icmp';
      readonly connectAddress: IpAddress | null;
      readonly count: number;
      readonly minReplies: number;
    })
  | (CheckTiming & CheckTarget & CheckTls & {
      /** SMTP: banner 220, EHLO (HELO on 5xx), optional STARTTLS, QUIT. */
      readonly type: 'smtp';
      /** null: the director's host name. */
      readonly heloName: string | null;
      readonly starttls: boolean;
    })
  | (CheckTiming & {
      readonly type: 'exec';
      readonly command: readonly string[];
      readonly dynamicWeight: boolean;
    });

export type CheckType = CheckConfig['type'];

/** Query types the dns check can ask (those Node's resolver can return). */
export type DnsQueryType = 'A' | 'AAAA' | 'CAA' | 'CNAME' | 'MX' | 'NAPTR' | 'NS' | 'PTR' | 'SOA' | 'SRV' | 'TXT';

/** Response codes the dns check can tell apart (see docs/health-checks.md for how they are read). */
export type DnsRcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';

export interface RealServerConfig {
  readonly address: IpAddress;
  readonly port: number;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  /** The effective check: the real server's own, else the virtual server's, else null (always up). */
  readonly check: CheckConfig | null;
}

export type VirtualServerKey =
  | { readonly kind: 'address'; readonly address: IpAddress; readonly port: number; readonly protocol: Protocol }
  | { readonly kind: 'fwmark'; readonly fwmark: number; readonly family: AddressFamily };

export interface VirtualServerConfig {
  readonly name: string;
  readonly key: VirtualServerKey;
  readonly scheduler: Scheduler;
  readonly schedulerFlags: readonly SchedulerFlag[];
  /**
   * netmask: IPv4 dotted mask ("255.255.255.0") or IPv6 prefix length as text ("64");
   * prefixLength: the same as a number for either family (32 / 128 = per client address).
   */
  readonly persistence: { readonly timeoutS: number; readonly netmask: string; readonly prefixLength: number } | null;
  readonly forwarding: Forwarding;
  /**
   * One-packet scheduling (IPVS ONEPACKET, `ipvsadm -o`): every UDP datagram is
   * scheduled on its own, no connection entry is kept. Absent means false.
   */
  readonly ops?: boolean;
  readonly onFailure: 'inhibit' | 'remove';
  readonly quorum: { readonly minUp: number; readonly hysteresis: number };
  readonly sorryServer: { readonly address: IpAddress; readonly port: number } | null;
  readonly realServers: readonly RealServerConfig[];
}

export type AlertEvent =
  | 'vrrp_transition'
  | 'real_server_down'
  | 'real_server_up'
  | 'quorum_lost'
  | 'quorum_restored'
  | 'sync_daemon_error'
  | 'reconcile_error'
  | 'vip_announced'
  | 'vip_withdrawn';

export type AlertSinkConfig =
  | {
      readonly name: string;
      readonly type: 'webhook';
      readonly url: string;
      readonly events: readonly AlertEvent[];
      readonly minIntervalMs: number;
      readonly timeoutMs: number;
      readonly retries: number;
      readonly headers: Readonly<Record<string, string>>;
    }
  | {
      readonly name: string;
      readonly type: 'exec';
      readonly command: readonly string[];
      readonly events: readonly AlertEvent[];
      readonly minIntervalMs: number;
      readonly timeoutMs: number;
    };

export interface Config {
  readonly node: string;
  readonly control: ControlConfig;
  readonly vrrp: VrrpConfig;
  readonly ipvsSync: IpvsSyncConfig | null;
  readonly ipvs: IpvsConfig;
  readonly virtualServers: readonly VirtualServerConfig[];
  readonly scripts: { readonly user: string };
  readonly alerts: readonly AlertSinkConfig[];
  /** Active-active directors announcing their VIPs by BGP (the `ecmp` section), or null. */
  readonly ecmp: EcmpConfig | null;
}

/**
 * The `ecmp` section: lvs-ha owns one route per announced VIP in `routeTable`
 * with `routeProtocol`; the routing daemon exports that table.
 */
export interface EcmpConfig {
  readonly routeTable: number;
  readonly routeProtocol: number;
  /** Where the VIPs live (loopback or a dummy device, never answering ARP) and the routes point. */
  readonly device: string;
  /** On SIGTERM: withdraw, then wait this long before stopping. */
  readonly stopGraceMs: number;
  /** `maintenance on` waits until no packet reached the VIPs for this long. */
  readonly drainQuietMs: number;
  /** ... or until this deadline. */
  readonly drainTimeoutMs: number;
  /** Canonical VIP addresses of the address-based virtual servers, in config order. */
  readonly vips: readonly string[];
}

/** One validation finding, located in the source file. */
export interface ConfigIssue {
  readonly file: string;
  /** 1-based; 0 when the issue is about the file as a whole (missing, unreadable). */
  readonly line: number;
  /** 1-based; 0 with line 0. */
  readonly column: number;
  /** Key path, e.g. vrrp.instances[0].vrid */
  readonly path: string;
  readonly message: string;
  readonly found?: string;
  readonly expected?: string;
}

export type ConfigLoadResult =
  | { readonly ok: true; readonly config: Config; readonly file: string }
  | { readonly ok: false; readonly errors: readonly ConfigIssue[]; readonly file: string };
