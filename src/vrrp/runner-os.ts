/**
 * The OS side of the VRRP engine, behind one interface so the engine can be driven by fakes:
 * rtnetlink addresses and link events, the AF_PACKET announcement sender and the VRRP transports.
 * openRunnerOs() opens the real ones; the native addon is loaded only when an IPv6 transport or
 * the packet sender needs it.
 */
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { loadLvshaNet, type LvshaNet } from '../native/lvsha-net.js';
import { openAddressManager, type AddressManager } from '../os/addresses.js';
import type { FrameSender } from '../os/announce.js';
import { openPacketSender, type PacketSender } from '../os/announce-socket.js';
import { openLinkWatcher, type LinkWatcher } from '../os/links.js';
import { openVrrpTransportIpv4 } from '../os/vrrp-socket-ipv4.js';
import { openVrrpTransportIpv6 } from '../os/vrrp-socket-ipv6.js';
import type { VrrpTransport, VrrpTransportOptions } from '../os/vrrp-socket.js';
import type { AddressFamily } from '../config/types.js';

export interface RunnerOs {
  readonly addresses: AddressManager;
  /** Link state; null when it could not be opened (interface tracking then sees every link down). */
  readonly links: LinkWatcher | null;
  /** null when AF_PACKET is unavailable: no announcements (logged). */
  readonly frames: FrameSender | null;
  openTransport(family: AddressFamily, options: VrrpTransportOptions): VrrpTransport;
  close(): void;
}

/**
 * One rtnetlink request at a time on the manager's socket: the kernel allows one dump per
 * netlink socket (a second one fails with EBUSY), and a request interleaved with a dump
 * confuses the reply parser ("Multipart message not terminated properly"). Measured with two
 * instances starting together.
 */
export function serializeAddressManager(inner: AddressManager): AddressManager {
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
  return {
    addAddress: (vip) => serial(() => inner.addAddress(vip)),
    removeAddress: (vip) => serial(() => inner.removeAddress(vip)),
    listAddresses: (ifindex, family) => serial(() => inner.listAddresses(ifindex, family)),
    interfaceByName: (name) => serial(() => inner.interfaceByName(name)),
    primaryIpv4: (ifindex) => serial(() => inner.primaryIpv4(ifindex)),
    linkLocalIpv6: (ifindex) => serial(() => inner.linkLocalIpv6(ifindex)),
    onAddressEvent: (listener) => inner.onAddressEvent(listener),
    onError: (listener) => inner.onError(listener),
    close: () => {
      inner.close();
    },
  };
}

export async function openRunnerOs(log: Logger): Promise<RunnerOs> {
  const addresses = serializeAddressManager(openAddressManager());
  let links: LinkWatcher | null = null;
  try {
    links = await openLinkWatcher();
  } catch (err) {
    log.error({ err: describeError(err) }, 'cannot watch link state; tracked interfaces count as down');
  }
  let net: LvshaNet | null = null;
  const addon = (): LvshaNet => (net ??= loadLvshaNet());
  let frames: PacketSender | null = null;
  try {
    frames = openPacketSender(addon());
  } catch (err) {
    log.error({ err: describeError(err) }, 'cannot open the packet socket; no gratuitous ARP / unsolicited NA will be sent');
  }
  addresses.onError((err) => {
    log.error({ err: describeError(err) }, 'address watcher error');
  });
  links?.onError((err) => {
    log.error({ err: describeError(err) }, 'link watcher error');
  });
  return {
    addresses,
    links,
    frames,
    openTransport(family, options) {
      // Only IPv6 needs the addon (ancillary data); IPv4 uses the raw-socket package.
      return family === 'ipv4' ? openVrrpTransportIpv4(options) : openVrrpTransportIpv6(addon(), options);
    },
    close() {
      frames?.close();
      links?.close();
      addresses.close();
    },
  };
}
