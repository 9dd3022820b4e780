/**
 * What `up` must change and what `down` must undo, as plain data. Pure: the
 * edge (system.ts) executes the actions; the state file (state.ts) records
 * what `up` changed so `down` undoes exactly that and nothing else.
 */
import { desiredState, sysctlKey } from './settings.js';
import type { RealServerState } from './state.js';
import type { Family, RealServerSpec, Snapshot } from './types.js';

export interface AddressRecord {
  readonly ifname: string;
  readonly address: string;
  readonly family: Family;
  readonly prefixLength: number;
}

export type Action =
  | { readonly kind: 'set-sysctl'; readonly key: string; readonly value: number; readonly previous: number }
  | { readonly kind: 'add-address'; readonly address: AddressRecord }
  | { readonly kind: 'remove-address'; readonly address: AddressRecord }
  | { readonly kind: 'link-up'; readonly ifname: string }
  | { readonly kind: 'link-down'; readonly ifname: string }
  | { readonly kind: 'fou-add'; readonly port: number }
  | { readonly kind: 'fou-del'; readonly port: number };

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'set-sysctl':
      return `sysctl ${a.key.replaceAll('/', '.')}: ${a.previous} -> ${a.value}`;
    case 'add-address':
      return `add ${a.address.address}/${a.address.prefixLength} on ${a.address.ifname}`;
    case 'remove-address':
      return `remove ${a.address.address}/${a.address.prefixLength} from ${a.address.ifname}`;
    case 'link-up':
      return `set ${a.ifname} up`;
    case 'link-down':
      return `set ${a.ifname} down`;
    case 'fou-add':
      return `add GUE receiver on UDP port ${a.port}`;
    case 'fou-del':
      return `remove GUE receiver on UDP port ${a.port}`;
  }
}

/**
 * The changes `up` makes, in a safe order: devices up, then ARP/rp_filter
 * settings (so no VIP is ever answered for), then the VIPs, then GUE ports.
 * Empty when everything is already right (idempotent).
 */
export function planUp(spec: RealServerSpec, snap: Snapshot): Action[] {
  const desired = desiredState(spec, snap);
  const actions: Action[] = [];
  const links = new Map(snap.links.map((l) => [l.name, l]));
  for (const ifname of desired.devicesUp) {
    if (links.get(ifname)?.up === false) actions.push({ kind: 'link-up', ifname });
  }
  const written = new Set<string>();
  for (const req of desired.sysctls) {
    for (const key of [sysctlKey('all', req.name), sysctlKey(req.ifname, req.name)]) {
      const current = snap.sysctls[key];
      if (current === undefined || written.has(key) || req.acceptable.includes(current)) continue;
      written.add(key);
      actions.push({ kind: 'set-sysctl', key, value: req.want, previous: current });
    }
  }
  for (const p of desired.placements) {
    if (!links.has(p.ifname)) continue;
    const present = snap.addresses.some((a) => a.ifname === p.ifname && a.address === p.vip.address);
    if (!present) {
      actions.push({ kind: 'add-address', address: { ifname: p.ifname, address: p.vip.address, family: p.vip.family, prefixLength: p.prefixLength } });
    }
  }
  for (const port of desired.fouPorts) {
    if (!snap.fouPorts.includes(port)) actions.push({ kind: 'fou-add', port });
  }
  return actions;
}

export interface DownPlan {
  readonly actions: Action[];
  /** Recorded changes left alone, with the reason. */
  readonly skipped: string[];
}

/**
 * Undo what the state file records, newest first: GUE ports, VIPs, sysctls
 * (only where the value is still the one `up` wrote), devices `up` raised.
 */
export function planDown(state: RealServerState, snap: Snapshot): DownPlan {
  const actions: Action[] = [];
  const skipped: string[] = [];
  for (const port of state.fouPorts) actions.push({ kind: 'fou-del', port });
  for (const address of [...state.addresses].reverse()) {
    const present = snap.addresses.some((a) => a.ifname === address.ifname && a.address === address.address);
    if (present) actions.push({ kind: 'remove-address', address });
    else skipped.push(`${address.address} on ${address.ifname}: already gone`);
  }
  for (const change of [...state.sysctls].reverse()) {
    const current = snap.sysctls[change.key];
    const name = change.key.replaceAll('/', '.');
    if (current === undefined) skipped.push(`${name}: no longer exists`);
    else if (current !== change.value) skipped.push(`${name}: is ${current}, changed by someone else since up wrote ${change.value}; left as is`);
    else actions.push({ kind: 'set-sysctl', key: change.key, value: change.previous, previous: current });
  }
  const links = new Map(snap.links.map((l) => [l.name, l]));
  for (const ifname of state.linksUp) {
    if (links.get(ifname)?.up === true) actions.push({ kind: 'link-down', ifname });
  }
  return { actions, skipped };
}
