/**
 * Routes of one table over rtnetlink (the `netlink` package): list, add,
 * delete. Idempotent like the address manager: EEXIST on add and ESRCH on
 * delete mean "already so". Used by the ECMP announcer (src/announce/), which
 * owns the routes of its table and protocol and nothing else.
 */
import { createRtNetlink, FlagsNew, rt, type RtNetlinkSocket } from 'netlink';
import type { LiveRoute, WantedRoute } from '../announce/route-plan.js';
import { bytesToIpv4, bytesToIpv6, familyOf, ipToBytes } from './inet.js';
import { errnoOf, osError } from './os-errors.js';

const AF_INET = 2;
const AF_INET6 = 10;
const RT_TABLE_UNSPEC = 0;

export type RouteChange = 'added' | 'already-present' | 'removed' | 'already-absent';

export interface RouteOwner {
  readonly table: number;
  readonly protocol: number;
}

export interface RouteManager {
  /** Every IPv4 and IPv6 route of `table` (whatever its protocol). */
  listRoutes(table: number): Promise<LiveRoute[]>;
  addRoute(route: WantedRoute, owner: RouteOwner): Promise<RouteChange>;
  deleteRoute(route: LiveRoute | WantedRoute, owner: RouteOwner): Promise<RouteChange>;
  /**
   * Make an address local without an interface address: `local ADDR dev IFINDEX table local
   * proto PROTOCOL` (the kernel then delivers it here, IPVS sees it at LOCAL_IN). Unlike an
   * address, it gives routing daemons no connected route that would outrank the announcement.
   */
  addLocal(address: string, ifindex: number, protocol: number): Promise<RouteChange>;
  /** Remove such a local route of this protocol only (never the kernel's own for a real address). */
  deleteLocal(address: string, protocol: number): Promise<RouteChange>;
  close(): void;
}

function tableOf(msg: rt.RouteMessage): number {
  return msg.attrs.table ?? msg.data.table ?? RT_TABLE_UNSPEC;
}

function protocolOf(msg: rt.RouteMessage): number {
  const p = msg.data.protocol;
  return typeof p === 'number' ? p : typeof p === 'string' ? rt.RouteProtocol[p] : 0;
}

function typeOf(msg: rt.RouteMessage): number {
  const t = msg.data.type;
  return typeof t === 'number' ? t : typeof t === 'string' ? rt.RouteType[t] : 0;
}

/** The route in our terms, or undefined for one without a destination we can read. */
export function toLiveRoute(msg: rt.RouteMessage): LiveRoute | undefined {
  const { data, attrs } = msg;
  const prefixLength = data.dstLen ?? 0;
  let address: string;
  if (data.family === AF_INET) address = attrs.dst?.length === 4 ? bytesToIpv4(attrs.dst) : '0.0.0.0';
  else if (data.family === AF_INET6) address = attrs.dst?.length === 16 ? bytesToIpv6(attrs.dst) : '::';
  else return undefined;
  return { address, prefixLength, table: tableOf(msg), protocol: protocolOf(msg), ifindex: attrs.oif ?? null, type: typeOf(msg) };
}

const LOCAL_TABLE = 255;

function request(
  route: { address: string; prefixLength: number },
  owner: RouteOwner,
  ifindex: number | null,
  kind: { type: rt.RouteType; scope: rt.RouteScope } = { type: rt.RouteType.UNICAST, scope: rt.RouteScope.LINK },
): { data: rt.Route; attrs: rt.RouteAttrs } {
  const family = familyOf(route.address);
  const dst = ipToBytes(route.address);
  if (!family || !dst) throw osError('route', new Error(`invalid address ${route.address}`));
  const data: rt.Route = {
    family: family === 4 ? AF_INET : AF_INET6,
    dstLen: route.prefixLength,
    // Tables above 255 travel only in RTA_TABLE; the header says "see the attribute".
    table: owner.table < 256 ? owner.table : RT_TABLE_UNSPEC,
    // Any number 0..255 travels as is; the package's enum lists only the well-known ones.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
    protocol: owner.protocol,
    scope: kind.scope,
    type: kind.type,
  };
  const attrs: rt.RouteAttrs = { dst, table: owner.table, ...(ifindex === null ? {} : { oif: ifindex }) };
  return { data, attrs };
}

function prefixLen(address: string): number {
  return address.includes(':') ? 128 : 32;
}

function describe(route: { address: string; prefixLength: number }, owner: RouteOwner): string {
  return `${route.address}/${String(route.prefixLength)} table ${String(owner.table)} proto ${String(owner.protocol)}`;
}

export function openRouteManager(): RouteManager {
  const sock: RtNetlinkSocket = createRtNetlink();
  return {
    async listRoutes(table) {
      const out: LiveRoute[] = [];
      for (const family of [AF_INET, AF_INET6]) {
        let msgs: rt.RouteMessage[];
        try {
          msgs = await sock.getRoutes({ family }, { table });
        } catch (err) {
          throw osError(`list routes of table ${String(table)}`, err);
        }
        for (const m of msgs) {
          if (tableOf(m) !== table) continue;
          const r = toLiveRoute(m);
          if (r) out.push(r);
        }
      }
      return out;
    },
    async addRoute(route, owner) {
      const { data, attrs } = request(route, owner, route.ifindex);
      try {
        await sock.newRoute(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL });
        return 'added';
      } catch (err) {
        if (errnoOf(err) === 'EEXIST') return 'already-present';
        throw osError(`add route ${describe(route, owner)}`, err);
      }
    },
    async deleteRoute(route, owner) {
      // Delete by destination, table and protocol only: the kernel then removes our route, never another owner's.
      const { data, attrs } = request(route, owner, null);
      try {
        // Scope NOWHERE and type UNSPEC match any, as `ip route del` sends them.
        await sock.delRoute({ ...data, scope: rt.RouteScope.NOWHERE, type: rt.RouteType.UNSPEC }, attrs);
        return 'removed';
      } catch (err) {
        if (errnoOf(err) === 'ESRCH') return 'already-absent';
        throw osError(`delete route ${describe(route, owner)}`, err);
      }
    },
    async addLocal(address, ifindex, protocol) {
      const owner = { table: LOCAL_TABLE, protocol };
      const { data, attrs } = request({ address, prefixLength: prefixLen(address) }, owner, ifindex, { type: rt.RouteType.LOCAL, scope: rt.RouteScope.HOST });
      try {
        await sock.newRoute(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL });
        return 'added';
      } catch (err) {
        // EEXIST: the address is local already (ours from before, or an interface address).
        if (errnoOf(err) === 'EEXIST') return 'already-present';
        throw osError(`add local route ${address}`, err);
      }
    },
    async deleteLocal(address, protocol) {
      const owner = { table: LOCAL_TABLE, protocol };
      const { data, attrs } = request({ address, prefixLength: prefixLen(address) }, owner, null, { type: rt.RouteType.LOCAL, scope: rt.RouteScope.NOWHERE });
      try {
        await sock.delRoute(data, attrs);
        return 'removed';
      } catch (err) {
        if (errnoOf(err) === 'ESRCH') return 'already-absent';
        throw osError(`delete local route ${address}`, err);
      }
    },
    close() {
      sock.socket.close();
    },
  };
}
