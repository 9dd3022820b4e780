import { describe, expect, test } from 'vitest';
import { failureReason, ipvsFromResultFiles, ipvsFromTable, lastBench, list, newestKernel, num, parseCpuinfo, pick } from '../../../bench/report/parse.js';

describe('lastBench', () => {
  test('returns the object of the last parsable BENCH line', () => {
    const text = 'table\nBENCH {"a":1}\nmore\nBENCH {"a":2}\nBENCH {broken\n';
    expect(lastBench(text)).toEqual({ a: 2 });
  });
  test('null without a BENCH line, and a line that only mentions BENCH does not count', () => {
    expect(lastBench('no figures here\n  BENCH {"a":1}\nprints one `BENCH {json}` line\n')).toBeNull();
    expect(lastBench('')).toBeNull();
  });
});

describe('tolerant access', () => {
  const v = { a: { b: [1, { c: 2 }] }, s: 'x', n: Number.NaN };
  test('follows objects and array indices', () => {
    expect(pick(v, 'a', 'b', 1, 'c')).toBe(2);
    expect(num(v, 'a', 'b', 0)).toBe(1);
    expect(list(v, 'a', 'b')).toHaveLength(2);
  });
  test('a missing path, a wrong type or NaN is no value', () => {
    expect(pick(v, 'a', 'x', 'y')).toBeUndefined();
    expect(pick(null, 'a')).toBeUndefined();
    expect(num(v, 's')).toBeNull();
    expect(num(v, 'n')).toBeNull();
    expect(list(v, 's')).toEqual([]);
  });
});

const TABLE = `IPVS benchmark in the VM (qemu TCG: absolute times are many times those of hardware)
ratio = lvs-ha / the faster ipvsadm run; targets: from empty <= 2x, no-op reconcile < 100 ms
step                     lvs-ha current  ipvsadm (run 1 / run 2)  ipvsadm command    ratio current
-----------------------  --------------  -----------------------  -----------------  -------------
from empty (100 x 100)   9.08 s          3.40 s / 4.40 s          ipvsadm -R         2.67x
no-op reconcile          1.34 s          412.5 ms / 398.0 ms      ipvsadm -Ln        3.37x
no-op reconcile (again)  1.20 s          412.5 ms / 398.0 ms      ipvsadm -Ln        3.02x
10% weight change        3.30 s          - / 1.20 s               ipvsadm -R of -e   2.75x
`;

describe('IPVS fallbacks', () => {
  test('from the printed table: lvs-ha column and the faster ipvsadm run, in ms', () => {
    expect(ipvsFromTable(TABLE)).toEqual({
      services: 100, dests: 100,
      lvs_ha: { from_empty_ms: 9080, noop_ms: 1340, weights_ms: 3300 },
      ipvsadm: { from_empty_ms: 3400, list_ms: 398, weights_ms: 1200 },
    });
  });
  test('a table without the from-empty row gives nothing', () => {
    expect(ipvsFromTable(TABLE.replace('from empty (100 x 100)', 'something else'))).toBeNull();
    expect(ipvsFromTable('no results in .vm/runs/lvb-bench')).toBeNull();
  });
  test('from the VM results files: the "current" lvs-ha run and the faster ipvsadm', () => {
    const files = [
      { name: 'ipvsadm-1.json', text: JSON.stringify({ mode: 'ipvsadm', services: 20, dests: 100, times: { from_empty: 900, noop: 80, weight_10pct: 300 } }) },
      { name: 'ipvsadm-2.json', text: JSON.stringify({ mode: 'ipvsadm', services: 20, dests: 100, times: { from_empty: 700, noop: 90, weight_10pct: 350 } }) },
      { name: 'lvsha-baseline.json', text: JSON.stringify({ mode: 'lvsha', services: 20, dests: 100, times: { from_empty: 5000, noop: 999 } }) },
      { name: 'lvsha-current.json', text: JSON.stringify({ mode: 'lvsha', services: 20, dests: 100, times: { from_empty: 1500, noop: 250, weight_10pct: 600 } }) },
      { name: 'stdout', text: 'not json' },
    ];
    expect(ipvsFromResultFiles(files)).toEqual({
      services: 20, dests: 100,
      lvs_ha: { from_empty_ms: 1500, noop_ms: 250, weights_ms: 600 },
      ipvsadm: { from_empty_ms: 700, list_ms: 80, weights_ms: 300 },
    });
  });
  test('no lvs-ha or no ipvsadm file (or unparsable ones) gives nothing', () => {
    expect(ipvsFromResultFiles([{ name: 'ipvsadm-1.json', text: '{"times":{}}' }])).toBeNull();
    expect(ipvsFromResultFiles([{ name: 'lvsha-current.json', text: '{"times":{}}' }, { name: 'ipvsadm-1.json', text: '{oops' }])).toBeNull();
  });
});

describe('machine facts', () => {
  test('cpuinfo: counts processors and takes the first model name', () => {
    const text = 'processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n';
    expect(parseCpuinfo(text)).toEqual({ cores: 2, model: 'AMD EPYC 7B13' });
    expect(parseCpuinfo('')).toEqual({ cores: 0, model: 'unknown CPU' });
  });
  test('newest kernel by version, not by text', () => {
    expect(newestKernel(['config-6.1.0-9-amd64', 'vmlinuz-6.1.0-9-amd64', 'vmlinuz-6.1.0-56-amd64', 'initrd.img-6.1.0-56-amd64'])).toBe('6.1.0-56-amd64');
    expect(newestKernel(['System.map-6.1.0-56-amd64'])).toBeNull();
  });
});

describe('failureReason', () => {
  test('exit code and the last line that says what went wrong, without stack noise', () => {
    const out = 'building\nError: keepalived b is FAULT, not BACKUP\n    at runOnce (scenario.js:1:1)\n\n';
    expect(failureReason(1, out)).toBe('exit 1: Error: keepalived b is FAULT, not BACKUP');
    expect(failureReason(1, 'run as root (network namespaces, raw ICMP socket)\n')).toBe('exit 1: run as root (network namespaces, raw ICMP socket)');
  });
  test('falls back to the last line, and to the exit code alone; long lines are cut', () => {
    expect(failureReason(137, 'first\nlast words\n')).toBe('exit 137: last words');
    expect(failureReason(2, '')).toBe('exit 2');
    expect(failureReason(1, `error ${'x'.repeat(400)}`).length).toBe(300);
  });
});
