/**
 * The live table after a plan that the kernel accepted whole (pure): the
 * table just read with the operations applied, so the reconciler need not
 * dump the kernel again after a successful run (a second dump of a big table
 * costs as much as the first). What it says is what a dump would have said,
 * except for counters, which are as of the read before the run: edited
 * services and destinations keep theirs, added ones start at zero (the
 * kernel starts them at zero too), and the kernel's HASHED service flag is
 * not set on added services. Only for runs without failures or skipped
 * operations: otherwise the reconciler dumps again.
 */
import type { LiveEntry } from './ipvs/client.js';
import type { LiveDestination } from './ipvs/destination.js';
import type { IpvsStats } from './ipvs/stats.js';
import { destinationKeyText, serviceKeyText, type Destination } from './model.js';
import type { Operation } from './plan.js';

/** What the kernel reports for a service or destination that has seen no traffic yet. */
export const ZERO_STATS: IpvsStats = Object.freeze({
  conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n,
});

interface Building {
  service: LiveEntry['service'];
  /** Destinations by key text; null until the first change to this service's destinations. */
  dests: Map<string, LiveDestination> | null;
  readonly original: readonly LiveDestination[];
}

function destsOf(b: Building): Map<string, LiveDestination> {
  b.dests ??= new Map(b.original.map((d) => [destinationKeyText(d.dest), d]));
  return b.dests;
}

function added(dest: Destination): LiveDestination {
  return { dest: { ...dest, counters: { activeConns: 0, inactConns: 0, persistConns: 0 } }, stats: ZERO_STATS };
}

function applyDestOp(b: Building, o: Extract<Operation, { op: 'AddDest' | 'EditDest' | 'DelDest' }>): void {
  const dests = destsOf(b);
  const key = destinationKeyText(o.dest);
  if (o.op === 'DelDest') {
    dests.delete(key);
    return;
  }
  const before = dests.get(key);
  if (o.op === 'AddDest' || before === undefined) {
    dests.set(key, added(o.dest));
    return;
  }
  const counters = before.dest.counters;
  const dest: Destination = counters === undefined ? { ...o.dest } : { ...o.dest, counters };
  // The stats of the read, still decoded only when someone reads them.
  dests.set(key, { dest, get stats() { return before.stats; } });
}

/** `entries` (a live read) with `ops` (all of them accepted by the kernel) applied, in the read's order. */
export function liveAfter(entries: readonly LiveEntry[], ops: readonly Operation[]): LiveEntry[] {
  const byKey = new Map<string, Building>();
  for (const e of entries) byKey.set(serviceKeyText(e.service.service.key), { service: e.service, dests: null, original: e.destinations });
  for (const o of ops) {
    if (o.op === 'AddService' || o.op === 'EditService' || o.op === 'DelService') {
      const key = serviceKeyText(o.service.key);
      const b = byKey.get(key);
      if (o.op === 'DelService') byKey.delete(key);
      else if (b === undefined) byKey.set(key, { service: { service: o.service, stats: ZERO_STATS }, dests: new Map(), original: [] });
      else b.service = { service: o.service, stats: b.service.stats };
      continue;
    }
    const b = byKey.get(serviceKeyText(o.service));
    if (b !== undefined) applyDestOp(b, o);
  }
  return [...byKey.values()].map((b) => ({ service: b.service, destinations: b.dests === null ? b.original : [...b.dests.values()] }));
}
