/**
 * False failovers under load (issue 13): for each advert interval, an lvs-ha pair and a
 * Keepalived 2.2.7 pair side by side in one namespace lab (false-failover-cell.ts), the masters
 * loaded for `--seconds`: lvs-ha's master health-checks `--tcp` TCP + `--http` HTTP real servers
 * (1 s checks) and gets a SIGHUP reload every `--reload-every` s, a `status` query every
 * `--status-every` s and a /metrics scrape every `--metrics-every` s; Keepalived's master has the
 * same real servers in its keepalived.conf and the same SIGHUP schedule. This kernel has no IPVS,
 * so Keepalived runs `--vrrp` only and its checkers do not run: it carries the re-reading of the
 * big config on every reload, and the machine load lvs-ha's checks make. Counts per pair the
 * false failovers (the backup entered MASTER while the master ran), master losses, reloads,
 * status queries and scrapes, and lvs-ha's isolates' largest event-loop delay. Run it through
 * false-failover.sh; options:
 *   [--intervals 10,50,100] [--seconds 600] [--tcp 10000] [--http 1000] [--reload-every 15]
 *   [--status-every 1] [--metrics-every 5] [--impl lvs-ha,keepalived]
 * ("off" for --reload-every, --status-every or --metrics-every leaves that load out; a status
 * interval of 0 sends queries back to back). Prints a table and one `BENCH {json}` line.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runCell, type Cell, type CellOptions, type Impl } from './false-failover-cell.js';

const { values: opt } = parseArgs({
  options: {
    intervals: { type: 'string', default: '10,50,100' },
    seconds: { type: 'string', default: '600' },
    tcp: { type: 'string', default: '10000' },
    http: { type: 'string', default: '1000' },
    'reload-every': { type: 'string', default: '15' },
    'status-every': { type: 'string', default: '1' },
    'metrics-every': { type: 'string', default: '5' },
    impl: { type: 'string', default: 'lvs-ha,keepalived' },
  },
});

function count(name: string, text: string, min: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${String(min)}, not '${text}'`);
  return v;
}

/** Seconds as given (fractions allowed), in ms; "off" is null. */
function every(name: string, text: string, min: number): number | null {
  if (text === 'off') return null;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be "off" or a number of seconds >= ${String(min)}, not '${text}'`);
  return Math.round(v * 1000);
}

function impls(text: string): Impl[] {
  const list = text.split(',').filter((s) => s !== '');
  for (const i of list) if (i !== 'lvs-ha' && i !== 'keepalived') throw new Error(`--impl takes lvs-ha and/or keepalived, not '${i}'`);
  if (list.length === 0) throw new Error('--impl names no implementation');
  return list as Impl[];
}

type Config = Omit<CellOptions, 'intervalMs'> & { readonly intervals: readonly number[] };

function config(): Config {
  return {
    intervals: opt.intervals.split(',').map((t) => count('intervals', t, 1)),
    seconds: count('seconds', opt.seconds, 1),
    tcp: count('tcp', opt.tcp, 0),
    http: count('http', opt.http, 0),
    reloadEveryMs: every('reload-every', opt['reload-every'], 1),
    statusEveryMs: every('status-every', opt['status-every'], 0),
    metricsEveryMs: every('metrics-every', opt['metrics-every'], 1),
    impls: impls(opt.impl),
  };
}

const n = (x: number): string => x.toLocaleString('en-US');
const secs = (ms: number | null, what: string, zero = 'back to back'): string | null =>
  ms === null ? null : ms === 0 ? `${what} ${zero}` : `${what} every ${String(ms / 1000)} s`;

/** "10,000 TCP + 1,000 HTTP checks; reload every 15 s; status every 1 s; /metrics every 5 s". */
function loadText(c: Config): string {
  return [`${n(c.tcp)} TCP + ${n(c.http)} HTTP checks`, secs(c.reloadEveryMs, 'reload'), secs(c.statusEveryMs, 'status'), secs(c.metricsEveryMs, '/metrics')]
    .filter((s) => s !== null).join('; ');
}

const KEEPALIVED_NOTE = 'Keepalived 2.2.7 runs --vrrp only (this kernel has no IPVS): its checkers do not run; its master has the same real servers in keepalived.conf and re-reads it on every SIGHUP';

const ms = (x: number | null): string => (x === null ? '-' : `${x.toFixed(1)} ms`);
const cols = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd([10, 12, 17, 15, 16, 8, 9, 33, 14][i] ?? 0)).join('');

function tableLines(cell: Cell): string[] {
  const head = `${String(cell.intervalMs)} ms`;
  if (cell.error !== null) return [cols([head, 'both', `FAILED: ${cell.error}`])];
  const out: string[] = [];
  const l = cell.lvsHa;
  if (l !== null) {
    const delay = `${ms(l.isolateLoopDelayMaxMs.master)} / ${ms(l.isolateLoopDelayMaxMs.backup)}`;
    out.push(cols([head, 'lvs-ha', String(l.falseFailovers), String(l.masterLosses), String(l.reloads), String(l.statusQueries), String(l.scrapes), delay, l.vipOnMaster ? 'yes' : 'NO']));
  }
  const k = cell.keepalived;
  if (k !== null) {
    const reloads = `${String(k.reloads)} (${String(k.reloadsLogged)} logged)`;
    out.push(cols([head, 'keepalived', String(k.falseFailovers), String(k.masterLosses), reloads, '-', '-', k.running ? '-' : '- (keepalived EXITED)', k.vipOnMaster ? 'yes' : 'NO']));
  }
  return out;
}

/** Which pairs ran: with one, the other's share of the machine load is missing. */
function pairsText(list: readonly Impl[]): string {
  if (list.length > 1) return 'both pairs at once in one lab';
  return list[0] === 'keepalived' ? 'Keepalived pair only (no lvs-ha checks, status or scrapes: only its own reloads load it)' : 'lvs-ha pair only';
}

function printTable(c: Config, cells: readonly Cell[]): void {
  console.log(`\nFalse failovers under load: ${loadText(c)}; ${String(c.seconds)} s per interval; ${pairsText(c.impls)}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (c.impls.includes('keepalived')) console.log(`(${KEEPALIVED_NOTE})`);
  console.log(cols(['interval', 'impl', 'false failovers', 'master losses', 'reloads', 'status', 'scrapes', 'isolate loop delay max (m / b)', 'VIP on master']).trimEnd());
  for (const cell of cells) for (const line of tableLines(cell)) console.log(line.trimEnd());
  console.log('(false failovers: the backup entered MASTER during the load window; reloads: SIGHUPs sent, and for Keepalived the "Reloading ..." lines it logged;');
  console.log(' status, scrapes, isolate loop delay: lvs-ha only, Keepalived --vrrp has no control socket or metrics;');
  console.log(' isolate loop delay: vrrp_isolate.loop_delay_max_ms at the end, since each isolate started, its start-up included)');
}

