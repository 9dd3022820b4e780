/**
 * The whole owned table (`inet lvs_ha`) as the config and the VRRP role want
 * it: every feature's chain, from this one function, because the owner
 * (./owner.ts) replaces the table whole. fullnat's SNAT chain (./fullnat.ts)
 * and IPv6 VMAC's output guard (./vmac-guard.ts) depend on the config only;
 * accept_mode's VIP filter (./vip-filter.ts) on which instances are MASTER too.
 */
import type { Config } from '../../config/types.js';
import { fullnatChain } from './fullnat.js';
import type { NftChainSpec, NftTableSpec } from './table.js';
import { vipFilterChain, type MasterInstances } from './vip-filter.js';
import { vmacGuardChain } from './vmac-guard.js';

export function desiredNftTable(config: Config, masters: MasterInstances = new Set()): NftTableSpec {
  const chains = [fullnatChain(config), vipFilterChain(config, masters), vmacGuardChain(config)].filter((c): c is NftChainSpec => c !== null);
  return { chains };
}
