/**
 * Messages between the daemon (host) and the VRRP isolate (a child process of its own that owns
 * the VRRP sockets, timers, state machine and VIPs). Plain data over Node's IPC channel with the
 * 'advanced' (structured clone) serialization. Both sides check what they receive with the
 * parsers below: a message that does not parse is refused with a reason and changes nothing.
 */
import type { Config } from '../../config/types.js';
import type { JsonValue } from '../../control/protocol.js';
import { decoded, refused, type DecodeResult } from '../../core/errors.js';
import type { TransitionReason, VrrpStateName } from '../machine-types.js';

/** Host -> isolate. Requests with an id get exactly one `reply`. */
export type HostMessage =
  /** Start (first) or reload: the VRRP side of the config (see vrrpSideConfig). */
  | { readonly t: 'apply'; readonly id: number; readonly config: Config }
  | { readonly t: 'hold'; readonly id: number; readonly instance: string; readonly on: boolean; readonly resign: boolean }
  | { readonly t: 'quorum'; readonly name: string; readonly ok: boolean }
  /** Push the current snapshot, then reply (a `status` answer wants it fresh). */
  | { readonly t: 'sync'; readonly id: number }
  /** Graceful stop: every MASTER resigns (priority 0) and removes its VIPs; then the isolate exits. */
  | { readonly t: 'stop'; readonly id: number };

/** A transition as it crosses the process boundary (`at` as ISO 8601 wall time). */
export interface WireTransition {
  readonly instance: string;
  readonly from: VrrpStateName;
  readonly to: VrrpStateName;
  readonly reason: TransitionReason;
  readonly atMs: number;
  readonly priority: number;
  readonly at: string;
}

/** Isolate -> host. */
export type IsolateMessage =
  /** Loaded and listening; sent once, before anything else. */
  | { readonly t: 'ready'; readonly pid: number }
  | { readonly t: 'reply'; readonly id: number; readonly ok: true; readonly value: JsonValue }
  | { readonly t: 'reply'; readonly id: number; readonly ok: false; readonly error: string }
  | { readonly t: 'transition'; readonly transition: WireTransition }
  /** The `instances` status section and the held instances, sent when they change. */
  | { readonly t: 'snapshot'; readonly instances: JsonValue; readonly held: readonly string[]; readonly health: IsolateHealth };

/** How the isolate itself is doing: its event-loop delay is what delays adverts and timers. */
export interface IsolateHealth {
  readonly pid: number;
  /** Largest event-loop delay since the isolate started, and in the last window, ms. */
  readonly loopDelayMaxMs: number;
  readonly loopDelayWindowMaxMs: number;
  /** CPU time the isolate used, ms. */
  readonly cpuMs: number;
}

function parseHealth(v: unknown): IsolateHealth | null {
  if (!isObject(v)) return null;
  const { pid, loopDelayMaxMs, loopDelayWindowMaxMs, cpuMs } = v;
  if (typeof pid !== 'number' || typeof loopDelayMaxMs !== 'number' || typeof loopDelayWindowMaxMs !== 'number' || typeof cpuMs !== 'number') return null;
  return { pid, loopDelayMaxMs, loopDelayWindowMaxMs, cpuMs };
}

type Fields = Readonly<Record<string, unknown>>;

function isObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const STATES: readonly string[] = ['INIT', 'BACKUP', 'MASTER', 'FAULT'];

function parseTransition(v: unknown): WireTransition | null {
  if (!isObject(v)) return null;
  const { instance, from, to, reason, atMs, priority, at } = v;
  if (typeof instance !== 'string' || typeof reason !== 'string' || typeof at !== 'string') return null;
  if (typeof from !== 'string' || !STATES.includes(from) || typeof to !== 'string' || !STATES.includes(to)) return null;
  if (typeof atMs !== 'number' || typeof priority !== 'number') return null;
  return { instance, from: from as VrrpStateName, to: to as VrrpStateName, reason: reason as TransitionReason, atMs, priority, at };
}

/** What the host accepts from the isolate. */
export function parseIsolateMessage(v: unknown): DecodeResult<IsolateMessage> {
  if (!isObject(v) || typeof v.t !== 'string') return refused('not an object with a type');
  switch (v.t) {
    case 'ready':
      return typeof v.pid === 'number' ? decoded({ t: 'ready', pid: v.pid }) : refused('ready without a pid');
    case 'reply':
      if (!isId(v.id)) return refused('reply without an id');
      if (v.ok === true) return decoded({ t: 'reply', id: v.id, ok: true, value: (v.value ?? null) as JsonValue });
      return typeof v.error === 'string' ? decoded({ t: 'reply', id: v.id, ok: false, error: v.error }) : refused('failed reply without an error');
    case 'transition': {
      const transition = parseTransition(v.transition);
      return transition ? decoded({ t: 'transition', transition }) : refused('malformed transition');
    }
    case 'snapshot': {
      const health = parseHealth(v.health);
      if (!Array.isArray(v.instances) || !Array.isArray(v.held) || !v.held.every((h) => typeof h === 'string') || !health) return refused('malformed snapshot');
      return decoded({ t: 'snapshot', instances: v.instances as JsonValue, held: v.held, health });
    }
    default:
      return refused(`unknown message type '${v.t}'`);
  }
}

/** What the isolate accepts from the host (the config itself was validated by the host). */
export function parseHostMessage(v: unknown): DecodeResult<HostMessage> {
  if (!isObject(v) || typeof v.t !== 'string') return refused('not an object with a type');
  switch (v.t) {
    case 'apply':
      if (!isId(v.id) || !isObject(v.config) || !isObject(v.config.vrrp)) return refused('malformed apply');
      return decoded({ t: 'apply', id: v.id, config: v.config as unknown as Config });
    case 'hold':
      if (!isId(v.id) || typeof v.instance !== 'string' || typeof v.on !== 'boolean' || typeof v.resign !== 'boolean') return refused('malformed hold');
      return decoded({ t: 'hold', id: v.id, instance: v.instance, on: v.on, resign: v.resign });
    case 'quorum':
      if (typeof v.name !== 'string' || typeof v.ok !== 'boolean') return refused('malformed quorum');
      return decoded({ t: 'quorum', name: v.name, ok: v.ok });
    case 'stop':
      return isId(v.id) ? decoded({ t: 'stop', id: v.id }) : refused('malformed stop');
    case 'sync':
      return isId(v.id) ? decoded({ t: 'sync', id: v.id }) : refused('malformed sync');
    default:
      return refused(`unknown message type '${v.t}'`);
  }
}

/**
 * The part of the config the isolate needs. The virtual servers (thousands of real servers on
 * a big director) stay on the host: VRRP tracks them only by name, through `quorum` messages,
 * so a reload costs the isolate a copy of the VRRP section, not of the whole pool.
 */
export function vrrpSideConfig(config: Config): Config {
  return { ...config, virtualServers: [], alerts: [] };
}
