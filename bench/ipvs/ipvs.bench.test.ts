/**
 * IPVS benchmark in the kernel-tier VM (see run.sh). One boot; the driver
 * runs on the compiled code (dist/). Times are wall-clock inside the VM
 * (software emulation, so absolute numbers are several times slower than on
 * hardware; the ratio to ipvsadm on the same VM is what matters).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, runInVm, type VmRunResult } from '../../test/helpers/vm/index.js';

const SERVICES = Number(process.env.LVI_BENCH_SERVICES ?? 100);
const DESTS = Number(process.env.LVI_BENCH_DESTS ?? 100);

const DRIVER = String.raw`
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const ROOT = process.cwd();
const { openGenericNetlink } = await import(ROOT + '/dist/os/genl.js');
const { IpvsClient } = await import(ROOT + '/dist/lvs/ipvs/index.js');
const { Reconciler } = await import(ROOT + '/dist/lvs/reconciler.js');
const { systemClock } = await import(ROOT + '/dist/core/clock.js');
const { silentLogger } = await import(ROOT + '/dist/core/log.js');
const [R, S, D] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];

const vip = (i) => '10.1.' + Math.floor(i / 250) + '.' + (i % 250 + 1);
const rip = (j) => '10.2.' + Math.floor(j / 250) + '.' + (j % 250 + 1);
function build(weightOf) {
  const services = [];
  for (let i = 0; i < S; i++) {
    const key = { kind: 'address', family: 'ipv4', protocol: 'tcp', address: vip(i), port: 80 };
    const destinations = [];
    for (let j = 0; j < D; j++) destinations.push({ family: 'ipv4', address: rip(j), port: 80, fwd: 'droute', weight: weightOf(i, j), upperThreshold: 0, lowerThreshold: 0, tunnel: null });
    services.push({ service: { key, scheduler: 'wrr', flags: 0, timeoutS: 0, netmask: '255.255.255.255', peName: null }, destinations });
  }
  return { services };
}
function rules(weightOf) {
  const out = [];
  for (let i = 0; i < S; i++) {
    out.push('-A -t ' + vip(i) + ':80 -s wrr');
    for (let j = 0; j < D; j++) out.push('-a -t ' + vip(i) + ':80 -r ' + rip(j) + ':80 -g -w ' + weightOf(i, j));
  }
  return out.join('\n') + '\n';
}
const base = () => 1;
const changed = (i, j) => (j % 10 === 0 ? 2 : 1); // 10% of the destinations

const nl = openGenericNetlink({ timeoutMs: 60000 });
const ipvs = await IpvsClient.connect(nl);
let desired = build(base);
const rec = new Reconciler({ ipvs, clock: systemClock, log: silentLogger(), desired: () => ({ table: desired, owned: () => true, timeouts: null }) });
const t = {};
async function timed(name) {
  const t0 = performance.now();
  const r = await rec.request(name);
  t[name] = { ms: performance.now() - t0, ops: r.ops.length, applied: r.applied, failed: r.failed };
}
const ipvsadm = (name, args, input) => {
  const t0 = performance.now();
  execFileSync('ipvsadm', args, input === undefined ? { maxBuffer: 1 << 26 } : { input, maxBuffer: 1 << 26 });
  t[name] = { ms: performance.now() - t0 };
};
await ipvs.info();
await timed('lvsha_from_empty');
await timed('lvsha_noop');
await timed('lvsha_noop_2');
// Where a no-op reconcile spends its time.
{
  const { plan } = await import(ROOT + '/dist/lvs/plan.js');
  const { liveTable } = await import(ROOT + '/dist/lvs/ipvs/client.js');
  let t0 = performance.now();
  for (let k = 0; k < 100; k++) await ipvs.info();
  t.breakdown_100_get_info = { ms: performance.now() - t0 };
  t0 = performance.now();
  const entries = await ipvs.readTable();
  t.breakdown_read_table = { ms: performance.now() - t0 };
  t0 = performance.now();
  const live = liveTable(entries);
  plan(live, desired, () => true);
  t.breakdown_plan = { ms: performance.now() - t0 };
}
desired = build(changed);
await timed('lvsha_weight_10pct');
const count = execFileSync('ipvsadm', ['-Ln'], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n').filter((l) => l.includes('->') && !l.includes('RemoteAddress')).length;
ipvsadm('ipvsadm_list', ['-Ln']);
ipvsadm('ipvsadm_flush', ['-C']);
ipvsadm('ipvsadm_restore', ['-R'], rules(base));
const edits = [];
for (let i = 0; i < S; i++) for (let j = 0; j < D; j += 10) edits.push('-e -t ' + vip(i) + ':80 -r ' + rip(j) + ':80 -g -w 2');
ipvsadm('ipvsadm_weight_10pct', ['-R'], edits.join('\n') + '\n');
ipvsadm('ipvsadm_flush_2', ['-C']);
desired = build(base);
await timed('lvsha_from_empty_warm');
ipvsadm('ipvsadm_flush_3', ['-C']);
ipvsadm('ipvsadm_restore_2', ['-R'], rules(base));
writeFileSync(R + '/bench.json', JSON.stringify({ services: S, dests: D, destsAfterWeightChange: count, times: t }, null, 1));
nl.close();
`;

interface Timing { ms: number; ops?: number; applied?: number; failed?: number }
interface Bench { services: number; dests: number; destsAfterWeightChange: number; times: Record<string, Timing> }

describe(`IPVS: ${SERVICES} services x ${DESTS} destinations, lvs-ha vs ipvsadm -R`, () => {
  let run: VmRunResult;
  let bench: Bench;
  beforeAll(async () => {
    assertBuilt(['dist/lvs/reconciler.js', 'dist/lvs/ipvs/index.js']);
    run = await runInVm({
      name: 'lvi-bench',
      script: `"$LVK_NODE" "$LVK_RESULTS/driver.mjs" "$LVK_RESULTS" ${SERVICES} ${DESTS}`,
      files: { 'driver.mjs': DRIVER },
      modules: ['ip_vs', 'ip_vs_wrr'],
      timeoutMs: 800_000,
    });
    expect(run.exitCode, describeRun(run)).toBe(0);
    bench = JSON.parse(run.readResult('bench.json')) as Bench;
  });

  test('report', () => {
    const ms = (k: string): number => bench.times[k]?.ms ?? NaN;
    const rows = Object.entries(bench.times).map(([k, v]) => `${k.padEnd(24)} ${v.ms.toFixed(1).padStart(9)} ms${v.ops === undefined ? '' : `  ops ${v.ops} failed ${v.failed ?? 0}`}`);
    const ratio = (a: string, b: string): string => (ms(a) / ms(b)).toFixed(2);
    console.log([
      `IPVS benchmark (VM, software emulation): ${bench.services} x ${bench.dests}`,
      ...rows,
      `ratio from empty  lvs-ha/ipvsadm -R: cold ${ratio('lvsha_from_empty', 'ipvsadm_restore')}, warm ${ratio('lvsha_from_empty_warm', 'ipvsadm_restore_2')}`,
      `ratio 10% weights lvs-ha/ipvsadm -R: ${ratio('lvsha_weight_10pct', 'ipvsadm_weight_10pct')}`,
      `no-op reconcile: ${ms('lvsha_noop').toFixed(1)} ms, again ${ms('lvsha_noop_2').toFixed(1)} ms (ipvsadm -Ln: ${ms('ipvsadm_list').toFixed(1)} ms)`,
    ].join('\n'));
    const total = bench.services * bench.dests;
    expect(bench.times.lvsha_from_empty).toMatchObject({ ops: bench.services + total, failed: 0 });
    expect(bench.times.lvsha_noop?.ops).toBe(0);
    expect(bench.times.lvsha_weight_10pct).toMatchObject({ ops: total / 10, failed: 0 });
    expect(bench.destsAfterWeightChange).toBe(total);
  });
});
