/**
 * Health service: ties the scheduler, checkers, rise/fall hysteresis, quorum
 * and the event bus together, and renders the `virtual_servers` status section.
 *
 * - A real server that appears in several virtual servers with an identical
 *   check (same address, port and check config) is checked once.
 * - A real server without a check is always `up`.
 * - Events: real_server_down on every transition to down (including a start
 *   into down), real_server_up only on down -> up (a start into up is not an
 *   alert); every transition, including unknown -> up, goes to onHealthChange.
 * - update() on reload keeps the health of every check whose key is unchanged.
 */
import type { CheckConfig, VirtualServerConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { LvsHaEvent } from '../alerts/events.js';
import type { Checker } from './checkers/types.js';
import {
  applyResultInPlace, initialHealth, type HealthState, type HealthTransition, type MutableTargetHealth, type StampedResult, type TargetHealth,
} from './hysteresis.js';
import { checkIdentity, targetText, type CheckTarget } from './key.js';
import { nextQuorum, type QuorumState } from './quorum.js';
import { CheckScheduler } from './scheduler.js';

export interface HealthServiceOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly makeChecker: (target: CheckTarget, check: CheckConfig) => Checker;
  /** Part of the key of exec checks: a change of scripts user restarts them. */
  readonly scriptUser: string | null;
  readonly publish: (event: LvsHaEvent) => void;
  readonly onHealthChange?: (change: HealthChange) => void;
  readonly onRunStart?: (key: string, latenessMs: number) => void;
  /** Every counted check result, with its check's type (metrics: latency histograms). */
  readonly onCheckResult?: (type: CheckConfig['type'], result: StampedResult) => void;
}

export interface HealthChange {
  readonly virtualServer: string;
  readonly address: string;
  readonly port: number;
  readonly transition: HealthTransition;
}

interface Tracked {
  readonly target: CheckTarget;
  readonly check: CheckConfig;
  /** Updated in place by every result (one object per target, not one per result). */
  readonly health: MutableTargetHealth;
}

/** Totals since start, for metrics. */
export interface HealthCounters {
  checks: number;
  checkFailures: number;
  transitions: number;
}

/** Quorum state of one virtual server plus its up/unknown counts, kept up to date per transition. */
interface QuorumTrack {
  state: QuorumState;
  upCount: number;
  unknownCount: number;
}

export interface RealServerStatus {
  readonly address: string;
  readonly port: number;
  readonly health: HealthState;
  readonly since: string;
  readonly weight: number | null;
  readonly last_check: { readonly at: string; readonly latency_ms: number; readonly error: string | null } | null;
}

export interface VirtualServerStatus {
  readonly name: string;
  readonly quorum_up: boolean | null;
  readonly up_count: number;
  readonly quorum: { readonly state: QuorumState; readonly min_up: number; readonly hysteresis: number };
  readonly real_servers: readonly RealServerStatus[];
}

export class HealthService {
  private readonly scheduler: CheckScheduler;
  private tracked = new Map<string, Tracked>();
  private quorum = new Map<string, QuorumTrack>();
  private virtualServers: readonly VirtualServerConfig[] = [];
  /** Per virtual server, the check key of each real server (null: no check). */
  private keysByVs = new Map<string, readonly (string | null)[]>();
  /** Per check key, the virtual servers and real-server indexes that share it. */
  private members = new Map<string, { vs: VirtualServerConfig; index: number }[]>();
  private readonly startedAt: Date;
  private readonly checkJson = new WeakMap<CheckConfig, string>();
  private readonly totals: HealthCounters = { checks: 0, checkFailures: 0, transitions: 0 };

  constructor(private readonly options: HealthServiceOptions) {
    this.startedAt = options.clock.wallNow();
    this.scheduler = new CheckScheduler({
      clock: options.clock,
      random: options.random,
      onResult: (key, result) => { this.onResult(key, result); },
      ...(options.onRunStart ? { onRunStart: options.onRunStart } : {}),
    });
  }

  keyOf(target: CheckTarget, check: CheckConfig): string {
    // Config objects are immutable and a virtual server's default check is one
    // object shared by its real servers: serialise each check object once.
    let json = this.checkJson.get(check);
    if (json === undefined) {
      json = checkIdentity(check, check.type === 'exec' ? { user: this.options.scriptUser } : {});
      this.checkJson.set(check, json);
    }
    return `${targetText(target)} ${json}`;
  }

