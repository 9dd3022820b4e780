/**
 * Who may use the control socket, decided from the peer's credentials as the
 * kernel recorded them at connect() (SO_PEERCRED), not from the socket file's
 * mode alone: root (and the daemon's own uid) may run every command; members
 * of `control.readonly_group` may run the read-only ones; anyone else is
 * refused at connect. Pure.
 */
import type { PeerCred } from '../native/lvsha-net.js';
import type { ControlCommand } from './protocol.js';

export type AccessLevel = 'admin' | 'read';

/** Commands that change nothing: what a read-only member may run. */
export const READ_ONLY_COMMANDS: ReadonlySet<ControlCommand> = new Set<ControlCommand>(['status', 'connections']);

export interface AccessPolicy {
  /** uids with every command: 0 and the daemon's own. */
  readonly adminUids: readonly number[];
  /** The gid of `control.readonly_group`, or null when none is configured. */
  readonly readonlyGid: number | null;
}

/** The access of a peer, or null when it is refused (or its credentials are unknown). */
export function accessLevel(cred: PeerCred | null, policy: AccessPolicy): AccessLevel | null {
  if (cred === null) return null;
  if (cred.uid === 0 || policy.adminUids.includes(cred.uid)) return 'admin';
  const gid = policy.readonlyGid;
  if (gid !== null && (cred.gid === gid || cred.groups.includes(gid))) return 'read';
  return null;
}

export function permits(level: AccessLevel, cmd: ControlCommand): boolean {
  return level === 'admin' || READ_ONLY_COMMANDS.has(cmd);
}

export function refusalMessage(cred: PeerCred | null, policy: AccessPolicy): string {
  const who = cred === null ? 'a peer whose credentials cannot be read' : `uid ${String(cred.uid)} (pid ${String(cred.pid)})`;
  const group = policy.readonlyGid === null
    ? 'only root may use the control socket'
    : `only root, and members of control.readonly_group (gid ${String(policy.readonlyGid)}) for status and connections, may use the control socket`;
  return `${who} refused: ${group}`;
}
