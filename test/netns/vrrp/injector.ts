/**
 * A raw protocol-112 IPv4 socket opened inside a lab namespace, for injecting hand-built adverts
 * with a chosen TTL. The socket is created while the calling thread is moved into the namespace
 * (setns through the native addon) and keeps that namespace afterwards; the kernel builds the IP
 * header with the interface's address as source.
 */
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadLvshaNet } from '../../../src/native/lvsha-net.js';

interface RawSocket {
  setOption(level: number, option: number, value: number): void;
  setOption(level: number, option: number, value: Buffer, length: number): void;
  send(buffer: Buffer, offset: number, length: number, address: string, cb: (err: Error | null) => void): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(options: { addressFamily: number; protocol: number }): RawSocket;
  AddressFamily: { IPv4: number };
}

const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_TTL = 2;
const IP_MULTICAST_TTL = 33;

export interface Injector {
  send(payload: Buffer, dst: string, ttl: number): Promise<void>;
  close(): void;
}

export function openInjector(ns: string, ifname: string): Injector {
  const raw = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  const net = loadLvshaNet();
  const home = openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(`/run/netns/${ns}`, 'r');
  let socket: RawSocket;
  try {
    net.setNetns(target);
    try {
      socket = raw.createSocket({ addressFamily: raw.AddressFamily.IPv4, protocol: 112 });
    } finally {
      net.setNetns(home);
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
  const device = Buffer.from(`${ifname}\0`, 'latin1');
  socket.setOption(SOL_SOCKET, SO_BINDTODEVICE, device, device.length);
  return {
    send(payload, dst, ttl) {
      socket.setOption(IPPROTO_IP, IP_MULTICAST_TTL, ttl);
      socket.setOption(IPPROTO_IP, IP_TTL, ttl);
      return new Promise((resolve, reject) => {
        socket.send(payload, 0, payload.length, dst, (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
    },
    close() {
      socket.close();
    },
  };
}
