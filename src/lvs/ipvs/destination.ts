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
import {
  AF_NUMBER,
  FWD_METHOD_CODE,
  PROTOCOL_NUMBER,
  TUN_TYPE_CODE,
  destinationKeyText,
  serviceKeyText,
  type Destination,
  type ServiceKey,
} from '../model.js';
import { IpvsCmd, IpvsCmdAttr, IpvsDestAttr, IpvsSvcAttr } from './constants.js';
import type { IpvsRequest } from './message.js';
import { serviceKeyNest } from './service.js';
import { AttrWriter } from './writer.js';

type DestKey = Pick<Destination, 'family' | 'address' | 'port'>;

/** SERVICE key nest (48 bytes) + full DEST nest (96 bytes), with room to spare. */
const REQUEST_CAPACITY = 192;

function writeDestKey(w: AttrWriter, dest: DestKey): void {
  w.addr(IpvsDestAttr.ADDR, dest.family, dest.address).be16(IpvsDestAttr.PORT, dest.port).u16(IpvsDestAttr.ADDR_FAMILY, AF_NUMBER[dest.family]);
}

function writeDest(w: AttrWriter, dest: Destination): void {
  const tunnel = dest.fwd === 'tunnel' && dest.tunnel !== null ? dest.tunnel : null;
  writeDestKey(w, dest);
  w.u32(IpvsDestAttr.FWD_METHOD, FWD_METHOD_CODE[dest.fwd])
    .u32(IpvsDestAttr.WEIGHT, dest.weight)
    .u32(IpvsDestAttr.U_THRESH, dest.upperThreshold)
    .u32(IpvsDestAttr.L_THRESH, dest.lowerThreshold)
    .u8(IpvsDestAttr.TUN_TYPE, tunnel === null ? 0 : TUN_TYPE_CODE[tunnel.type])
    .be16(IpvsDestAttr.TUN_PORT, tunnel?.port ?? 0)
    .u16(IpvsDestAttr.TUN_FLAGS, tunnel?.flags ?? 0);
}

/** The SERVICE key nest written in place (same bytes as serviceKeyNest). */
export function writeServiceKey(w: AttrWriter, key: ServiceKey): void {
  w.nest(IpvsCmdAttr.SERVICE, (n) => {
    n.u16(IpvsSvcAttr.AF, AF_NUMBER[key.family]);
    if (key.kind === 'fwmark') {
      n.u32(IpvsSvcAttr.FWMARK, key.fwmark);
      return;
    }
    n.u16(IpvsSvcAttr.PROTOCOL, PROTOCOL_NUMBER[key.protocol]).addr(IpvsSvcAttr.ADDR, key.family, key.address).be16(IpvsSvcAttr.PORT, key.port);
  });
}

/** The DEST nest with the key only (DEL_DEST). */
export function destKeyNest(dest: DestKey): Buffer {
  return new AttrWriter(64).nest(IpvsCmdAttr.DEST, (w) => { writeDestKey(w, dest); }).finish();
}

/** The full DEST nest of NEW_DEST / SET_DEST (tunnel attributes zero unless the method is tunnel). */
export function destNest(dest: Destination): Buffer {
  return new AttrWriter(128).nest(IpvsCmdAttr.DEST, (w) => { writeDest(w, dest); }).finish();
}

function destPayload(key: ServiceKey, dest: Destination | DestKey, full: boolean): Buffer {
  const w = new AttrWriter(REQUEST_CAPACITY);
  writeServiceKey(w, key);
  w.nest(IpvsCmdAttr.DEST, (n) => {
    if (full) writeDest(n, dest as Destination);
    else writeDestKey(n, dest);
  });
  return w.finish();
}

function subject(key: ServiceKey, dest: DestKey): string {
  return `${serviceKeyText(key)} -> ${destinationKeyText(dest)}`;
}

export function newDestRequest(key: ServiceKey, dest: Destination): IpvsRequest {
  return { cmd: IpvsCmd.NEW_DEST, kind: 'doit', payload: destPayload(key, dest, true), subject: subject(key, dest) };
}

export function setDestRequest(key: ServiceKey, dest: Destination): IpvsRequest {
  return { cmd: IpvsCmd.SET_DEST, kind: 'doit', payload: destPayload(key, dest, true), subject: subject(key, dest) };
}

export function delDestRequest(key: ServiceKey, dest: DestKey): IpvsRequest {
  return { cmd: IpvsCmd.DEL_DEST, kind: 'doit', payload: destPayload(key, dest, false), subject: subject(key, dest) };
}

/** The destinations of one service (dump; empty for a service that does not exist). */
export function getDestsDumpRequest(key: ServiceKey): IpvsRequest {
  return { cmd: IpvsCmd.GET_DEST, kind: 'dump', payload: serviceKeyNest(key), subject: serviceKeyText(key) };
}

export { decodeDestNest, decodeDestReplies, decodeDestReply, type LiveDestination } from './dest-decode.js';
