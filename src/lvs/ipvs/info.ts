/**
 * IPVS_CMD_GET_INFO: the request (no attributes) and its reply (command
 * SET_INFO with VERSION and CONN_TAB_SIZE at the top level).
 */
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import { attrsByType, decodeAttrs, readU32, required } from './attrs.js';
import { IpvsCmd, IpvsInfoAttr, ipvsCmdName } from './constants.js';
import type { IpvsReply, IpvsRequest } from './message.js';

export interface IpvsInfo {
  /** The raw version code, e.g. 0x010201. */
  versionCode: number;
  /** Dotted form, e.g. "1.2.1". */
  version: string;
  /** Size of the connection hash table (ip_vs conn_tab_bits, default 4096). */
  connTableSize: number;
}

/** "1.2.1" for 0x010201. */
export function formatIpvsVersion(code: number): string {
  return `${(code >>> 16) & 0xff}.${(code >>> 8) & 0xff}.${code & 0xff}`;
}

export function getInfoRequest(): IpvsRequest {
  return { cmd: IpvsCmd.GET_INFO, kind: 'doit', payload: Buffer.alloc(0) };
}

/** Decodes the reply to GET_INFO. Never throws. */
export function decodeInfoReply(reply: IpvsReply): DecodeResult<IpvsInfo> {
  if (reply.cmd !== IpvsCmd.SET_INFO) {
    return refused(`GET_INFO reply: expected command SET_INFO (${IpvsCmd.SET_INFO}), got ${ipvsCmdName(reply.cmd)}`);
  }
  const list = decodeAttrs(reply.payload);
  if (!list.ok) return refused(`GET_INFO reply: ${list.reason}`);
  const attrs = attrsByType(list.value);
  const versionCode = required(attrs, IpvsInfoAttr.VERSION, 'GET_INFO reply: VERSION', readU32);
  if (!versionCode.ok) return versionCode;
  const connTableSize = required(attrs, IpvsInfoAttr.CONN_TAB_SIZE, 'GET_INFO reply: CONN_TAB_SIZE', readU32);
  if (!connTableSize.ok) return connTableSize;
  return decoded({
    versionCode: versionCode.value,
    version: formatIpvsVersion(versionCode.value),
    connTableSize: connTableSize.value,
  });
}
