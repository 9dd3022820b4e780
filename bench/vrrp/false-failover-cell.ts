/**
 * One cell of bench/vrrp/false-failover.ts: one advert interval, ONE namespace lab (prefix lvff)
 * with four routers on one bridge: a, b = the lvs-ha pair of test/helpers/loaded-pair.ts (a
 * health-checks the real servers, is reloaded, queried and scraped), c, d = a Keepalived pair
 * (keepalived-load.ts). Both pairs are elected first, then the load window runs for both at the
 * same time, so they see the same machine load. The lab is destroyed here, also on failure.
 */
import { LOAD_VIP, runLoad, startLoadedPair, startTargets, waitChecksUp, type LoadOptions, type LoadResult } from '../../test/helpers/loaded-pair.js';
import { VrrpLab } from '../../test/helpers/vrrp-lab.js';
import { runKeepalivedLoad, startKeepalivedPair, type KeepalivedLoadResult } from './keepalived-load.js';

export const PREFIX = 'lvff';
export type Impl = 'lvs-ha' | 'keepalived';

export interface CellOptions {
  readonly intervalMs: number;
  readonly seconds: number;
  readonly tcp: number;
  readonly http: number;
  readonly reloadEveryMs: number | null;
  readonly statusEveryMs: number | null;
  readonly metricsEveryMs: number | null;
  readonly impls: readonly Impl[];
}

export interface LvsHaFigures extends Pick<LoadResult, 'falseFailovers' | 'masterLosses' | 'reloads' | 'statusQueries' | 'statusMaxMs' | 'scrapes' | 'realServersUp' | 'realServers' | 'failovers'> {
  /** `vrrp_isolate.loop_delay_max_ms` of the master's and the backup's isolate at the end. */
  readonly isolateLoopDelayMaxMs: { readonly master: number | null; readonly backup: number | null };
  readonly isolated: boolean;
  readonly vipOnMaster: boolean;
}

export interface Cell {
  readonly intervalMs: number;
  readonly seconds: number;
  readonly lvsHa: LvsHaFigures | null;
  readonly keepalived: KeepalivedLoadResult | null;
  /** Why the cell has no figures (its first line), or null. */
  readonly error: string | null;
}

const loopDelay = (section: unknown): number | null => {
  const v = typeof section === 'object' && section !== null ? (section as Record<string, unknown>).loop_delay_max_ms : null;
  return typeof v === 'number' ? v : null;
};

function lvsHaFigures(lab: VrrpLab, r: LoadResult): LvsHaFigures {
  return {
    falseFailovers: r.falseFailovers, masterLosses: r.masterLosses, reloads: r.reloads,
    statusQueries: r.statusQueries, statusMaxMs: r.statusMaxMs, scrapes: r.scrapes,
    realServersUp: r.realServersUp, realServers: r.realServers,
    isolateLoopDelayMaxMs: { master: loopDelay(r.isolates.a), backup: loopDelay(r.isolates.b) },
    isolated: r.isolatePid !== null,
    vipOnMaster: lab.hasAddress('a', LOAD_VIP),
    failovers: r.failovers,
  };
}

function loadOptions(o: CellOptions): LoadOptions {
  return {
    advertMs: o.intervalMs, tcp: o.tcp, http: o.http, reloadEveryMs: o.reloadEveryMs, statusEveryMs: o.statusEveryMs,
    metricsEveryMs: o.metricsEveryMs, durationMs: o.seconds * 1000, inline: false,
  };
}

/** Both pairs elected (and a's checks running), then the load window for both at once. */
async function measure(lab: VrrpLab, o: CellOptions): Promise<Omit<Cell, 'intervalMs' | 'seconds' | 'error'>> {
  const load = o.impls.includes('lvs-ha') ? loadOptions(o) : null;
  if (load !== null) {
    startTargets(lab);
    await startLoadedPair(lab, load);
  }
  const ka = o.impls.includes('keepalived') ? await startKeepalivedPair(lab, { advertMs: o.intervalMs, tcp: o.tcp, http: o.http }) : null;
  if (load !== null) await waitChecksUp(lab, 0.95 * (o.tcp + o.http), 60_000 + 15 * (o.tcp + o.http));
  const [ours, theirs] = await Promise.all([
    load === null ? null : runLoad(lab, load),
    ka === null ? null : runKeepalivedLoad(lab, ka, { reloadEveryMs: o.reloadEveryMs, durationMs: o.seconds * 1000 }),
  ]);
  return { lvsHa: ours === null ? null : lvsHaFigures(lab, ours), keepalived: theirs };
}

export async function runCell(o: CellOptions): Promise<Cell> {
  const names = [...(o.impls.includes('lvs-ha') ? ['a', 'b'] : []), ...(o.impls.includes('keepalived') ? ['c', 'd'] : [])];
  const base = { intervalMs: o.intervalMs, seconds: o.seconds };
  let lab: VrrpLab | undefined;
  try {
    lab = await VrrpLab.create(PREFIX, names);
    return { ...base, ...(await measure(lab, o)), error: null };
  } catch (err) {
    return { ...base, lvsHa: null, keepalived: null, error: String(err).split('\n')[0] ?? 'failed' };
  } finally {
    lab?.destroy();
  }
}
