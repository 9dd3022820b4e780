/**
 * accept_mode's part of the owned nftables table: the chain `vip_filter`
 * (filter, input) that drops traffic to the VIPs of a non-owner master whose
 * instance has `accept_mode: false` (RFC 9568 section 6.4.3: such a master
 * must not accept packets addressed to the VIPs), except what the director is
 * there for and what the protocols need:
 *
 * - served by IPVS: IPVS schedules at NF_INET_LOCAL_IN priority 99, after this
 *   chain (priority -1), so "served" is decided from the config, not from what
 *   IPVS did: a packet to a virtual server's address, protocol and port (any
 *   port for port 0), or carrying a fwmark service's mark, is accepted whatever
 *   the real servers' health (IPVS answers for a service without destinations).
 * - VRRP adverts (IP protocol 112), ICMP errors (destination unreachable, time
 *   exceeded, parameter problem; ICMPv6 also packet too big) that IPVS relays
 *   to its connections and path MTU discovery needs, and IPv6 neighbour
 *   solicitations/advertisements (unicast NUD probes are addressed to the VIP).
 *   ARP is not IP: an inet table never sees it.
 * - everything else addressed to those VIPs (ping, a local sshd on the VIP, a
 *   TCP port no virtual server has) is dropped.
 *
 * The chain follows the VRRP role: it exists while at least one such instance
 * is MASTER; the address owner (priority 255) always accepts (as the RFC and
 * Keepalived). Accept rules end this chain only: other tables' chains still
 * decide on their own. No conntrack match is used, so a DR director does not
 * start tracking connections because of this chain.
 */
import type { Config, VirtualServerConfig, VrrpInstanceConfig } from '../../config/types.js';
import { managedAddresses } from '../../config/values.js';
import { canonicalAddress } from '../model.js';
import type { NftChainSpec, NftRuleSpec } from './table.js';

export const VIP_FILTER_CHAIN = 'vip_filter';
/** Before the filter chains at 0 and well before IPVS (LOCAL_IN, 99). */
export const VIP_FILTER_PRIORITY = -1;
/** RFC 9568's address owner: it always accepts. */
const OWNER_PRIORITY = 255;

/** Which instances are MASTER now (the director's view of the VRRP transitions). */
export type MasterInstances = ReadonlySet<string>;

/** Whether this instance, while MASTER, drops traffic to its VIPs that is not served. */
export function filtersVips(instance: VrrpInstanceConfig): boolean {
  return !instance.acceptMode && instance.priority !== OWNER_PRIORITY && managedAddresses(instance).length > 0;
}

/** The instances whose VIPs are filtered now, sorted (also the key that says when the chain changes). */
export function filteredInstances(config: Config, masters: MasterInstances): string[] {
  return config.vrrp.instances.filter((i) => masters.has(i.name) && filtersVips(i)).map((i) => i.name).sort();
}

function servedRule(vs: VirtualServerConfig, vips: ReadonlyMap<string, 'ipv4' | 'ipv6'>): NftRuleSpec | null {
  const key = vs.key;
  if (key.kind === 'fwmark') {
    if (![...vips.values()].includes(key.family)) return null;
    return { id: `served ${vs.name}`, text: `meta nfproto ${key.family} meta mark ${String(key.fwmark)} accept` };
  }
  if (!vips.has(canonicalAddress(key.address.text))) return null;
  const ipKw = key.address.family === 'ipv6' ? 'ip6' : 'ip';
  const port = key.port === 0 ? '' : ` th dport ${String(key.port)}`;
  return { id: `served ${vs.name}`, text: `${ipKw} daddr ${canonicalAddress(key.address.text)} meta l4proto ${key.protocol}${port} accept` };
}

/** The chain, or null when no instance filters now. */
export function vipFilterChain(config: Config, masters: MasterInstances): NftChainSpec | null {
  const names = new Set(filteredInstances(config, masters));
  const vips = new Map<string, 'ipv4' | 'ipv6'>();
  for (const i of config.vrrp.instances) {
    if (names.has(i.name)) for (const a of managedAddresses(i)) vips.set(canonicalAddress(a.text), a.family);
  }
  if (vips.size === 0) return null;
  const v4 = [...vips].filter(([, f]) => f === 'ipv4').map(([a]) => a);
  const v6 = [...vips].filter(([, f]) => f === 'ipv6').map(([a]) => a);
  const rules: NftRuleSpec[] = [{ id: 'vrrp adverts', text: 'meta l4proto 112 accept' }];
  if (v4.length > 0) rules.push({ id: 'icmp errors', text: 'icmp type { destination-unreachable, time-exceeded, parameter-problem } accept' });
  if (v6.length > 0) {
    rules.push({
      id: 'icmpv6 errors and nd',
      text: 'icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, nd-neighbor-solicit, nd-neighbor-advert } accept',
    });
  }
  for (const vs of config.virtualServers) {
    const r = servedRule(vs, vips);
    if (r) rules.push(r);
  }
  if (v4.length > 0) rules.push({ id: 'drop ipv4 vips', text: `ip daddr { ${v4.join(', ')} } drop` });
  if (v6.length > 0) rules.push({ id: 'drop ipv6 vips', text: `ip6 daddr { ${v6.join(', ')} } drop` });
  return { name: VIP_FILTER_CHAIN, base: { type: 'filter', hook: 'input', priority: VIP_FILTER_PRIORITY, policy: 'accept' }, rules };
}
