/**
 * Virtual services (the full codec comes with issue 5). For now: the dump
 * request the kernel tier uses to prove multi-part dumps against real IPVS.
 */
import { IpvsCmd } from './constants.js';
import type { IpvsRequest } from './message.js';

/** A dump of all virtual services; replies use NEW_SERVICE, one SERVICE nest each. */
export function getServicesDumpRequest(): IpvsRequest {
  return { cmd: IpvsCmd.GET_SERVICE, kind: 'dump', payload: Buffer.alloc(0) };
}
