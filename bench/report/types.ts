/**
 * Shapes of the benchmark report (bench/run.sh -> bench/report/main.ts): the raw results file
 * (one entry per sub-benchmark with its parsed `BENCH {json}` object), and the rows and targets
 * that the markdown and SVG are made of.
 */

/** falsefail: bench/vrrp/false-failover.sh (false failovers under load, issue 13). */
export type BenchName = 'vrrp' | 'falsefail' | 'health' | 'ipvs' | 'failover';
export const BENCH_NAMES: readonly BenchName[] = ['vrrp', 'falsefail', 'health', 'ipvs', 'failover'];

/** Where a benchmark runs: network namespaces on the host kernel, or the throwaway qemu VM. */
export type Where = 'host' | 'vm';
export const WHERE: Readonly<Record<BenchName, Where>> = { vrrp: 'host', falsefail: 'host', health: 'host', ipvs: 'vm', failover: 'vm' };

export interface Machine {
  /** Logical CPUs of the host (/proc/cpuinfo "processor" lines). */
  readonly cores: number;
  /** CPU model of the host ("model name" in /proc/cpuinfo). */
  readonly cpu: string;
  /** Host kernel release (uname -r). */
  readonly kernel: string;
  /** Kernel the VM boots (Debian's, from /boot), or null if none was found. */
  readonly vmKernel: string | null;
  /** vCPUs of the VM (qemu -smp), or null if unknown. */
  readonly vmCpus: number | null;
}

export type RunStatus = 'ok' | 'failed' | 'not run';

export interface BenchRun {
  readonly name: BenchName;
  readonly status: RunStatus;
  /** Why it failed (or was not run); null when ok. */
  readonly reason: string | null;
  /** ISO time the sub-benchmark started, or null when not run. */
  readonly startedAt: string | null;
  readonly seconds: number | null;
  /** The options passed to the benchmark's script (bench/<name>/run.sh, bench/vrrp/false-failover.sh). */
  readonly args: readonly string[];
  /** The parsed `BENCH {json}` object (or the figures recovered another way), null if none. */
  readonly bench: unknown;
  /** Where `bench` came from: the BENCH line, or a fallback (results files, printed table). */
  readonly source: string | null;
}

export interface Results {
  readonly version: 1;
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly machine: Machine;
  readonly runs: readonly BenchRun[];
}

export type Incumbent = 'Keepalived' | 'ipvsadm';

/** One line of the results table. Values are in `unit`; null when not measured. */
export interface Row {
  readonly bench: BenchName;
  readonly figure: string;
  readonly unit: Unit;
  readonly lvsHa: number | null;
  /** The incumbent's figure (null with incumbentName null: there is no incumbent). */
  readonly incumbent: number | null;
  readonly incumbentName: Incumbent | null;
  /** Set when the sub-benchmark failed: the row stands for the whole benchmark. */
  readonly failed?: string;
}

export type Unit = 'ms' | 'per s' | 'core' | 's/1000' | 'MB' | 'share' | 'count';

export type TargetStatus = 'met' | 'not met' | 'not measured';

export interface Target {
  readonly issue: number;
  readonly text: string;
  readonly measured: string;
  readonly status: TargetStatus;
  /** A caveat, e.g. measured at a smaller size than the issue asks for. */
  readonly note: string | null;
}

/** One point of the failover chart: the median gap at one advert interval. */
export interface GapPoint {
  readonly intervalMs: number;
  readonly gapMs: number;
}

export interface GapSeries {
  readonly impl: 'lvs-ha' | 'Keepalived';
  readonly points: readonly GapPoint[];
}

export interface GapPanel {
  readonly event: 'cut' | 'sigterm';
  readonly title: string;
  readonly series: readonly GapSeries[];
}

/** One advert interval of the false-failover benchmark, as the report shows it. */
export interface FalseFailCell {
  readonly intervalMs: number;
  readonly seconds: number | null;
  /** Backup entered MASTER during the load window; null when not measured. */
  readonly lvsHa: number | null;
  readonly keepalived: number | null;
  readonly lvsHaMasterLosses: number | null;
  readonly keepalivedMasterLosses: number | null;
  readonly lvsHaReloads: number | null;
  readonly keepalivedReloads: number | null;
  /** Largest event-loop delay of lvs-ha's master's and backup's isolates, ms. */
  readonly loopDelayMasterMs: number | null;
  readonly loopDelayBackupMs: number | null;
  readonly error: string | null;
}
