/**
 * The `ecmp` section: this director is one of N active directors behind a
 * router's ECMP, and announces its virtual servers' addresses by owning one
 * route per VIP in a routing table and route protocol of its own. A routing
 * daemon (FRR, BIRD) exports that table by BGP (docs/operations.md).
 */
import { duration, int, interfaceName } from './read.js';
import type { MapReader } from './reader.js';
import type { Config, EcmpConfig, VirtualServerConfig, VrrpConfig } from './types.js';
import { managedAddresses } from './values.js';

export const ECMP_DEFAULTS = {
  /** FRR's `ip import-table` takes 1..252: the default stays inside it. */
  routeTable: 240,
  /** Unused by the kernel, FRR (186..198), BIRD (12), Keepalived (18) and iproute2's list. */
  routeProtocol: 240,
  device: 'lo',
  stopGraceMs: 5_000,
  drainQuietMs: 2_000,
  drainTimeoutMs: 60_000,
} as const;

/** Route protocol numbers other software owns (rtnetlink.h, FRR's route_types, Keepalived). */
const FOREIGN_PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [11, 'zebra'], [12, 'bird'], [13, 'dnrouted'], [14, 'xorp'], [15, 'ntk'], [16, 'dhcp'], [17, 'mrouted'],
  [18, 'keepalived'], [42, 'babel'], [99, 'openr'],
  [186, 'bgp (FRR)'], [187, 'isis (FRR)'], [188, 'ospf (FRR)'], [189, 'rip (FRR)'], [190, 'ripng (FRR)'],
  [191, 'nhrp (FRR)'], [192, 'eigrp (FRR)'], [193, 'ldp (FRR)'], [194, 'sharp (FRR)'], [195, 'pbr (FRR)'],
  [196, 'static (FRR)'], [197, 'openfabric (FRR)'], [198, 'srte (FRR)'],
]);

export function readEcmp(m: MapReader | undefined, virtualServers: readonly VirtualServerConfig[], vrrp: VrrpConfig): EcmpConfig | null {
  if (!m) return null;
  const ctx = m.ctx;
  const table = m.optAt('route_table', int(1, 252));
  const protocol = m.optAt('route_protocol', int(5, 255));
  const owner = protocol ? FOREIGN_PROTOCOLS.get(protocol.value) : undefined;
  if (protocol && owner !== undefined) {
    ctx.report(protocol.node, protocol.path, `route protocol ${String(protocol.value)} belongs to ${owner}; lvs-ha needs a number no other program writes routes with (default ${String(ECMP_DEFAULTS.routeProtocol)})`, String(protocol.value));
  }
  const device = m.opt('device', interfaceName) ?? ECMP_DEFAULTS.device;
  const grace = m.opt('stop_grace', duration({ min: 0, max: 600_000 })) ?? ECMP_DEFAULTS.stopGraceMs;
  const quiet = m.opt('drain_quiet', duration({ min: 100, max: 600_000 })) ?? ECMP_DEFAULTS.drainQuietMs;
  const drainTimeout = m.opt('drain_timeout', duration({ min: 1_000, max: 3_600_000 })) ?? ECMP_DEFAULTS.drainTimeoutMs;
  const vrrpVips = new Map<string, string>();
  for (const i of vrrp.instances) for (const a of managedAddresses(i)) vrrpVips.set(a.text, i.name);
  const vips: string[] = [];
  for (const vs of virtualServers) {
    if (vs.key.kind !== 'address') continue;
    const text = vs.key.address.text;
    if (vips.includes(text)) continue;
    vips.push(text);
    const instance = vrrpVips.get(text);
    if (instance !== undefined) {
      ctx.report(m.node, m.path, `virtual server '${vs.name}' (${text}) is announced by ECMP and also a VIP of VRRP instance '${instance}'; an address is either announced by BGP or moved by VRRP, not both`);
    }
  }
  return {
    routeTable: table?.value ?? ECMP_DEFAULTS.routeTable,
    routeProtocol: protocol?.value ?? ECMP_DEFAULTS.routeProtocol,
    device,
    stopGraceMs: grace,
    drainQuietMs: quiet,
    drainTimeoutMs: drainTimeout,
    vips,
  };
}

/** Schedulers whose choice depends only on the packet and the configured real servers, so every director agrees. */
export const ECMP_CONSISTENT_SCHEDULERS: ReadonlySet<string> = new Set(['mh', 'sh', 'dh']);

/**
 * Warnings (not errors: the config works, but flows break when the router
 * moves them) for an ECMP director: a scheduler with per-director state, and
 * sloppy_tcp not set (a director then drops a flow it did not see start).
 */
export function ecmpWarnings(config: Config): string[] {
  if (!config.ecmp) return [];
  const out: string[] = [];
  for (const vs of config.virtualServers) {
    if (vs.key.kind !== 'address') continue;
    if (!ECMP_CONSISTENT_SCHEDULERS.has(vs.scheduler)) {
      out.push(`virtual server '${vs.name}': scheduler ${vs.scheduler} keeps state on each director, so directors disagree on the real server of a flow and connections break when the router moves them (director lost, added or drained); use mh (with mh-port) for ECMP`);
    }
  }
  if (config.ipvs.sysctls.sloppyTcp !== true && config.virtualServers.some((v) => v.key.kind === 'address' && v.key.protocol === 'tcp')) {
    out.push('ipvs.sloppy_tcp is not true: a director drops the packets of a TCP connection it did not see start, so flows the router moves to it break; set ipvs.sloppy_tcp: true for ECMP');
  }
  return out;
}
