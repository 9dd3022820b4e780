/**
 * What an instance tracks, folded into the machine's TrackChanged{priorityDelta, fault} (pure).
 *
 * Each tracked object (interface, script, virtual server, route, process) is either healthy or
 * failed. While failed, a non-zero weight is added to the priority (`weight: -50` lowers it by
 * 50) and weight 0 puts the instance in FAULT (docs/configuration.md `track`). A tracked file
 * carries a value instead (Keepalived's track_file): value x weight is added, a result below
 * -253 means FAULT, and with weight 0 any non-zero value means FAULT. Starting states:
 * - interfaces: the kernel's link state at start (a missing interface is down);
 * - scripts: failed until their first result (rise/fall then apply), so an instance never
 *   claims MASTER before its scripts said yes;
 * - routes, processes and files: read once before the instance starts (the slot waits for
 *   them, bounded), healthy (value 0) until then;
 * - virtual servers: healthy until the quorum hook reports otherwise.
 * The instance's own interface is always tracked, with weight 0 (down = FAULT), as in
 * Keepalived; an explicit entry for it in `track.interfaces` is overridden (Keepalived ignores
 * it too). A reload changes the tracked set in place (reconfigure()).
 */
import type { JsonObject } from '../../control/protocol.js';
import type { VrrpInstanceConfig } from '../../config/types.js';

export type TrackKind = 'interface' | 'script' | 'virtual_server' | 'route' | 'process' | 'file';

/** Below this a tracked file's value x weight puts the instance in FAULT (as Keepalived). */
export const FILE_FAULT_BELOW = -253;

export interface TrackVerdict {
  readonly priorityDelta: number;
  readonly fault: boolean;
}

interface Tracked {
  readonly kind: TrackKind;
  readonly name: string;
  readonly weight: number;
  failed: boolean;
  /** Tracked files only: the last value read from the file. */
  value?: number;
}

/** What one object adds: a priority delta, or FAULT. */
function contribution(obj: Tracked): { delta: number; fault: boolean } {
  if (obj.kind === 'file') {
    const value = obj.value ?? 0;
    if (obj.weight === 0) return { delta: 0, fault: value !== 0 };
    const delta = value * obj.weight;
    return delta < FILE_FAULT_BELOW ? { delta: 0, fault: true } : { delta, fault: false };
  }
  if (!obj.failed) return { delta: 0, fault: false };
  return obj.weight === 0 ? { delta: 0, fault: true } : { delta: obj.weight, fault: false };
}

const key = (kind: TrackKind, name: string): string => `${kind}:${name}`;

/** The objects an instance config tracks, with their starting states. */
function trackedObjects(
  config: VrrpInstanceConfig,
  linkUp: (name: string) => boolean,
  startFailed: (kind: TrackKind, name: string) => boolean,
): Map<string, Tracked> {
  const objects = new Map<string, Tracked>();
  const add = (kind: TrackKind, name: string, weight: number, failed: boolean): void => {
    objects.set(key(kind, name), { kind, name, weight, failed });
  };
  for (const t of config.track.interfaces) add('interface', t.name, t.weight, !linkUp(t.name));
  add('interface', config.interface, 0, !linkUp(config.interface));
  for (const t of config.track.scripts) add('script', t.name, t.weight, startFailed('script', t.name));
  for (const t of config.track.virtualServers) add('virtual_server', t.name, t.weight, startFailed('virtual_server', t.name));
  for (const t of config.track.routes) add('route', t.name, t.weight, false);
  for (const t of config.track.processes) add('process', t.name, t.weight, false);
  for (const t of config.track.files) add('file', t.name, t.weight, false);
  return objects;
}

export class InstanceTracker {
  private objects: Map<string, Tracked>;

  constructor(config: VrrpInstanceConfig, linkUp: (name: string) => boolean) {
    this.objects = trackedObjects(config, linkUp, (kind) => kind === 'script');
  }

  /**
   * A reload: the new set of tracked objects. Objects kept by kind and name keep their state
   * (with the new weight); new interfaces start from the link state, new virtual servers
   * healthy. A new script starts failed only when `scriptsStartFailed` (the instance has not
   * started yet); on a running instance it counts as healthy until its first verdict, so adding
   * a script does not flap a MASTER.
   */
  reconfigure(config: VrrpInstanceConfig, linkUp: (name: string) => boolean, scriptsStartFailed: boolean): void {
    const before = this.objects;
    this.objects = trackedObjects(config, linkUp, (kind) => kind === 'script' && scriptsStartFailed);
    for (const [k, obj] of this.objects) {
      const old = before.get(k);
      if (old && obj.kind !== 'interface') {
        obj.failed = old.failed;
        if (old.value !== undefined) obj.value = old.value;
      }
    }
  }

  /** Names of the tracked interfaces, the own one included. */
  interfaces(): string[] {
    return [...this.objects.values()].filter((o) => o.kind === 'interface').map((o) => o.name);
  }

  /** Record a state; true when it changed. Unknown objects are ignored (false). */
  set(kind: TrackKind, name: string, healthy: boolean): boolean {
    const obj = this.objects.get(key(kind, name));
    if (!obj || obj.failed === !healthy) return false;
    obj.failed = !healthy;
    return true;
  }

  /** Record a tracked file's value; true when it changed. Unknown files are ignored (false). */
  setValue(name: string, value: number): boolean {
    const obj = this.objects.get(key('file', name));
    if (obj?.value === value || !obj) return false;
    obj.value = value;
    obj.failed = contribution(obj).fault || value !== 0;
    return true;
  }

  tracks(kind: TrackKind, name: string): boolean {
    return this.objects.has(key(kind, name));
  }

  verdict(): TrackVerdict {
    let priorityDelta = 0;
    let fault = false;
    for (const obj of this.objects.values()) {
      const c = contribution(obj);
      if (c.fault) fault = true;
      priorityDelta += c.delta;
    }
    return { priorityDelta, fault };
  }

  snapshot(): JsonObject[] {
    return [...this.objects.values()].map((o) => ({
      kind: o.kind,
      name: o.name,
      weight: o.weight,
      failed: o.failed,
      ...(o.kind === 'file' ? { value: o.value ?? 0, priority_delta: contribution(o).delta } : {}),
    }));
  }
}
