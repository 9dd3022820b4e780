/**
 * VRRP virtual MAC interfaces (RFC 9568 §7.3: 00:00:5e:00:01:VRID for IPv4): a macvlan in private
 * mode on the instance's interface, carrying the VIPs (and, unless xmit_base, the adverts), so the
 * VIPs' MAC moves with them and no neighbour cache has to be corrected.
 *
 * reconcileVmac() reads what exists (a VMAC left by a previous run is kept when it is a macvlan
 * on the same parent with the same MAC), creates what is missing and sets the sysctls; an
 * interface of that name that is anything else is refused, never deleted. The sysctls are those
 * Keepalived sets (vrrp_if_config.c), written through /proc/sys:
 * - on the VMAC: arp_ignore=1 (answer ARP only for addresses on it), accept_local=1, rp_filter=0
 *   (it has no address of the senders' subnet while backup), promote_secondaries=1;
 * - on the parent: arp_ignore=1 and arp_filter=1, so the parent never answers ARP for a VIP with
 *   its own MAC; and arp_announce=2 (not in Keepalived's list): traffic from a VIP may leave
 *   through the parent (its connected route comes first), and the ARP request it needs would
 *   otherwise carry the VIP as sender with the parent's MAC, which every neighbour that is
 *   asked takes into its cache (measured in test/netns/vrrp/vmac.test.ts). The parent's
 *   previous values are returned, to be restored when the last VMAC on it goes.
 * net.ipv4.conf.all.rp_filter wins over the VMAC's own value (the kernel takes the maximum): with
 * it set, adverts on the VMAC are dropped; the reconcile reports it (see docs/configuration.md).
 *
 * An IPv6 VMAC (00:00:5e:00:02:VRID), as Keepalived's vrrp_vmac.c: IPv6 stays on, but the kernel
 * must not make a link-local from the virtual MAC (both routers would get the same one), so
 * IFLA_INET6_ADDR_GEN_MODE is set to none before the link goes up; accept_dad=0 (no DAD probes
 * from the virtual MAC) and accept_ra=0 (no router solicitations, no default route through it).
 * Unless xmit_base, the advert source (the parent's link-local) is added to it, so the kernel
 * accepts that source on a socket sending out of the VMAC. The parent's ARP sysctls are not
 * touched (IPv6 neighbour discovery answers only for addresses of the receiving interface).
 * What the kernel still sends from it (MLD reports, router solicitations, NAs for the copied
 * link-local) is dropped by lvs-ha's nftables table (src/lvs/nft/vmac-guard.ts). The groups the
 * VMAC needs a snooping switch to forward (ff02::12, the VIPs' solicited-node groups) are joined
 * on the parent instead (openGroupMembership), so the parent reports them from its own MAC.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRtNetlink, rt, FlagsNew, type RtNetlinkSocket } from 'netlink';
import { ipv6ToBytes, macToBytes } from './inet.js';
import { addressRequest } from './addresses.js';
import { errnoOf, osError } from './os-errors.js';
import { linux, loadLvshaNet, type LvshaNet } from '../native/lvsha-net.js';
import { ipv6Mreq } from './vrrp-socket.js';

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
const MACVLAN_MODE_PRIVATE = 1;
const NLA_F_NESTED = 0x8000;
const AF_INET6 = 10;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;

/** The RFC virtual MAC of a VRID (IPv4: 00:00:5e:00:01:XX; IPv6: 00:00:5e:00:02:XX). */
export function virtualMac(family: 'ipv4' | 'ipv6', vrid: number): string {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `00:00:5e:00:${family === 'ipv4' ? '01' : '02'}:${hex(vrid)}`;
}


function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return b;
}

/** IFLA_LINKINFO of a private-mode macvlan (pure; unit-tested against the kernel's layout). */
export function macvlanLinkinfo(): Buffer {
  return Buffer.concat([
    attr(IFLA_INFO_KIND, Buffer.from('macvlan\0')),
    attr(IFLA_INFO_DATA | NLA_F_NESTED, attr(IFLA_MACVLAN_MODE, u32(MACVLAN_MODE_PRIVATE))),
  ]);
}

/** IFLA_AF_SPEC's AF_INET6 part that turns off link-local generation (IN6_ADDR_GEN_MODE_NONE). */
export function addrGenModeNone(): Map<number, Buffer> {
  return new Map([[AF_INET6, attr(IFLA_INET6_ADDR_GEN_MODE, Buffer.from([IN6_ADDR_GEN_MODE_NONE]))]]);
}

/** The IFLA_INFO_KIND in a link's IFLA_LINKINFO, if any. */
export function linkKind(linkinfo: Buffer | undefined): string | undefined {
  if (!linkinfo) return undefined;
  let off = 0;
  while (off + 4 <= linkinfo.length) {
    const len = linkinfo.readUInt16LE(off);
    const type = linkinfo.readUInt16LE(off + 2) & ~NLA_F_NESTED;
    if (len < 4) return undefined;
    if (type === IFLA_INFO_KIND) return linkinfo.subarray(off + 4, off + len).toString('utf8').replace(/\0+$/, '');
    off += (len + 3) & ~3;
  }
  return undefined;
}

