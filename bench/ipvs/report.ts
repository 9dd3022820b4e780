// Prints the IPVS benchmark table from the JSON files driver.ts wrote (run.sh compiles and runs it).
//   node report.js DIR
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface RunOps { ops: number; applied: number; failed: number }
interface Result {
  file: string;
  mode: 'lvsha' | 'ipvsadm';
  services: number;
  dests: number;
  times: Record<string, number | undefined>;
  from_empty?: RunOps;
  weight_10pct?: RunOps;
}

const dir = process.argv[2] ?? '.vm/runs/lvb-bench';
const load = (f: string): Result => ({ ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<Result, 'file'>), file: f });
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const adm = files.filter((f) => f.startsWith('ipvsadm-')).map(load);
const lvs = files.filter((f) => f.startsWith('lvsha-')).map(load);
const first = lvs[0];
if (adm.length === 0 || first === undefined) {
  console.error(`no results in ${dir}`);
  process.exit(1);
}
const fmt = (ms: number | undefined): string => (ms === undefined ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const admBest = (k: string): number => Math.min(...adm.map((a) => a.times[k] ?? Infinity));
const admAll = (k: string): string => adm.map((a) => fmt(a.times[k])).join(' / ');
const label = (r: Result): string => r.file.replace(/^lvsha-|\.json$/g, '');
const ratio = (r: Result, k: string): string => `${((r.times[k] ?? NaN) / admBest(k)).toFixed(2)}x`;
const steps: [string, string, string][] = [
  ['from_empty', `from empty (${first.services} x ${first.dests})`, 'ipvsadm -R'],
  ['noop', 'no-op reconcile', 'ipvsadm -Ln'],
  ['noop_2', 'no-op reconcile (again)', 'ipvsadm -Ln'],
  ['weight_10pct', '10% weight change', 'ipvsadm -R of -e'],
];
const header = ['step', ...lvs.map((r) => `lvs-ha ${label(r)}`), 'ipvsadm (run 1 / run 2)', 'ipvsadm command', ...lvs.map((r) => `ratio ${label(r)}`)];
const rows = steps.map(([k, name, cmd]) => [name, ...lvs.map((r) => fmt(r.times[k])), admAll(k), cmd, ...lvs.map((r) => ratio(r, k))]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
console.log('IPVS benchmark in the VM (qemu TCG: absolute times are many times those of hardware)');
console.log('ratio = lvs-ha / the faster ipvsadm run; targets: from empty <= 2x, no-op reconcile < 100 ms');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));

const parts: [string, string][] = [
  ['read_table', 'readTable (1 service dump + one dest dump per service, decoded)'],
  ['dump_services', 'GET_SERVICE dump alone'],
  ['dump_dests_raw', 'all GET_DEST dumps, not decoded'],
  ['decode_dests', 'decoding those dest replies (as readTable does)'],
  ['decode_dests_with_stats', 'decoding them and reading every stats nest'],
  ['plan', 'plan() on the two tables'],
  ['info_x100_sequential', '100 GET_INFO, one after the other'],
  ['info_x100_concurrent', '100 GET_INFO issued together'],
];
console.log('\nno-op reconcile breakdown (lvs-ha):');
const pw = Math.max(...parts.map(([, d]) => d.length));
console.log(['part'.padEnd(pw), ...lvs.map((r) => label(r).padEnd(10))].join('  '));
for (const [k, d] of parts) console.log([d.padEnd(pw), ...lvs.map((r) => fmt(r.times[k]).padEnd(10))].join('  '));
// One machine-readable line (bench/run.sh reads it): the current tree against the faster ipvsadm run.
const current = lvs.find((r) => label(r) === 'current') ?? lvs[lvs.length - 1] ?? first;
const ms = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10) / 10);
const r2 = (a: number | undefined, b: number): number | null => (a === undefined || !Number.isFinite(a / b) ? null : Math.round((a / b) * 100) / 100);
const lvsJson = (r: Result): Record<string, number | null> => ({
  from_empty_ms: ms(r.times.from_empty), noop_ms: ms(r.times.noop), weights_ms: ms(r.times.weight_10pct),
  noop_again_ms: ms(r.times.noop_2), read_table_ms: ms(r.times.read_table), dump_dests_raw_ms: ms(r.times.dump_dests_raw),
  decode_dests_ms: ms(r.times.decode_dests), decode_dests_with_stats_ms: ms(r.times.decode_dests_with_stats), plan_ms: ms(r.times.plan),
});
const bench: Record<string, unknown> = {
  services: current.services,
  dests: current.dests,
  lvs_ha: lvsJson(current),
  ipvsadm: { from_empty_ms: ms(admBest('from_empty')), list_ms: ms(admBest('noop')), weights_ms: ms(admBest('weight_10pct')) },
  ratio: { from_empty: r2(current.times.from_empty, admBest('from_empty')), noop: r2(current.times.noop, admBest('noop')), weights: r2(current.times.weight_10pct, admBest('weight_10pct')) },
};
for (const r of lvs) if (r !== current) bench[`lvs_ha_${label(r)}`] = lvsJson(r);
console.log(`\nBENCH ${JSON.stringify(bench)}`);
for (const r of lvs) {
  const bad = [r.from_empty, r.weight_10pct].some((o) => o?.failed !== 0);
  if (bad) console.log(`WARNING lvs-ha ${label(r)}: failed operations`);
}
