/**
 * The human view of a `connections` reply: the columns of `ipvsadm -Lnc`
 * (src/lvs/ipvs/connections.ts renders them), or why there is no table. Pure;
 * entries that are not well-formed are counted, not guessed.
 */
import { renderConnections, type IpvsConnection } from '../lvs/ipvs/connections.js';
import type { JsonObject, JsonValue } from './protocol.js';

function entry(v: JsonValue): IpvsConnection | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as JsonObject;
  const str = (k: string): string | null => (typeof o[k] === 'string' ? o[k] : null);
  const num = (k: string): number | null => (typeof o[k] === 'number' ? o[k] : null);
  const [protocol, client, virtual, destination, state] = [str('protocol'), str('client'), str('virtual'), str('destination'), str('state')];
  const [cp, vp, dp, expires] = [num('client_port'), num('virtual_port'), num('destination_port'), num('expires_s')];
  if (protocol === null || client === null || virtual === null || destination === null || state === null) return null;
  if (cp === null || vp === null || dp === null || expires === null) return null;
  return {
    protocol, state, expiresS: expires, peName: str('pe_name'),
    client: { address: client, port: cp }, virtual: { address: virtual, port: vp }, destination: { address: destination, port: dp },
  };
}

export function renderConnectionReply(result: JsonObject): string {
  if (result.available === false) return 'IPVS is not loaded in the daemon\'s network namespace (no /proc/net/ip_vs_conn): no connections\n';
  const list = Array.isArray(result.connections) ? (result.connections as readonly JsonValue[]) : [];
  const parsed = list.map(entry);
  const good = parsed.filter((c): c is IpvsConnection => c !== null);
  const bad = parsed.length - good.length + (typeof result.skipped === 'number' ? result.skipped : 0);
  const truncated = result.truncated === true
    ? `(${String(good.length)} shown: the limit stopped the listing; more connections match)\n`
    : '';
  return renderConnections(good) + (bad > 0 ? `(${String(bad)} entries not shown: not understood)\n` : '') + truncated;
}