export interface VmacSpec {
  readonly name: string;
  readonly parentIfindex: number;
  readonly mac: string;
  readonly family: 'ipv4' | 'ipv6';
  /** IPv6: the link-local to put on the VMAC (the advert source); none with xmit_base. */
  readonly linkLocal?: string | undefined;
}

/** The sysctls of an interface that the VMAC changes, as they were. */
export type ParentSysctls = Readonly<Record<string, string>>;

export interface VmacResult {
  readonly ifindex: number;
  readonly created: boolean;
  /** net.ipv4.conf.all.rp_filter is set: adverts arriving on the VMAC will be dropped. */
  readonly allRpFilter: boolean;
}

export class VmacError extends Error {}

type Sysctls = readonly (readonly [string, string])[];
const VMAC_SYSCTLS: Sysctls = [['arp_ignore', '1'], ['accept_local', '1'], ['rp_filter', '0'], ['promote_secondaries', '1']];
const PARENT_SYSCTLS: Sysctls = [['arp_ignore', '1'], ['arp_filter', '1'], ['arp_announce', '2']];
/** IPv6 VMAC: Keepalived sets only arp_ignore on it (IPv4 traffic never uses it). */
const VMAC6_IPV4_SYSCTLS: Sysctls = [['arp_ignore', '1']];
const VMAC6_SYSCTLS: Sysctls = [['disable_ipv6', '0'], ['accept_dad', '0'], ['accept_ra', '0']];

const confPath = (ifname: string, key: string, ip: 'ipv4' | 'ipv6' = 'ipv4'): string => `/proc/sys/net/${ip}/conf/${ifname}/${key}`;

async function setSysctls(ifname: string, settings: Sysctls, ip: 'ipv4' | 'ipv6' = 'ipv4'): Promise<Record<string, string>> {
  const before: Record<string, string> = {};
  for (const [key, value] of settings) {
    const path = confPath(ifname, key, ip);
    try {
      before[key] = (await readFile(path, 'utf8')).trim();
      if (before[key] !== value) await writeFile(path, value);
    } catch (err) {
      throw osError(`set ${path}=${value}`, err);
    }
  }
  return before;
}

async function allRpFilterSet(): Promise<boolean> {
  try {
    return (await readFile('/proc/sys/net/ipv4/conf/all/rp_filter', 'utf8')).trim() !== '0';
  } catch {
    return false;
  }
}

export interface VmacManager {
  /** Make the VMAC exist (up, with its MAC and sysctls); set the parent's sysctls. */
  reconcile(spec: VmacSpec, parentName: string): Promise<VmacResult & { readonly parentBefore: ParentSysctls }>;
  /** Delete the VMAC (absent already is fine). */
  remove(name: string): Promise<void>;
  /** Put the parent's sysctls back. */
  restoreParent(parentName: string, before: ParentSysctls): Promise<void>;
  /** IPv6 multicast memberships on an interface (the VMAC's parent), held by one socket. */
  parentGroups(ifindex: number): GroupMembership;
  close(): void;
}

/** A failed join or leave: the group and the kernel's reason. */
export interface GroupFailure {
  readonly group: string;
  readonly action: 'join' | 'leave';
  readonly err: string;
}

export interface GroupMembership {
  /** Join the listed groups not joined yet, leave the joined ones not listed (a few setsockopt calls). */
  set(groups: readonly string[]): GroupFailure[];
  readonly joined: readonly string[];
  /** Closing the socket leaves every group. */
  close(): void;
}

/**
 * IPv6 multicast memberships on one interface, by ifindex (IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP on
 * a UDP socket that is never bound or read, so it holds no port and receives nothing): the kernel
 * reports them in MLD from that interface's own MAC and answers the queries for them. The native
 * addon, not node:dgram: libuv names the interface as '::%NAME' and an unknown name silently
 * becomes scope 0 (the kernel then picks an interface), and it binds an ephemeral port first.
 */
