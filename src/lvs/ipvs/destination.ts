/**
 * Real servers: the DEST nest (IPVS_DEST_ATTR_*) between the model's
 * Destination and attribute bytes, and the requests that carry it (always
 * with the SERVICE key nest beside it).
 *
 * NEW/SET_DEST carry ADDR, PORT, FWD_METHOD, WEIGHT, U_THRESH, L_THRESH (B5),
 * ADDR_FAMILY and the tunnel attributes (type, port, flags; zero when the
 * destination is not a tunnel). DEL_DEST carries ADDR, PORT and ADDR_FAMILY.
 * GET_DEST is a dump of one service's destinations; an unknown service gives
 * an empty dump. Replies use NEW_DEST. Decoders never throw.
 */
import type { AddressFamily } from '../../config/types.js';
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import {
  AF_NUMBER,
  FWD_METHOD_CODE,
  TUN_TYPE_CODE,
  destinationKeyText,
  familyFromAf,
  fwdMethodFromCode,
  serviceKeyText,
  tunTypeFromCode,
  type Destination,
  type ServiceKey,
  type TunnelParams,
} from '../model.js';
import { decodeAddr, encodeAddr } from './addr.js';
import {
  attr,
  attrsByType,
  be16Attr,
  decodeAttrs,
  nestAttr,
  optional,
  readBe16,
  readU16,
  readU32,
  readU8,
  required,
  u16Attr,
  u32Attr,
  u8Attr,
} from './attrs.js';
import { IpvsCmd, IpvsCmdAttr, IpvsDestAttr, ipvsCmdName } from './constants.js';
import type { IpvsReply, IpvsRequest } from './message.js';
import { serviceKeyNest } from './service.js';
import { decodeStatsPair, type IpvsStats } from './stats.js';

/** IP_VS_CONN_F_FWD_MASK: the forwarding method is the low 3 bits of the connection flags. */
const FWD_MASK = 0x7;

/** A destination as the kernel reports it: the model's Destination (with counters) plus stats. */
export interface LiveDestination {
  readonly dest: Destination;
  readonly stats: IpvsStats | null;
}

type DestKey = Pick<Destination, 'family' | 'address' | 'port'>;

function destKeyAttrs(dest: DestKey): Buffer[] {
  return [
    attr(IpvsDestAttr.ADDR, encodeAddr(dest.family, dest.address)),
    be16Attr(IpvsDestAttr.PORT, dest.port),
    u16Attr(IpvsDestAttr.ADDR_FAMILY, AF_NUMBER[dest.family]),
  ];
}

/** The DEST nest with the key only (DEL_DEST). */
export function destKeyNest(dest: DestKey): Buffer {
  return nestAttr(IpvsCmdAttr.DEST, destKeyAttrs(dest));
}

/** The full DEST nest of NEW_DEST / SET_DEST. */
export function destNest(dest: Destination): Buffer {
  const tunnel: TunnelParams = dest.fwd === 'tunnel' && dest.tunnel !== null ? dest.tunnel : { type: 'ipip', port: 0, flags: 0 };
  return nestAttr(IpvsCmdAttr.DEST, [
    ...destKeyAttrs(dest),
    u32Attr(IpvsDestAttr.FWD_METHOD, FWD_METHOD_CODE[dest.fwd]),
    u32Attr(IpvsDestAttr.WEIGHT, dest.weight),
    u32Attr(IpvsDestAttr.U_THRESH, dest.upperThreshold),
    u32Attr(IpvsDestAttr.L_THRESH, dest.lowerThreshold),
    u8Attr(IpvsDestAttr.TUN_TYPE, TUN_TYPE_CODE[tunnel.type]),
    be16Attr(IpvsDestAttr.TUN_PORT, tunnel.port),
    u16Attr(IpvsDestAttr.TUN_FLAGS, tunnel.flags),
  ]);
}

function subject(key: ServiceKey, dest: DestKey): string {
  return `${serviceKeyText(key)} -> ${destinationKeyText(dest)}`;
}

export function newDestRequest(key: ServiceKey, dest: Destination): IpvsRequest {
  return { cmd: IpvsCmd.NEW_DEST, kind: 'doit', payload: Buffer.concat([serviceKeyNest(key), destNest(dest)]), subject: subject(key, dest) };
}

export function setDestRequest(key: ServiceKey, dest: Destination): IpvsRequest {
  return { cmd: IpvsCmd.SET_DEST, kind: 'doit', payload: Buffer.concat([serviceKeyNest(key), destNest(dest)]), subject: subject(key, dest) };
}

export function delDestRequest(key: ServiceKey, dest: DestKey): IpvsRequest {
  return { cmd: IpvsCmd.DEL_DEST, kind: 'doit', payload: Buffer.concat([serviceKeyNest(key), destKeyNest(dest)]), subject: subject(key, dest) };
}

/** The destinations of one service (dump; empty for a service that does not exist). */
export function getDestsDumpRequest(key: ServiceKey): IpvsRequest {
  return { cmd: IpvsCmd.GET_DEST, kind: 'dump', payload: serviceKeyNest(key), subject: serviceKeyText(key) };
}

