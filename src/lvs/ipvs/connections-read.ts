/**
 * The daemon side of `status --connections`: reads /proc/net/ip_vs_conn of
 * the caller's network namespace (IPVS has no generic netlink connection
 * listing) and gives the list as parsed by ./connections.ts, plus its JSON
 * form for the control reply. The file is absent when ip_vs is not loaded:
 * that is `available: false` with no connections, not an error.
 */
import { readFile } from 'node:fs/promises';
import type { IpvsConnection } from './connections.js';
import { parseIpVsConn } from './connections.js';

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

/** The control reply's `connections` section (snake_case, like `status --json`). */
export function connectionsJson(list: IpvsConnectionList): {
  available: boolean;
  skipped: number;
  connections: { protocol: string; client: string; client_port: number; virtual: string; virtual_port: number; destination: string; destination_port: number; state: string; expires_s: number; pe_name: string | null }[];
} {
  return {
    available: list.available,
    skipped: list.skipped,
    connections: list.connections.map((c) => ({
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
    })),
  };
}
