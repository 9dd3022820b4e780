/**
 * Operator actions on VRRP: `drill failover` and `maintenance on|off`.
 *
 * Both use the VRRP engine's operator hold (priority 1 while held, so the
 * peer wins; a MASTER resigns at once with a priority-0 advert and keeps its
 * VIPs until it hears the peer as master: make-before-break). The drill then watches this director's view of the peer: the
 * takeover time is from the resignation until an advert from the peer as
 * master has been heard. `--return` releases the hold and waits until this
 * director is MASTER again (it must preempt). The state changes go through
 * the event queue; the waiting does not hold the queue.
 */
import type { Clock } from '../core/clock.js';
import type { JsonObject, JsonValue } from '../control/protocol.js';
import type { EventQueue } from '../core/event-queue.js';

/** What the operator actions need of the VRRP engine. */
export interface HoldPort {
  setHold(instance: string, on: boolean, resign?: boolean): boolean | Promise<boolean>;
  held(instance: string): boolean;
  snapshot(): JsonValue;
}

export const DRILL_TIMEOUT_MS = 15_000;
const POLL_MS = 20;

interface InstanceView {
  readonly name: string;
  readonly state: string;
  readonly master_address: string | null;
  readonly master_priority: number | null;
  readonly primary_address: string | null;
}

export function instanceViews(snapshot: JsonValue): InstanceView[] {
  if (!Array.isArray(snapshot)) return [];
  return (snapshot as readonly JsonObject[]).map((i) => ({
    name: typeof i.name === 'string' ? i.name : '?',
    state: typeof i.state === 'string' ? i.state : 'unknown',
    master_address: typeof i.master_address === 'string' ? i.master_address : null,
    master_priority: typeof i.master_priority === 'number' ? i.master_priority : null,
    primary_address: typeof i.primary_address === 'string' ? i.primary_address : null,
  }));
}

/** The peer is master as far as this director can tell: we are not, and we hear someone else. */
export function peerIsMaster(v: InstanceView): boolean {
  return v.state !== 'MASTER' && v.master_address !== null && v.master_address !== v.primary_address;
}

export class DrillRefused extends Error {}

export class Operator {
  private maintenanceSince: Date | null = null;

  constructor(private readonly vrrp: HoldPort, private readonly queue: EventQueue, private readonly clock: Clock) {}

  maintenanceStatus(): JsonValue {
    const held = instanceViews(this.vrrp.snapshot()).filter((v) => this.vrrp.held(v.name)).map((v) => v.name);
    return { on: this.maintenanceSince !== null, since: this.maintenanceSince?.toISOString() ?? null, held_instances: held };
  }

  async maintenance(on: boolean): Promise<JsonObject> {
    await this.queue.enqueue({
      label: `maintenance:${on ? 'on' : 'off'}`,
      run: async () => {
        for (const v of instanceViews(this.vrrp.snapshot())) await this.vrrp.setHold(v.name, on, true);
        this.maintenanceSince = on ? this.clock.wallNow() : null;
      },
    });
    return { maintenance: this.maintenanceStatus() };
  }

  /** Resign every MASTER instance (all with force) and report the peer's takeover. */
  async drill(force: boolean): Promise<JsonObject> {
    const views = instanceViews(this.vrrp.snapshot());
    const masters = views.filter((v) => v.state === 'MASTER');
    if (views.length === 0) throw new DrillRefused('no VRRP instances run here');
    if (masters.length === 0 && !force) {
      throw new DrillRefused(`this director is not MASTER (${views.map((v) => `${v.name} ${v.state}`).join(', ')}); use --force to drill anyway`);
    }
    const targets = masters.length > 0 ? masters : views;
    const t0 = this.clock.nowMs();
    await this.queue.enqueue({
      label: 'drill:resign',
      run: async () => {
        for (const v of targets) await this.vrrp.setHold(v.name, true, true);
      },
    });
    const results = await this.watch(targets.map((v) => v.name), t0, peerIsMaster);
    return {
      drill: 'failover',
      held: true,
      instances: results.map(({ view, ms }) => ({
        name: view.name,
        takeover_ms: ms,
        peer: view.master_address,
        peer_priority: view.master_priority,
        state: view.state,
        vips_left: view.state !== 'MASTER',
      })),
      synced_connections: null,
      hint: 'the instances stay held at priority 1; `lvs-ha drill failover --return` takes them back',
    };
  }

  /** Release the holds and wait until each instance is MASTER again. */
  async drillReturn(): Promise<JsonObject> {
    const names = instanceViews(this.vrrp.snapshot()).filter((v) => this.vrrp.held(v.name)).map((v) => v.name);
    const t0 = this.clock.nowMs();
    await this.queue.enqueue({
      label: 'drill:return',
      run: async () => {
        for (const n of names) await this.vrrp.setHold(n, false);
        this.maintenanceSince = null;
      },
    });
    const results = await this.watch(names, t0, (v) => v.state === 'MASTER');
    return {
      drill: 'return',
      held: false,
      instances: results.map(({ view, ms }) => ({ name: view.name, master_again_ms: ms, state: view.state })),
    };
  }

  /** Poll the snapshot until `done` holds for each instance or the deadline; ms null on timeout. */
  private async watch(names: readonly string[], t0: number, done: (v: InstanceView) => boolean): Promise<{ view: InstanceView; ms: number | null }[]> {
    const found = new Map<string, { view: InstanceView; ms: number | null }>();
    for (;;) {
      const now = this.clock.nowMs();
      for (const v of instanceViews(this.vrrp.snapshot())) {
        if (names.includes(v.name) && !found.has(v.name) && done(v)) found.set(v.name, { view: v, ms: Math.round(now - t0) });
      }
      if (found.size === names.length || now - t0 >= DRILL_TIMEOUT_MS) break;
      await new Promise<void>((resolve) => { this.clock.setTimer(POLL_MS, resolve); });
    }
    const last = instanceViews(this.vrrp.snapshot());
    return names.map((n) => found.get(n) ?? { view: last.find((v) => v.name === n) ?? { name: n, state: 'unknown', master_address: null, master_priority: null, primary_address: null }, ms: null });
  }
}
