/** One entry point for the runner: the transport of an instance's address family. */
import type { LvshaNet } from '../native/lvsha-net.js';
import type { IpFamily } from './inet.js';
import type { VrrpTransport, VrrpTransportOptions } from './vrrp-socket.js';
import { openVrrpTransportIpv4 } from './vrrp-socket-ipv4.js';
import { openVrrpTransportIpv6 } from './vrrp-socket-ipv6.js';

/** IPv4 uses the raw-socket package; IPv6 needs the native addon (ancillary data). */
export function openVrrpTransport(family: IpFamily, options: VrrpTransportOptions, net: LvshaNet): VrrpTransport {
  return family === 4 ? openVrrpTransportIpv4(options) : openVrrpTransportIpv6(net, options);
}
