/**
 * The `vrrp` section: instances and sync groups, with the checks that need
 * more than one field (address families, VRID clashes, group membership).
 */
import { isScalar, type Node } from 'yaml';
import { bool, duration, int, interfaceName, ip, isEmptyList, listOf, map, name, oneOf, prefix, reportDuplicates, values } from './read.js';
import { KEYS } from './keys.js';
import type { Ctx, Located, MapReader } from './reader.js';
import { closestMatch } from './suggest.js';
import { readAnnounce, readNotify, readTrack } from './track.js';
import type { AddressFamily, IpAddress, IpPrefix, SyncGroupConfig, VmacConfig, VrrpConfig, VrrpInstanceConfig } from './types.js';
import { familyName, isIpv6LinkLocal, notUnicastReason } from './values.js';

export const VRRP_DEFAULTS = {
  ipv4Checksum: 'rfc5798',
  ipv6Addresses: 'rfc9568',
  realtimePriority: 10,
  priority: 100,
  advertIntervalMs: 1000,
  preempt: true,
  preemptDelayMs: 0,
  /** true: as before accept_mode did anything, and as Keepalived without vrrp_strict (the RFC's default is false). */
  acceptMode: true,
} as const;

/** Most addresses one advert can carry: the count is 8 bits; IPv6 adverts must fit a 1500-byte packet. */
const MAX_ADDRESSES: Readonly<Record<AddressFamily, number>> = { ipv4: 255, ipv6: 89 };
/**
 * Most virtual_addresses_excluded per instance. Not an advert limit (they are not carried): a
 * bound on what one transition adds and announces. An announcement round sends every frame in
 * one synchronous loop in the VRRP isolate: measured about 11 ms for 4096 frames on a veth
 * (0.7 ms for 255), so 1024 keeps a round near 3 ms, well inside a 10 ms advert interval.
 */
export const MAX_EXCLUDED_ADDRESSES = 1024;

export interface VrrpSection {
  readonly config: VrrpConfig;
  /** Names a reference (ipvs_sync.follow) may use: instances and sync groups. */
  readonly instanceNames: ReadonlySet<string>;
  readonly groupNames: ReadonlySet<string>;
  readonly trackedVirtualServers: readonly Located<string>[];
}

interface InstanceRead {
  readonly config: VrrpInstanceConfig;
  readonly nameAt: Located<string> | undefined;
  readonly vridAt: Located<number> | undefined;
  /** virtual_addresses then virtual_addresses_excluded: an address belongs to one instance. */
  readonly addresses: readonly Located<IpPrefix>[];
  readonly tracked: readonly Located<string>[];
  /** Where the instance's vmac is written, with the macvlan's name. */
  readonly vmacAt: Located<string> | undefined;
}

/** Every address must share the instance family (that of its first virtual address). */
function checkFamily(ctx: Ctx, family: AddressFamily, list: readonly Located<IpAddress>[], what: string): void {
  for (const a of list) {
    if (a.value.family !== family) {
      ctx.report(a.node, a.path, `mixed address families in one instance: this ${what} is ${familyName(a.value.family)} but the instance is ${familyName(family)} (the family of its first virtual address)`, a.value.text, `an ${familyName(family)} address`);
    }
  }
}

function checkUnicast(ctx: Ctx, list: readonly Located<IpAddress>[], what: string): void {
  for (const a of list) {
    const reason = notUnicastReason(a.value);
    if (reason !== null) ctx.report(a.node, a.path, `a ${what} must be a unicast host address, not ${reason}`, a.value.text);
  }
}

