/**
 * Plan (pure): the ordered operations that take the live IPVS table to the
 * desired one, and `applyPlan`, the same operations applied to a table in
 * memory (the reference the tests and the dry run use).
 *
 * - Services whose key is not owned and not desired are left alone, with all
 *   their destinations. Owned services are managed whole: a destination in an
 *   owned service that the desired table lacks is deleted.
 * - Same key, other scheduler/flags/timeout/netmask/PE -> EditService (never
 *   delete + add, which would drop the service's connections).
 * - Same destination key, other weight/method/thresholds/tunnel -> EditDest.
 * - Never a flush.
 *
 * Order (docs/ipvs.md, "make before break"):
 *   1. AddService and EditService, in desired order;
 *   2. AddDest; 3. EditDest that do not lower a weight;
 *   4. EditDest that lower a weight; 5. DelDest;
 *   6. DelService (the kernel deletes its destinations with it).
 * So a service never exists without the destinations that should serve it,
 * and while weight moves from some destinations to others (quorum lost: sorry
 * server in, real servers to 0) there is no instant with no usable destination.
 */
import {
  canonicalDestination,
  canonicalService,
  destinationDifferences,
  destinationsEquivalent,
  destinationKeyText,
  indexServices,
  serviceDifferences,
  serviceKeyText,
  type Destination,
  type Service,
  type ServiceEntry,
  type ServiceKey,
  type Table,
} from './model.js';

export type Operation =
  | { readonly op: 'AddService'; readonly service: Service }
  | { readonly op: 'EditService'; readonly service: Service; readonly previous: Service; readonly changed: readonly (keyof Service)[] }
  | { readonly op: 'DelService'; readonly service: Service }
  | { readonly op: 'AddDest'; readonly service: ServiceKey; readonly dest: Destination }
  | {
      readonly op: 'EditDest';
      readonly service: ServiceKey;
      readonly dest: Destination;
      readonly previous: Destination;
      readonly changed: readonly (keyof Destination)[];
    }
  | { readonly op: 'DelDest'; readonly service: ServiceKey; readonly dest: Destination };

export type OperationName = Operation['op'];

interface Phases {
  readonly services: Operation[];
  readonly adds: Operation[];
  readonly raises: Operation[];
  readonly lowers: Operation[];
  readonly delDests: Operation[];
  readonly delServices: Operation[];
}

/**
 * The operations that take `live` to `desired`. `owned` says which live
 * services are ours (see `ownedBy` in desired.ts); every desired service is ours.
 * plan(T, T) is [].
 */
export function plan(live: Table, desired: Table, owned: (key: ServiceKey) => boolean): Operation[] {
  const liveIndex = indexServices(live);
  const desiredKeys = new Set<string>();
  const phases: Phases = { services: [], adds: [], raises: [], lowers: [], delDests: [], delServices: [] };
  for (const entry of desired.services) {
    const key = serviceKeyText(entry.service.key);
    if (desiredKeys.has(key)) continue;
    desiredKeys.add(key);
    planService(entry, liveIndex.get(key), phases);
  }
  for (const entry of live.services) {
    const key = serviceKeyText(entry.service.key);
    if (desiredKeys.has(key) || !owned(entry.service.key)) continue;
    desiredKeys.add(key);
    phases.delServices.push({ op: 'DelService', service: canonicalService(entry.service) });
  }
  return [...phases.services, ...phases.adds, ...phases.raises, ...phases.lowers, ...phases.delDests, ...phases.delServices];
}

function planService(want: ServiceEntry, have: ServiceEntry | undefined, phases: Phases): void {
  const service = canonicalService(want.service);
  if (have === undefined) {
    phases.services.push({ op: 'AddService', service });
  } else {
    const previous = canonicalService(have.service);
    const changed = serviceDifferences(previous, service);
    if (changed.length > 0) phases.services.push({ op: 'EditService', service, previous, changed });
  }
  planDestinations(service.key, want.destinations, have?.destinations ?? [], phases);
}

