/** Shapes used by bench.ts: the report, and the parts of dist/ it loads at run time. */
export interface Histogram {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface PhaseReport {
  readonly seconds: number;
  readonly per_second: number;
  readonly expected_per_second?: number;
  readonly failures: number;
  readonly cpu_share_of_one_core: number;
  /** Share of the wall time the main thread was runnable but waiting for a CPU (machine load). */
  readonly runqueue_wait_share: number;
  readonly cpu_seconds_per_1000: number;
  readonly user_system_per_1000: readonly number[];
  readonly last_errors?: Readonly<Record<string, number>>;
  /** Failed checks in the measured window by reason (the five most frequent). */
  readonly failure_reasons?: Readonly<Record<string, number>>;
  readonly up_at_end?: number;
  readonly lateness_ms?: Histogram;
  readonly event_loop_delay_ms?: Histogram;
  readonly rss_mb?: {
    readonly before: number;
    readonly peak_sampled: number;
    /** process.resourceUsage().maxRSS: the true peak. */
    readonly max_rss: number;
    readonly at_end: Readonly<Record<'rss' | 'heap_total' | 'heap_used' | 'external', number>>;
  };
}

export interface FloorReport {
  readonly close: 'fin' | 'rst';
  readonly count: number;
  readonly failures: number;
  readonly cpu_seconds_per_1000: number;
  readonly wall_seconds: number;
}

export interface Report {
  readonly node: string;
  readonly dist: string;
  readonly config: Readonly<Record<string, number>>;
  readonly loadavg: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** net.connect + destroy on connect, against the TCP targets. */
  readonly bare_connect: PhaseReport | null;
  /**
   * Every target at the service's rate, with nothing of ours around it: a
   * paused socket connected and destroyed (what the tcp checker does) for the
   * TCP targets, a hand-written HTTP/1.1 GET read to the close for the HTTP ones.
   */
  readonly bare_mix: PhaseReport | null;
  readonly kernel_floor_c: readonly FloorReport[] | null;
  readonly service: PhaseReport;
  /**
   * The same service with a checker that succeeds on the next event-loop turn
   * (no socket): what our scheduler, hysteresis and quorum cost per check.
   */
  readonly service_null_checker: PhaseReport | null;
  /** CPU of the targets' process (a child) while the service phase ran, in cores. */
  readonly targets_cpu_share_during_service: number;
  readonly ratio_service_to_bare_cpu_per_check: number | null;
  readonly ratio_service_to_bare_mix_cpu_per_check: number | null;
}

interface RealServerStatusLike {
  readonly last_check: { readonly error: string | null } | null;
}

export interface HealthServiceLike {
  update(virtualServers: readonly unknown[]): void;
  stop(): void;
  counters(): { checks: number; checkFailures: number };
  status(): { up_count: number; real_servers: readonly RealServerStatusLike[] }[];
}

export type CheckerLike = ((signal: AbortSignal) => Promise<unknown>) & { readonly start?: unknown };

/** The modules of dist/ the benchmark imports (loaded by path, so typed here). */
export interface Dist {
  service: {
    HealthService: new (options: {
      clock: unknown;
      random: () => number;
      scriptUser: null;
      publish: (event: unknown) => void;
      onRunStart: (key: string, latenessMs: number) => void;
      onCheckResult: (type: string, result: { ok: boolean; reason?: string }) => void;
      makeChecker: (target: unknown, check: unknown) => CheckerLike;
    }) => HealthServiceLike;
  };
  checkers: { buildChecker: (target: unknown, check: unknown, deps: { now: () => number; scriptUser: null }) => CheckerLike };
  clock: { systemClock: { nowMs(): number } };
}
