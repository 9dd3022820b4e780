/**
 * The real-server model: what the operator asked for (RealServerSpec) and what
 * the kernel holds right now (Snapshot, read by the edge in system.ts). Every
 * decision is a pure function of these two (settings.ts, problems.ts, plan.ts).
 */

export type RsMode = 'dr' | 'tun' | 'nat';
export type TunType = 'ipip' | 'gue' | 'gre';
export type Family = 4 | 6;

export const RS_MODES: readonly RsMode[] = ['dr', 'tun', 'nat'];
export const TUN_TYPES: readonly TunType[] = ['ipip', 'gue', 'gre'];

export interface Vip {
  /** Canonical text (IPv6 compressed, lower case). */
  readonly address: string;
  readonly family: Family;
}

export interface RealServerSpec {
  readonly mode: RsMode;
  readonly vips: readonly Vip[];
  /** TUN only; default ipip. */
  readonly tunType: TunType;
  /** TUN with GUE only: the UDP port the director sends to (ipvsadm --tun-port). */
  readonly guePort: number | null;
  /** Interfaces that carry LVS traffic; null = every non-loopback interface that is up and does ARP. */
  readonly interfaces: readonly string[] | null;
  /** NAT only: the director's internal VIP that must be the default gateway. */
  readonly gateway: Vip | null;
}

export interface LinkFacts {
  readonly name: string;
  readonly ifindex: number;
  readonly up: boolean;
  readonly loopback: boolean;
  /** IFF_NOARP: tunnels and the like, where ARP settings mean nothing. */
  readonly noarp: boolean;
  readonly mtu: number;
}

export interface AddressFacts {
  readonly ifname: string;
  readonly address: string;
  readonly family: Family;
  readonly prefixLength: number;
  /** IPv6 duplicate address detection failed: the address is unusable. */
  readonly dadFailed: boolean;
}

/** A default route of the main table (0.0.0.0/0 or ::/0). */
export interface DefaultRoute {
  readonly family: Family;
  readonly ifname: string | null;
  readonly gateway: string | null;
  /** RTAX_MTU / RTAX_ADVMSS metrics when set on the route. */
  readonly mtu: number | null;
  readonly advmss: number | null;
}

export interface Snapshot {
  readonly links: readonly LinkFacts[];
  readonly addresses: readonly AddressFacts[];
  readonly defaultRoutes: readonly DefaultRoute[];
  /** Values under /proc/sys by relative path, e.g. "net/ipv4/conf/all/arp_ignore"; absent = no such key. */
  readonly sysctls: Readonly<Record<string, number>>;
  /** UDP ports with a GUE receiver (`ip fou`); empty when not read. */
  readonly fouPorts: readonly number[];
}

/** One thing that is not right, with the command that fixes it. */
export interface Problem {
  /** Stable code: vip-missing, vip-on-traffic-interface, arp-ignore, arp-announce, rp-filter, ... */
  readonly code: string;
  /** What it is about: an interface, a VIP, a sysctl key. */
  readonly subject: string;
  readonly message: string;
  readonly fix: string;
  /**
   * 'warning': works, but not well (tunnel MTU); `up` still succeeds with it,
   * `check` still reports it and exits 1.
   */
  readonly severity: 'error' | 'warning';
}

export function hostPrefix(family: Family): number {
  return family === 4 ? 32 : 128;
}
