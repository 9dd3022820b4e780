/**
 * The IPVS connection table as /proc/net/ip_vs_conn shows it (the source of
 * `status --connections`, like `ipvsadm -Lnc`; the generic netlink family
 * has no connection listing). Lines: protocol, client address and port,
 * virtual address and port, destination address and port (addresses as 8 hex
 * digits for IPv4 or colon form for IPv6, ports as 4 hex digits), state,
 * seconds to expiry, then optionally the persistence engine's name and data.
 * Pure; a line that does not parse is skipped and counted.
 */
import { canonicalAddress } from '../model.js';

export interface IpvsConnection {
  readonly protocol: string;
  readonly client: { readonly address: string; readonly port: number };
  readonly virtual: { readonly address: string; readonly port: number };
  readonly destination: { readonly address: string; readonly port: number };
  readonly state: string;
  readonly expiresS: number;
  readonly peName: string | null;
}

function address(token: string): string | null {
  if (/^[0-9A-Fa-f]{8}$/.test(token)) {
    const n = parseInt(token, 16);
    return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
  }
  if (token.includes(':')) return canonicalAddress(token);
  return null;
}

function port(token: string): number | null {
  return /^[0-9A-Fa-f]{4}$/.test(token) ? parseInt(token, 16) : null;
}

/** One line of /proc/net/ip_vs_conn (not the header), or null when it does not parse. */
export function parseIpVsConnLine(line: string): IpvsConnection | null {
  const t = line.trim().split(/\s+/);
  const [proto, ca, cp, va, vp, da, dp, state, expires, pe] = t;
  if (proto === undefined || ca === undefined || cp === undefined || va === undefined || vp === undefined) return null;
  if (da === undefined || dp === undefined || state === undefined || expires === undefined || !/^\d+$/.test(expires)) return null;
  const addrs = [address(ca), address(va), address(da)];
  const ports = [port(cp), port(vp), port(dp)];
  const [c, v, d] = addrs;
  const [cpn, vpn, dpn] = ports;
  if (c == null || v == null || d == null || cpn == null || vpn == null || dpn == null) return null;
  return {
    protocol: proto,
    client: { address: c, port: cpn },
    virtual: { address: v, port: vpn },
    destination: { address: d, port: dpn },
    state,
    expiresS: Number(expires),
    peName: pe ?? null,
  };
}

/** Parses the text of /proc/net/ip_vs_conn (header line first). */
export function parseIpVsConn(text: string): { connections: IpvsConnection[]; skipped: number } {
  const connections: IpvsConnection[] = [];
  let skipped = 0;
  for (const line of text.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const c = parseIpVsConnLine(line);
    if (c === null) skipped += 1;
    else connections.push(c);
  }
  return { connections, skipped };
}

function hostPort(a: { address: string; port: number }): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** One line per connection, the columns of `ipvsadm -Lnc`: pro expire state source virtual destination. */
export function renderConnections(list: readonly IpvsConnection[]): string {
  const head = 'pro expire state       source             virtual            destination';
  const lines = list.map((c) => {
    const expire = `${String(Math.floor(c.expiresS / 60)).padStart(2, '0')}:${String(c.expiresS % 60).padStart(2, '0')}`;
    return [c.protocol.padEnd(3), expire, c.state.padEnd(11), hostPort(c.client).padEnd(18), hostPort(c.virtual).padEnd(18), hostPort(c.destination)].join(' ');
  });
  return [head, ...lines].join('\n') + '\n';
}
