/**
 * The `connections` control command (`lvs-ha status --connections`): its
 * arguments checked against the running config, and the table streamed in
 * parts (src/lvs/ipvs/connections-read.ts) so that a table of any size never
 * holds the daemon's loop.
 *
 *   {"cmd":"connections","args":{"virtual_server":"web","state":"ESTABLISHED","limit":100}}
 */
import type { VirtualServerConfig } from '../config/types.js';
import type { JsonObject } from '../control/protocol.js';
import type { ConnectionFilter } from '../lvs/ipvs/connections-read.js';
import { canonicalAddress } from '../lvs/model.js';

/** Either the filter or why the request is refused (`code` for the reply). */
export type ConnectionArgsResult =
  | { readonly ok: true; readonly filter: ConnectionFilter }
  | { readonly ok: false; readonly code: 'bad_request' | 'not_found'; readonly message: string };

const STATE = /^[A-Za-z_]{1,20}$/;
const MAX_LIMIT = 100_000_000;

export function parseConnectionArgs(args: JsonObject, virtualServers: readonly VirtualServerConfig[]): ConnectionArgsResult {
  const unknown = Object.keys(args).filter((k) => !['virtual_server', 'state', 'limit'].includes(k));
  if (unknown.length > 0) return { ok: false, code: 'bad_request', message: `unknown argument(s): ${unknown.join(', ')} (known: virtual_server, state, limit)` };
  const { virtual_server: vsName, state, limit } = args;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT)) {
    return { ok: false, code: 'bad_request', message: `limit must be an integer 0..${String(MAX_LIMIT)} (0 = all)` };
  }
  if (state !== undefined && (typeof state !== 'string' || !STATE.test(state))) {
    return { ok: false, code: 'bad_request', message: 'state must be a connection state such as ESTABLISHED, SYN_RECV or FIN_WAIT' };
  }
  let virtual: ConnectionFilter['virtual'];
  if (vsName !== undefined) {
    if (typeof vsName !== 'string') return { ok: false, code: 'bad_request', message: 'virtual_server must be a name' };
    const vs = virtualServers.find((v) => v.name === vsName);
    if (vs === undefined) {
      const names = virtualServers.map((v) => v.name);
      return { ok: false, code: 'not_found', message: `no virtual server '${vsName}' in the running config${names.length > 0 ? ` (there are: ${names.join(', ')})` : ''}` };
    }
    if (vs.key.kind === 'fwmark') {
      return { ok: false, code: 'bad_request', message: `virtual server '${vsName}' is a firewall-mark service: the kernel's connection table does not name the mark, so it cannot be filtered by it` };
    }
    virtual = { address: canonicalAddress(vs.key.address.text), port: vs.key.port, protocol: vs.key.protocol };
  }
  return {
    ok: true,
    filter: { limit: limit ?? 0, ...(typeof state === 'string' ? { state } : {}), ...(virtual ? { virtual } : {}) },
  };
}
