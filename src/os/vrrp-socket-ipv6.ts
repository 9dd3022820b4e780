/**
 * IPv6 VRRP transport on the native addon: a raw IPv6 socket never delivers
 * the IP header, so the hop limit and the receiving interface come from
 * ancillary data (IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO) read with recvmsg(),
 * which the raw-socket package cannot do. Sends carry the link-local source
 * in IPV6_PKTINFO. IPV6_CHECKSUM is deliberately NOT set: the codec computes
 * the checksum and verifies it itself, so bad-checksum packets reach us and
 * are counted instead of vanishing in the kernel (docs/native.md).
 */
import { linux, type LvshaNet, type WatchHandle } from '../native/lvsha-net.js';
import { bytesToIpv6, ipv6ToBytes, isIpv6LinkLocal } from './inet.js';
import { osError } from './os-errors.js';
import { Listeners } from './listeners.js';
import {
  VRRP_GROUP_IPV6,
  VRRP_PROTOCOL,
  VRRP_TTL,
  bindToDeviceValue,
  ipv6Mreq,
  type ReceivedVrrpPacket,
  type TransportDrop,
  type VrrpTransport,
  type VrrpTransportOptions,
} from './vrrp-socket.js';

/** Upper bound of packets drained per readiness callback (fairness with the rest of the loop). */
const MAX_READS_PER_WAKEUP = 64;
/** 8 + 255 x 16 bytes is the largest VRRP message; leave room to see anything larger as truncated. */
const RECEIVE_BUFFER_BYTES = 8192;

function configure(net: LvshaNet, fd: number, options: VrrpTransportOptions): void {
  const set = (level: number, name: number, value: number): void => {
    net.setIntOption(fd, level, name, value);
  };
  net.setBufferOption(fd, linux.SOL_SOCKET, linux.SO_BINDTODEVICE, bindToDeviceValue(options.ifname));
  set(linux.IPPROTO_IPV6, linux.IPV6_RECVHOPLIMIT, 1);
  set(linux.IPPROTO_IPV6, linux.IPV6_RECVPKTINFO, 1);
  set(linux.IPPROTO_IPV6, linux.IPV6_MULTICAST_HOPS, VRRP_TTL);
  set(linux.IPPROTO_IPV6, linux.IPV6_UNICAST_HOPS, VRRP_TTL);
  set(linux.IPPROTO_IPV6, linux.IPV6_MULTICAST_IF, options.ifindex);
  set(linux.IPPROTO_IPV6, linux.IPV6_MULTICAST_LOOP, 0);
  // Harmless but weak: an unbound raw IPv6 socket matches every destination
  // before any membership check (raw_v6_match). The dst of each packet is
  // reported and enters the checksum's pseudo-header; nothing else checks it.
  set(linux.IPPROTO_IPV6, linux.IPV6_MULTICAST_ALL, 0);
  if (options.joinGroup) {
    const group = ipv6ToBytes(VRRP_GROUP_IPV6) ?? Buffer.alloc(16);
    net.setBufferOption(fd, linux.IPPROTO_IPV6, linux.IPV6_JOIN_GROUP, ipv6Mreq(group, options.ifindex));
  }
}

function drain(
  net: LvshaNet,
  fd: number,
  buffer: Buffer,
  emit: (result: { packet: ReceivedVrrpPacket } | { drop: TransportDrop }) => void,
): void {
  for (let i = 0; i < MAX_READS_PER_WAKEUP; i++) {
    const got = net.recvFrom6(fd, buffer);
    if (got === null) return;
    if (got.truncated) {
      emit({ drop: { reason: 'read-truncated', detail: `more than ${String(buffer.length)} bytes` } });
      continue;
    }
    emit({
      packet: {
        family: 6,
        payload: Buffer.from(buffer.subarray(0, got.length)),
        src: bytesToIpv6(got.src),
        dst: bytesToIpv6(got.dst),
        hopLimit: got.hopLimit,
        ifindex: got.ifindex,
      },
    });
  }
}

/** Open the IPv6 transport. Needs CAP_NET_RAW. In multicast mode sourceAddress must be the interface's link-local address. */
export function openVrrpTransportIpv6(net: LvshaNet, options: VrrpTransportOptions): VrrpTransport {
  const source = ipv6ToBytes(options.sourceAddress);
  // Multicast adverts must come from the link-local address; a unicast-only
  // instance may use another address of the interface (unicast_source).
  if (!source || (options.joinGroup && !isIpv6LinkLocal(source))) {
    throw osError('vrrp ipv6 socket', new Error(`source ${options.sourceAddress} is not a link-local address`));
  }
  let fd: number;
  try {
    fd = net.openSocket(linux.AF_INET6, linux.SOCK_RAW, VRRP_PROTOCOL);
  } catch (err) {
    throw osError('socket(AF_INET6, SOCK_RAW, 112)', err);
  }
  try {
    configure(net, fd, options);
  } catch (err) {
    net.closeFd(fd);
    throw osError(`vrrp ipv6 socket options on ${options.ifname}`, err);
  }
  const packets = new Listeners<ReceivedVrrpPacket>();
  const drops = new Listeners<TransportDrop>();
  const errors = new Listeners<Error>();
  const buffer = Buffer.alloc(RECEIVE_BUFFER_BYTES);
  let open = true;
  const onReadable = (status: number): void => {
    if (status < 0) {
      errors.emit(osError('uv_poll', new Error(`status ${String(status)}`)));
      return;
    }
    try {
      drain(net, fd, buffer, (r) => {
        if ('packet' in r) packets.emit(r.packet);
        else drops.emit(r.drop);
      });
    } catch (err) {
      errors.emit(osError('recvmsg', err));
    }
  };
  const handle: WatchHandle = net.watch(fd, onReadable);

  return {
    family: 6,
    ifname: options.ifname,
    ifindex: options.ifindex,
    send(payload, dest) {
      if (!open) return Promise.reject(osError('sendmsg', new Error('transport closed')));
      const dst = ipv6ToBytes(dest);
      if (!dst) return Promise.reject(osError('sendmsg', new Error(`bad destination ${dest}`)));
      try {
        net.sendTo6(fd, payload, dst, options.ifindex, source, options.ifindex);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(osError(`sendmsg to ${dest}`, err));
      }
    },
    onPacket: (listener) => packets.add(listener),
    onDrop: (listener) => drops.add(listener),
    onError: (listener) => errors.add(listener),
    close() {
      if (!open) return;
      open = false;
      net.unwatch(handle);
      net.closeFd(fd);
    },
  };
}