function readAddresses(m: MapReader): { addresses: Located<IpPrefix>[]; family: AddressFamily } {
  const ctx = m.ctx;
  const addresses = m.req('virtual_addresses', listOf(prefix)) ?? [];
  if (isEmptyList(m.valueNode('virtual_addresses'))) {
    ctx.report(m.nodeFor('virtual_addresses'), m.sub('virtual_addresses'), 'must list at least one virtual address', 'an empty list');
  }
  const family = addresses[0]?.value.family ?? 'ipv4';
  checkFamily(ctx, family, addresses, 'virtual address');
  checkUnicast(ctx, addresses, 'virtual address');
  reportDuplicates(ctx, addresses, (a) => a.text, 'virtual address');
  const max = MAX_ADDRESSES[family];
  if (addresses.length > max) {
    ctx.report(m.nodeFor('virtual_addresses'), m.sub('virtual_addresses'), `at most ${max} ${familyName(family)} virtual addresses fit one advert`, String(addresses.length));
  }
  return { addresses, family };
}

/** virtual_addresses_excluded: the rules of virtual_addresses, but no advert limit. */
function readExcluded(m: MapReader, family: AddressFamily, vips: readonly Located<IpPrefix>[]): Located<IpPrefix>[] {
  const ctx = m.ctx;
  const key = 'virtual_addresses_excluded';
  const excluded = m.opt(key, listOf(prefix)) ?? [];
  if (isEmptyList(m.valueNode(key))) {
    ctx.report(m.nodeFor(key), m.sub(key), 'must list at least one address (omit virtual_addresses_excluded for none)', 'an empty list');
  }
  checkFamily(ctx, family, excluded, 'virtual address');
  checkUnicast(ctx, excluded, 'virtual address');
  reportDuplicates(ctx, excluded, (a) => a.text, 'excluded virtual address');
  const inVips = new Map(vips.map((a) => [a.value.text, a]));
  for (const a of excluded) {
    const vip = inVips.get(a.value.text);
    if (vip) ctx.report(a.node, a.path, `${a.value.text} is also in virtual_addresses (${vip.path}, line ${ctx.loc(vip.node).line}); list an address in one of the two`, a.value.text);
  }
  if (excluded.length > MAX_EXCLUDED_ADDRESSES) {
    ctx.report(m.nodeFor(key), m.sub(key), `at most ${MAX_EXCLUDED_ADDRESSES} excluded virtual addresses per instance`, String(excluded.length));
  }
  return excluded;
}

function readPeers(m: MapReader, family: AddressFamily, addresses: readonly Located<IpPrefix>[]): { peers: IpAddress[]; source: IpAddress | null } {
  const ctx = m.ctx;
  const peers = m.opt('unicast_peers', listOf(ip)) ?? [];
  checkFamily(ctx, family, peers, 'unicast peer');
  checkUnicast(ctx, peers, 'unicast peer');
  reportDuplicates(ctx, peers, (a) => a.text, 'unicast peer');
  const vips = new Set(addresses.map((a) => a.value.text));
  for (const p of peers) {
    if (vips.has(p.value.text)) ctx.report(p.node, p.path, 'a unicast peer cannot be one of the virtual addresses', p.value.text);
  }
  const source = m.optAt('unicast_source', ip);
  if (source) {
    checkFamily(ctx, family, [source], 'unicast source');
    checkUnicast(ctx, [source], 'unicast source');
    if (peers.length === 0) ctx.report(m.keyNode('unicast_source') ?? source.node, source.path, 'unicast_source needs unicast_peers (without peers adverts are multicast)');
    if (peers.some((p) => p.value.text === source.value.text)) ctx.report(source.node, source.path, 'unicast_source cannot also be a unicast peer', source.value.text);
  }
  return { peers: values(peers), source: source?.value ?? null };
}

/**
 * allowed_peers: in multicast mode, the only sources whose adverts are heard. Unicast instances
 * already hear only their unicast_peers, so setting both is refused rather than merged.
 */
