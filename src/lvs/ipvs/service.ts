/**
 * Virtual services: the SERVICE nest (IPVS_SVC_ATTR_*) between the model's
 * Service and attribute bytes, and the requests that carry it.
 *
 * Key: AF plus FWMARK, or AF plus PROTOCOL, ADDR and PORT (B5). NEW/SET
 * carry the key plus SCHED_NAME, FLAGS (flags + mask), TIMEOUT, NETMASK and
 * PE_NAME when there is one. Replies (command NEW_SERVICE) also carry STATS
 * and STATS64. Decoders never throw.
 */
import { endianness } from 'node:os';
import type { AddressFamily } from '../../config/types.js';
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import {
  AF_NUMBER,
  PROTOCOL_NUMBER,
  canonicalAddress,
  familyFromAf,
  protocolFromNumber,
  serviceKeyText,
  v4NetmaskText,
  type Service,
  type ServiceKey,
} from '../model.js';
import { decodeAddr, encodeAddr } from './addr.js';
import {
  attrsByType,
  be16Attr,
  be32Attr,
  decodeAttrs,
  nestAttr,
  optional,
  readBe16,
  readBe32,
  readString,
  readU16,
  readU32,
  required,
  attr,
  stringAttr,
  u16Attr,
  u32Attr,
} from './attrs.js';
import { IpvsCmd, IpvsCmdAttr, IpvsSvcAttr, ipvsCmdName } from './constants.js';
import type { IpvsReply, IpvsRequest } from './message.js';
import { decodeStatsPair, type IpvsStats } from './stats.js';

/** All 32 flag bits: the kernel then sets exactly `flags` (new = old & ~mask | flags & mask). */
export const ALL_FLAGS_MASK = 0xffffffff;

/** A service as the kernel reports it: the model's Service plus its counters. */
export interface LiveService {
  readonly service: Service;
  readonly stats: IpvsStats | null;
}

/** The ip_vs_flags payload: u32 flags, u32 mask, host order. */
export function flagsPayload(flags: number, mask: number = ALL_FLAGS_MASK): Buffer {
  const out = Buffer.alloc(8);
  if (endianness() === 'LE') {
    out.writeUInt32LE(flags >>> 0, 0);
    out.writeUInt32LE(mask >>> 0, 4);
  } else {
    out.writeUInt32BE(flags >>> 0, 0);
    out.writeUInt32BE(mask >>> 0, 4);
  }
  return out;
}

/** The key attributes of a service (no nest header). */
export function serviceKeyAttrs(key: ServiceKey): Buffer[] {
  const af = u16Attr(IpvsSvcAttr.AF, AF_NUMBER[key.family]);
  if (key.kind === 'fwmark') return [af, u32Attr(IpvsSvcAttr.FWMARK, key.fwmark)];
  return [
    af,
    u16Attr(IpvsSvcAttr.PROTOCOL, PROTOCOL_NUMBER[key.protocol]),
    attr(IpvsSvcAttr.ADDR, encodeAddr(key.family, key.address)),
    be16Attr(IpvsSvcAttr.PORT, key.port),
  ];
}

/** The NETMASK attribute: IPv4 a big-endian mask, IPv6 a prefix length as native u32. */
export function netmaskAttr(family: AddressFamily, netmask: string): Buffer {
  if (family === 'ipv6') return u32Attr(IpvsSvcAttr.NETMASK, Number(netmask));
  const octets = canonicalAddress(netmask).split('.').map(Number);
  const mask = octets.reduce((acc, o) => ((acc << 8) | (o & 0xff)) >>> 0, 0);
  return be32Attr(IpvsSvcAttr.NETMASK, mask);
}

/** The SERVICE nest with the key only (DEL_SERVICE, GET_DEST, destination commands). */
export function serviceKeyNest(key: ServiceKey): Buffer {
  return nestAttr(IpvsCmdAttr.SERVICE, serviceKeyAttrs(key));
}

