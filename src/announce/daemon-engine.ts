/**
 * The announcer as one of the daemon's engines: production kernel ports
 * (rtnetlink routes and addresses), the director's health as input, the
 * `announce` status section, and stop = withdraw, grace, then stop.
 */
import type { Config } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { openAddressManager } from '../os/addresses.js';
import { openRouteManager } from '../os/route-table.js';
import type { QuorumState } from '../health/quorum.js';
import type { AnnounceChange } from './decide.js';
import { AnnounceEngine, type AnnounceKernel } from './engine.js';

/** Routes (announcements and local VIPs) and the device lookup, over two rtnetlink sockets. */
export function openKernelAnnounce(): AnnounceKernel {
  const routes = openRouteManager();
  const addresses = openAddressManager();
  return {
    listRoutes: (table) => routes.listRoutes(table),
    addRoute: (route, owner) => routes.addRoute(route, owner),
    deleteRoute: (route, owner) => routes.deleteRoute(route, owner),
    interfaceByName: (name) => addresses.interfaceByName(name),
    addLocal: (address, ifindex, protocol) => routes.addLocal(address, ifindex, protocol),
    removeLocal: (address, protocol) => routes.deleteLocal(address, protocol),
    close: () => {
      routes.close();
      addresses.close();
    },
  };
}

/** What the announcer reads from the director engine. */
export interface AnnounceHealthSource {
  quorumStates(): ReadonlyMap<string, QuorumState>;
  onHealthChange(listener: () => void): () => void;
  packetsTo(vips: ReadonlySet<string>): Promise<bigint | null>;
}

export function createAnnounceEngine(deps: {
  clock: Clock;
  logger: Logger;
  enqueue: (label: string, run: () => Promise<void>) => Promise<void>;
  health: AnnounceHealthSource;
  onChange?: (change: AnnounceChange, at: Date) => void;
}): AnnounceEngine {
  return new AnnounceEngine({
    clock: deps.clock,
    logger: deps.logger,
    enqueue: deps.enqueue,
    openKernel: openKernelAnnounce,
    quorum: () => deps.health.quorumStates(),
    onHealthChange: (listener) => deps.health.onHealthChange(listener),
    packetsTo: (vips) => deps.health.packetsTo(vips),
    ...(deps.onChange ? { onChange: deps.onChange } : {}),
  });
}

/** The engine shape the daemon composes (structurally DaemonEngine). */
export function announceDaemonEngine(engine: AnnounceEngine): {
  name: string;
  status: { section: string; snapshot: () => ReturnType<AnnounceEngine['snapshot']> };
  start: (config: Config) => Promise<void>;
  required: (config: Config) => boolean;
  applyConfig: (config: Config) => Promise<void>;
  stop: () => Promise<void>;
} {
  return {
    name: 'announce',
    status: { section: 'announce', snapshot: () => engine.snapshot() },
    start: (config) => engine.start(config),
    // Without its routes an ECMP director announces nothing: it may run (and serve what reaches it).
    required: () => false,
    applyConfig: (config) => engine.applyConfig(config),
    stop: () => engine.stop(),
  };
}
