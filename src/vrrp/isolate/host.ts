/**
 * The daemon's side of the VRRP isolate. To the rest of the daemon it looks like the engine
 * (start, applyConfig, stop, setHold, held, snapshot, setVirtualServerQuorum, transitions), but
 * the engine runs in a child process of its own, so nothing the daemon's event loop does (a
 * reload of 10,000 real servers, a status render, a netlink dump, garbage collection) can delay
 * an advert or a master-down timer.
 *
 * Fail-safe: if the isolate dies while the daemon runs, no instance may stay MASTER behind our
 * back: the VIPs it may have left are removed here (the peer's master-down timer takes over),
 * every instance that was not INIT reports a transition to INIT (reason `isolate_exit`, so the
 * director follows its role), and the isolate is started again after a back-off.
 */
import type { Config, VrrpInstanceConfig } from '../../config/types.js';
import type { JsonValue } from '../../control/protocol.js';
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { VrrpStateName } from '../machine-types.js';
import type { TransitionNotice } from '../runner.js';
import { IsolateError, PendingRequests, within } from './requests.js';
import { parseIsolateMessage, vrrpSideConfig, type HostMessage, type IsolateHealth, type IsolateMessage, type WireTransition } from './protocol.js';

/** How long the isolate may take to load (node start under software emulation is slow). */
export const ISOLATE_READY_TIMEOUT_MS = 60_000;
/** How long one request (apply, hold) may take; an apply waits for interface lookups (5 s each). */
export const ISOLATE_REQUEST_TIMEOUT_MS = 30_000;
/** How long a graceful stop may take before the isolate is killed and the fail-safe runs. */
export const ISOLATE_STOP_TIMEOUT_MS = 10_000;
/**
 * A running isolate pushes its snapshot at least once a second (HEALTH_EVERY_MS). Silent this long,
 * while the daemon's own loop ran on time, it is hung: it is killed, and the fail-safe runs.
 */
export const ISOLATE_SILENCE_LIMIT_MS = 5000;
/** How often the daemon checks that the isolate still speaks; a tick later than this plus the slack is the daemon's own stall. */
export const WATCHDOG_TICK_MS = 1000;
const WATCHDOG_SLACK_MS = 500;

/** How long a `status` waits for the isolate's current snapshot before using the last one. */
export const STATUS_REFRESH_TIMEOUT_MS = 1000;
/** Restart back-off after the isolate died: doubles from the first to the last value. */
export const RESPAWN_FIRST_MS = 1000;
export const RESPAWN_MAX_MS = 30_000;
/** An isolate that ran this long resets the back-off. */
export const RESPAWN_RESET_AFTER_MS = 60_000;

/** A running isolate process (production: fork.ts). */
export interface IsolateProcess {
  readonly pid: number | undefined;
  /** False or a throw when the channel is closed. */
  send(message: HostMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Exactly once, whatever ended the process (exit, signal, failed spawn). */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(signal: NodeJS.Signals): void;
}

export interface VrrpIsolateOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly spawn: () => IsolateProcess;
  /** Remove the VIPs of these instances (the isolate died and may have left them). */
  readonly failSafe: (instances: readonly VrrpInstanceConfig[]) => Promise<void>;
  readonly onTransition?: (notice: TransitionNotice) => void;
  /** Set the isolate's scheduling (vrrp.realtime_priority); production: tuneIsolate. */
  readonly tune?: (pid: number, realtimePriority: number) => Promise<void>;
}

interface Running {
  readonly proc: IsolateProcess;
  readonly startedMs: number;
  /** When the isolate last said anything (monotonic ms). */
  heardMs: number;
  ready: boolean;
  exited: boolean;
  readonly exitedPromise: Promise<void>;
}

type Row = Readonly<Record<string, JsonValue>>;

