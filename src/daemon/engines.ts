/**
 * Engines the daemon composes: the director (health, alerts, IPVS reconciler,
 * sync daemons) and VRRP. Each contributes status sections, starts with the
 * initial config, follows applied reloads, and stops gracefully before the
 * control socket closes. Start order: director first (checks running and the
 * first reconcile attempted), then VRRP; stop order is the reverse (VRRP
 * resigns and drops its VIPs first).
 */
import { watchGenlFamily } from '../os/genl-family-watch.js';
import { IPVS_GENL_NAME } from '../lvs/ipvs/constants.js';
import type { Config } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { AlertDispatcher } from '../alerts/dispatcher.js';
import { createHealthService } from '../health/index.js';
import { CheckLatencyHistogram } from '../metrics/check-latency.js';
import { resolveScriptUser } from '../os/accounts.js';
import { IpvsClient } from '../lvs/ipvs/client.js';
import { openGenericNetlink } from '../os/genl.js';
import type { JsonValue } from '../control/protocol.js';
import { VrrpEngine } from '../vrrp/engine.js';
import { forkIsolate, removeVipsFailSafe, tuneIsolate } from '../vrrp/isolate/fork.js';
import { VrrpIsolate } from '../vrrp/isolate/host.js';
import type { TransitionNotice } from '../vrrp/runner.js';
import { openRunnerOs } from '../vrrp/runner-os.js';
import { Director, type AlertsPort, type IpvsConnection } from '../director/engine.js';
import { EventQueue } from '../core/event-queue.js';
import type { StatusProvider } from './status.js';
import { procIpvsSysctls } from '../lvs/sysctls.js';
import { nftables } from '../os/nftables.js';
import { announceDaemonEngine, createAnnounceEngine } from '../announce/daemon-engine.js';
import type { AnnounceEngine } from '../announce/engine.js';

export interface DaemonEngine {
  readonly name: string;
  readonly status: StatusProvider | null;
  /** Further status sections of the same engine. */
  readonly moreStatus?: readonly StatusProvider[];
  start(config: Config): Promise<void>;
  /**
   * Whether the daemon may not run without this engine for this config (default
   * true). A director with virtual servers but no health checks or IPVS would
   * take the VIP and black-hole the traffic, so its failure to start is fatal.
   */
  required?(config: Config): boolean;
  /** Called inside the event queue after a reload was applied. */
  applyConfig(config: Config): Promise<void>;
  stop(): Promise<void>;
}

/**
 * VRRP as the daemon sees it: the engine in its isolate (VrrpIsolate, production) or, for the
 * test that proves the isolate matters, in the daemon's own event loop (VrrpEngine).
 */
export interface VrrpSide {
  start(config: Config): Promise<void>;
  applyConfig(config: Config): Promise<void>;
  stop(): Promise<void>;
  setHold(instance: string, on: boolean, resign?: boolean): boolean | Promise<boolean>;
  held(instance: string): boolean;
  snapshot(): JsonValue;
  /** Fresh snapshot for a `status` answer (the isolate's; the inline engine's is always fresh). */
  refresh?(): Promise<void>;
  /** The `vrrp_isolate` status section (absent inline). */
  isolateStatus?(): JsonValue;
  setVirtualServerQuorum(name: string, ok: boolean): void;
}

/** What the engines share with the daemon core. */
export interface EngineContext {
  readonly queue: EventQueue;
  /** Set by the engines that answer control commands beyond status/reload. */
  director?: Director;
  vrrp?: VrrpSide;
  /** The ECMP announcer (maintenance withdraws its VIPs). */
  announce?: AnnounceEngine;
}

/**
 * `LVSHA_VRRP_INLINE=1` runs VRRP on the daemon's own event loop, as before the isolate: only for
 * measuring what the isolate is for (test/netns/vrrp/isolation.test.ts); never in production.
 */
export const INLINE_VRRP_ENV = 'LVSHA_VRRP_INLINE';

function vrrpSide(logger: Logger, clock: Clock, onTransition: (notice: TransitionNotice) => void, env: NodeJS.ProcessEnv): VrrpSide {
  if (env[INLINE_VRRP_ENV] === '1') {
    logger.warn({ env: INLINE_VRRP_ENV }, 'VRRP runs on the daemon\'s event loop (test mode): any stall of the daemon delays adverts');
    return new VrrpEngine({ clock, logger, openOs: openRunnerOs, resolveScriptUser: (name) => resolveScriptUser(name), onTransition, afterIo: (fn) => { setImmediate(fn); } });
  }
  return new VrrpIsolate({ clock, logger, spawn: () => forkIsolate(logger), failSafe: removeVipsFailSafe, onTransition, tune: tuneIsolate });
}