function readAllowedPeers(m: MapReader, family: AddressFamily, hasUnicastPeers: boolean): IpAddress[] {
  const ctx = m.ctx;
  const allowed = m.opt('allowed_peers', listOf(ip)) ?? [];
  if (isEmptyList(m.valueNode('allowed_peers'))) {
    ctx.report(m.nodeFor('allowed_peers'), m.sub('allowed_peers'), 'must list at least one address (omit allowed_peers to hear adverts from any source)', 'an empty list');
  }
  if (hasUnicastPeers && m.keyNode('allowed_peers')) {
    ctx.report(m.keyNode('allowed_peers') ?? m.nodeFor('allowed_peers'), m.sub('allowed_peers'), 'allowed_peers is for multicast mode; with unicast_peers the instance already hears only its unicast peers: remove allowed_peers (or list the sources in unicast_peers)');
  }
  checkFamily(ctx, family, allowed, 'allowed peer');
  checkUnicast(ctx, allowed, 'allowed peer');
  reportDuplicates(ctx, allowed, (a) => a.text, 'allowed peer');
  for (const a of allowed) {
    if (a.value.family === 'ipv6' && family === 'ipv6' && !isIpv6LinkLocal(a.value)) {
      ctx.report(a.node, a.path, 'IPv6 adverts come from the sender\'s link-local address, so an allowed peer must be in fe80::/10', a.value.text, 'a link-local address');
    }
  }
  return values(allowed);
}

/** The default VMAC interface name, as Keepalived's: vrrp.VRID (IPv6: vrrp6.VRID). */
export function defaultVmacName(family: AddressFamily, vrid: number): string {
  return `${family === 'ipv4' ? 'vrrp' : 'vrrp6'}.${String(vrid)}`;
}

/** `vmac: true`, or `vmac: { interface, xmit_base }` (Keepalived's use_vmac / vmac_xmit_base). */
function readVmac(m: MapReader, family: AddressFamily, vrid: number, iface: string | undefined, unicast: boolean): VmacConfig | null {
  // Both families: IPv6 (00:00:5e:00:02:VRID) also needs nftables (src/lvs/nft/vmac-guard.ts).
  const ctx = m.ctx;
  const node = m.valueNode('vmac');
  if (!node) return null;
  let vmac: VmacConfig | null;
  if (isScalar(node) && typeof node.value === 'boolean') {
    vmac = node.value ? { interface: defaultVmacName(family, vrid), xmitBase: false } : null;
  } else {
    const v = m.opt('vmac', map(KEYS.vmac));
    if (!v) return null;
    vmac = { interface: v.opt('interface', interfaceName) ?? defaultVmacName(family, vrid), xmitBase: v.opt('xmit_base', bool) ?? false };
  }
  if (!vmac) return null;
  if (vmac.interface === iface) {
    ctx.report(node, m.sub('vmac'), `the VMAC interface must not be the instance's own interface ${vmac.interface}`, ctx.describe(node));
    return null;
  }
  if (unicast && !vmac.xmitBase) {
    ctx.report(node, m.sub('vmac'), 'with unicast_peers the adverts must go out of the parent interface: set vmac.xmit_base: true (as Keepalived requires vmac_xmit_base with unicast peers)', ctx.describe(node));
  }
  return vmac;
}

