/**
 * Presence of routes in routing tables, from rtnetlink route events (RTNLGRP_IPV4_ROUTE and
 * RTNLGRP_IPV6_ROUTE), not polling. Only the routes someone watches are kept: a route is known by
 * family, destination/prefix length and table; several kernel routes may share that (different
 * metric, TOS or type), and the destination counts as present while any of them exists.
 *
 * Cost: every route change in the namespace is parsed once (a few microseconds each); a watched
 * set that grows, and lost events (ENOBUFS), trigger one dump of all routes. The watcher is opened
 * only when some instance tracks a route.
 */
import { createRtNetlink, rt, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';
import { formatIp } from '../core/ip.js';
import { Listeners } from './listeners.js';
import { osError } from './os-errors.js';

const AF_INET = 2;
const AF_INET6 = 10;

/**
 * Receive buffer asked for the route event socket, so a burst of route changes (a BGP session
 * reset) is less likely to overflow it. The kernel caps it at net.core.rmem_max (the package
 * has no SO_RCVBUFFORCE). KNOWN PROBLEM (measured, docs/vrrp.md): when the socket does overflow
 * (ENOBUFS), the netlink package's native receive path often aborts the whole process
 * ("terminate called after throwing an instance of 'Napi::Error'"), whatever the listeners do.
 */
const ROUTE_EVENTS_RCVBUF = 8 * 1024 * 1024;

export interface RouteKey {
  readonly family: 'ipv4' | 'ipv6';
  /** Network address text (host bits zero), as the config normalises it. */
  readonly destination: string;
  readonly prefixLength: number;
  readonly table: number;
}

export function routeKeyText(k: RouteKey): string {
  return `${k.family} ${k.destination}/${String(k.prefixLength)} table ${String(k.table)}`;
}

/** One kernel route: its key and what tells it apart from others with the same key. */
export interface RouteFact {
  readonly key: string;
  readonly variant: string;
}

/** The pure part: the key of a route message, or undefined for cloned/cache entries and other families. */
export function routeFact(msg: rt.RouteMessage): RouteFact | undefined {
  const { data, attrs } = msg;
  if (data.flags?.cloned === true) return undefined;
  const family = data.family === AF_INET ? 'ipv4' : data.family === AF_INET6 ? 'ipv6' : null;
  if (family === null) return undefined;
  const size = family === 'ipv4' ? 4 : 16;
  const prefixLength = data.dstLen ?? 0;
  const dst = attrs.dst?.length === size ? attrs.dst : new Uint8Array(size);
  // RTA_TABLE holds the full id; the header's byte says RT_TABLE_COMPAT (252) beyond 255.
  const table = attrs.table ?? data.table ?? 0;
  const key = routeKeyText({ family, destination: formatIp(new Uint8Array(dst)), prefixLength, table });
  const variant = `${String(attrs.priority ?? 0)} ${String(data.tos ?? 0)} ${String(data.type ?? 0)}`;
  return { key, variant };
}

/** Fold one route message into the watched state; returns the key when its presence changed. */
export function applyRouteFact(state: Map<string, Set<string>>, fact: RouteFact, deleted: boolean): string | undefined {
  const variants = state.get(fact.key);
  if (!variants) return undefined; // not watched
  const before = variants.size > 0;
  if (deleted) variants.delete(fact.variant);
  else variants.add(fact.variant);
  return before === variants.size > 0 ? undefined : fact.key;
}

export interface RouteWatcher {
  /** Watch these routes (replacing the previous set); resolves once their presence is known. */
  watch(keys: readonly RouteKey[]): Promise<void>;
  present(key: RouteKey): boolean;
  /** A watched route appeared or disappeared. */
  onChange(listener: (key: string, present: boolean) => void): () => void;
  onError(listener: (err: Error) => void): () => void;
  close(): void;
}

function factOf(msg: NetlinkMessage): { fact: RouteFact; deleted: boolean } | undefined {
  const deleted = msg.type === (rt.MessageType.DELROUTE as number);
  if (!deleted && msg.type !== (rt.MessageType.NEWROUTE as number)) return undefined;
  try {
    const fact = routeFact(rt.parseRouteMessage(msg.data));
    return fact ? { fact, deleted } : undefined;
  } catch {
    return undefined;
  }
}

/** Subscribe first, then dump, so no change falls between the two (as the link watcher). */
export function openRouteWatcher(): RouteWatcher {
  const state = new Map<string, Set<string>>();
  const listeners = new Listeners<{ key: string; present: boolean }>();
  const errors = new Listeners<Error>();
  const events: RtNetlinkSocket = createRtNetlink();
  const requests: RtNetlinkSocket = createRtNetlink();
  let dumping = 0;
  const early: NetlinkMessage[] = [];
  const apply = (msg: NetlinkMessage): void => {
    const f = factOf(msg);
    if (!f) return;
    const changed = applyRouteFact(state, f.fact, f.deleted);
    if (changed !== undefined) listeners.emit({ key: changed, present: (state.get(changed)?.size ?? 0) > 0 });
  };
  /** Re-read every route of the watched keys; report the keys whose presence changed. */
  const resync = async (): Promise<void> => {
    dumping += 1;
    try {
      const seen = new Map<string, Set<string>>();
      for (const k of state.keys()) seen.set(k, new Set());
      for (const msg of await requests.getRoutes()) {
        const fact = routeFact(msg);
        if (fact) seen.get(fact.key)?.add(fact.variant);
      }
      for (const [k, variants] of seen) {
        const before = (state.get(k)?.size ?? 0) > 0;
        if (!state.has(k)) continue; // unwatched meanwhile
        state.set(k, variants);
        if (before !== variants.size > 0) listeners.emit({ key: k, present: variants.size > 0 });
      }
    } finally {
      dumping -= 1;
    }
    if (dumping === 0) for (const msg of early.splice(0)) apply(msg);
  };
  try {
    events.socket.setRecvBufferSize(ROUTE_EVENTS_RCVBUF);
  } catch {
    // the kernel's default stays; a burst may then overflow it (a resync follows)
  }
  events.addMembership(rt.MulticastGroups.IPV4_ROUTE);
  events.addMembership(rt.MulticastGroups.IPV6_ROUTE);
  events.socket.on('message', (msgs) => {
    // This socket never sends requests: everything on it is a notification (which carries the
    // sequence number of the request that caused it, e.g. `ip route del`, so seq is no filter).
    for (const msg of msgs) {
      if (dumping > 0) early.push(msg);
      else apply(msg);
    }
  });
  events.socket.on('error', (err) => {
    errors.emit(osError('route events', err));
    resync().catch((e: unknown) => {
      errors.emit(osError('re-read routes', e));
    });
  });
  requests.socket.on('error', (err) => {
    errors.emit(osError('route requests', err));
  });
  return {
    async watch(keys) {
      const wanted = new Set(keys.map(routeKeyText));
      let added = false;
      for (const k of [...state.keys()]) if (!wanted.has(k)) state.delete(k);
      for (const k of wanted) {
        if (state.has(k)) continue;
        state.set(k, new Set());
        added = true;
      }
      if (added) {
        try {
          await resync();
        } catch (err) {
          throw osError('dump routes', err);
        }
      }
    },
    present: (key) => (state.get(routeKeyText(key))?.size ?? 0) > 0,
    onChange: (listener) => listeners.add((e) => { listener(e.key, e.present); }),
    onError: (listener) => errors.add(listener),
    close() {
      events.socket.close();
      requests.socket.close();
    },
  };
}
