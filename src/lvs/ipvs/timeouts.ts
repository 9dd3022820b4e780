/**
 * Connection timeouts (SET_CONFIG / GET_CONFIG): TIMEOUT_TCP, TIMEOUT_TCP_FIN
 * and TIMEOUT_UDP, u32 seconds at the top level of the message. In SET_CONFIG
 * a 0 leaves that timeout unchanged; GET_CONFIG replies with SET_CONFIG.
 */
import type { IpvsTimeouts } from '../../config/types.js';
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import { attrsByType, decodeAttrs, readU32, required, u32Attr } from './attrs.js';
import { IpvsCmd, IpvsCmdAttr, ipvsCmdName } from './constants.js';
import type { IpvsReply, IpvsRequest } from './message.js';

/** The kernel's defaults (B4). */
export const DEFAULT_TIMEOUTS: IpvsTimeouts = { tcpS: 900, tcpFinS: 120, udpS: 300 };

export function setTimeoutsRequest(t: IpvsTimeouts): IpvsRequest {
  return {
    cmd: IpvsCmd.SET_CONFIG,
    kind: 'doit',
    payload: Buffer.concat([
      u32Attr(IpvsCmdAttr.TIMEOUT_TCP, t.tcpS),
      u32Attr(IpvsCmdAttr.TIMEOUT_TCP_FIN, t.tcpFinS),
      u32Attr(IpvsCmdAttr.TIMEOUT_UDP, t.udpS),
    ]),
    subject: `tcp ${t.tcpS} tcpfin ${t.tcpFinS} udp ${t.udpS}`,
  };
}

export function getTimeoutsRequest(): IpvsRequest {
  return { cmd: IpvsCmd.GET_CONFIG, kind: 'doit', payload: Buffer.alloc(0) };
}

export function decodeTimeoutsReply(reply: IpvsReply): DecodeResult<IpvsTimeouts> {
  if (reply.cmd !== IpvsCmd.SET_CONFIG) {
    return refused(`GET_CONFIG reply: expected command SET_CONFIG (${IpvsCmd.SET_CONFIG}), got ${ipvsCmdName(reply.cmd)}`);
  }
  const list = decodeAttrs(reply.payload);
  if (!list.ok) return refused(`GET_CONFIG reply: ${list.reason}`);
  const attrs = attrsByType(list.value);
  const tcp = required(attrs, IpvsCmdAttr.TIMEOUT_TCP, 'GET_CONFIG reply: TIMEOUT_TCP', readU32);
  if (!tcp.ok) return tcp;
  const fin = required(attrs, IpvsCmdAttr.TIMEOUT_TCP_FIN, 'GET_CONFIG reply: TIMEOUT_TCP_FIN', readU32);
  if (!fin.ok) return fin;
  const udp = required(attrs, IpvsCmdAttr.TIMEOUT_UDP, 'GET_CONFIG reply: TIMEOUT_UDP', readU32);
  if (!udp.ok) return udp;
  return decoded({ tcpS: tcp.value, tcpFinS: fin.value, udpS: udp.value });
}

/** True when setting `wanted` would change `live` (a 0 in `wanted` means unchanged). */
export function timeoutsDiffer(live: IpvsTimeouts, wanted: IpvsTimeouts): boolean {
  const differs = (have: number, want: number): boolean => want !== 0 && have !== want;
  return differs(live.tcpS, wanted.tcpS) || differs(live.tcpFinS, wanted.tcpFinS) || differs(live.udpS, wanted.udpS);
}
