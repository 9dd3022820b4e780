/**
 * `forwarding: fullnat` and its `fullnat` mapping. FULLNAT rewrites both
 * addresses: IPVS masquerading turns the destination VIP into the real server
 * and lvs-ha's nftables SNAT rule turns the client's source into one of the
 * director's local addresses (LIP). What it needs and costs, which the errors
 * say: the LIPs must be addresses of the director that the real servers can
 * route back to; the real servers see the LIP, not the client.
 */
import { KEYS } from './keys.js';
import { isEmptyList, listOf, map, matching, reportDuplicates } from './read.js';
import type { Ctx, Located, MapReader, Read } from './reader.js';
import type { AddressFamily, FullnatForwarding, IpAddress, VirtualServerKey } from './types.js';
import { familyName } from './values.js';

/** An interface name nftables can match verbatim (written quoted into the SNAT rule). */
const nftInterfaceName = matching(/^[A-Za-z0-9_.-]{1,15}$/, 'an interface name of 1..15 letters, digits, _ . -');

const WHAT = 'the director\'s local addresses (LIP) used as source towards the real servers, which then see the LIP instead of the client\'s address';

/** Reads the `fullnat` mapping of a virtual server whose forwarding is fullnat. */
export function readFullnat(
  m: MapReader,
  key: VirtualServerKey | undefined,
  family: AddressFamily,
  hostAddress: (ctx: Ctx, node: Parameters<Read<IpAddress>>[1], path: string) => IpAddress | undefined,
): FullnatForwarding {
  if (key?.kind === 'fwmark') {
    m.ctx.report(m.nodeFor('forwarding'), m.sub('forwarding'), 'forwarding fullnat needs an address service (address, port, protocol): its SNAT rule matches the connection\'s original destination, which a fwmark service does not name', 'fullnat', 'nat, or an address service');
  }
  if (!m.has('fullnat')) m.missing('fullnat', `forwarding fullnat needs fullnat.local_addresses: ${WHAT}`);
  const fm = m.opt('fullnat', map(KEYS.fullnat));
  if (!fm) return { method: 'fullnat', localAddresses: [], interface: null };
  const listNode = fm.valueNode('local_addresses');
  if (!fm.has('local_addresses')) fm.missing('local_addresses', WHAT);
  const list = fm.opt('local_addresses', listOf(hostAddress)) ?? [];
  if (listNode !== undefined && isEmptyList(listNode)) {
    fm.ctx.report(listNode, fm.sub('local_addresses'), `must list at least one address: ${WHAT}`, 'an empty list');
  }
  reportDuplicates(fm.ctx, list, (a) => a.text, 'local address');
  for (const a of list) {
    if (a.value.family !== family) {
      fm.ctx.report(a.node, a.path, `must be an ${familyName(family)} address like the virtual server (the SNAT rule rewrites the source of the forwarded ${familyName(family)} packets)`, a.value.text);
    }
    if (key?.kind === 'address' && a.value.text === key.address.text) {
      fm.ctx.report(a.node, a.path, 'a local address cannot be the virtual server\'s own address: replies to it would meet the service, not the connection', a.value.text);
    }
  }
  return {
    method: 'fullnat',
    localAddresses: list.map((a) => a.value),
    interface: fm.opt('interface', nftInterfaceName) ?? null,
  };
}

/** A local address that is also a real server's address cannot be told apart from it. */
export function checkFullnatAgainstRealServers(m: MapReader, forwarding: FullnatForwarding, realServers: readonly Located<{ address: IpAddress }>[]): void {
  const lips = new Set(forwarding.localAddresses.map((a) => a.text));
  for (const r of realServers) {
    if (lips.has(r.value.address.text)) {
      m.ctx.report(r.node, r.path, 'a real server cannot be one of the fullnat local addresses (the director\'s own source address)', r.value.address.text);
    }
  }
}
