/**
 * What an instance tracks, folded into the machine's TrackChanged{priorityDelta, fault} (pure).
 *
 * Each tracked object (interface, script, virtual server) is either healthy or failed. While
 * failed, a non-zero weight is added to the priority (`weight: -50` lowers it by 50) and weight 0
 * puts the instance in FAULT (docs/configuration.md `track`). Starting states:
 * - interfaces: the kernel's link state at start (a missing interface is down);
 * - scripts: failed until their first result (rise/fall then apply), so an instance never
 *   claims MASTER before its scripts said yes;
 * - virtual servers: healthy until the quorum hook reports otherwise.
 */
import type { JsonObject } from '../../control/protocol.js';
import type { VrrpInstanceConfig } from '../../config/types.js';

export type TrackKind = 'interface' | 'script' | 'virtual_server';

export interface TrackVerdict {
  readonly priorityDelta: number;
  readonly fault: boolean;
}

interface Tracked {
  readonly kind: TrackKind;
  readonly name: string;
  readonly weight: number;
  failed: boolean;
}

const key = (kind: TrackKind, name: string): string => `${kind}:${name}`;

export class InstanceTracker {
  private readonly objects = new Map<string, Tracked>();

  constructor(config: VrrpInstanceConfig, linkUp: (name: string) => boolean) {
    for (const t of config.track.interfaces) {
      this.objects.set(key('interface', t.name), { kind: 'interface', name: t.name, weight: t.weight, failed: !linkUp(t.name) });
    }
    for (const t of config.track.scripts) {
      this.objects.set(key('script', t.name), { kind: 'script', name: t.name, weight: t.weight, failed: true });
    }
    for (const t of config.track.virtualServers) {
      this.objects.set(key('virtual_server', t.name), { kind: 'virtual_server', name: t.name, weight: t.weight, failed: false });
    }
  }

  /** Record a state; true when it changed. Unknown objects are ignored (false). */
  set(kind: TrackKind, name: string, healthy: boolean): boolean {
    const obj = this.objects.get(key(kind, name));
    if (!obj || obj.failed === !healthy) return false;
    obj.failed = !healthy;
    return true;
  }

  tracks(kind: TrackKind, name: string): boolean {
    return this.objects.has(key(kind, name));
  }

  verdict(): TrackVerdict {
    let priorityDelta = 0;
    let fault = false;
    for (const obj of this.objects.values()) {
      if (!obj.failed) continue;
      if (obj.weight === 0) fault = true;
      else priorityDelta += obj.weight;
    }
    return { priorityDelta, fault };
  }

  snapshot(): JsonObject[] {
    return [...this.objects.values()].map((o) => ({ kind: o.kind, name: o.name, weight: o.weight, failed: o.failed }));
  }
}
