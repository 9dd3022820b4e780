/**
 * Typed loader of the minimal native addon (src/native/lvsha_net.c, built by
 * node-gyp into build/Release at `npm install`). See docs/native.md.
 *
 * The addon is syscall wrappers only. Errors it throws carry the errno name as
 * `code` (EPERM, EADDRINUSE, ...) and "syscall: strerror" as message.
 */
import { createRequire } from 'node:module';

export interface Recv6Result {
  readonly length: number;
  readonly truncated: boolean;
  /** 16 bytes. */
  readonly src: Buffer;
  readonly scopeId: number;
  /** 16 bytes, from IPV6_PKTINFO (all zero when absent). */
  readonly dst: Buffer;
  /** From IPV6_PKTINFO; -1 when absent. */
  readonly ifindex: number;
  /** From IPV6_HOPLIMIT; -1 when absent. */
  readonly hopLimit: number;
}

/** An opaque uv_poll handle. */
export interface WatchHandle {
  readonly __watchHandle: unique symbol;
}

export interface LvshaNet {
  openSocket(domain: number, type: number, protocol: number): number;
  setIntOption(fd: number, level: number, name: number, value: number): void;
  setBufferOption(fd: number, level: number, name: number, value: Buffer): void;
  sendTo6(fd: number, payload: Buffer, dst: Buffer, scopeId: number, src: Buffer | null, ifindex: number): number;
  recvFrom6(fd: number, buffer: Buffer): Recv6Result | null;
  sendPacket(fd: number, ifindex: number, frame: Buffer): number;
  closeFd(fd: number): void;
  setNetns(fd: number): void;
  /**
   * One datagram to the AF_UNIX SOCK_DGRAM socket at a path, or at an abstract
   * name when `socketName` starts with '@' (sd_notify's NOTIFY_SOCKET). Throws
   * with the errno name as `code` (ECONNREFUSED, ENOENT, EAGAIN, ...).
   */
  notifySend(socketName: string, message: string): void;
  watch(fd: number, onReadable: (status: number) => void): WatchHandle;
  unwatch(handle: WatchHandle): void;
  /**
   * The credentials the kernel recorded for the peer of a connected AF_UNIX
   * socket (SO_PEERCRED), with its supplementary groups (SO_PEERGROUPS; a -1
   * entry means there were more than the addon reads, 256).
   */
  peerCred(fd: number): PeerCred;
}

export interface PeerCred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

/** Linux constants the adapters pass to the addon (x86-64 and arm64 agree on all of these). */
export const linux = {
  AF_INET: 2,
  AF_INET6: 10,
  AF_PACKET: 17,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOL_SOCKET: 1,
  SO_BINDTODEVICE: 25,
  IPPROTO_IP: 0,
  IPPROTO_IPV6: 41,
  IP_TTL: 2,
  IP_HDRINCL: 3,
  IP_MULTICAST_IF: 32,
  IP_MULTICAST_TTL: 33,
  IP_MULTICAST_LOOP: 34,
  IP_ADD_MEMBERSHIP: 35,
  IP_MULTICAST_ALL: 49,
  IPV6_UNICAST_HOPS: 16,
  IPV6_MULTICAST_IF: 17,
  IPV6_MULTICAST_HOPS: 18,
  IPV6_MULTICAST_LOOP: 19,
  IPV6_JOIN_GROUP: 20,
  IPV6_LEAVE_GROUP: 21,
  IPV6_MULTICAST_ALL: 29,
  IPV6_RECVPKTINFO: 49,
  IPV6_RECVHOPLIMIT: 51,
} as const;

/** Load the addon. Throws (MODULE_NOT_FOUND) when it was not built: run `npm install` or `npx node-gyp rebuild`. */
export function loadLvshaNet(): LvshaNet {
  const require = createRequire(import.meta.url);
  // Both src/native/ and dist/native/ sit two levels under the package root.
  return require('../../build/Release/lvsha_net.node') as LvshaNet;
}
