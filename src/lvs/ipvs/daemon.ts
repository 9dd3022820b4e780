/**
 * Sync daemons: the DAEMON nest (IPVS_DAEMON_ATTR_*) between the policy's
 * DaemonParams and attribute bytes (protocol-reference B3, C1).
 *
 * NEW_DAEMON carries STATE, MCAST_IFN, SYNC_ID, SYNC_MAXLEN, MCAST_GROUP (4
 * bytes, network order) or MCAST_GROUP6 (16 bytes), MCAST_PORT (u16 in HOST
 * order, unlike every other IPVS port) and MCAST_TTL. DEL_DAEMON carries
 * STATE only. GET_DAEMON is a dump; replies use NEW_DAEMON. Never throws.
 */
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import type { DaemonParams, SyncDaemonState } from '../sync-policy.js';
import { addressBytes, decodeAddr } from './addr.js';
import {
  attr,
  attrsByType,
  decodeAttrs,
  nestAttr,
  optional,
  readString,
  readU16,
  readU32,
  readU8,
  required,
  stringAttr,
  u16Attr,
  u32Attr,
  u8Attr,
} from './attrs.js';
import { IpvsCmd, IpvsCmdAttr, IpvsDaemonAttr, ipvsCmdName } from './constants.js';
import type { IpvsReply, IpvsRequest } from './message.js';

/** IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP. */
export const DAEMON_STATE_CODE: Readonly<Record<SyncDaemonState, number>> = { master: 1, backup: 2 };

export const DEFAULT_SYNC_GROUP = '224.0.0.81';
export const DEFAULT_SYNC_PORT = 8848;

/** The full DAEMON nest of NEW_DAEMON; throws on a group that is not an address of its family (caller bug). */
export function daemonNest(p: DaemonParams): Buffer {
  const group = addressBytes(p.groupFamily, p.group);
  if (group === null) throw new RangeError(`not an ${p.groupFamily} address: '${p.group}'`);
  return nestAttr(IpvsCmdAttr.DAEMON, [
    u32Attr(IpvsDaemonAttr.STATE, DAEMON_STATE_CODE[p.state]),
    stringAttr(IpvsDaemonAttr.MCAST_IFN, p.interface),
    u32Attr(IpvsDaemonAttr.SYNC_ID, p.syncId),
    u16Attr(IpvsDaemonAttr.SYNC_MAXLEN, p.maxLen),
    attr(p.groupFamily === 'ipv4' ? IpvsDaemonAttr.MCAST_GROUP : IpvsDaemonAttr.MCAST_GROUP6, group),
    u16Attr(IpvsDaemonAttr.MCAST_PORT, p.port),
    u8Attr(IpvsDaemonAttr.MCAST_TTL, p.ttl),
  ]);
}

export function newDaemonRequest(p: DaemonParams): IpvsRequest {
  return { cmd: IpvsCmd.NEW_DAEMON, kind: 'doit', payload: daemonNest(p), subject: `${p.state} on ${p.interface}` };
}

export function delDaemonRequest(state: SyncDaemonState): IpvsRequest {
  const payload = nestAttr(IpvsCmdAttr.DAEMON, [u32Attr(IpvsDaemonAttr.STATE, DAEMON_STATE_CODE[state])]);
  return { cmd: IpvsCmd.DEL_DAEMON, kind: 'doit', payload, subject: state };
}

export function getDaemonsDumpRequest(): IpvsRequest {
  return { cmd: IpvsCmd.GET_DAEMON, kind: 'dump', payload: Buffer.alloc(0) };
}

function decodeGroup(attrs: ReadonlyMap<number, Buffer>): DecodeResult<Pick<DaemonParams, 'group' | 'groupFamily'>> {
  const v6 = attrs.get(IpvsDaemonAttr.MCAST_GROUP6);
  if (v6 !== undefined) {
    const text = decodeAddr('ipv6', v6);
    return text.ok ? decoded({ group: text.value, groupFamily: 'ipv6' }) : refused(`MCAST_GROUP6: ${text.reason}`);
  }
  const v4 = attrs.get(IpvsDaemonAttr.MCAST_GROUP);
  if (v4 === undefined) return decoded({ group: DEFAULT_SYNC_GROUP, groupFamily: 'ipv4' });
  if (v4.length !== 4) return refused(`MCAST_GROUP: expected 4 bytes, got ${v4.length}`);
  const text = decodeAddr('ipv4', v4);
  return text.ok ? decoded({ group: text.value, groupFamily: 'ipv4' }) : text;
}

/** Decodes the payload of a DAEMON nest. */
export function decodeDaemonNest(nest: Buffer): DecodeResult<DaemonParams> {
  const list = decodeAttrs(nest);
  if (!list.ok) return list;
  const attrs = attrsByType(list.value);
  const code = required(attrs, IpvsDaemonAttr.STATE, 'STATE', readU32);
  if (!code.ok) return code;
  const state: SyncDaemonState | null = code.value === 1 ? 'master' : code.value === 2 ? 'backup' : null;
  if (state === null) return refused(`STATE ${code.value} is neither 1 (master) nor 2 (backup)`);
  const ifn = required(attrs, IpvsDaemonAttr.MCAST_IFN, 'MCAST_IFN', readString);
  if (!ifn.ok) return ifn;
  const syncId = required(attrs, IpvsDaemonAttr.SYNC_ID, 'SYNC_ID', readU32);
  if (!syncId.ok) return syncId;
  const maxLen = optional(attrs, IpvsDaemonAttr.SYNC_MAXLEN, 'SYNC_MAXLEN', readU16);
  if (!maxLen.ok) return maxLen;
  const port = optional(attrs, IpvsDaemonAttr.MCAST_PORT, 'MCAST_PORT', readU16);
  if (!port.ok) return port;
  const ttl = optional(attrs, IpvsDaemonAttr.MCAST_TTL, 'MCAST_TTL', readU8);
  if (!ttl.ok) return ttl;
  const group = decodeGroup(attrs);
  if (!group.ok) return group;
  return decoded({
    state,
    interface: ifn.value,
    syncId: syncId.value,
    ...group.value,
    port: port.value ?? DEFAULT_SYNC_PORT,
    ttl: ttl.value ?? 1,
    maxLen: maxLen.value ?? 0,
  });
}

/** Decodes one reply of a GET_DAEMON dump (command NEW_DAEMON, one DAEMON nest). */
export function decodeDaemonReply(reply: IpvsReply): DecodeResult<DaemonParams> {
  if (reply.cmd !== IpvsCmd.NEW_DAEMON) {
    return refused(`GET_DAEMON reply: expected command NEW_DAEMON (${IpvsCmd.NEW_DAEMON}), got ${ipvsCmdName(reply.cmd)}`);
  }
  const list = decodeAttrs(reply.payload);
  if (!list.ok) return refused(`GET_DAEMON reply: ${list.reason}`);
  const nest = attrsByType(list.value).get(IpvsCmdAttr.DAEMON);
  if (nest === undefined) return refused('GET_DAEMON reply: DAEMON nest missing');
  const d = decodeDaemonNest(nest);
  return d.ok ? d : refused(`GET_DAEMON reply: ${d.reason}`);
}
