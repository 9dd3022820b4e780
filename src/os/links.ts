/**
 * Link state of interfaces from rtnetlink events (RTNLGRP_LINK), not polling.
 * An interface is "up" for VRRP when it is administratively up and the kernel
 * says it carries traffic: IFF_UP and IFF_RUNNING (IFF_RUNNING mirrors
 * operstate UP/UNKNOWN; IFF_LOWER_UP is the carrier). An initial dump gives
 * the starting state; afterwards only changes are reported.
 */
import { createRtNetlink, rt, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';
import { toInterfaceInfo, type InterfaceInfo } from './addresses.js';
import { osError } from './os-errors.js';
import { Listeners } from './listeners.js';

export interface LinkState {
  readonly name: string;
  readonly ifindex: number;
  readonly up: boolean;
}

export interface LinkEvent extends LinkState {
  /** 'changed' for an up/down flip, 'removed' when the interface disappeared (reported as down). */
  readonly kind: 'changed' | 'removed';
}

export interface LinkWatcher {
  /** The current state of every interface, by name (filled by the initial dump, kept by events). */
  current(): ReadonlyMap<string, LinkState>;
  onChange(listener: (event: LinkEvent) => void): () => void;
  /** Socket errors (e.g. ENOBUFS: events were lost). The watcher re-reads every link after one. */
  onError(listener: (err: Error) => void): () => void;
  close(): void;
}

/** IFF_UP and IFF_RUNNING. */
export function isOperational(info: InterfaceInfo): boolean {
  return info.up && info.running;
}

/**
 * The pure part: fold one link message into the state map and say what
 * changed (undefined when nothing the watcher reports changed).
 */
export function applyLinkMessage(
  states: Map<string, LinkState>,
  info: InterfaceInfo,
  deleted: boolean,
): LinkEvent | undefined {
  const before = states.get(info.name);
  if (deleted) {
    states.delete(info.name);
    return { kind: 'removed', name: info.name, ifindex: info.ifindex, up: false };
  }
  const now: LinkState = { name: info.name, ifindex: info.ifindex, up: isOperational(info) };
  // A rename leaves a stale entry under the old name; drop it.
  for (const [name, state] of states) if (state.ifindex === info.ifindex && name !== info.name) states.delete(name);
  states.set(info.name, now);
  // A new ifindex under a known name is a re-created interface (its deletion was missed, e.g.
  // lost events): reported even with the same state, so sockets bound to the old one rebind.
  if (before?.up === now.up && before.ifindex === now.ifindex) return undefined;
  if (!before && !now.up) return undefined; // a new interface that is down: nothing changed for anyone
  return { kind: 'changed', ...now };
}

function linkFromMessage(msg: NetlinkMessage): { info: InterfaceInfo; deleted: boolean } | undefined {
  const deleted = msg.type === (rt.MessageType.DELLINK as number);
  if (!deleted && msg.type !== (rt.MessageType.NEWLINK as number)) return undefined;
  try {
    const info = toInterfaceInfo(rt.parseLinkMessage(msg.data));
    return info ? { info, deleted } : undefined;
  } catch {
    return undefined;
  }
}

/** Re-read every link and apply what changed (after lost events); vanished links count as removed. */
async function resyncLinks(
  requests: RtNetlinkSocket,
  states: ReadonlyMap<string, LinkState>,
  apply: (info: InterfaceInfo, deleted: boolean) => void,
): Promise<void> {
  const seen = new Set<string>();
  for (const msg of await requests.getLinks()) {
    const info = toInterfaceInfo(msg);
    if (!info) continue;
    seen.add(info.name);
    apply(info, false);
  }
  for (const state of [...states.values()].filter((s) => !seen.has(s.name))) {
    apply({ ifindex: state.ifindex, name: state.name, mac: null, up: false, running: false, lowerUp: false }, true);
  }
}

/**
 * Subscribe first, then dump, so no change falls between the two. Events that
 * arrive while the dump runs are applied in order after it.
 */
export async function openLinkWatcher(): Promise<LinkWatcher> {
  const states = new Map<string, LinkState>();
  const listeners = new Listeners<LinkEvent>();
  const errors = new Listeners<Error>();
  // Both sockets are created now, synchronously, in the caller's network namespace.
  const socket: RtNetlinkSocket = createRtNetlink();
  const requests: RtNetlinkSocket = createRtNetlink();
  let ready = false;
  const early: NetlinkMessage[] = [];
  const apply = (info: InterfaceInfo, deleted: boolean): void => {
    const event = applyLinkMessage(states, info, deleted);
    if (event) listeners.emit(event);
  };
  const handle = (msg: NetlinkMessage): void => {
    const link = linkFromMessage(msg);
    if (link) apply(link.info, link.deleted);
  };
  socket.addMembership(rt.MulticastGroups.LINK);
  socket.socket.on('message', (msgs) => {
    for (const msg of msgs) {
      if (msg.seq !== 0) continue; // replies to requests, not notifications
      if (ready) handle(msg);
      else early.push(msg);
    }
  });
  socket.socket.on('error', (err) => {
    errors.emit(osError('link events', err));
    resyncLinks(requests, states, apply).catch((e: unknown) => {
      errors.emit(osError('re-read links', e));
    });
  });
  requests.socket.on('error', (err) => {
    errors.emit(osError('link requests', err));
  });
  try {
    for (const msg of await requests.getLinks()) {
      const info = toInterfaceInfo(msg);
      if (info) states.set(info.name, { name: info.name, ifindex: info.ifindex, up: isOperational(info) });
    }
  } catch (err) {
    socket.socket.close();
    requests.socket.close();
    throw osError('dump links', err);
  }
  ready = true;
  for (const msg of early.splice(0)) handle(msg);

  return {
    current: () => states,
    onChange: (listener) => listeners.add(listener),
    onError: (listener) => errors.add(listener),
    close() {
      socket.socket.close();
      requests.socket.close();
    },
  };
}