async function main(): Promise<void> {
  const c = config();
  const started = Date.now();
  const loadStart = loadavg();
  const cells: Cell[] = [];
  for (const intervalMs of c.intervals) {
    console.error(`  ${String(intervalMs)} ms adverts: ${c.impls.join(' + ')}, ${loadText(c)}, ${String(c.seconds)} s`);
    const cell = await runCell({ ...c, intervalMs });
    console.error(`  ${String(intervalMs)} ms: ${cell.error ?? `lvs-ha ${String(cell.lvsHa?.falseFailovers ?? '-')}, keepalived ${String(cell.keepalived?.falseFailovers ?? '-')} false failover(s)`}`);
    cells.push(cell);
  }
  printTable(c, cells);
  const wall = Math.round((Date.now() - started) / 1000);
  console.log(`(${String(wall)} s)`);
  const bench = {
    config: { intervals: c.intervals, seconds: c.seconds, tcp: c.tcp, http: c.http, reloadEveryMs: c.reloadEveryMs, statusEveryMs: c.statusEveryMs, metricsEveryMs: c.metricsEveryMs, impls: c.impls },
    load: loadText(c),
    pairs: pairsText(c.impls),
    keepalivedNote: c.impls.includes('keepalived') ? KEEPALIVED_NOTE : null,
    loadavg: { start: loadStart, end: loadavg() },
    wallSeconds: wall,
    cells,
  };
  console.log(`BENCH ${JSON.stringify(bench)}`);
  if (cells.every((x) => x.error !== null)) process.exitCode = 1;
}

await main();
