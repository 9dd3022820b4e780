/**
 * VRRP failover benchmark: Keepalived 2.2.7 pair against an lvs-ha pair, side by side in one
 * run, in the same namespace lab (see scenario.ts). Run it through run.sh; options:
 *   [--intervals 1000,100,10] [--repeat 3] [--events cut,sigterm] [--pinger PATH]
 * --pinger is the compiled pinger.c (run.sh builds it); without it iputils ping is used.
 * For every interval and repetition, each implementation is measured once per event, one after
 * the other (so both see the same machine noise). Prints a table with the median and the
 * spread (min..max) of the reply gap, the takeover time from the backup's log, and the ratio
 * lvs-ha / Keepalived of the median gaps, then one `BENCH {json}` line.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runOnce, type EventKind, type Impl, type RunResult } from './scenario.js';


const { values: opt } = parseArgs({
  options: {
    intervals: { type: 'string', default: '1000,100,10' },
    repeat: { type: 'string', default: '3' },
    events: { type: 'string', default: 'cut,sigterm' },
    pinger: { type: 'string' },
  },
});
const intervals = opt.intervals.split(',').map(Number);
const repeat = Number(opt.repeat);
const events = opt.events.split(',') as EventKind[];
const IMPLS: readonly Impl[] = ['keepalived', 'lvs-ha'];

interface Stats {
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly n: number;
  readonly failed: number;
}

function stats(values: readonly (number | null)[]): Stats {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length === 0 ? null : v.length % 2 === 1 ? (v[mid] ?? null) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
  return { median, min: v[0] ?? null, max: v.at(-1) ?? null, n: v.length, failed: values.length - v.length };
}

const fmt = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
const fmtStats = (s: Stats): string => s.n === 0 && s.failed > 0 && s.failed === repeat ? 'n/a' : `${fmt(s.median)} [${fmt(s.min)}..${fmt(s.max)}]${s.failed > 0 ? ` (${String(s.failed)} failed)` : ''}`;

const ATTEMPTS = 3;

/** One valid run, retried (up to ATTEMPTS) when the pair flapped; the discarded are counted. */
async function measure(impl: Impl, event: EventKind, intervalMs: number, rep: number): Promise<RunResult & { discarded: number }> {
  let discarded = 0;
  for (let attempt = 1; ; attempt++) {
    const tag = `${String(intervalMs)} ms ${event} ${impl} #${String(rep + 1)}`;
    let res: RunResult;
    try {
      res = await runOnce(impl, event, intervalMs, opt.pinger);
    } catch (err) {
      const first = String(err).split('\n')[0] ?? '';
      res = { impl, event, intervalMs, gapMs: null, sinceAdvertMs: null, takeoverMs: null, garpMs: null, replyAfterGarpMs: null, maxAdvertGapMs: null, invalid: `failed: ${first}`, sent: 0, received: 0 };
    }
    console.error(`  ${tag}: gap ${fmt(res.gapMs)} ms, since last advert ${fmt(res.sinceAdvertMs)} ms, takeover ${fmt(res.takeoverMs)} ms, garp ${fmt(res.garpMs)} ms, reply after garp ${fmt(res.replyAfterGarpMs)} ms, max advert gap ${fmt(res.maxAdvertGapMs)} ms, ${String(res.received)}/${String(res.sent)} replies${res.invalid === null ? '' : ` DISCARDED (${res.invalid})`}`);
    if (res.invalid === null) return { ...res, discarded };
    discarded++;
    if (attempt >= ATTEMPTS) return { ...res, gapMs: null, sinceAdvertMs: null, takeoverMs: null, discarded };
  }
}

async function main(): Promise<void> {
  const results: (RunResult & { discarded: number })[] = [];
  const started = Date.now();
  for (const intervalMs of intervals) {
    for (let r = 0; r < repeat; r++) {
      for (const event of events) {
        for (const impl of IMPLS) {
          results.push(await measure(impl, event, intervalMs, r));
        }
      }
    }
  }
  const rows = [];
  console.log(`\nVRRP failover gap (client probes the VIP every 2 ms with ${opt.pinger === undefined ? 'iputils ping' : 'pinger.c'}); median [min..max] over ${String(repeat)} runs, ms; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('interval  event    impl        reply gap                 since last advert         takeover (log)            first GARP                max advert gap            flaps  ratio lvs-ha/ka');
  for (const intervalMs of intervals) {
    for (const event of events) {
      const per = new Map<Impl, { gap: Stats; sinceAdvert: Stats; takeover: Stats; advertGap: Stats; garp: Stats; discarded: number }>();
      for (const impl of IMPLS) {
        const mine = results.filter((x) => x.impl === impl && x.event === event && x.intervalMs === intervalMs);
        per.set(impl, { gap: stats(mine.map((x) => x.gapMs)), sinceAdvert: stats(mine.map((x) => x.sinceAdvertMs)), takeover: stats(mine.map((x) => x.takeoverMs)), advertGap: stats(mine.map((x) => x.maxAdvertGapMs)), garp: stats(mine.map((x) => x.garpMs)), discarded: mine.reduce((n, x) => n + x.discarded, 0) });
      }
      const ka = per.get('keepalived')?.gap.median ?? null;
      const ours = per.get('lvs-ha')?.gap.median ?? null;
      const ratio = ka !== null && ours !== null && ka > 0 ? ours / ka : null;
      for (const impl of IMPLS) {
        const s = per.get(impl);
        if (!s) continue;
        const ratioText = impl === 'lvs-ha' ? (ratio === null ? '-' : ratio.toFixed(2)) : '';
        console.log(`${`${String(intervalMs)} ms`.padEnd(10)}${event.padEnd(9)}${impl.padEnd(12)}${fmtStats(s.gap).padEnd(26)}${fmtStats(s.sinceAdvert).padEnd(26)}${fmtStats(s.takeover).padEnd(26)}${fmtStats(s.garp).padEnd(26)}${fmtStats(s.advertGap).padEnd(26)}${String(s.discarded).padEnd(7)}${ratioText}`);
      }
      rows.push({ intervalMs, event, keepalived: per.get('keepalived'), lvsHa: per.get('lvs-ha'), ratio });
    }
  }
  console.log(`(${String(Math.round((Date.now() - started) / 1000))} s)`);
  console.log(`BENCH ${JSON.stringify({ repeat, rows, runs: results })}`);
}

await main();
