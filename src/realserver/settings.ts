/**
 * The desired real-server settings, as a pure function of the spec and a
 * snapshot: which VIPs go on which device, which sysctls must hold which
 * values, which devices must be up, which modules and GUE ports are needed.
 * `up` applies what is not yet so; `check` reports it.
 */
import type { Family, LinkFacts, RealServerSpec, Snapshot, TunType, Vip } from './types.js';
import { hostPrefix } from './types.js';

export interface TunnelKind {
  /** The fallback device the kernel creates in every namespace when the module loads. */
  readonly device: string;
  readonly modules: readonly string[];
  /** Bytes the director adds in front of the client's packet. */
  readonly overheadBytes: number;
}

const TUNNELS: Readonly<Record<TunType, Readonly<Record<Family, TunnelKind>>>> = {
  ipip: {
    4: { device: 'tunl0', modules: ['ipip'], overheadBytes: 20 },
    6: { device: 'ip6tnl0', modules: ['ip6_tunnel'], overheadBytes: 40 },
  },
  gre: {
    4: { device: 'gre0', modules: ['ip_gre'], overheadBytes: 24 },
    6: { device: 'ip6gre0', modules: ['ip6_gre'], overheadBytes: 44 },
  },
  // GUE: fou strips UDP + the 4-byte GUE header, then the ipip/ip6_tunnel fallback device receives.
  gue: {
    4: { device: 'tunl0', modules: ['fou', 'ipip'], overheadBytes: 32 },
    6: { device: 'ip6tnl0', modules: ['fou6', 'ip6_tunnel'], overheadBytes: 52 },
  },
};

export function tunnelFor(tunType: TunType, family: Family): TunnelKind {
  return TUNNELS[tunType][family];
}

export type SysctlName = 'arp_ignore' | 'arp_announce' | 'rp_filter';

/**
 * One interface's need. The kernel uses max(all, interface) for all three
 * settings, so the effective value must be in `acceptable`; `up` writes `want`
 * to `all` and to the interface wherever their own value is not acceptable.
 */
export interface SysctlRequirement {
  readonly name: SysctlName;
  readonly ifname: string;
  readonly acceptable: readonly number[];
  readonly want: number;
  readonly why: string;
}

export interface VipPlacement {
  readonly vip: Vip;
  readonly ifname: string;
  readonly prefixLength: number;
}

export interface DesiredState {
  /** Interfaces that carry LVS traffic and do ARP. */
  readonly traffic: readonly string[];
  readonly placements: readonly VipPlacement[];
  readonly devicesUp: readonly string[];
  readonly modules: readonly string[];
  readonly sysctls: readonly SysctlRequirement[];
  readonly fouPorts: readonly number[];
}

export function sysctlKey(ifname: string, name: SysctlName): string {
  return `net/ipv4/conf/${ifname}/${name}`;
}

export function vipDevice(spec: RealServerSpec, family: Family): string {
  return spec.mode === 'tun' ? tunnelFor(spec.tunType, family).device : 'lo';
}

function families(spec: RealServerSpec): Family[] {
  return [...new Set(spec.vips.map((v) => v.family))].sort();
}

function tunnelDevices(spec: RealServerSpec): string[] {
  return spec.mode === 'tun' ? families(spec).map((f) => tunnelFor(spec.tunType, f).device) : [];
}

/** The interfaces that carry traffic: as configured, or every up, ARP-doing, non-loopback, non-tunnel link. */
export function trafficInterfaces(spec: RealServerSpec, links: readonly LinkFacts[]): string[] {
  if (spec.interfaces !== null) return [...spec.interfaces];
  const tunnels = new Set(tunnelDevices(spec));
  return links.filter((l) => l.up && !l.loopback && !l.noarp && !tunnels.has(l.name)).map((l) => l.name);
}

function arpRequirements(traffic: readonly string[]): SysctlRequirement[] {
  const out: SysctlRequirement[] = [];
  for (const ifname of traffic) {
    out.push({ name: 'arp_ignore', ifname, acceptable: [1, 2, 8], want: 1, why: `${ifname} would answer ARP requests for the VIP, taking it from the director` });
    out.push({ name: 'arp_announce', ifname, acceptable: [2], want: 2, why: `${ifname} could send ARP requests with the VIP as sender address, taking it from the director` });
  }
  return out;
}

/**
 * rp_filter (IPv4 only) must not be strict where client packets arrive on an
 * interface the route back to the client does not use: the tunnel device in
 * TUN mode; in DR mode a traffic interface other than the default route's.
 */
function rpFilterTargets(spec: RealServerSpec, snap: Snapshot, traffic: readonly string[]): string[] {
  if (!spec.vips.some((v) => v.family === 4)) return [];
  if (spec.mode === 'tun') return [tunnelFor(spec.tunType, 4).device];
  if (spec.mode !== 'dr') return [];
  const defaultDevs = snap.defaultRoutes.filter((r) => r.family === 4 && r.ifname !== null).map((r) => r.ifname);
  if (defaultDevs.length === 0) return [];
  return traffic.filter((t) => !defaultDevs.includes(t));
}

export function desiredState(spec: RealServerSpec, snap: Snapshot): DesiredState {
  if (spec.mode === 'nat') return { traffic: [], placements: [], devicesUp: [], modules: [], sysctls: [], fouPorts: [] };
  const traffic = trafficInterfaces(spec, snap.links);
  const placements = spec.vips.map((vip) => ({ vip, ifname: vipDevice(spec, vip.family), prefixLength: hostPrefix(vip.family) }));
  const rp = rpFilterTargets(spec, snap, traffic).map((ifname): SysctlRequirement => ({
    name: 'rp_filter',
    ifname,
    acceptable: [0, 2],
    want: 2,
    why: `strict reverse-path filtering drops client packets arriving on ${ifname} when the route back to the client leaves by another interface`,
  }));
  const modules = spec.mode === 'tun' ? families(spec).flatMap((f) => tunnelFor(spec.tunType, f).modules) : [];
  return {
    traffic,
    placements,
    devicesUp: [...new Set(placements.map((p) => p.ifname))],
    modules: [...new Set(modules)],
    sysctls: [...arpRequirements(traffic), ...rp],
    fouPorts: spec.mode === 'tun' && spec.tunType === 'gue' && spec.guePort !== null ? [spec.guePort] : [],
  };
}

/** max(all, interface): what the kernel acts on; undefined when the interface's key does not exist. */
export function effectiveSysctl(snap: Snapshot, name: SysctlName, ifname: string): number | undefined {
  const dev = snap.sysctls[sysctlKey(ifname, name)];
  if (dev === undefined) return undefined;
  return Math.max(snap.sysctls[sysctlKey('all', name)] ?? 0, dev);
}