function readInstance(ctx: Ctx, node: Node, path: string): InstanceRead | undefined {
  const m = map(KEYS.instance)(ctx, node, path);
  if (!m) return undefined;
  const nameAt = m.reqAt('name', name);
  const iface = m.req('interface', interfaceName);
  const vridAt = m.reqAt('vrid', int(1, 255));
  const priority = m.opt('priority', int(1, 255)) ?? VRRP_DEFAULTS.priority;
  const advertIntervalMs = m.opt('advert_interval', duration({ min: 10, max: 40_950, step: 10 })) ?? VRRP_DEFAULTS.advertIntervalMs;
  const preempt = m.opt('preempt', bool) ?? VRRP_DEFAULTS.preempt;
  const preemptDelayMs = m.opt('preempt_delay', duration({ min: 0, max: 3_600_000 })) ?? VRRP_DEFAULTS.preemptDelayMs;
  const acceptMode = m.opt('accept_mode', bool) ?? VRRP_DEFAULTS.acceptMode;
  const { addresses, family } = readAddresses(m);
  const excluded = readExcluded(m, family, addresses);
  const { peers, source } = readPeers(m, family, [...addresses, ...excluded]);
  const allowedPeers = readAllowedPeers(m, family, peers.length > 0);
  const track = readTrack(m.opt('track', map(KEYS.track)));
  const announce = readAnnounce(m.opt('announce', map(KEYS.announce)));
  const notify = readNotify(m.opt('notify', map(KEYS.notify)));
  const vmac = readVmac(m, family, vridAt?.value ?? 0, iface, peers.length > 0);
  if (!preempt && priority === 255) {
    ctx.report(m.nodeFor('preempt'), m.sub('preempt'), 'the address owner (priority 255) always preempts; preempt: false contradicts priority 255');
  }
  if (!acceptMode && priority === 255) {
    ctx.report(m.nodeFor('accept_mode'), m.sub('accept_mode'), 'the address owner (priority 255) always accepts traffic to its VIPs (RFC 9568 6.4.3); accept_mode: false contradicts priority 255');
  }
  if (!preempt && preemptDelayMs > 0) {
    ctx.report(m.nodeFor('preempt_delay'), m.sub('preempt_delay'), 'preempt_delay has no effect with preempt: false; remove one of them', ctx.describe(m.nodeFor('preempt_delay')));
  }
  const config: VrrpInstanceConfig = {
    name: nameAt?.value ?? '',
    interface: iface ?? '',
    vrid: vridAt?.value ?? 0,
    family,
    priority,
    advertIntervalMs,
    preempt,
    preemptDelayMs,
    acceptMode,
    unicastPeers: peers,
    unicastSource: source,
    allowedPeers,
    virtualAddresses: values(addresses),
    excludedAddresses: values(excluded),
    track: track.track,
    announce,
    notify,
    vmac,
  };
  const vmacNode = m.valueNode('vmac');
  const vmacAt = vmac && vmacNode ? { value: vmac.interface, node: vmacNode, path: m.sub('vmac') } : undefined;
  return { config, nameAt, vridAt, addresses: [...addresses, ...excluded], tracked: track.virtualServerRefs, vmacAt };
}

/** VRIDs are per interface and per family; an address belongs to one instance only. */
function checkInstancesTogether(ctx: Ctx, list: readonly InstanceRead[]): void {
  reportDuplicates(ctx, list.flatMap((i) => (i.nameAt ? [i.nameAt] : [])), (n) => n, 'instance name');
  const vrids = list.flatMap((i) =>
    i.vridAt && i.config.interface !== ''
      ? [{ ...i.vridAt, value: `${i.vridAt.value} on ${i.config.interface} (${familyName(i.config.family)})` }]
      : [],
  );
  reportDuplicates(ctx, vrids, (v) => v, 'VRID');
  // Two instances cannot share one macvlan: its MAC is per family and VRID.
  reportDuplicates(ctx, list.flatMap((i) => (i.vmacAt ? [i.vmacAt] : [])), (n) => n, 'VMAC interface');
  const owner = new Map<string, { instance: InstanceRead; at: Located<IpPrefix> }>();
  for (const instance of list) {
    for (const a of instance.addresses) {
      const first = owner.get(a.value.text);
      if (!first) {
        owner.set(a.value.text, { instance, at: a });
      } else if (first.instance !== instance) {
        const where = `line ${ctx.loc(first.at.node).line}, ${first.at.path}`;
        ctx.report(a.node, a.path, `virtual address ${a.value.text} is already in instance '${first.instance.config.name}' (${where}); an address belongs to one instance`);
      }
    }
  }
}

