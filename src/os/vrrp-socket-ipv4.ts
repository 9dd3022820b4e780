/**
 * IPv4 VRRP transport on the raw-socket package: IPPROTO 112, bound to one
 * interface, group 224.0.0.18 joined on that ifindex only. Sends build their
 * own IP header (IP_HDRINCL, as keepalived does): TTL 255, TOS 0xc0 and the
 * source exactly `sourceAddress`, for multicast and unicast alike.
 * A raw IPv4 socket delivers the IP header; the packet is handed up whole and
 * src/vrrp/receive.ts checks the header with the advert (decodeIpv4Packet),
 * so there is one IPv4 decoder. The ifindex is the bound interface's.
 */
import { createRequire } from 'node:module';
import { linux } from '../native/lvsha-net.js';
import { ipv4ToBytes } from './inet.js';
import { osError } from './os-errors.js';
import { Listeners } from './listeners.js';
import {
  VRRP_GROUP_IPV4,
  VRRP_PROTOCOL,
  VRRP_TTL,
  bindToDeviceValue,
  buildIpv4Header,
  ipMreqn,
  type ReceivedVrrpPacket,
  type TransportDrop,
  type VrrpTransport,
  type VrrpTransportOptions,
} from './vrrp-socket.js';

/** The part of the raw-socket package we use (it ships no types). */
interface RawSocket {
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  on(event: 'close', listener: () => void): void;
  setOption(level: number, option: number, value: number): void;
  setOption(level: number, option: number, value: Buffer, length: number): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    afterCallback: (err: Error | null, bytes: number) => void,
  ): void;
  close(): void;
}

interface RawSocketModule {
  createSocket(options: { addressFamily: number; protocol: number; bufferSize: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
}

function loadRawSocket(): RawSocketModule {
  return createRequire(import.meta.url)('raw-socket') as RawSocketModule;
}

function configure(socket: RawSocket, options: VrrpTransportOptions): void {
  const source = ipv4ToBytes(options.sourceAddress);
  const group = ipv4ToBytes(VRRP_GROUP_IPV4);
  if (!source || !group) throw osError('vrrp ipv4 socket', new Error(`bad source ${options.sourceAddress}`));
  const bind = bindToDeviceValue(options.ifname);
  socket.setOption(linux.SOL_SOCKET, linux.SO_BINDTODEVICE, bind, bind.length);
  socket.setOption(linux.IPPROTO_IP, linux.IP_MULTICAST_ALL, 0);
  const mreqn = ipMreqn(group, source, options.ifindex);
  socket.setOption(linux.IPPROTO_IP, linux.IP_MULTICAST_IF, mreqn, mreqn.length);
  socket.setOption(linux.IPPROTO_IP, linux.IP_MULTICAST_LOOP, 0);
  socket.setOption(linux.IPPROTO_IP, linux.IP_MULTICAST_TTL, VRRP_TTL);
  socket.setOption(linux.IPPROTO_IP, linux.IP_TTL, VRRP_TTL);
  socket.setOption(linux.IPPROTO_IP, linux.IP_HDRINCL, 1);
  if (options.joinGroup) socket.setOption(linux.IPPROTO_IP, linux.IP_ADD_MEMBERSHIP, mreqn, mreqn.length);
}

/** Open the IPv4 transport. Needs CAP_NET_RAW. Throws OsError when a socket option is refused. */
export function openVrrpTransportIpv4(options: VrrpTransportOptions): VrrpTransport {
  const raw = loadRawSocket();
  let socket: RawSocket;
  try {
    socket = raw.createSocket({ addressFamily: raw.AddressFamily.IPv4, protocol: VRRP_PROTOCOL, bufferSize: 65_536 });
  } catch (err) {
    throw osError('socket(AF_INET, SOCK_RAW, 112)', err);
  }
  try {
    configure(socket, options);
  } catch (err) {
    socket.close();
    throw osError(`vrrp ipv4 socket options on ${options.ifname}`, err);
  }
  const source = ipv4ToBytes(options.sourceAddress) ?? Buffer.alloc(4);
  const packets = new Listeners<ReceivedVrrpPacket>();
  const drops = new Listeners<TransportDrop>();
  const errors = new Listeners<Error>();
  let open = true;

  socket.on('message', (buffer) => {
    packets.emit({ family: 4, packet: Buffer.from(buffer), ifindex: options.ifindex });
  });
  socket.on('error', (err) => {
    errors.emit(osError('raw socket', err));
  });
  socket.on('close', () => {
    open = false;
  });

  return {
    family: 4,
    ifname: options.ifname,
    ifindex: options.ifindex,
    send(payload, dest) {
      return new Promise((resolve, reject) => {
        const dst = ipv4ToBytes(dest);
        if (!open || !dst) {
          reject(osError('send', new Error(open ? `bad destination ${dest}` : 'transport closed')));
          return;
        }
        const packet = Buffer.concat([buildIpv4Header(source, dst, payload.length), payload]);
        socket.send(packet, 0, packet.length, dest, (err) => {
          if (err) reject(osError(`send to ${dest}`, err));
          else resolve();
        });
      });
    },
    onPacket: (listener) => packets.add(listener),
    onDrop: (listener) => drops.add(listener),
    onError: (listener) => errors.add(listener),
    close() {
      if (!open) return;
      open = false;
      socket.close();
    },
  };
}
