/**
 * Watches a generic netlink family come and go (OS adapter): nlctrl announces
 * every family registration and removal (CTRL_CMD_NEWFAMILY / DELFAMILY) on
 * its "notify" multicast group, in every network namespace for families that
 * are namespace-aware, as IPVS is. Unloading `ip_vs` removes the family;
 * loading it again registers it under a new id.
 *
 * The daemon uses this to reconnect to IPVS at once instead of finding out on
 * its next reconcile (up to the 60 s drift-repair period) and then waiting for
 * the reconnect timer. Messages of other families and unparsable ones are
 * ignored; a socket error is reported once and the watch stops (the periodic
 * paths still recover).
 */
import { createGenericNetlink, genl, GENL_ID_CTRL, type GenericNetlinkMessage } from 'netlink';

/** nlctrl's "notify" multicast group has the id of nlctrl itself. */
const CTRL_NOTIFY_GROUP = GENL_ID_CTRL;

export type FamilyEvent = 'added' | 'removed';

export interface FamilyWatch {
  close(): void;
}

/** The event a nlctrl notification carries for `name`, or null (another family, another command, unparsable). */
export function familyEventOf(msg: Pick<GenericNetlinkMessage, 'family' | 'cmd' | 'data'>, name: string): FamilyEvent | null {
  if (msg.family !== GENL_ID_CTRL) return null;
  if (msg.cmd !== (genl.Commands.NEW_FAMILY as number) && msg.cmd !== (genl.Commands.DEL_FAMILY as number)) return null;
  let parsed: genl.Message;
  try {
    parsed = genl.parseMessage(msg.data);
  } catch {
    return null;
  }
  if (parsed.familyName !== name) return null;
  return msg.cmd === (genl.Commands.NEW_FAMILY as number) ? 'added' : 'removed';
}

export function watchGenlFamily(name: string, onEvent: (e: FamilyEvent) => void, onError: (err: Error) => void): FamilyWatch {
  const sock = createGenericNetlink();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    sock.socket.socket.close();
  };
  sock.socket.socket.addMembership(CTRL_NOTIFY_GROUP);
  sock.on('message', (msgs: GenericNetlinkMessage[]) => {
    for (const m of msgs) {
      const e = familyEventOf(m, name);
      if (e !== null) onEvent(e);
    }
  });
  sock.socket.socket.on('error', (err: Error) => {
    if (closed) return;
    close();
    onError(err);
  });
  return { close };
}
