/**
 * VIP ownership and interface facts over rtnetlink (the `netlink` package).
 *
 * - add/remove an address idempotently (EEXIST on add and EADDRNOTAVAIL on
 *   remove mean "already so" and are success); IPv6 with IFA_F_NODAD so the
 *   address is usable at once;
 * - list an interface's addresses; look up index, MAC, primary IPv4 and
 *   IPv6 link-local;
 * - watch address events (RTNLGRP_IPV4_IFADDR / RTNLGRP_IPV6_IFADDR) so the
 *   runner can put a VIP back when something else removes it.
 */
import { createRtNetlink, FlagsNew, rt, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';
import { errnoOf, osError } from './os-errors.js';
import { bytesToIpv4, bytesToIpv6, formatMac, ipToBytes, familyOf, isIpv6LinkLocal, type IpFamily } from './inet.js';
import { Listeners } from './listeners.js';

const AF_INET = 2;
const AF_INET6 = 10;

export interface InterfaceAddress {
  readonly ifindex: number;
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
  /** IPv4: IFA_F_SECONDARY. */
  readonly secondary: boolean;
  readonly scope: number;
}

export interface InterfaceInfo {
  readonly ifindex: number;
  readonly name: string;
  /** "aa:bb:cc:dd:ee:ff", or null for interfaces without one. */
  readonly mac: string | null;
  readonly up: boolean;
  readonly running: boolean;
  readonly lowerUp: boolean;
}

export interface AddressEvent {
  readonly kind: 'added' | 'removed';
  readonly address: InterfaceAddress;
}

export interface VipSpec {
  readonly ifindex: number;
  readonly address: string;
  readonly prefixLength: number;
}

export type AddressChange = 'added' | 'already-present' | 'removed' | 'already-absent';

export interface AddressManager {
  addAddress(vip: VipSpec): Promise<AddressChange>;
  removeAddress(vip: VipSpec): Promise<AddressChange>;
  listAddresses(ifindex: number, family?: IpFamily): Promise<InterfaceAddress[]>;
  interfaceByName(name: string): Promise<InterfaceInfo | undefined>;
  /** The first non-secondary IPv4 address (the VRRP source address), if any. */
  primaryIpv4(ifindex: number): Promise<string | undefined>;
  /** The first fe80::/10 address, if any. */
  linkLocalIpv6(ifindex: number): Promise<string | undefined>;
  /** Address added/removed notifications (any interface; filter by ifindex). */
  onAddressEvent(listener: (event: AddressEvent) => void): () => void;
  /**
   * Socket errors after open. ENOBUFS on the event socket means events were
   * lost: re-read the addresses (listAddresses) and reconcile.
   */
  onError(listener: (err: Error) => void): () => void;
  close(): void;
}

export function toInterfaceAddress(msg: rt.AddressMessage): InterfaceAddress | undefined {
  const { data, attrs } = msg;
  const bytes = data.family === AF_INET ? (attrs.local ?? attrs.address) : attrs.address;
  if (!bytes || data.index === undefined) return undefined;
  if (data.family === AF_INET && bytes.length === 4) {
    return {
      ifindex: data.index,
      family: 4,
      address: bytesToIpv4(bytes),
      prefixLength: data.prefixlen ?? 32,
      secondary: data.flags?.secondary === true || attrs.flags?.secondary === true,
      scope: data.scope ?? 0,
    };
  }
  if (data.family === AF_INET6 && bytes.length === 16) {
    return {
      ifindex: data.index,
      family: 6,
      address: bytesToIpv6(bytes),
      prefixLength: data.prefixlen ?? 128,
      secondary: false,
      scope: data.scope ?? 0,
    };
  }
  return undefined;
}

export function toInterfaceInfo(msg: rt.LinkMessage): InterfaceInfo | undefined {
  const { data, attrs } = msg;
  if (data.index === undefined || attrs.ifname === undefined) return undefined;
  const mac = attrs.address?.length === 6 ? formatMac(attrs.address) : null;
  return {
    ifindex: data.index,
    name: attrs.ifname,
    mac,
    up: data.flags?.up === true,
    running: data.flags?.running === true,
    lowerUp: data.flags?.lowerUp === true,
  };
}

export function addressRequest(vip: VipSpec): { data: rt.Address; attrs: rt.AddressAttrs; family: IpFamily } {
  const family = familyOf(vip.address);
  const bytes = ipToBytes(vip.address);
  if (!family || !bytes) throw osError('address', new Error(`invalid address ${vip.address}`));
  const data: rt.Address = {
    family: family === 4 ? AF_INET : AF_INET6,
    prefixlen: vip.prefixLength,
    index: vip.ifindex,
    scope: 0,
    ...(family === 6 ? { flags: { nodad: true } } : {}),
  };
  const attrs: rt.AddressAttrs = family === 4 ? { local: bytes, address: bytes } : { address: bytes };
  return { data, attrs, family };
}

function parseEvent(msg: NetlinkMessage): AddressEvent | undefined {
  const kind =
    msg.type === (rt.MessageType.NEWADDR as number)
      ? 'added'
      : msg.type === (rt.MessageType.DELADDR as number)
        ? 'removed'
        : undefined;
  if (!kind) return undefined;
  try {
    const address = toInterfaceAddress(rt.parseAddressMessage(msg.data));
    return address ? { kind, address } : undefined;
  } catch {
    return undefined;
  }
}

/** Open the manager: one request socket, and one event socket created on the first subscription. */
export function openAddressManager(): AddressManager {
  const requests: RtNetlinkSocket = createRtNetlink();
  const events = new Listeners<AddressEvent>();
  const errors = new Listeners<Error>();
  let watcher: RtNetlinkSocket | undefined;
  requests.socket.on('error', (err) => {
    errors.emit(osError('address requests', err));
  });

  const startWatcher = (): void => {
    if (watcher) return;
    watcher = createRtNetlink();
    watcher.addMembership(rt.MulticastGroups.IPV4_IFADDR);
    watcher.addMembership(rt.MulticastGroups.IPV6_IFADDR);
    watcher.socket.on('error', (err) => {
      errors.emit(osError('address events', err));
    });
    watcher.socket.on('message', (msgs) => {
      for (const msg of msgs) {
        const event = parseEvent(msg);
        if (event) events.emit(event);
      }
    });
  };

  const list = async (ifindex: number, family?: IpFamily): Promise<InterfaceAddress[]> => {
    const msgs = await requests.getAddresses(family ? { family: family === 4 ? AF_INET : AF_INET6 } : {});
    return msgs
      .map(toInterfaceAddress)
      .filter((a): a is InterfaceAddress => a?.ifindex === ifindex && (!family || a.family === family));
  };

  return {
    async addAddress(vip) {
      const { data, attrs } = addressRequest(vip);
      try {
        await requests.newAddress(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL });
        return 'added';
      } catch (err) {
        if (errnoOf(err) === 'EEXIST') return 'already-present';
        throw osError(`add address ${vip.address}/${String(vip.prefixLength)} on ifindex ${String(vip.ifindex)}`, err);
      }
    },
    async removeAddress(vip) {
      const { data, attrs, family } = addressRequest(vip);
      // IPv4: match on IFA_LOCAL only, so a VIP added with another prefix still goes.
      const match: rt.AddressAttrs = family === 4 && attrs.local ? { local: attrs.local } : attrs;
      try {
        await requests.delAddress(family === 4 ? { ...data, prefixlen: 0 } : data, match);
        return 'removed';
      } catch (err) {
        if (errnoOf(err) === 'EADDRNOTAVAIL') return 'already-absent';
        throw osError(`remove address ${vip.address} on ifindex ${String(vip.ifindex)}`, err);
      }
    },
    listAddresses: list,
    async interfaceByName(name) {
      const links = await requests.getLinks();
      return links.map(toInterfaceInfo).find((l) => l?.name === name);
    },
    async primaryIpv4(ifindex) {
      return (await list(ifindex, 4)).find((a) => !a.secondary)?.address;
    },
    async linkLocalIpv6(ifindex) {
      const all = await list(ifindex, 6);
      return all.find((a) => isIpv6LinkLocal(ipToBytes(a.address) ?? Buffer.alloc(16)))?.address;
    },
    onAddressEvent(listener) {
      startWatcher();
      return events.add(listener);
    },
    onError: (listener) => errors.add(listener),
    close() {
      requests.socket.close();
      watcher?.socket.close();
      watcher = undefined;
    },
  };
}
