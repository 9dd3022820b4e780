/**
 * Reload in place (pure): what a running MASTER must do to its addresses when a reload changes
 * its setup without a new socket (docs/vrrp.md "Reload").
 */
import { managedAddresses } from '../config/values.js';
import type { VipSpec } from '../os/addresses.js';
import type { RunnerSetup } from './runner.js';

export function vipsOf(setup: RunnerSetup): VipSpec[] {
  return managedAddresses(setup.config).map((v) => ({ ifindex: setup.ifindex, address: v.text, prefixLength: v.prefixLength }));
}

export interface VipChanges {
  /** VIPs the new config dropped (remove them). */
  readonly removed: readonly VipSpec[];
  /** VIPs the new config added (add them). */
  readonly added: readonly VipSpec[];
  /** Start the announcement again: the VIP set or the announce settings changed. */
  readonly reannounce: boolean;
}

export function vipChanges(before: RunnerSetup, next: RunnerSetup): VipChanges {
  const spec = (v: VipSpec): string => `${v.address}/${String(v.prefixLength)}`;
  const old = vipsOf(before);
  const now = vipsOf(next);
  const had = new Set(old.map(spec));
  const has = new Set(now.map(spec));
  const removed = old.filter((v) => !has.has(spec(v)));
  const added = now.filter((v) => !had.has(spec(v)));
  const announceChanged = JSON.stringify(before.config.announce) !== JSON.stringify(next.config.announce);
  return { removed, added, reannounce: announceChanged || removed.length > 0 || added.length > 0 };
}
