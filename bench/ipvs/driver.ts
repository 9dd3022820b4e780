// IPVS benchmark driver: a plain node script (run.sh compiles it), run inside the VM.
//   node driver.js lvsha   --dist DIR --out FILE [--services 100] [--dests 100]
//   node driver.js ipvsadm            --out FILE [--services 100] [--dests 100]
// lvsha: lvs-ha's reconciler (from the compiled code in DIR) applies S x D from
// empty, reconciles twice with nothing to do, changes 10% of the weights; then
// a breakdown of a no-op reconcile. ipvsadm: the same table with `ipvsadm -R`,
// `ipvsadm -Ln`, and the 10% edits with `ipvsadm -R`. Each writes a JSON
// object of timings (ms) to FILE. Both start from an empty table and leave it
// empty.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Destination, Table } from '../../src/lvs/model.js';

type Genl = typeof import('../../src/os/genl.js');
type Ipvs = typeof import('../../src/lvs/ipvs/index.js');
type Rec = typeof import('../../src/lvs/reconciler.js');
type Plan = typeof import('../../src/lvs/plan.js');
type ClockMod = typeof import('../../src/core/clock.js');
type LogMod = typeof import('../../src/core/log.js');

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dist: { type: 'string', default: 'dist' },
    out: { type: 'string' },
    services: { type: 'string', default: '100' },
    dests: { type: 'string', default: '100' },
  },
});
const mode = positionals[0];
const S = Number(opt.services);
const D = Number(opt.dests);
const out = opt.out;
if (out === undefined || (mode !== 'lvsha' && mode !== 'ipvsadm')) {
  console.error('usage: driver.js lvsha|ipvsadm --out FILE [--dist DIR] [--services N] [--dests N]');
  process.exit(64);
}

const vip = (i: number): string => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const rip = (j: number): string => `10.2.${Math.floor(j / 250)}.${(j % 250) + 1}`;
const base = (): number => 1;
const changed = (_i: number, j: number): number => (j % 10 === 0 ? 2 : 1); // 10% of the destinations

function table(weightOf: (i: number, j: number) => number): Table {
  const services: Table['services'][number][] = [];
  for (let i = 0; i < S; i++) {
    const key = { kind: 'address', family: 'ipv4', protocol: 'tcp', address: vip(i), port: 80 } as const;
    const destinations: Destination[] = [];
    for (let j = 0; j < D; j++) {
      destinations.push({ family: 'ipv4', address: rip(j), port: 80, fwd: 'droute', weight: weightOf(i, j), upperThreshold: 0, lowerThreshold: 0, tunnel: null });
    }
    services.push({ service: { key, scheduler: 'wrr', flags: 0, timeoutS: 0, netmask: '255.255.255.255', peName: null }, destinations });
  }
  return { services };
}

const ipvsadm = (args: string[], input?: string): string =>
  execFileSync('ipvsadm', args, input === undefined ? { encoding: 'utf8', maxBuffer: 1 << 26 } : { input, encoding: 'utf8', maxBuffer: 1 << 26 });
const destCount = (): number => ipvsadm(['-Ln']).split('\n').filter((l) => l.includes('->') && !l.includes('RemoteAddress')).length;
const times: Record<string, number> = {};
// LVB_NODE_FLAGS=--trace-gc (run.sh's environment) interleaves the GC trace with these marks.
const mark = (text: string): void => { if (process.execArgv.length > 0) console.log(`MARK ${text}`); };
async function timed<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  mark(`${name} start`);
  const t0 = performance.now();
  const r = await fn();
  times[name] = performance.now() - t0;
  mark(`${name} end ${times[name].toFixed(0)} ms`);
  return r;
}
function timedSync(name: string, fn: () => unknown): void {
  const t0 = performance.now();
  fn();
  times[name] = performance.now() - t0;
}
interface RunOps { ops: number; applied: number; failed: number }

