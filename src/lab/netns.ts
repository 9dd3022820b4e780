/**
 * The one description of a namespace network, and the one place that knows
 * the `ip` commands that build and remove it (pure).
 *
 * Every lab of the project is built from a NetSpec: `lvs-ha lab up`
 * (./up.ts), the netns-tier tests (test/helpers/netns.ts runs the same
 * commands one element at a time), and the kernel-tier tests and benchmarks,
 * whose in-VM payloads embed networkShell() / teardownShell() text. Executors
 * differ (async in the lab, sync in tests, a shell script inside the VM); what
 * a namespace, a bridge or a veth end is made of does not.
 *
 * Links are added with an explicit `name` (ip reads a bare name such as
 * `br` as a keyword: "broadcast"). Bridges never do IGMP snooping: with snooping on and no querier, a bridge
 * stops flooding VRRP adverts and the sync daemons' multicast.
 */

/** A namespace; `null` in an end, bridge or route means the namespace the commands run in. */
export type NetnsName = string | null;

export interface NetnsSpec {
  readonly name: string;
  /** `sysctl -w` settings run inside once its links exist, e.g. 'net.ipv4.ip_forward=1'. */
  readonly sysctls?: readonly string[];
}

export interface BridgeSpec {
  readonly netns: NetnsName;
  readonly name: string;
}

export interface VethEnd {
  readonly netns: NetnsName;
  readonly ifname: string;
  /** Addresses with prefix length. */
  readonly addresses?: readonly string[];
  readonly mac?: string;
  /** A bridge in the same namespace this end is enslaved to. */
  readonly bridge?: string;
  /** Interface sysctls set before the addresses (e.g. accept_dad=0), `sysctl -w` syntax. */
  readonly sysctls?: readonly string[];
}

export interface VethSpec {
  readonly a: VethEnd;
  readonly b: VethEnd;
}

export interface AddressSpec {
  readonly netns: NetnsName;
  readonly ifname: string;
  readonly cidr: string;
}

export interface RouteSpec {
  readonly netns: NetnsName;
  /** 'default' or a prefix. */
  readonly to: string;
  readonly via?: string;
  readonly dev?: string;
}

export interface NetSpec {
  readonly namespaces: readonly NetnsSpec[];
  readonly bridges?: readonly BridgeSpec[];
  readonly veths?: readonly VethSpec[];
  /** Further addresses, e.g. a VIP on lo of a DR real server. */
  readonly addresses?: readonly AddressSpec[];
  readonly routes?: readonly RouteSpec[];
}

export type Argv = readonly string[];

const IFNAME_MAX = 15;

function checkIfname(name: string): void {
  if (name.length === 0 || name.length > IFNAME_MAX || /[\s/]/.test(name)) {
    throw new Error(`interface name '${name}' is not valid (1..${String(IFNAME_MAX)} chars, no spaces or slashes)`);
  }
}

/** `ip ARGS` in a namespace (or the current one). */
export function ipIn(netns: NetnsName, args: readonly string[]): Argv {
  return netns === null ? ['ip', ...args] : ['ip', '-n', netns, ...args];
}

/** ARGV run inside a namespace (or the current one). */
export function execIn(netns: NetnsName, argv: readonly string[]): Argv {
  return netns === null ? [...argv] : ['ip', 'netns', 'exec', netns, ...argv];
}

function sysctlArgv(netns: NetnsName, settings: readonly string[]): Argv[] {
  return settings.length === 0 ? [] : [execIn(netns, ['sysctl', '-qw', ...settings])];
}

export function namespaceCommands(ns: NetnsSpec): Argv[] {
  return [['ip', 'netns', 'add', ns.name], ipIn(ns.name, ['link', 'set', 'dev', 'lo', 'up'])];
}

export function bridgeCommands(b: BridgeSpec): Argv[] {
  checkIfname(b.name);
  return [ipIn(b.netns, ['link', 'add', 'name', b.name, 'type', 'bridge', 'mcast_snooping', '0']), ipIn(b.netns, ['link', 'set', 'dev', b.name, 'up'])];
}

function endCommands(e: VethEnd): Argv[] {
  return [
    ...sysctlArgv(e.netns, e.sysctls ?? []),
    ...(e.mac === undefined ? [] : [ipIn(e.netns, ['link', 'set', 'dev', e.ifname, 'address', e.mac])]),
    ...(e.addresses ?? []).map((cidr) => ipIn(e.netns, ['addr', 'add', cidr, 'dev', e.ifname])),
    ...(e.bridge === undefined ? [] : [ipIn(e.netns, ['link', 'set', 'dev', e.ifname, 'master', e.bridge])]),
    ipIn(e.netns, ['link', 'set', 'dev', e.ifname, 'up']),
  ];
}

/** A veth pair created directly with its ends in their namespaces, then each end set up. */
export function vethCommands(v: VethSpec): Argv[] {
  checkIfname(v.a.ifname);
  checkIfname(v.b.ifname);
  const peer = v.b.netns === null ? [] : ['netns', v.b.netns];
  return [ipIn(v.a.netns, ['link', 'add', 'name', v.a.ifname, 'type', 'veth', 'peer', 'name', v.b.ifname, ...peer]), ...endCommands(v.a), ...endCommands(v.b)];
}