export class VrrpIsolate {
  private config: Config | null = null;
  private running: Running | null = null;
  private readonly requests: PendingRequests;
  private rows: readonly Row[] = [];
  /** The realtime priority in force on the running isolate (null: not yet set). */
  private scheduling: number | null = null;
  private health: IsolateHealth | null = null;
  private restarts = 0;
  private lastExit: string | null = null;
  private heldNames = new Set<string>();
  private readonly holds = new Set<string>();
  private readonly quorum = new Map<string, boolean>();
  private stopping = false;
  private down: string | null = null;
  private backoffMs = RESPAWN_FIRST_MS;
  private cancelRespawn: (() => void) | null = null;
  private readonly log: Logger;

  constructor(private readonly options: VrrpIsolateOptions) {
    this.log = options.logger.child({ component: 'vrrp-isolate' });
    this.requests = new PendingRequests(options.clock);
  }

  /** The isolate starts with the first config that has VRRP instances (like the engine's OS side). */
  async start(config: Config): Promise<void> {
    this.config = config;
    if (config.vrrp.instances.length > 0) await this.launch();
  }

  async applyConfig(config: Config): Promise<void> {
    this.config = config;
    if (this.stopping) return;
    if (!this.running) {
      if (config.vrrp.instances.length > 0) await this.launch();
      return;
    }
    if (!this.running.ready || this.down !== null) return; // a restart pending applies the newest config
    await this.applyScheduling();
    await this.request({ t: 'apply', id: 0, config: vrrpSideConfig(config) });
  }

  async setHold(instance: string, on: boolean, resign = false): Promise<boolean> {
    if (!this.running?.ready) return false;
    const value = await this.request({ t: 'hold', id: 0, instance, on, resign });
    if (value === true) {
      // The snapshot that shows it comes right behind the reply; status must not lag it.
      for (const set of [this.holds, this.heldNames]) {
        if (on) set.add(instance);
        else set.delete(instance);
      }
    }
    return value === true;
  }

  held(instance: string): boolean {
    return this.heldNames.has(instance);
  }

  setVirtualServerQuorum(name: string, ok: boolean): void {
    this.quorum.set(name, ok);
    if (this.running?.ready) this.post({ t: 'quorum', name, ok });
  }

  /**
   * Ask the isolate for its current snapshot (it arrives before the reply). A slow or dead
   * isolate leaves the last one in place after STATUS_REFRESH_TIMEOUT_MS.
   */
  async refresh(): Promise<void> {
    if (!this.running?.ready || this.down !== null) return;
    try {
      await this.request({ t: 'sync', id: 0 }, STATUS_REFRESH_TIMEOUT_MS);
    } catch (err) {
      this.log.debug({ err: describeError(err) }, 'status uses the last snapshot of the VRRP isolate');
    }
  }

  /** The `instances` section as the isolate last pushed it (or why it is not running). */
  snapshot(): JsonValue {
    if (this.down === null) return this.rows;
    const reason = this.down;
    return this.rows.map((row) => ({ ...row, state: 'INIT', error: reason }));
  }

  /** The `vrrp_isolate` status section: is it running, how late its event loop ran. */
  isolateStatus(): JsonValue {
    const h = this.health;
    return {
      running: this.running !== null && !this.running.exited && this.running.ready,
      pid: this.running?.proc.pid ?? null,
      restarts: this.restarts,
      last_exit: this.lastExit,
      loop_delay_max_ms: h?.loopDelayMaxMs ?? null,
      loop_delay_recent_max_ms: h?.loopDelayWindowMaxMs ?? null,
      cpu_ms: h?.cpuMs ?? null,
      realtime_priority: this.scheduling,
    };
  }

