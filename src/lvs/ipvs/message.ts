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
  /** What the request is about, for error messages: "tcp 10.0.0.1:80", "tcp 10.0.0.1:80 -> 10.0.1.1:80". */
  subject?: string;
  /** Request-specific wording for an errno, tried before the per-command wording. */
  explain?: (errno: number, errnoName: string) => string | undefined;
}

/** One reply message as the adapter hands it over: command and attribute bytes. */
export interface IpvsReply {
  cmd: number;
  payload: Buffer;
}
