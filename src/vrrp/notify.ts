/**
 * notify.command on every transition (docs/configuration.md `notify`): the configured argv with
 * `INSTANCE FROM TO PRIORITY` appended; notify.master / backup / fault / stop on entering that
 * state, argv as written (Keepalived's notify_master & co.). Run as the script user, never
 * through a shell; for one transition the per-state command first, then `command`, as Keepalived.
 *
 * Runs are serialised in transition order on one queue for the whole engine (so the scripts of a
 * sync group see the group's moves in the order they happened), and they never block the state
 * machine: enqueue() returns at once. A run that exceeds NOTIFY_TIMEOUT_MS has its process group
 * killed, and the next one starts. The queue is bounded; beyond it, runs are dropped and counted.
 */
import type { NotifyConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { describeProcessOutcome, runProcess, type ProcessUser } from '../os/process.js';

export const NOTIFY_TIMEOUT_MS = 30_000;
export const NOTIFY_QUEUE_MAX = 256;

export interface NotifyRequest {
  readonly command: readonly string[];
  readonly instance: string;
  readonly from: string;
  readonly to: string;
  readonly priority: number;
  /** A per-state command: run as written, nothing appended. */
  readonly bare?: boolean;
}

/** The argv of one notify run. Pure. */
export function notifyArgv(req: NotifyRequest): string[] {
  if (req.bare === true) return [...req.command];
  return [...req.command, req.instance, req.from, req.to, String(req.priority)];
}

/** The runs one transition asks for, in order: the per-state command, then `command`. Pure. */
export function notifyRuns(notify: NotifyConfig | null, base: Omit<NotifyRequest, 'command' | 'bare'>): NotifyRequest[] {
  if (notify === null) return [];
  const perState = base.to === 'MASTER' ? notify.master : base.to === 'BACKUP' ? notify.backup : base.to === 'FAULT' ? notify.fault : base.to === 'INIT' ? notify.stop : null;
  const out: NotifyRequest[] = [];
  if (perState !== null) out.push({ ...base, command: perState, bare: true });
  if (notify.command !== null) out.push({ ...base, command: notify.command });
  return out;
}

export type UserLookup = () => Promise<ProcessUser | null>;

export class NotifyQueue {
  private chain: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private pending = 0;
  dropped = 0;
  runs = 0;
  failures = 0;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The script user; a lookup that fails (or returns null outside tests) refuses the run. */
    private readonly user: UserLookup,
    private readonly timeoutMs = NOTIFY_TIMEOUT_MS,
  ) {}

  enqueue(req: NotifyRequest): void {
    if (this.pending >= NOTIFY_QUEUE_MAX) {
      this.dropped += 1;
      this.log.error({ instance: req.instance, from: req.from, to: req.to }, 'notify queue full; run dropped');
      return;
    }
    this.pending += 1;
    this.chain = this.chain
      .then(() => this.runOne(req))
      .finally(() => {
        this.pending -= 1;
      });
  }

  private async runOne(req: NotifyRequest): Promise<void> {
    const argv = notifyArgv(req);
    let user: ProcessUser | null;
    try {
      user = await this.user();
    } catch (err) {
      this.failures += 1;
      this.log.error({ instance: req.instance, err: err instanceof Error ? err.message : String(err) }, 'notify not run: no script user');
      return;
    }
    if (this.abort.signal.aborted) {
      this.dropped += 1;
      return;
    }
    const outcome = await runProcess({ argv, user, timeout: { clock: this.clock, ms: this.timeoutMs }, signal: this.abort.signal });
    this.runs += 1;
    const ok = outcome.kind === 'exit' && outcome.code === 0;
    if (!ok) this.failures += 1;
    const fields = { instance: req.instance, from: req.from, to: req.to, argv, result: describeProcessOutcome(outcome) };
    if (ok) this.log.info(fields, 'notify ran');
    else this.log.warn(fields, 'notify failed');
  }

  /** Resolves when every queued run has finished. */
  idle(): Promise<void> {
    return this.chain;
  }

  /**
   * Engine stop: let the queued runs (including the shutdown transitions) finish for up to
   * graceMs, then kill the one running and drop the rest.
   */
  async drain(graceMs: number): Promise<void> {
    let cancel: () => void = () => undefined;
    const timeout = new Promise<void>((resolve) => {
      cancel = this.clock.setTimer(graceMs, resolve);
    });
    await Promise.race([this.chain, timeout]);
    cancel();
    this.abort.abort();
    await this.chain;
  }
}
