/**
 * Track scripts: each runs every `interval` (the next run starts an interval after the previous
 * one started, or at once if it took longer; runs never overlap), as the script user, killed at
 * `timeout`. `rise` consecutive successes make it healthy, `fall` consecutive failures failed.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { TrackScript } from '../../config/types.js';
import { describeProcessOutcome, runProcess, type ProcessOutcome, type ProcessRun, type ProcessUser } from '../../os/process.js';

/** Rise/fall counting (pure): from unknown, whichever streak completes first decides. */
export interface RiseFall {
  readonly healthy: boolean | null;
  readonly okStreak: number;
  readonly failStreak: number;
}

export const initialRiseFall: RiseFall = { healthy: null, okStreak: 0, failStreak: 0 };

export function applyRun(state: RiseFall, ok: boolean, rise: number, fall: number): RiseFall {
  const okStreak = ok ? state.okStreak + 1 : 0;
  const failStreak = ok ? 0 : state.failStreak + 1;
  let healthy = state.healthy;
  if (ok && healthy !== true && okStreak >= Math.max(1, rise)) healthy = true;
  if (!ok && healthy !== false && failStreak >= Math.max(1, fall)) healthy = false;
  return { healthy, okStreak, failStreak };
}

export type RunScriptFn = (run: ProcessRun) => Promise<ProcessOutcome>;

export interface ScriptTrackerOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly script: TrackScript;
  readonly user: () => Promise<ProcessUser | null>;
  /** Called when the hysteresis decides a new state. */
  readonly onChange: (healthy: boolean) => void;
  readonly run?: RunScriptFn;
}

export class ScriptTracker {
  private state: RiseFall = initialRiseFall;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  lastResult: string | null = null;

  constructor(private readonly options: ScriptTrackerOptions) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.options.clock.setTimer(delayMs, () => {
      this.cancelTimer = null;
      void this.runOnce();
    });
  }

  private async runOnce(): Promise<void> {
    const { clock, script, log } = this.options;
    const started = clock.nowMs();
    let outcome: ProcessOutcome;
    try {
      const user = await this.options.user();
      outcome = await (this.options.run ?? runProcess)({ argv: script.command, user, timeout: { clock, ms: script.timeoutMs }, signal: this.abort.signal });
    } catch (err) {
      outcome = { kind: 'spawn_error', message: err instanceof Error ? err.message : String(err) };
    }
    if (this.stopped) return;
    const ok = outcome.kind === 'exit' && outcome.code === 0;
    this.lastResult = ok ? 'ok' : describeProcessOutcome(outcome);
    const before = this.state.healthy;
    this.state = applyRun(this.state, ok, script.rise, script.fall);
    if (this.state.healthy !== null && this.state.healthy !== before) {
      log.info({ script: script.name, healthy: this.state.healthy, result: this.lastResult }, 'track script changed');
      this.options.onChange(this.state.healthy);
    }
    const elapsed = clock.nowMs() - started;
    this.schedule(Math.max(0, script.intervalMs - elapsed));
  }

  get healthy(): boolean | null {
    return this.state.healthy;
  }

  /** Stop scheduling and kill a run in progress. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.cancelTimer?.();
    this.cancelTimer = null;
  }
}