function readWeight(value: Buffer): DecodeResult<number> {
  const w = readU32(value);
  return w.ok ? decoded(w.value | 0) : w;
}

function decodeTunnel(attrs: ReadonlyMap<number, Buffer>): DecodeResult<TunnelParams> {
  const type = optional(attrs, IpvsDestAttr.TUN_TYPE, 'TUN_TYPE', readU8);
  if (!type.ok) return type;
  const port = optional(attrs, IpvsDestAttr.TUN_PORT, 'TUN_PORT', readBe16);
  if (!port.ok) return port;
  const flags = optional(attrs, IpvsDestAttr.TUN_FLAGS, 'TUN_FLAGS', readU16);
  if (!flags.ok) return flags;
  const tunType = tunTypeFromCode(type.value ?? 0);
  if (tunType === null) return refused(`TUN_TYPE ${type.value ?? 0} is not ipip (0), gue (1) or gre (2)`);
  return decoded({ type: tunType, port: port.value ?? 0, flags: flags.value ?? 0 });
}

function readCount(attrs: ReadonlyMap<number, Buffer>, type: number, name: string): DecodeResult<number> {
  const r = optional(attrs, type, name, readU32);
  return r.ok ? decoded(r.value ?? 0) : r;
}

/** Decodes the payload of a DEST nest; the family defaults to the service's (ADDR_FAMILY absent). */
export function decodeDestNest(nest: Buffer, serviceFamily: AddressFamily): DecodeResult<LiveDestination> {
  const list = decodeAttrs(nest);
  if (!list.ok) return list;
  const attrs = attrsByType(list.value);
  const af = optional(attrs, IpvsDestAttr.ADDR_FAMILY, 'ADDR_FAMILY', readU16);
  if (!af.ok) return af;
  const family = af.value === undefined ? serviceFamily : familyFromAf(af.value);
  if (family === null) return refused(`ADDR_FAMILY ${af.value ?? 0} is neither 2 (IPv4) nor 10 (IPv6)`);
  const address = required(attrs, IpvsDestAttr.ADDR, 'ADDR', (v) => decodeAddr(family, v));
  if (!address.ok) return address;
  const port = required(attrs, IpvsDestAttr.PORT, 'PORT', readBe16);
  if (!port.ok) return port;
  const fwdCode = required(attrs, IpvsDestAttr.FWD_METHOD, 'FWD_METHOD', readU32);
  if (!fwdCode.ok) return fwdCode;
  const fwd = fwdMethodFromCode(fwdCode.value & FWD_MASK);
  if (fwd === null) return refused(`FWD_METHOD ${fwdCode.value} is unknown`);
  const weight = required(attrs, IpvsDestAttr.WEIGHT, 'WEIGHT', readWeight);
  if (!weight.ok) return weight;
  const numbers: number[] = [];
  const counted: [number, string][] = [
    [IpvsDestAttr.U_THRESH, 'U_THRESH'],
    [IpvsDestAttr.L_THRESH, 'L_THRESH'],
    [IpvsDestAttr.ACTIVE_CONNS, 'ACTIVE_CONNS'],
    [IpvsDestAttr.INACT_CONNS, 'INACT_CONNS'],
    [IpvsDestAttr.PERSIST_CONNS, 'PERSIST_CONNS'],
  ];
  for (const [type, name] of counted) {
    const n = readCount(attrs, type, name);
    if (!n.ok) return n;
    numbers.push(n.value);
  }
  const [upperThreshold = 0, lowerThreshold = 0, activeConns = 0, inactConns = 0, persistConns = 0] = numbers;
  const tunnel = decodeTunnel(attrs);
  if (!tunnel.ok) return tunnel;
  const stats = decodeStatsPair(attrs.get(IpvsDestAttr.STATS), attrs.get(IpvsDestAttr.STATS64));
  if (!stats.ok) return stats;
  const dest: Destination = {
    family,
    address: address.value,
    port: port.value,
    fwd,
    weight: weight.value,
    upperThreshold,
    lowerThreshold,
    tunnel: fwd === 'tunnel' ? tunnel.value : null,
    counters: { activeConns, inactConns, persistConns },
  };
  return decoded({ dest, stats: stats.value });
}

/** Decodes one reply of a GET_DEST dump (command NEW_DEST, one DEST nest). */
export function decodeDestReply(reply: IpvsReply, serviceFamily: AddressFamily): DecodeResult<LiveDestination> {
  if (reply.cmd !== IpvsCmd.NEW_DEST) {
    return refused(`GET_DEST reply: expected command NEW_DEST (${IpvsCmd.NEW_DEST}), got ${ipvsCmdName(reply.cmd)}`);
  }
  const list = decodeAttrs(reply.payload);
  if (!list.ok) return refused(`GET_DEST reply: ${list.reason}`);
  const nest = attrsByType(list.value).get(IpvsCmdAttr.DEST);
  if (nest === undefined) return refused('GET_DEST reply: DEST nest missing');
  const dest = decodeDestNest(nest, serviceFamily);
  return dest.ok ? dest : refused(`GET_DEST reply: ${dest.reason}`);
}
