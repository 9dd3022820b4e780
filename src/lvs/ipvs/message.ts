/**
 * The shape of IPVS messages at the boundary with the generic netlink adapter:
 * a command and its attribute bytes (the family has no family header).
 */
import type { IpvsCmdValue } from './constants.js';

/** A request to send: command plus encoded top-level attributes. */
export interface IpvsRequest {
  cmd: IpvsCmdValue;
  /** doit (REQUEST|ACK) or dump (REQUEST|DUMP). */
  kind: 'doit' | 'dump';
  payload: Buffer;
}

/** One reply message as the adapter hands it over: command and attribute bytes. */
export interface IpvsReply {
  cmd: number;
  payload: Buffer;
}
