/**
 * What the lab reads of its directors: their status over the control socket
 * (the same request `lvs-ha status` sends) reduced to the few facts the lab
 * waits on and reports; and the kernel connection table of a namespace.
 */
import { requestControl } from '../control/client.js';
import type { JsonObject, JsonValue } from '../control/protocol.js';
import { parseIpVsConn } from '../lvs/ipvs/connections.js';
import { inNetns } from './procs.js';

export interface DirectorView {
  readonly name: string;
  /** Every VRRP instance's state (a sync group moves together). */
  readonly states: readonly string[];
  /** Real servers of the lab's virtual server: address -> health. */
  readonly health: ReadonlyMap<string, string>;
  /** Real servers by kernel weight (null: not in the kernel table). */
  readonly weights: ReadonlyMap<string, number | null>;
  readonly raw: JsonObject;
}

function objects(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? (v as readonly JsonValue[]).filter((x): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];
}

export function directorView(name: string, status: JsonObject): DirectorView {
  const health = new Map<string, string>();
  const weights = new Map<string, number | null>();
  for (const vs of objects(status.virtual_servers)) {
    for (const rs of objects(vs.real_servers)) {
      const address = typeof rs.address === 'string' ? rs.address : '?';
      health.set(address, typeof rs.health === 'string' ? rs.health : 'unknown');
      weights.set(address, typeof rs.weight === 'number' ? rs.weight : null);
    }
  }
  const states = objects(status.instances).map((i) => (typeof i.state === 'string' ? i.state : 'unknown'));
  return { name, states, health, weights, raw: status };
}

export function isMaster(v: DirectorView): boolean {
  return v.states.length > 0 && v.states.every((s) => s === 'MASTER');
}

export function isBackup(v: DirectorView): boolean {
  return v.states.length > 0 && v.states.every((s) => s === 'BACKUP');
}

/** The status of one director; throws the control client's error when it does not answer. */
export async function peekDirector(name: string, socket: string, timeoutMs = 10_000): Promise<DirectorView> {
  const reply = await requestControl(socket, 'status', { timeoutMs });
  if (!reply.ok) throw new Error(`${name}: ${reply.error.message}`);
  return directorView(name, reply.result);
}

/** Established connections to VIP:PORT in the IPVS table of a namespace (/proc/net/ip_vs_conn). */
export async function establishedTo(netns: string, vip: string, port: number): Promise<number> {
  const text = await inNetns(netns, 'cat', ['/proc/net/ip_vs_conn']);
  return parseIpVsConn(text).connections
    .filter((c) => c.virtual.address === vip && c.virtual.port === port && c.state === 'ESTABLISHED').length;
}