function planDestinations(key: ServiceKey, want: readonly Destination[], have: readonly Destination[], phases: Phases): void {
  // Canonical copies only for destinations that end up in an operation (a no-op plan makes none).
  const haveIndex = new Map<string, Destination>();
  for (const d of have) haveIndex.set(destinationKeyText(d), d);
  const wanted = new Set<string>();
  for (const raw of want) {
    const dkey = destinationKeyText(raw);
    if (wanted.has(dkey)) continue;
    wanted.add(dkey);
    const live = haveIndex.get(dkey);
    if (live === undefined) {
      phases.adds.push({ op: 'AddDest', service: key, dest: canonicalDestination(raw) });
      continue;
    }
    if (destinationsEquivalent(live, raw)) continue;
    const dest = canonicalDestination(raw);
    const previous = canonicalDestination(live);
    const op: Operation = { op: 'EditDest', service: key, dest, previous, changed: destinationDifferences(previous, dest) };
    (dest.weight < previous.weight ? phases.lowers : phases.raises).push(op);
  }
  for (const [dkey, dest] of haveIndex) {
    if (!wanted.has(dkey)) phases.delDests.push({ op: 'DelDest', service: key, dest: canonicalDestination(dest) });
  }
}

/** Counts of operations by name, for logs and metrics. */
export function planSummary(ops: readonly Operation[]): Readonly<Record<OperationName, number>> {
  const out: Record<OperationName, number> = { AddService: 0, EditService: 0, DelService: 0, AddDest: 0, EditDest: 0, DelDest: 0 };
  for (const o of ops) out[o.op] += 1;
  return out;
}

/**
 * The operations applied to a table in memory, as the kernel applies them:
 * adds replace nothing (an existing key is an error: returned as `conflicts`),
 * DelService drops the destinations with the service. Pure.
 */
export function applyPlan(table: Table, ops: readonly Operation[]): { table: Table; conflicts: readonly string[] } {
  const services = new Map<string, { service: Service; dests: Map<string, Destination> }>();
  for (const e of table.services) {
    services.set(serviceKeyText(e.service.key), {
      service: e.service,
      dests: new Map(e.destinations.map((d) => [destinationKeyText(d), d])),
    });
  }
  const conflicts: string[] = [];
  for (const o of ops) {
    const conflict = applyOne(services, o);
    if (conflict !== null) conflicts.push(conflict);
  }
  const out: ServiceEntry[] = [...services.values()].map((s) => ({ service: s.service, destinations: [...s.dests.values()] }));
  return { table: { services: out }, conflicts };
}

function applyOne(services: Map<string, { service: Service; dests: Map<string, Destination> }>, o: Operation): string | null {
  const skey = serviceKeyText(o.op === 'AddService' || o.op === 'EditService' || o.op === 'DelService' ? o.service.key : o.service);
  const svc = services.get(skey);
  switch (o.op) {
    case 'AddService':
      if (svc) return `service ${skey} exists`;
      services.set(skey, { service: o.service, dests: new Map() });
      return null;
    case 'EditService':
      if (!svc) return `no service ${skey}`;
      services.set(skey, { service: o.service, dests: svc.dests });
      return null;
    case 'DelService':
      return services.delete(skey) ? null : `no service ${skey}`;
    default:
      return applyDest(svc, skey, o);
  }
}

function applyDest(
  svc: { dests: Map<string, Destination> } | undefined,
  skey: string,
  o: Extract<Operation, { op: 'AddDest' | 'EditDest' | 'DelDest' }>,
): string | null {
  if (!svc) return `no service ${skey}`;
  const dkey = destinationKeyText(o.dest);
  const exists = svc.dests.has(dkey);
  if (o.op === 'AddDest' && exists) return `destination ${dkey} exists in ${skey}`;
  if (o.op !== 'AddDest' && !exists) return `no destination ${dkey} in ${skey}`;
  if (o.op === 'DelDest') svc.dests.delete(dkey);
  else svc.dests.set(dkey, o.dest);
  return null;
}