/** The full SERVICE nest of NEW_SERVICE / SET_SERVICE. */
export function serviceNest(svc: Service, mask: number = ALL_FLAGS_MASK): Buffer {
  const children = [
    ...serviceKeyAttrs(svc.key),
    stringAttr(IpvsSvcAttr.SCHED_NAME, svc.scheduler),
    attr(IpvsSvcAttr.FLAGS, flagsPayload(svc.flags, mask)),
    u32Attr(IpvsSvcAttr.TIMEOUT, svc.timeoutS),
    netmaskAttr(svc.key.family, svc.netmask),
  ];
  if (svc.peName !== null && svc.peName !== '') children.push(stringAttr(IpvsSvcAttr.PE_NAME, svc.peName));
  return nestAttr(IpvsCmdAttr.SERVICE, children);
}

const ENOENT = 2;

/** ENOENT on NEW/SET_SERVICE: the scheduler (or PE) module is missing; name it. */
export function unknownSchedulerMessage(svc: Pick<Service, 'scheduler' | 'peName'>): string {
  const sched = `unknown scheduler '${svc.scheduler}' (no ip_vs_${svc.scheduler} module)`;
  if (svc.peName === null || svc.peName === '') return `${sched} (ENOENT)`;
  return `${sched} or persistence engine '${svc.peName}' (no ip_vs_pe_${svc.peName} module) (ENOENT)`;
}

function serviceWrite(cmd: typeof IpvsCmd.NEW_SERVICE | typeof IpvsCmd.SET_SERVICE, svc: Service): IpvsRequest {
  return {
    cmd,
    kind: 'doit',
    payload: serviceNest(svc),
    subject: serviceKeyText(svc.key),
    explain: (errno) => (errno === ENOENT ? unknownSchedulerMessage(svc) : undefined),
  };
}

export function newServiceRequest(svc: Service): IpvsRequest {
  return serviceWrite(IpvsCmd.NEW_SERVICE, svc);
}

export function setServiceRequest(svc: Service): IpvsRequest {
  return serviceWrite(IpvsCmd.SET_SERVICE, svc);
}

export function delServiceRequest(key: ServiceKey): IpvsRequest {
  return { cmd: IpvsCmd.DEL_SERVICE, kind: 'doit', payload: serviceKeyNest(key), subject: serviceKeyText(key) };
}

/** A dump of all virtual services; replies use NEW_SERVICE, one SERVICE nest each. */
export function getServicesDumpRequest(): IpvsRequest {
  return { cmd: IpvsCmd.GET_SERVICE, kind: 'dump', payload: Buffer.alloc(0) };
}

/** One service by key (doit): ESRCH when it does not exist. */
export function getServiceRequest(key: ServiceKey): IpvsRequest {
  return { cmd: IpvsCmd.GET_SERVICE, kind: 'doit', payload: serviceKeyNest(key), subject: serviceKeyText(key) };
}

function decodeKey(attrs: ReadonlyMap<number, Buffer>, family: AddressFamily): DecodeResult<ServiceKey> {
  const fwmark = optional(attrs, IpvsSvcAttr.FWMARK, 'FWMARK', readU32);
  if (!fwmark.ok) return fwmark;
  if (fwmark.value !== undefined && fwmark.value !== 0) return decoded({ kind: 'fwmark', family, fwmark: fwmark.value });
  const proto = required(attrs, IpvsSvcAttr.PROTOCOL, 'PROTOCOL', readU16);
  if (!proto.ok) return proto;
  const protocol = protocolFromNumber(proto.value);
  if (protocol === null) return refused(`PROTOCOL ${proto.value} is not tcp, udp or sctp`);
  const address = required(attrs, IpvsSvcAttr.ADDR, 'ADDR', (v) => decodeAddr(family, v));
  if (!address.ok) return address;
  const port = required(attrs, IpvsSvcAttr.PORT, 'PORT', readBe16);
  if (!port.ok) return port;
  return decoded({ kind: 'address', family, protocol, address: address.value, port: port.value });
}

function readFlags(value: Buffer): DecodeResult<number> {
  if (value.length < 4) return refused(`FLAGS: expected 8 bytes, got ${value.length}`);
  return readU32(value.subarray(0, 4));
}