function readSyncGroup(ctx: Ctx, node: Node, path: string): { nameAt: Located<string> | undefined; members: Located<string>[] } | undefined {
  const m = map(KEYS.syncGroup)(ctx, node, path);
  if (!m) return undefined;
  const nameAt = m.reqAt('name', name);
  const members = m.req('instances', listOf(name)) ?? [];
  if (isEmptyList(m.valueNode('instances'))) {
    ctx.report(m.nodeFor('instances'), m.sub('instances'), 'a sync group needs at least one instance', 'an empty list');
  }
  reportDuplicates(ctx, members, (n) => n, 'member');
  return { nameAt, members };
}

function readSyncGroups(m: MapReader, instanceNames: ReadonlySet<string>): { groups: SyncGroupConfig[]; names: Set<string> } {
  const ctx = m.ctx;
  const raw = m.opt('sync_groups', listOf(readSyncGroup)) ?? [];
  const reads = values(raw);
  reportDuplicates(ctx, reads.flatMap((g) => (g.nameAt ? [g.nameAt] : [])), (n) => n, 'sync group name');
  const memberOf = new Map<string, { at: Located<string>; group: number }>();
  const known = [...instanceNames];
  reads.forEach((g, index) => {
    if (g.nameAt && instanceNames.has(g.nameAt.value)) {
      ctx.report(g.nameAt.node, g.nameAt.path, `sync group name '${g.nameAt.value}' is also an instance name; names must be distinct so references are unambiguous`);
    }
    for (const member of g.members) {
      if (!instanceNames.has(member.value)) {
        const guess = closestMatch(member.value, known);
        const hint = guess === null ? ` (instances: ${known.join(', ') || 'none'})` : `; did you mean '${guess}'?`;
        ctx.report(member.node, member.path, `unknown VRRP instance '${member.value}'${hint}`, `'${member.value}'`, 'the name of a VRRP instance');
        continue;
      }
      const earlier = memberOf.get(member.value);
      if (!earlier) {
        memberOf.set(member.value, { at: member, group: index });
      } else if (earlier.group !== index) {
        ctx.report(member.node, member.path, `instance '${member.value}' is already in another sync group (${earlier.at.path}); an instance belongs to at most one`);
      }
    }
  });
  const groups = reads.map((g) => ({ name: g.nameAt?.value ?? '', instances: [...new Set(values(g.members))] }));
  return { groups, names: new Set(groups.map((g) => g.name).filter((n) => n !== '')) };
}

export function readVrrp(m: MapReader | undefined): VrrpSection {
  if (!m) {
    const config: VrrpConfig = { ipv4Checksum: VRRP_DEFAULTS.ipv4Checksum, ipv6Addresses: VRRP_DEFAULTS.ipv6Addresses, realtimePriority: VRRP_DEFAULTS.realtimePriority, instances: [], syncGroups: [] };
    return { config, instanceNames: new Set(), groupNames: new Set(), trackedVirtualServers: [] };
  }
  const ipv4Checksum = m.opt('ipv4_checksum', oneOf(['rfc9568', 'rfc5798'] as const)) ?? VRRP_DEFAULTS.ipv4Checksum;
  const ipv6Addresses = m.opt('ipv6_addresses', oneOf(['rfc9568', 'keepalived'] as const)) ?? VRRP_DEFAULTS.ipv6Addresses;
  const realtimePriority = m.opt('realtime_priority', int(0, 99)) ?? VRRP_DEFAULTS.realtimePriority;
  const instances = values(m.opt('instances', listOf(readInstance)));
  checkInstancesTogether(m.ctx, instances);
  const instanceNames = new Set(instances.flatMap((i) => (i.nameAt ? [i.nameAt.value] : [])));
  const { groups, names } = readSyncGroups(m, instanceNames);
  return {
    config: { ipv4Checksum, ipv6Addresses, realtimePriority, instances: instances.map((i) => i.config), syncGroups: groups },
    instanceNames,
    groupNames: names,
    trackedVirtualServers: instances.flatMap((i) => i.tracked),
  };
}