export function openGroupMembership(ifindex: number, net: LvshaNet = loadLvshaNet()): GroupMembership {
  const fd = net.openSocket(linux.AF_INET6, linux.SOCK_DGRAM, 0);
  const joined = new Set<string>();
  const request = (group: string, action: 'join' | 'leave'): string | null => {
    const bytes = ipv6ToBytes(group);
    if (!bytes) return 'not an IPv6 address';
    try {
      net.setBufferOption(fd, linux.IPPROTO_IPV6, action === 'join' ? linux.IPV6_JOIN_GROUP : linux.IPV6_LEAVE_GROUP, ipv6Mreq(bytes, ifindex));
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
  return {
    set(groups) {
      const failures: GroupFailure[] = [];
      const want = new Set(groups);
      for (const group of [...joined]) {
        if (want.has(group)) continue;
        joined.delete(group);
        const err = request(group, 'leave');
        if (err !== null) failures.push({ group, action: 'leave', err });
      }
      for (const group of want) {
        if (joined.has(group)) continue;
        const err = request(group, 'join');
        if (err === null) joined.add(group);
        else failures.push({ group, action: 'join', err });
      }
      return failures;
    },
    get joined() {
      return [...joined].sort();
    },
    close() {
      joined.clear();
      net.closeFd(fd);
    },
  };
}

export function openVmacManager(): VmacManager {
  const requests: RtNetlinkSocket = createRtNetlink();
  requests.socket.on('error', () => undefined); // errors surface on the requests themselves
  const byName = async (name: string): Promise<rt.LinkMessage | undefined> => {
    try {
      const [msg] = await requests.getLink({}, { ifname: name });
      return msg;
    } catch (err) {
      if (errnoOf(err) === 'ENODEV') return undefined;
      throw osError(`look up interface ${name}`, err);
    }
  };
  return {
    async reconcile(spec, parentName) {
      const mac = macToBytes(spec.mac) ?? Buffer.alloc(6);
      let created = false;
      let link = await byName(spec.name);
      if (link) {
        const kind = linkKind(link.attrs.linkinfo);
        const parent = link.attrs.link?.readUInt32LE(0);
        const hasMac = link.attrs.address !== undefined && Buffer.compare(link.attrs.address, Buffer.from(mac)) === 0;
        if (kind !== 'macvlan' || parent !== spec.parentIfindex) {
          throw new VmacError(`interface ${spec.name} exists and is not a macvlan on ${parentName} (kind ${kind ?? 'unknown'}): not touching it; remove it or set vmac.interface`);
        }
        if (!hasMac) {
          try {
            await requests.setLink({ index: link.data.index ?? 0 }, { address: Buffer.from(mac) });
          } catch (err) {
            throw osError(`set the MAC of ${spec.name} to ${spec.mac}`, err);
          }
        }
      } else {
        try {
          await requests.newLink(
            { flags: {}, change: {} },
            { ifname: spec.name, link: u32(spec.parentIfindex), address: Buffer.from(mac), linkinfo: macvlanLinkinfo() },
            { flags: FlagsNew.CREATE | FlagsNew.EXCL },
          );
        } catch (err) {
          throw osError(`create VMAC ${spec.name} (macvlan on ${parentName}, ${spec.mac})`, err);
        }
        created = true;
        link = await byName(spec.name);
      }
      const ifindex = link?.data.index;
      if (ifindex === undefined) throw new VmacError(`VMAC ${spec.name} vanished right after it was made`);
      let parentBefore: ParentSysctls = {};
      if (spec.family === 'ipv4') {
        await setSysctls(spec.name, VMAC_SYSCTLS);
        // IPv4 VMAC: no IPv6 on it, or both routers' VMACs (same MAC) would get the same link-local,
        // fail DAD against each other and send ND from the virtual MAC while backup.
        try {
          await writeFile(`/proc/sys/net/ipv6/conf/${spec.name}/disable_ipv6`, '1');
        } catch (err) {
          if (errnoOf(err) !== 'ENOENT') throw osError(`disable IPv6 on ${spec.name}`, err);
        }
        parentBefore = await setSysctls(parentName, PARENT_SYSCTLS);
      } else {
        await setSysctls(spec.name, VMAC6_IPV4_SYSCTLS);
        await setSysctls(spec.name, VMAC6_SYSCTLS, 'ipv6');
        // Before the link goes up (the kernel cannot take it with the create request).
        try {
          await requests.setLink({ index: ifindex }, { afSpec: addrGenModeNone() });
        } catch (err) {
          throw osError(`set addr_gen_mode none on ${spec.name}`, err);
        }
      }
      try {
        await requests.setLink({ index: ifindex, flags: { up: true }, change: { up: true } });
      } catch (err) {
        throw osError(`bring VMAC ${spec.name} up`, err);
      }
      if (spec.family === 'ipv6' && spec.linkLocal !== undefined) {
        const { data, attrs } = addressRequest({ ifindex, address: spec.linkLocal, prefixLength: 64 });
        try {
          await requests.newAddress(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL });
        } catch (err) {
          if (errnoOf(err) !== 'EEXIST') throw osError(`add the advert source ${spec.linkLocal} to ${spec.name}`, err);
        }
      }
      const allRpFilter = spec.family === 'ipv4' && (await allRpFilterSet());
      return { ifindex, created, allRpFilter, parentBefore };
    },
    async remove(name) {
      const link = await byName(name);
      if (link?.data.index === undefined) return;
      if (linkKind(link.attrs.linkinfo) !== 'macvlan') return;
      try {
        await requests.delLink({ index: link.data.index });
      } catch (err) {
        if (errnoOf(err) === 'ENODEV') return;
        throw osError(`delete VMAC ${name}`, err);
      }
    },
    async restoreParent(parentName, before) {
      for (const [key, value] of Object.entries(before)) {
        try {
          await writeFile(confPath(parentName, key), value);
        } catch (err) {
          if (errnoOf(err) === 'ENOENT') return; // the parent is gone
          throw osError(`restore ${confPath(parentName, key)}=${value}`, err);
        }
      }
    },
    parentGroups(ifindex) {
      return openGroupMembership(ifindex);
    },
    close() {
      requests.socket.close();
    },
  };
}
