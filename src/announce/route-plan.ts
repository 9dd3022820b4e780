/**
 * The diff between the announcement routes lvs-ha owns in the kernel and the
 * ones it wants (pure). Only routes in lvs-ha's table AND with lvs-ha's
 * protocol number are ever listed as ours: anything else in that table (an
 * operator's route, another daemon's) is never deleted or replaced.
 */

export interface RouteKey {
  /** Canonical address text. */
  readonly address: string;
  readonly prefixLength: number;
}

/** A route as read back from the kernel. */
export interface LiveRoute extends RouteKey {
  readonly table: number;
  readonly protocol: number;
  /** Output interface index, or null for none (blackhole and the like). */
  readonly ifindex: number | null;
  /** Route type (1 = unicast). */
  readonly type: number;
}

export interface WantedRoute extends RouteKey {
  readonly ifindex: number;
}

export type RouteOp =
  | { readonly op: 'add'; readonly route: WantedRoute }
  | { readonly op: 'delete'; readonly route: LiveRoute };

export interface RoutePlanResult {
  readonly ops: readonly RouteOp[];
  /** Wanted routes for which another owner holds the same prefix in the table: not added. */
  readonly conflicts: readonly LiveRoute[];
}

const UNICAST = 1;

export function prefixOf(address: string): number {
  return address.includes(':') ? 128 : 32;
}

function keyOf(r: RouteKey): string {
  return `${r.address}/${String(r.prefixLength)}`;
}

export function planRoutes(
  live: readonly LiveRoute[],
  wanted: readonly WantedRoute[],
  owner: { readonly table: number; readonly protocol: number },
): RoutePlanResult {
  const inTable = live.filter((r) => r.table === owner.table);
  const ours = new Map<string, LiveRoute[]>();
  const foreign = new Map<string, LiveRoute>();
  for (const r of inTable) {
    if (r.protocol === owner.protocol) ours.set(keyOf(r), [...(ours.get(keyOf(r)) ?? []), r]);
    else foreign.set(keyOf(r), r);
  }
  const ops: RouteOp[] = [];
  const conflicts: LiveRoute[] = [];
  const wantedKeys = new Set<string>();
  for (const w of wanted) {
    const key = keyOf(w);
    wantedKeys.add(key);
    const have = ours.get(key) ?? [];
    const good = have.find((r) => r.ifindex === w.ifindex && r.type === UNICAST);
    for (const r of have) if (r !== good) ops.push({ op: 'delete', route: r });
    if (good) continue;
    const other = foreign.get(key);
    if (other) {
      conflicts.push(other);
      continue;
    }
    ops.push({ op: 'add', route: w });
  }
  for (const [key, rs] of ours) {
    if (wantedKeys.has(key)) continue;
    for (const r of rs) ops.push({ op: 'delete', route: r });
  }
  // Withdrawals first: a VIP that must go never waits behind an add that fails.
  return { ops: [...ops.filter((o) => o.op === 'delete'), ...ops.filter((o) => o.op === 'add')], conflicts };
}
