/**
 * IPv6 VMAC's part of the owned nftables table: the chain `vmac_out` (filter, output) that keeps
 * the kernel from sending frames with the virtual MAC 00:00:5e:00:02:VRID as source on its own.
 * A switch learns a MAC on the port it last came from: a frame from the BACKUP's VMAC would pull
 * the VIPs' traffic to the backup. The kernel sends, on an IPv6 interface with addresses:
 *
 * - MLD reports (joining ff02::12 and the solicited-node groups of its addresses, again on every
 *   change and query): dropped, as Keepalived's firewall does ("to stop IGMP/MLD/Router-Solicit
 *   packets being sent on VMAC interfaces"). An MLD-snooping switch with a querier then learns no
 *   group on that port from the VMAC (docs/configuration.md `vmac`).
 * - Router solicitations after a link-local is added (accept_ra=0 on the VMAC already stops
 *   them; dropped here too).
 * - Neighbour advertisements for the copied link-local (the advert source, also on the parent):
 *   a private macvlan hears the multicast NS for it and would answer with the virtual MAC. The
 *   parent answers the same NS with its own MAC, so the VMAC's answer is dropped. NAs for the
 *   instance's link-local VIPs are kept (the master answers for them).
 *
 * The chain depends on the config only (every IPv6 instance with a VMAC, whatever its role), so
 * it is in place before the VMAC exists: the director reconciles the table before the VRRP engine
 * starts, and on a reload before the VRRP engine applies the new config. `oifname` matches by name
 * at run time, so the rules load before the VMAC exists.
 */
import type { Config, VrrpInstanceConfig } from '../../config/types.js';
import { isIpv6LinkLocal, managedAddresses } from '../../config/values.js';
import { canonicalAddress } from '../model.js';
import type { NftChainSpec, NftRuleSpec } from './table.js';

export const VMAC_GUARD_CHAIN = 'vmac_out';
/** Keepalived's default chain priority (vrrp_nf_chain_priority), before the usual filters at 0. */
export const VMAC_GUARD_PRIORITY = -1;

function guarded(instance: VrrpInstanceConfig): instance is VrrpInstanceConfig & { vmac: NonNullable<VrrpInstanceConfig['vmac']> } {
  return instance.family === 'ipv6' && instance.vmac !== null;
}

function rulesFor(instance: VrrpInstanceConfig & { vmac: NonNullable<VrrpInstanceConfig['vmac']> }): NftRuleSpec[] {
  const dev = `oifname ${JSON.stringify(instance.vmac.interface)}`;
  const linkLocalVips = managedAddresses(instance).filter(isIpv6LinkLocal).map((v) => canonicalAddress(v.text));
  const keep = linkLocalVips.length > 0 ? ` ip6 saddr != { ${linkLocalVips.join(', ')} }` : '';
  return [
    { id: `vmac ${instance.name} mld rs`, text: `${dev} icmpv6 type { mld-listener-report, mld-listener-done, mld2-listener-report, nd-router-solicit } drop` },
    { id: `vmac ${instance.name} na`, text: `${dev} icmpv6 type nd-neighbor-advert ip6 saddr fe80::/10${keep} drop` },
  ];
}

/** The chain, or null when no IPv6 instance has a VMAC. */
export function vmacGuardChain(config: Config): NftChainSpec | null {
  const rules = config.vrrp.instances.filter(guarded).flatMap(rulesFor);
  if (rules.length === 0) return null;
  return { name: VMAC_GUARD_CHAIN, base: { type: 'filter', hook: 'output', priority: VMAC_GUARD_PRIORITY, policy: 'accept' }, rules };
}