  /** Graceful stop: the isolate resigns every MASTER and exits; killed after a timeout. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.cancelRespawn?.();
    this.cancelRespawn = null;
    const running = this.running;
    if (!running || running.exited) return;
    try {
      await this.request({ t: 'stop', id: 0 }, ISOLATE_STOP_TIMEOUT_MS);
      await within(this.options.clock, running.exitedPromise, ISOLATE_STOP_TIMEOUT_MS);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'the VRRP isolate did not stop in time; killing it and removing the VIPs');
      running.proc.kill('SIGKILL');
      await this.runFailSafe();
    }
  }

  private async launch(): Promise<void> {
    const proc = this.options.spawn();
    let markExited: () => void = () => undefined;
    const running: Running = {
      proc, startedMs: this.options.clock.nowMs(), heardMs: this.options.clock.nowMs(), ready: false, exited: false,
      exitedPromise: new Promise<void>((resolve) => { markExited = resolve; }),
    };
    this.running = running;
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => { markReady = resolve; });
    proc.onMessage((raw) => {
      const parsed = parseIsolateMessage(raw);
      if (!parsed.ok) {
        this.log.error({ reason: parsed.reason }, 'refused a malformed message from the VRRP isolate');
        return;
      }
      running.heardMs = this.options.clock.nowMs();
      if (parsed.value.t === 'ready') {
        running.ready = true;
        markReady();
      }
      this.receive(parsed.value);
    });
    proc.onExit((code, signal) => {
      running.exited = true;
      markExited();
      this.exited(running, code, signal);
    });
    await within(this.options.clock, Promise.race([ready, running.exitedPromise]), ISOLATE_READY_TIMEOUT_MS);
    if (!running.ready) throw new IsolateError('the VRRP isolate exited before it was ready');
    this.log.info({ pid: proc.pid }, 'VRRP isolate running');
    this.watch(running, this.options.clock.nowMs());
    if (this.lastExit !== null) this.restarts += 1;
    this.scheduling = null;
    await this.applyScheduling();
    await this.resume();
  }

  /** After a (re)start: the config, then what the isolate cannot know (quorum, holds). */
  private async resume(): Promise<void> {
    const config = this.config;
    if (!config) return;
    const applied = this.request({ t: 'apply', id: 0, config: vrrpSideConfig(config) });
    for (const [name, ok] of this.quorum) this.post({ t: 'quorum', name, ok });
    await applied;
    for (const instance of this.holds) await this.request({ t: 'hold', id: 0, instance, on: true, resign: false });
    this.down = null;
    // A reload that came while the isolate was (re)starting.
    const latest = this.config;
    if (latest && latest !== config) await this.request({ t: 'apply', id: 0, config: vrrpSideConfig(latest) });
  }

  /** vrrp.realtime_priority on the running isolate; a failure is logged, the isolate runs on. */
  private async applyScheduling(): Promise<void> {
    const pid = this.running?.proc.pid;
    const wanted = this.config?.vrrp.realtimePriority ?? 0;
    if (!this.options.tune || pid === undefined || wanted === this.scheduling) return;
    try {
      await this.options.tune(pid, wanted);
      this.scheduling = wanted;
      this.log.info({ pid, realtime_priority: wanted }, wanted === 0 ? 'VRRP isolate runs without real-time scheduling' : 'VRRP isolate runs with real-time scheduling (SCHED_RR)');
    } catch (err) {
      this.scheduling = wanted;
      this.log.warn({ pid, realtime_priority: wanted, err: describeError(err) }, 'cannot set the VRRP isolate\'s scheduling; it runs at nice -10');
    }
  }