export function vrrpDaemonEngine(engine: VrrpSide): DaemonEngine {
  const isolate = engine.isolateStatus?.bind(engine);
  return {
    name: 'vrrp',
    status: { section: 'instances', snapshot: () => engine.snapshot(), refresh: () => engine.refresh?.() ?? Promise.resolve() },
    ...(isolate ? { moreStatus: [{ section: 'vrrp_isolate', snapshot: isolate }] } : {}),
    start: (config) => engine.start(config),
    applyConfig: (config) => engine.applyConfig(config),
    stop: () => engine.stop(),
  };
}

export function directorDaemonEngine(director: Director, extra: readonly StatusProvider[] = []): DaemonEngine {
  const sections = [...Object.entries(director.statusSections()).map(([section, snapshot]): StatusProvider => ({ section, snapshot })), ...extra];
  return {
    name: 'director',
    status: sections[0] ?? null,
    moreStatus: sections.slice(1),
    start: (config) => director.start(config),
    required: (config) => config.virtualServers.length > 0 || config.ipvsSync !== null || config.alerts.length > 0,
    applyConfig: (config) => director.applyConfig(config),
    stop: () => director.stop(),
  };
}

async function connectKernelIpvs(): Promise<IpvsConnection> {
  const nl = openGenericNetlink();
  try {
    const ipvs = await IpvsClient.connect(nl);
    return { ipvs, sysctls: procIpvsSysctls(), nft: nftables(), close: () => { nl.close(); } };
  } catch (err) {
    nl.close();
    throw err;
  }
}

async function kernelAlerts(config: Config, logger: Logger, clock: Clock): Promise<AlertsPort> {
  const log = logger.child({ component: 'alerts' });
  const scriptUser = config.alerts.some((a) => a.type === 'exec')
    // Never fall back to the daemon's own user (root): an unknown scripts.user fails the start.
    ? await resolveScriptUser(config.scripts.user)
    : null;
  return new AlertDispatcher({ clock, log, node: config.node, scriptUser }, config.alerts);
}

/** The production engines; `context` receives the director and VRRP engine for the control commands. */
export function defaultEngines(logger: Logger, clock: Clock, context: EngineContext = { queue: new EventQueue() }, env: NodeJS.ProcessEnv = process.env): DaemonEngine[] {
  const holder: { director: Director | null } = { director: null };
  // Check latency histograms for /metrics: one per daemon, kept across reloads.
  const checkLatency = new CheckLatencyHistogram();
  const vrrp = vrrpSide(logger, clock, (notice) => holder.director?.onTransition(notice), env);
  const director = new Director({
    clock, logger, queue: context.queue,
    connectIpvs: connectKernelIpvs,
    nft: nftables(),
    watchIpvsFamily: (onEvent, onError) => watchGenlFamily(IPVS_GENL_NAME, onEvent, onError),
    createHealth: (o) => createHealthService({
      clock, ...o, onHealthChange: () => { o.onHealthChange(); },
      onCheckResult: (type, result) => { checkLatency.observe(type, result.ok, result.latencyMs); },
    }),
    createAlerts: (config) => kernelAlerts(config, logger, clock),
    setQuorum: (name, ok) => { vrrp.setVirtualServerQuorum(name, ok); },
  });
  holder.director = director;
  context.director = director;
  context.vrrp = vrrp;
  const latencySection: StatusProvider = { section: 'check_latency', snapshot: () => checkLatency.snapshot() };
  // After the director (its first checks and reconcile), before VRRP; stops withdraw before IPVS goes.
  const announce = createAnnounceEngine({
    clock, logger, health: director,
    enqueue: (label, run) => context.queue.enqueue({ label, run }),
    onChange: (change, at) => { director.publish({ type: change.announced ? 'vip_announced' : 'vip_withdrawn', at, vip: change.vip, reason: change.reason }); },
  });
  context.announce = announce;
  return [directorDaemonEngine(director, [latencySection]), announceDaemonEngine(announce), vrrpDaemonEngine(vrrp)];
}
