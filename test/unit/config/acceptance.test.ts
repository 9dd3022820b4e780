/**
 * Issue 2, "Done when": a misspelled key, a bad duration, a VRID of 256 and a
 * dangling sync-group member in one file give exactly four errors, each on
 * the right line, and check-config exits 1.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkConfigVerb } from '../../../src/cli/verbs/check-config.js';
import { loadConfigFile } from '../../../src/config/load.js';
import { FakeIo } from './helpers.js';

// Line numbers matter: the expected lines are marked on the right.
const FOUR_ERRORS = `node: director-a
vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 51
      priority: 150
      preemt: false
      advert_interval: 1x
      virtual_addresses: [10.0.0.100/24]
    - name: api
      interface: eth0
      vrid: 52
      virtual_addresses: [10.0.0.101/24]
    - name: db
      interface: eth0
      vrid: 256
      virtual_addresses: [10.0.0.102/24]
  sync_groups:
    - name: edge
      instances: [web, apii]
`;
//  line 8: preemt            (misspelled key)
//  line 9: 1x                (bad duration)
//  line 17: 256              (VRID out of range)
//  line 21: apii             (dangling sync-group member)

let dir = '';
let file = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lvs-ha-config-'));
  file = join(dir, 'director-a.yaml');
  await writeFile(file, FOUR_ERRORS);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('acceptance: four errors in one file', () => {
  test('exactly four errors, each at the right line and column with its key path', async () => {
    const r = await loadConfigFile(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.line, e.column, e.path])).toEqual([
      [8, 7, 'vrrp.instances[0].preemt'],
      [9, 24, 'vrrp.instances[0].advert_interval'],
      [17, 13, 'vrrp.instances[2].vrid'],
      [21, 24, 'vrrp.sync_groups[0].instances[1]'],
    ]);
    for (const e of r.errors) expect(e.file).toBe(file);
    expect(r.errors[0]?.message).toContain("did you mean 'preempt'?");
    expect(r.errors[1]?.found).toBe("'1x'");
    expect(r.errors[2]?.message).toBe('must be an integer 1..255');
    expect(r.errors[2]?.found).toBe('256');
    expect(r.errors[3]?.message).toContain("unknown VRRP instance 'apii'");
  });

  test('check-config exits 1 and prints the four errors and a count on stderr', async () => {
    const io = new FakeIo();
    const code = await checkConfigVerb.run([file], io);
    expect(code).toBe(1);
    expect(io.out).toBe('');
    const lines = io.err.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(`${file}:8:7: vrrp.instances[0].preemt: unknown key 'preemt'; did you mean 'preempt'?`);
    expect(lines[2]).toBe(`${file}:17:13: vrrp.instances[2].vrid: must be an integer 1..255 (found 256)`);
    expect(lines[1]).toMatch(new RegExp(`^${file}:9:24: vrrp\\.instances\\[0\\]\\.advert_interval: .*'x' is not a unit \\(found '1x'\\)$`));
    expect(lines[3]).toBe(`${file}:21:24: vrrp.sync_groups[0].instances[1]: unknown VRRP instance 'apii'; did you mean 'api'?`);
    expect(lines[4]).toBe(`${file}: 4 errors, configuration refused`);
  });

  test('check-config --json prints the same four issues as JSON and exits 1', async () => {
    const io = new FakeIo();
    expect(await checkConfigVerb.run(['--json', file], io)).toBe(1);
    const body = JSON.parse(io.out) as { ok: boolean; errors: { line: number; path: string }[] };
    expect(body.ok).toBe(false);
    expect(body.errors.map((e) => e.line)).toEqual([8, 9, 17, 21]);
  });

  test('fixing the four lines makes the same file valid (the errors were the only problems)', async () => {
    const fixed = FOUR_ERRORS.replace('preemt', 'preempt').replace('1x', '1s').replace('256', '53').replace('apii', 'api');
    const fixedFile = join(dir, 'fixed.yaml');
    await writeFile(fixedFile, fixed);
    const io = new FakeIo();
    expect(await checkConfigVerb.run([fixedFile], io)).toBe(0);
    expect(io.out).toBe(`${fixedFile}: ok: node director-a, 3 VRRP instances, 1 sync group, 0 virtual servers, 0 real servers, 0 alert sinks\n`);
    expect(io.err).toBe('');
  });
});
