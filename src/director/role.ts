/**
 * The director's role (pure): the VRRP state of the instance, or sync group,
 * that `ipvs_sync.follow` names. It drives the sync daemons (sync-policy.ts).
 *
 * - follow names an instance: that instance's state.
 * - follow names a sync group: MASTER only when every member is MASTER (the
 *   group moves together; a half-moved group is not yet master), FAULT when a
 *   member is FAULT, else BACKUP once a member has left INIT.
 * - without ipvs_sync: the first instance's state (INIT with none), used only
 *   for status.
 * Maintenance (operator) holds the director as BACKUP in the policy whatever
 * the instances say.
 */
import type { Config } from '../config/types.js';
import type { DirectorRole } from '../lvs/desired.js';
import type { VrrpStateName } from '../vrrp/machine-types.js';

export type InstanceStates = ReadonlyMap<string, VrrpStateName>;

function groupRole(states: readonly VrrpStateName[]): DirectorRole {
  if (states.length === 0) return 'INIT';
  if (states.every((s) => s === 'MASTER')) return 'MASTER';
  if (states.includes('FAULT')) return 'FAULT';
  if (states.every((s) => s === 'INIT')) return 'INIT';
  return 'BACKUP';
}

/** The instance names whose state makes up the role. */
export function followedInstances(config: Config): string[] {
  const follow = config.ipvsSync?.follow;
  if (follow === undefined) {
    const first = config.vrrp.instances[0];
    return first ? [first.name] : [];
  }
  const group = config.vrrp.syncGroups.find((g) => g.name === follow);
  return group ? [...group.instances] : [follow];
}

export function directorRole(config: Config, states: InstanceStates): DirectorRole {
  const names = followedInstances(config);
  return groupRole(names.map((n) => states.get(n) ?? 'INIT'));
}
