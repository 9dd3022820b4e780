/**
 * The daemon side of `status --connections`: reads /proc/net/ip_vs_conn of
 * the caller's network namespace (IPVS has no generic netlink connection
 * listing) and gives the list as parsed by ./connections.ts, plus its JSON
 * form for the control reply. The file is absent when ip_vs is not loaded:
 * that is `available: false` with no connections, not an error.
 */
import { readFile } from 'node:fs/promises';
import type { JsonObject } from '../../control/protocol.js';
import type { IpvsConnection } from './connections.js';
import { parseIpVsConn, parseIpVsConnLine } from './connections.js';

export const IP_VS_CONN_PATH = '/proc/net/ip_vs_conn';

export interface IpvsConnectionList {
  /** False when the kernel has no IPVS loaded (no /proc/net/ip_vs_conn). */
  readonly available: boolean;
  readonly connections: readonly IpvsConnection[];
  /** Lines that did not parse. */
  readonly skipped: number;
}

/** Reads and parses the connection table; `read` is injectable for tests. Other read errors reject. */
export async function readIpVsConnections(
  read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
  path: string = IP_VS_CONN_PATH,
): Promise<IpvsConnectionList> {
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return { available: false, connections: [], skipped: 0 };
    throw err;
  }
  return { available: true, ...parseIpVsConn(text) };
}

// A type, not an interface: it must be assignable to the control protocol's JsonObject.
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type ConnectionJson = {
  protocol: string; client: string; client_port: number; virtual: string; virtual_port: number;
  destination: string; destination_port: number; state: string; expires_s: number; pe_name: string | null;
};

/** One connection as the control reply gives it (snake_case, like `status --json`). */
export function connectionJson(c: IpvsConnection): ConnectionJson {
  return {
    protocol: c.protocol,
    client: c.client.address,
    client_port: c.client.port,
    virtual: c.virtual.address,
    virtual_port: c.virtual.port,
    destination: c.destination.address,
    destination_port: c.destination.port,
    state: c.state,
    expires_s: c.expiresS,
    pe_name: c.peName,
  };
}

/** The control reply's `connections` section. */
export function connectionsJson(list: IpvsConnectionList): { available: boolean; skipped: number; connections: ConnectionJson[] } {
  return { available: list.available, skipped: list.skipped, connections: list.connections.map(connectionJson) };
}

/** What `status --connections` may ask for: only matching connections, at most `limit` (0 = all). */
export interface ConnectionFilter {
  /** The virtual service (address, port, protocol) of a named virtual server. */
  readonly virtual?: { readonly address: string; readonly port: number; readonly protocol: string };
  /** A state as the kernel names it (ESTABLISHED, SYN_RECV, ...), compared case-insensitively. */
  readonly state?: string;
  readonly limit: number;
}

/** Connections per part of the streamed reply (a part encodes in about a millisecond). */
export const CONNECTIONS_PER_PART = 500;

function matches(c: IpvsConnection, f: ConnectionFilter): boolean {
  if (f.state !== undefined && c.state.toUpperCase() !== f.state.toUpperCase()) return false;
  const v = f.virtual;
  if (v !== undefined && (c.virtual.address !== v.address || c.virtual.port !== v.port || c.protocol.toUpperCase() !== v.protocol.toUpperCase())) return false;
  return true;
}

/**
 * The connection table as parts of a streamed control reply: the file is read
 * in 16 KiB chunks (the kernel renders it as it is read), each chunk parsed and
 * filtered on its own turn of the event loop, and a part is given every
 * CONNECTIONS_PER_PART matches, so no step holds the daemon's loop for more
 * than a chunk's worth of work whatever the table's size. The last part has
 * the totals: `matched` (given), `scanned`, `skipped` (unparsed lines) and
 * `truncated` (the limit stopped the listing). Stops reading at the limit, and
 * when the consumer stops (the client went away).
 */
export async function* streamIpVsConnections(filter: ConnectionFilter, path: string = IP_VS_CONN_PATH): AsyncGenerator<JsonObject> {
  const { createReadStream } = await import('node:fs');
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 16 * 1024 });
  let rest = '';
  let header = true;
  let scanned = 0;
  let skipped = 0;
  let matched = 0;
  const state = { truncated: false };
  let part: ConnectionJson[] = [];
  const take = (line: string): void => {
    if (header) {
      header = false;
      return;
    }
    if (line.trim() === '') return;
    scanned += 1;
    const c = parseIpVsConnLine(line);
    if (c === null) {
      skipped += 1;
      return;
    }
    if (!matches(c, filter)) return;
    if (filter.limit > 0 && matched >= filter.limit) {
      state.truncated = true;
      return;
    }
    matched += 1;
    part.push(connectionJson(c));
  };
  try {
    for await (const chunk of stream) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) take(line);
      if (part.length >= CONNECTIONS_PER_PART) {
        yield { available: true, connections: part };
        part = [];
      }
      if (state.truncated) break;
    }
    if (!state.truncated && rest !== '') take(rest);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
      yield { available: false, connections: [], matched: 0, scanned: 0, skipped: 0, truncated: false };
      return;
    }
    throw err;
  } finally {
    stream.destroy();
  }
  yield { available: true, connections: part, matched, scanned, skipped, truncated: state.truncated };
}