  private receive(message: IsolateMessage): void {
    switch (message.t) {
      case 'ready':
        return;
      case 'reply': {
        this.requests.settle(message.id, message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error });
        return;
      }
      case 'transition':
        this.forward(noticeOf(message.transition));
        return;
      case 'snapshot':
        this.rows = Array.isArray(message.instances) ? (message.instances as readonly Row[]) : [];
        this.heldNames = new Set(message.held);
        this.health = message.health;
        return;
    }
  }

  private forward(notice: TransitionNotice): void {
    try {
      this.options.onTransition?.(notice);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'transition hook failed');
    }
  }

  private post(message: HostMessage): void {
    try {
      this.running?.proc.send(message);
    } catch (err) {
      this.log.debug({ err: describeError(err), type: message.t }, 'message to the VRRP isolate not sent');
    }
  }

  private request(message: HostMessage, timeoutMs = ISOLATE_REQUEST_TIMEOUT_MS): Promise<JsonValue> {
    const running = this.running;
    if (!running || running.exited) return Promise.reject(new IsolateError('the VRRP isolate is not running'));
    return this.requests.open(message, (m) => { running.proc.send(m); }, timeoutMs);
  }

  private exited(running: Running, code: number | null, signal: string | null): void {
    this.requests.failAll(`the VRRP isolate exited (code ${String(code)}, signal ${String(signal)})`);
    if (this.running !== running) return;
    if (this.stopping) {
      this.log.info({ code, signal }, 'VRRP isolate stopped');
      return;
    }
    const reason = `the VRRP isolate exited (code ${String(code)}, signal ${String(signal)})`;
    this.down = `${reason}; restarting`;
    this.lastExit = `${this.options.clock.wallNow().toISOString()} ${reason}`;
    this.health = null;
    const lived = this.options.clock.nowMs() - running.startedMs;
    if (lived >= RESPAWN_RESET_AFTER_MS) this.backoffMs = RESPAWN_FIRST_MS;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(RESPAWN_MAX_MS, this.backoffMs * 2);
    this.log.error({ code, signal, pid: running.proc.pid, restart_in_ms: delay }, `${reason}: removing its VIPs (the peer takes over) and restarting it`);
    this.reportAllInit();
    void this.runFailSafe();
    if (!running.ready) return; // died while starting: start() reports it; no restart loop from here
    this.scheduleRespawn(delay);
  }

  /** Every instance that was not INIT goes INIT for the director (its role and sync follow). */
  private reportAllInit(): void {
    const now = this.options.clock.nowMs();
    const at = this.options.clock.wallNow();
    for (const row of this.rows) {
      const state = row.state;
      if (typeof row.name !== 'string' || typeof state !== 'string' || state === 'INIT') continue;
      const priority = typeof row.effective_priority === 'number' ? row.effective_priority : 0;
      this.forward({ instance: row.name, record: { from: state as VrrpStateName, to: 'INIT', reason: 'isolate_exit', atMs: now }, priority, at });
    }
    this.rows = this.rows.map((row) => ({ ...row, state: 'INIT' }));
  }

  /**
   * Kill a hung isolate: no message for ISOLATE_SILENCE_LIMIT_MS, judged only on ticks that came on
   * time (a daemon that was itself stalled has simply not read the channel yet).
   */
  private watch(running: Running, lastTickMs: number): void {
    this.options.clock.setTimer(WATCHDOG_TICK_MS, () => {
      if (this.running !== running || running.exited || this.stopping) return;
      const now = this.options.clock.nowMs();
      const onTime = now - lastTickMs <= WATCHDOG_TICK_MS + WATCHDOG_SLACK_MS;
      if (onTime && now - running.heardMs > ISOLATE_SILENCE_LIMIT_MS) {
        this.log.error({ pid: running.proc.pid, silent_ms: Math.round(now - running.heardMs) }, 'the VRRP isolate is hung (no message); killing it');
        running.proc.kill('SIGKILL');
        return;
      }
      this.watch(running, now);
    });
  }

  private async runFailSafe(): Promise<void> {
    const instances = this.config?.vrrp.instances ?? [];
    if (instances.length === 0) return;
    try {
      await this.options.failSafe(instances);
      this.log.warn({ instances: instances.map((i) => i.name) }, 'fail-safe: virtual addresses removed');
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'fail-safe: could not remove the virtual addresses');
    }
  }

  private scheduleRespawn(delayMs: number): void {
    this.cancelRespawn = this.options.clock.setTimer(delayMs, () => {
      this.cancelRespawn = null;
      if (this.stopping) return;
      this.launch().catch((err: unknown) => {
        this.log.error({ err: describeError(err) }, 'the VRRP isolate could not be restarted; trying again');
        if (!this.stopping && this.cancelRespawn === null) this.scheduleRespawn(this.backoffMs);
      });
    });
  }
}

function noticeOf(t: WireTransition): TransitionNotice {
  return { instance: t.instance, record: { from: t.from, to: t.to, reason: t.reason, atMs: t.atMs }, priority: t.priority, at: new Date(t.at) };
}