async function lvsha(): Promise<Record<string, RunOps | number>> {
  const dist = resolve(opt.dist);
  const { openGenericNetlink } = (await import(`${dist}/os/genl.js`)) as Genl;
  const ipvsMod = (await import(`${dist}/lvs/ipvs/index.js`)) as Partial<Ipvs> & Pick<Ipvs, 'IpvsClient' | 'liveTable' | 'getDestsDumpRequest' | 'decodeDestReply' | 'toGenlRequest'>;
  const { IpvsClient, liveTable, getDestsDumpRequest, decodeDestReply, toGenlRequest } = ipvsMod;
  // The dump decoder readTable uses (older trees decode reply by reply, stats included).
  const decodeAll = ipvsMod.decodeDestReplies ?? ((replies: Parameters<typeof decodeDestReply>[0][], family: Parameters<typeof decodeDestReply>[1]) => {
    const out = [];
    for (const r of replies) {
      const d = decodeDestReply(r, family);
      if (d.ok) out.push(d.value);
    }
    return { ok: true as const, value: out };
  });
  const { Reconciler } = (await import(`${dist}/lvs/reconciler.js`)) as Rec;
  const { plan } = (await import(`${dist}/lvs/plan.js`)) as Plan;
  const { systemClock } = (await import(`${dist}/core/clock.js`)) as ClockMod;
  const { silentLogger } = (await import(`${dist}/core/log.js`)) as LogMod;
  const nl = openGenericNetlink({ timeoutMs: 60_000 });
  const ipvs = await IpvsClient.connect(nl);
  await ipvs.info();
  let desired = table(base);
  const rec = new Reconciler({ ipvs, clock: systemClock, log: silentLogger(), desired: () => ({ table: desired, owned: () => true, timeouts: null }) });
  const ops: Record<string, RunOps | number> = {};
  const run = async (name: string): Promise<void> => {
    const r = await timed(name, () => rec.request(name));
    ops[name] = { ops: r.ops.length, applied: r.applied, failed: r.failed };
  };
  await run('from_empty');
  await run('noop');
  await run('noop_2');
  desired = table(changed);
  await run('weight_10pct');
  ops.dests_after = destCount();

  // Where a no-op reconcile spends its time.
  await timed('info_x100_sequential', async () => { for (let k = 0; k < 100; k++) await ipvs.info(); });
  await timed('info_x100_concurrent', () => Promise.all(Array.from({ length: 100 }, () => ipvs.info())));
  const entries = await timed('read_table', () => ipvs.readTable());
  await timed('dump_services', () => ipvs.dumpServices());
  const keys = entries.map((e) => e.service.service.key);
  const raw = await timed('dump_dests_raw', () => Promise.all(keys.map((k) => nl.request(ipvs.family, toGenlRequest(getDestsDumpRequest(k))))));
  await timed('decode_dests', () => {
    raw.forEach((replies, i) => decodeAll(replies, keys[i]?.family ?? 'ipv4'));
  });
  let statsSeen = 0;
  await timed('decode_dests_with_stats', () => {
    raw.forEach((replies, i) => {
      const r = decodeAll(replies, keys[i]?.family ?? 'ipv4');
      if (r.ok) for (const d of r.value) if (d.stats !== null) statsSeen += 1;
    });
  });
  ops.stats_seen = statsSeen;
  await timed('plan', () => plan(liveTable(entries), desired, () => true));
  await ipvs.flush();
  nl.close();
  return ops;
}

function ipvsadmRun(): Record<string, number> {
  const rules: string[] = [];
  for (let i = 0; i < S; i++) {
    rules.push(`-A -t ${vip(i)}:80 -s wrr`);
    for (let j = 0; j < D; j++) rules.push(`-a -t ${vip(i)}:80 -r ${rip(j)}:80 -g -w 1`);
  }
  const edits: string[] = [];
  for (let i = 0; i < S; i++) for (let j = 0; j < D; j += 10) edits.push(`-e -t ${vip(i)}:80 -r ${rip(j)}:80 -g -w 2`);
  ipvsadm(['-C']);
  timedSync('from_empty', () => ipvsadm(['-R'], rules.join('\n') + '\n'));
  timedSync('noop', () => ipvsadm(['-Ln']));
  timedSync('noop_2', () => ipvsadm(['-Ln']));
  timedSync('weight_10pct', () => ipvsadm(['-R'], edits.join('\n') + '\n'));
  const dests = destCount();
  ipvsadm(['-C']);
  return { dests_after: dests };
}

const extra = mode === 'lvsha' ? await lvsha() : ipvsadmRun();
writeFileSync(out, JSON.stringify({ mode, dist: opt.dist, services: S, dests: D, times, ...extra }, null, 1));
