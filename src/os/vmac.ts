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
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRtNetlink, rt, FlagsNew, type RtNetlinkSocket } from 'netlink';
import { macToBytes } from './inet.js';
import { errnoOf, osError } from './os-errors.js';

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
const MACVLAN_MODE_PRIVATE = 1;
const NLA_F_NESTED = 0x8000;

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

const VMAC_SYSCTLS: readonly (readonly [string, string])[] = [['arp_ignore', '1'], ['accept_local', '1'], ['rp_filter', '0'], ['promote_secondaries', '1']];
const PARENT_SYSCTLS: readonly (readonly [string, string])[] = [['arp_ignore', '1'], ['arp_filter', '1'], ['arp_announce', '2']];

const confPath = (ifname: string, key: string): string => `/proc/sys/net/ipv4/conf/${ifname}/${key}`;

async function setSysctls(ifname: string, settings: readonly (readonly [string, string])[]): Promise<Record<string, string>> {
  const before: Record<string, string> = {};
  for (const [key, value] of settings) {
    const path = confPath(ifname, key);
    try {
      before[key] = (await readFile(path, 'utf8')).trim();
      if (before[key] !== value) await writeFile(path, value);
    } catch (err) {
      throw osError(`set ${path}=${value}`, err);
    }
  }
  return before;
}

export interface VmacManager {
  /** Make the VMAC exist (up, with its MAC and sysctls); set the parent's sysctls. */
  reconcile(spec: VmacSpec, parentName: string): Promise<VmacResult & { readonly parentBefore: ParentSysctls }>;
  /** Delete the VMAC (absent already is fine). */
  remove(name: string): Promise<void>;
  /** Put the parent's sysctls back. */
  restoreParent(parentName: string, before: ParentSysctls): Promise<void>;
  close(): void;
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
      await setSysctls(spec.name, VMAC_SYSCTLS);
      // IPv4 VMAC: no IPv6 on it, or both routers' VMACs (same MAC) would get the same link-local,
      // fail DAD against each other and send ND from the virtual MAC while backup.
      try {
        await writeFile(`/proc/sys/net/ipv6/conf/${spec.name}/disable_ipv6`, '1');
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') throw osError(`disable IPv6 on ${spec.name}`, err);
      }
      const parentBefore = await setSysctls(parentName, PARENT_SYSCTLS);
      try {
        await requests.setLink({ index: ifindex, flags: { up: true }, change: { up: true } });
      } catch (err) {
        throw osError(`bring VMAC ${spec.name} up`, err);
      }
      let allRpFilter = false;
      try {
        allRpFilter = (await readFile('/proc/sys/net/ipv4/conf/all/rp_filter', 'utf8')).trim() !== '0';
      } catch {
        allRpFilter = false;
      }
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
    close() {
      requests.socket.close();
    },
  };
}