  /** Apply a (new) set of virtual servers; unchanged checks keep their state. */
  update(virtualServers: readonly VirtualServerConfig[]): void {
    const next = new Map<string, Tracked>();
    const keysByVs = new Map<string, (string | null)[]>();
    const members = new Map<string, { vs: VirtualServerConfig; index: number }[]>();
    for (const vs of virtualServers) {
      const keys = vs.realServers.map((rs, index) => {
        if (rs.check === null) return null;
        const target = { address: rs.address, port: rs.port };
        const key = this.keyOf(target, rs.check);
        const list = members.get(key) ?? [];
        list.push({ vs, index });
        members.set(key, list);
        if (!next.has(key)) {
          next.set(key, this.tracked.get(key) ?? { target, check: rs.check, health: initialHealth(this.options.clock.wallNow()) });
        }
        return key;
      });
      keysByVs.set(vs.name, keys);
    }
    this.tracked = next;
    this.keysByVs = keysByVs;
    this.members = members;
    this.virtualServers = virtualServers;
    const quorum = new Map<string, QuorumTrack>();
    for (const vs of virtualServers) {
      quorum.set(vs.name, { state: this.quorum.get(vs.name)?.state ?? 'unknown', ...this.countStates(vs) });
    }
    this.quorum = quorum;
    this.scheduler.update([...next].map(([key, t]) => {
      const run = this.options.makeChecker(t.target, t.check);
      return { key, intervalMs: t.check.intervalMs, timeoutMs: t.check.timeoutMs, run, ...(run.start ? { start: run.start } : {}) };
    }));
    for (const vs of virtualServers) this.evaluateQuorum(vs);
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** Check and transition totals plus the number of scheduled checks, for metrics. */
  counters(): HealthCounters & { scheduledChecks: number } {
    return { ...this.totals, scheduledChecks: this.tracked.size };
  }

  /**
   * Health of one real server of one virtual server ('up' when it has no check).
   * A live view: the object changes with the next result, so read it at once.
   */
  healthOf(vs: VirtualServerConfig, index: number): TargetHealth | null {
    const rs = vs.realServers[index];
    if (!rs) return null;
    const key = this.keysByVs.get(vs.name)?.[index] ?? null;
    if (key === null) return rs.check === null ? { ...initialHealth(this.startedAt), state: 'up' } : null;
    return this.tracked.get(key)?.health ?? null;
  }

  /** The `virtual_servers` section of `lvs-ha status`. */
  /** Quorum per virtual server, O(virtual servers) (the ECMP announcer asks at every health change). */
  quorumStates(): ReadonlyMap<string, QuorumState> {
    return new Map(this.virtualServers.map((vs) => [vs.name, this.quorum.get(vs.name)?.state ?? 'unknown']));
  }

  status(): VirtualServerStatus[] {
    return this.virtualServers.map((vs) => {
      const servers = vs.realServers.map((rs, i) => realServerStatus(rs.address.text, rs.port, this.healthOf(vs, i)));
      const state = this.quorum.get(vs.name)?.state ?? 'unknown';
      return {
        name: vs.name,
        quorum_up: state === 'unknown' ? null : state === 'held',
        up_count: servers.filter((s) => s.health === 'up').length,
        quorum: { state, min_up: vs.quorum.minUp, hysteresis: vs.quorum.hysteresis },
        real_servers: servers,
      };
    });
  }

  private onResult(key: string, result: StampedResult): void {
    const t = this.tracked.get(key);
    if (!t) return;
    this.totals.checks += 1;
    if (!result.ok) this.totals.checkFailures += 1;
    this.options.onCheckResult?.(t.check.type, result);
    const transition = applyResultInPlace(t.health, result, t.check);
    if (!transition) return;
    this.totals.transitions += 1;
    const affected = new Set<VirtualServerConfig>();
    for (const { vs, index } of this.members.get(key) ?? []) {
      const track = this.quorum.get(vs.name);
      if (track) {
        track.upCount += (transition.to === 'up' ? 1 : 0) - (transition.from === 'up' ? 1 : 0);
        if (transition.from === 'unknown') track.unknownCount -= 1; // nothing goes back to unknown
      }
      const rs = vs.realServers[index];
      if (rs) this.announce(vs.name, rs.address.text, rs.port, transition, result.at);
      affected.add(vs);
    }
    for (const vs of affected) this.evaluateQuorum(vs);
  }

  private announce(virtualServer: string, address: string, port: number, transition: HealthTransition, at: Date): void {
    this.options.onHealthChange?.({ virtualServer, address, port, transition });
    if (transition.to === 'down' || transition.from === 'down') {
      const type = transition.to === 'down' ? 'real_server_down' : 'real_server_up';
      this.options.publish({ type, at, virtualServer, address, port, from: transition.from, reason: transition.reason });
    }
  }

  /** Up and unknown real servers of one virtual server (a full scan: at update only). */
  private countStates(vs: VirtualServerConfig): { upCount: number; unknownCount: number } {
    let upCount = 0;
    let unknownCount = 0;
    vs.realServers.forEach((_rs, i) => {
      const state = this.healthOf(vs, i)?.state ?? 'unknown';
      if (state === 'up') upCount += 1;
      if (state === 'unknown') unknownCount += 1;
    });
    return { upCount, unknownCount };
  }

  /** O(1): the counts are maintained per transition (a scan per transition was O(n²) at start-up). */
  private evaluateQuorum(vs: VirtualServerConfig): void {
    const track = this.quorum.get(vs.name);
    if (!track) return;
    const { upCount, unknownCount } = track;
    const out = nextQuorum(track.state, { upCount, unknownCount }, vs.quorum);
    track.state = out.state;
    if (out.event === null) return;
    const { minUp, hysteresis } = vs.quorum;
    const reason = `${String(upCount)} real servers up, quorum ${String(minUp)} (hysteresis ${String(hysteresis)})`;
    this.options.publish({ type: out.event, at: this.options.clock.wallNow(), virtualServer: vs.name, upCount, minUp, hysteresis, reason });
  }
}

function realServerStatus(address: string, port: number, health: TargetHealth | null): RealServerStatus {
  const last = health?.last ?? null;
  return {
    address,
    port,
    health: health?.state ?? 'unknown',
    since: (health?.since ?? new Date(0)).toISOString(),
    weight: health?.weight ?? null,
    last_check: last === null
      ? null
      : { at: last.at.toISOString(), latency_ms: Math.round(last.latencyMs * 1000) / 1000, error: last.ok ? null : (last.reason ?? 'failed') },
  };
}