function decodeNetmask(family: AddressFamily, value: Buffer): DecodeResult<string> {
  if (family === 'ipv6') {
    const prefix = readU32(value);
    return prefix.ok ? decoded(String(prefix.value)) : prefix;
  }
  const mask = readBe32(value);
  return mask.ok ? decoded(v4NetmaskText(mask.value)) : mask;
}

/** Decodes the payload of a SERVICE nest (attributes inside it). */
export function decodeServiceNest(nest: Buffer): DecodeResult<LiveService> {
  const list = decodeAttrs(nest);
  if (!list.ok) return list;
  const attrs = attrsByType(list.value);
  const af = required(attrs, IpvsSvcAttr.AF, 'AF', readU16);
  if (!af.ok) return af;
  const family = familyFromAf(af.value);
  if (family === null) return refused(`AF ${af.value} is neither 2 (IPv4) nor 10 (IPv6)`);
  const key = decodeKey(attrs, family);
  if (!key.ok) return key;
  const scheduler = optional(attrs, IpvsSvcAttr.SCHED_NAME, 'SCHED_NAME', readString);
  if (!scheduler.ok) return scheduler;
  const flags = optional(attrs, IpvsSvcAttr.FLAGS, 'FLAGS', readFlags);
  if (!flags.ok) return flags;
  const timeout = optional(attrs, IpvsSvcAttr.TIMEOUT, 'TIMEOUT', readU32);
  if (!timeout.ok) return timeout;
  const netmask = optional(attrs, IpvsSvcAttr.NETMASK, 'NETMASK', (v) => decodeNetmask(family, v));
  if (!netmask.ok) return netmask;
  const pe = optional(attrs, IpvsSvcAttr.PE_NAME, 'PE_NAME', readString);
  if (!pe.ok) return pe;
  const stats = decodeStatsPair(attrs.get(IpvsSvcAttr.STATS), attrs.get(IpvsSvcAttr.STATS64));
  if (!stats.ok) return stats;
  const service: Service = {
    key: key.value,
    scheduler: scheduler.value ?? 'none',
    flags: flags.value ?? 0,
    timeoutS: timeout.value ?? 0,
    netmask: netmask.value ?? (family === 'ipv4' ? '255.255.255.255' : '128'),
    peName: pe.value === undefined || pe.value === '' ? null : pe.value,
  };
  return decoded({ service, stats: stats.value });
}

/** Decodes one reply of a GET_SERVICE dump or doit (command NEW_SERVICE, one SERVICE nest). */
export function decodeServiceReply(reply: IpvsReply): DecodeResult<LiveService> {
  if (reply.cmd !== IpvsCmd.NEW_SERVICE) {
    return refused(`GET_SERVICE reply: expected command NEW_SERVICE (${IpvsCmd.NEW_SERVICE}), got ${ipvsCmdName(reply.cmd)}`);
  }
  const list = decodeAttrs(reply.payload);
  if (!list.ok) return refused(`GET_SERVICE reply: ${list.reason}`);
  const nest = attrsByType(list.value).get(IpvsCmdAttr.SERVICE);
  if (nest === undefined) return refused('GET_SERVICE reply: SERVICE nest missing');
  const svc = decodeServiceNest(nest);
  return svc.ok ? svc : refused(`GET_SERVICE reply: ${svc.reason}`);
}

/** FLUSH: deletes every service (never used by the reconciler; tests and benchmarks only). */
export function flushRequest(): IpvsRequest {
  return { cmd: IpvsCmd.FLUSH, kind: 'doit', payload: Buffer.alloc(0) };
}

/** ZERO: resets the counters of one service, or of all without a key. */
export function zeroRequest(key?: ServiceKey): IpvsRequest {
  if (key === undefined) return { cmd: IpvsCmd.ZERO, kind: 'doit', payload: Buffer.alloc(0) };
  return { cmd: IpvsCmd.ZERO, kind: 'doit', payload: serviceKeyNest(key), subject: serviceKeyText(key) };
}