export function addressCommands(a: AddressSpec): Argv[] {
  return [ipIn(a.netns, ['addr', 'add', a.cidr, 'dev', a.ifname])];
}

export function routeCommands(r: RouteSpec): Argv[] {
  return [ipIn(r.netns, ['route', 'add', r.to, ...(r.via === undefined ? [] : ['via', r.via]), ...(r.dev === undefined ? [] : ['dev', r.dev])])];
}

/** Every command that builds the network, in order. */
export function networkCommands(spec: NetSpec): Argv[] {
  return [
    ...spec.namespaces.flatMap(namespaceCommands),
    ...(spec.bridges ?? []).flatMap(bridgeCommands),
    ...(spec.veths ?? []).flatMap(vethCommands),
    ...(spec.addresses ?? []).flatMap(addressCommands),
    ...(spec.routes ?? []).flatMap(routeCommands),
    ...spec.namespaces.flatMap((ns) => sysctlArgv(ns.name, ns.sysctls ?? [])),
  ];
}

/** Links the spec creates in the current namespace: deleting the namespaces does not take them. */
function linksHere(spec: NetSpec): string[] {
  return [
    ...(spec.bridges ?? []).filter((b) => b.netns === null).map((b) => b.name),
    ...(spec.veths ?? []).flatMap((v) => [v.a, v.b]).filter((e) => e.netns === null).map((e) => e.ifname),
  ];
}

/** POSIX shell quoting of one word. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A shell script that builds the network; the first failing command exits with `exitCode`. */
export function networkShell(spec: NetSpec, exitCode = 10): string {
  return networkCommands(spec)
    .map((argv) => `${argv.map(shellQuote).join(' ')} || { echo 'network: ${argv.join(' ').replace(/'/g, '')} failed' >&2; exit ${String(exitCode)}; }`)
    .join('\n');
}

/**
 * A shell script that removes what the spec built (tolerates parts that are
 * absent): every process still inside a namespace is killed, the namespace
 * deleted (taking its links), then links left in the current namespace.
 */
export function teardownShell(spec: NetSpec | readonly string[]): string {
  const names = Array.isArray(spec) ? (spec as readonly string[]) : (spec as NetSpec).namespaces.map((n) => n.name);
  const links = Array.isArray(spec) ? [] : linksHere(spec as NetSpec);
  return [
    ...[...names].reverse().map((n) => `ip netns pids ${shellQuote(n)} 2>/dev/null | xargs -r kill -9; ip netns del ${shellQuote(n)} 2>/dev/null`),
    ...links.map((l) => `ip link del dev ${shellQuote(l)} 2>/dev/null`),
    'true',
  ].join('\n');
}

export interface LanHost {
  /** Host name: the namespace is `${prefix}-${name}`. */
  readonly name: string;
  /** Last octet of its address on the LAN. */
  readonly octet: number;
}

/**
 * A LAN: one bridge `br` in the switch namespace `${prefix}-sw`, each host a
 * namespace `${prefix}-NAME` whose eth0 (address SUBNET.OCTET/24) is a port
 * of it (the port is named NAME-eth0 in the switch namespace).
 */
export function lanSpec(prefix: string, subnet: string, hosts: readonly LanHost[]): NetSpec {
  const sw = `${prefix}-sw`;
  return {
    namespaces: [{ name: sw }, ...hosts.map((h) => ({ name: `${prefix}-${h.name}` }))],
    bridges: [{ netns: sw, name: 'br' }],
    veths: hosts.map((h) => ({
      a: { netns: sw, ifname: `${h.name}-eth0`, bridge: 'br' },
      b: { netns: `${prefix}-${h.name}`, ifname: 'eth0', addresses: [`${subnet}.${String(h.octet)}/24`] },
    })),
  };
}

/**
 * A LAN with some hosts set up as DR real servers of the VIPs (what
 * `lvs-ha real-server up --mode dr` does; tests that need no more build it
 * here): each VIP on lo, ARP for it neither answered nor announced on eth0.
 */
export function drLanSpec(prefix: string, subnet: string, hosts: readonly LanHost[], realServers: readonly string[], vips: readonly string[]): NetSpec {
  const lan = lanSpec(prefix, subnet, hosts);
  const rs = new Set(realServers.map((r) => `${prefix}-${r}`));
  const arp = ['all', 'eth0'].flatMap((k) => [`net.ipv4.conf.${k}.arp_ignore=1`, `net.ipv4.conf.${k}.arp_announce=2`]);
  return {
    ...lan,
    namespaces: lan.namespaces.map((ns) => (rs.has(ns.name) ? { ...ns, sysctls: arp } : ns)),
    addresses: [...rs].flatMap((netns) => vips.map((v) => ({ netns, ifname: 'lo', cidr: v.includes('/') ? v : `${v}/32` }))),
  };
}
