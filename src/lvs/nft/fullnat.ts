/**
 * FULLNAT's part of the owned nftables table: one source-NAT rule per
 * fullnat virtual server, in the base chain `fullnat_snat` (nat,
 * postrouting, priority srcnat).
 *
 * How it works on a mainline kernel: IPVS masquerades (destination VIP ->
 * real server) and, with net.ipv4.vs.conntrack=1, keeps the connection's
 * conntrack entry, whose original tuple still names the VIP. The rule matches
 * that original destination (VIP, port, protocol) and the real servers as
 * the packet's new destination, and rewrites the source to a local address
 * (LIP). Replies come back to the LIP; conntrack undoes the SNAT and IPVS the
 * masquerading. Matching the original destination keeps the director's own
 * traffic to the real servers (health checks) untouched.
 *
 * The rule names every configured real server (and the sorry server)
 * whatever its health, so health changes never touch nftables.
 */
import type { Config, FullnatForwarding, VirtualServerConfig } from '../../config/types.js';
import type { NftChainSpec, NftRuleSpec } from './table.js';

export const FULLNAT_CHAIN = 'fullnat_snat';
/** NF_IP_PRI_NAT_SRC, nft's `srcnat`. */
export const SRCNAT_PRIORITY = 100;

function snatTarget(f: FullnatForwarding, ipKw: string): string {
  const lips = f.localAddresses.map((a) => a.text);
  if (lips.length === 1) return `snat ${ipKw} to ${lips[0] ?? ''}`;
  // Each new connection takes the next LIP (the choice is made once, on its first packet).
  const map = lips.map((a, i) => `${String(i)} : ${a}`).join(', ');
  return `snat ${ipKw} to numgen inc mod ${String(lips.length)} map { ${map} }`;
}

/** The SNAT rule of one fullnat virtual server (null for other kinds). */
export function fullnatRule(vs: VirtualServerConfig): NftRuleSpec | null {
  const f = vs.forwarding;
  if (f.method !== 'fullnat' || vs.key.kind !== 'address' || f.localAddresses.length === 0) return null;
  const ipKw = vs.key.address.family === 'ipv6' ? 'ip6' : 'ip';
  const dests = [...new Set([...vs.realServers.map((r) => r.address.text), ...(vs.sorryServer ? [vs.sorryServer.address.text] : [])])];
  const parts = [
    `meta l4proto ${vs.key.protocol}`,
    `ct original ${ipKw} daddr ${vs.key.address.text}`,
    ...(vs.key.port === 0 ? [] : [`ct original proto-dst ${String(vs.key.port)}`]),
    `${ipKw} daddr { ${dests.join(', ')} }`,
    ...(f.interface === null ? [] : [`oifname "${f.interface}"`]),
    snatTarget(f, ipKw),
  ];
  return { id: `fullnat ${vs.name}`, text: parts.join(' ') };
}

/** The SNAT chain, or null when no virtual server is fullnat. */
export function fullnatChain(config: Config): NftChainSpec | null {
  const rules = config.virtualServers.map(fullnatRule).filter((r): r is NftRuleSpec => r !== null);
  if (rules.length === 0) return null;
  return { name: FULLNAT_CHAIN, base: { type: 'nat', hook: 'postrouting', priority: SRCNAT_PRIORITY, policy: 'accept' }, rules };
}

/** Whether IPVS must keep conntrack entries (net.ipv4.vs.conntrack=1) for this config. */
export function needsIpvsConntrack(config: Config): boolean {
  return config.virtualServers.some((vs) => vs.forwarding.method === 'fullnat');
}
