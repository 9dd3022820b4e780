/**
 * Boots the throwaway VM for the IPVS benchmark (run it with `bash bench/ipvs/run.sh`, which
 * prints the table with report.ts). In one boot: `ipvsadm` (driver.ts ipvsadm, compiled by run.sh), lvs-ha from
 * each compiled tree in LVB_DISTS (driver lvsha), `ipvsadm` again. The JSON results stay in
 * .vm/runs/$LVB_RUN_NAME/ (default lvb-bench). This file only checks that every run did the whole job.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { describeRun, runInVm } from '../../test/helpers/vm/index.js';

const SERVICES = Number(process.env.LVB_SERVICES ?? 100);
const DESTS = Number(process.env.LVB_DESTS ?? 100);
/** "label=dir,label=dir" (default: current=dist). */
const DISTS = (process.env.LVB_DISTS ?? 'current=dist').split(',').map((s) => {
  const [label = '', dir = ''] = s.split('=');
  return { label, dir };
});

const RUN_NAME = process.env.LVB_RUN_NAME ?? 'lvb-bench';
const DRIVER = process.env.LVB_DRIVER ?? '.vm/lvb-bench-js/bench/ipvs/driver.js';
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function payload(): string {
  const size = `--services ${SERVICES} --dests ${DESTS}`;
  const flags = (process.env.LVB_NODE_FLAGS ?? '').split(' ').filter((f) => /^--[a-z-]+(=[\w.-]+)?$/.test(f)).join(' ');
  const driver = (args: string): string => `"$LVK_NODE" ${flags} ${q(DRIVER)} ${args} ${size}`;
  return [
    'set -e',
    driver('ipvsadm --out "$LVK_RESULTS/ipvsadm-1.json"'),
    ...DISTS.map((d) => driver(`lvsha --dist ${q(d.dir)} --out "$LVK_RESULTS/lvsha-${d.label}.json"`)),
    driver('ipvsadm --out "$LVK_RESULTS/ipvsadm-2.json"'),
  ].join('\n');
}

interface Result { mode: string; times: Record<string, number>; dests_after: number; [k: string]: unknown }

describe(`IPVS benchmark: ${SERVICES} x ${DESTS}`, () => {
  test('every run applies, reconciles and edits the whole table', async () => {
    const run = await runInVm({ name: RUN_NAME, script: payload(), modules: ['ip_vs', 'ip_vs_wrr'], timeoutMs: 1_500_000 });
    expect(run.exitCode, describeRun(run)).toBe(0);
    const files = readdirSync(run.runDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBe(DISTS.length + 2);
    for (const f of files) {
      const r = JSON.parse(run.readResult(f)) as Result;
      expect(r.dests_after, f).toBe(SERVICES * DESTS);
      if (r.mode === 'lvsha') {
        expect(r.from_empty, f).toMatchObject({ ops: SERVICES + SERVICES * DESTS, failed: 0 });
        expect(r.noop, f).toMatchObject({ ops: 0 });
        expect(r.weight_10pct, f).toMatchObject({ ops: (SERVICES * DESTS) / 10, failed: 0 });
      }
    }
  }, 1_600_000);
});
