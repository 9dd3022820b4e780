/** Every file in configs/ passes check-config; the check-config verb's other paths. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkConfigVerb } from '../../../src/cli/verbs/check-config.js';
import { loadConfigFile } from '../../../src/config/load.js';
import { UsageError } from '../../../src/core/errors.js';
import type { Config } from '../../../src/config/types.js';
import { FakeIo } from './helpers.js';

const CONFIGS = join(import.meta.dirname, '../../../configs');
const examples = (await readdir(CONFIGS)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();

async function load(name: string): Promise<Config> {
  const r = await loadConfigFile(join(CONFIGS, name));
  if (!r.ok) expect.fail(r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n'));
  return r.config;
}

describe('configs/', () => {
  test('holds the examples the issue asks for', () => {
    expect(examples).toEqual(expect.arrayContaining(['director-a.yaml', 'director-b.yaml', 'nat-director.yaml', 'tun-service.yaml', 'ipv6-service.yaml']) as unknown);
  });

  test.each(examples)('%s passes check-config with one summary line', async (name) => {
    const io = new FakeIo();
    const file = join(CONFIGS, name);
    const code = await checkConfigVerb.run([file], io);
    expect(io.err).toBe('');
    expect(code).toBe(0);
    expect(io.out).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}: ok: node \\S+, \\d+ VRRP instances?, .*real servers?, \\d+ alert sinks?.*\\n$`));
    expect(io.out.split('\n')).toHaveLength(2);
  });

  test('the DR pair differs only where it must: node, priority, unicast addresses, tracking weight', async () => {
    const a = await load('director-a.yaml');
    const b = await load('director-b.yaml');
    expect(a.virtualServers).toEqual(b.virtualServers);
    expect(a.ipvsSync).toEqual(b.ipvsSync);
    expect(a.ipvsSync?.follow).toBe('web');
    const [ia, ib] = [a.vrrp.instances[0], b.vrrp.instances[0]];
    expect(ia?.virtualAddresses).toEqual(ib?.virtualAddresses);
    expect(ia?.vrid).toBe(ib?.vrid);
    expect(ia?.priority).toBeGreaterThan(ib?.priority ?? 255);
    expect(ia?.unicastPeers).toEqual(ib?.unicastSource ? [ib.unicastSource] : []);
  });

  test('the NAT example keeps the gateway VIP and the public VIP in one sync group that sync follows', async () => {
    const nat = await load('nat-director.yaml');
    expect(nat.vrrp.syncGroups).toEqual([{ name: 'nat', instances: ['public', 'gateway'] }]);
    expect(nat.ipvsSync?.follow).toBe('nat');
    expect(nat.virtualServers.every((v) => v.forwarding.method === 'nat')).toBe(true);
  });

  test('the TUN and IPv6 examples exercise tunnels and IPv6', async () => {
    const tun = await load('tun-service.yaml');
    expect(tun.virtualServers.map((v) => v.forwarding)).toEqual([
      { method: 'tun', tunType: 'ipip', tunPort: null },
      { method: 'tun', tunType: 'gue', tunPort: 6080 },
      { method: 'tun', tunType: 'gre', tunPort: null },
    ]);
    const v6 = await load('ipv6-service.yaml');
    expect(v6.vrrp.instances[0]?.family).toBe('ipv6');
    expect(v6.virtualServers.every((v) => v.key.kind === 'address' && v.key.address.family === 'ipv6')).toBe(true);
    expect(v6.ipvsSync?.group.family).toBe('ipv6');
  });
});

describe('check-config verb', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lvs-ha-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a missing file exits 1 with a clear message', async () => {
    const io = new FakeIo();
    const file = join(dir, 'nope.yaml');
    expect(await checkConfigVerb.run([file], io)).toBe(1);
    expect(io.err).toBe(`${file}: no such file\n${file}: 1 error, configuration refused\n`);
  });

  test('a directory exits 1', async () => {
    const io = new FakeIo();
    expect(await checkConfigVerb.run([dir], io)).toBe(1);
    expect(io.err).toContain('is a directory');
  });

  test('--json on a valid file', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, 'node: lone\n');
    const io = new FakeIo();
    expect(await checkConfigVerb.run([file, '--json'], io)).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ file, ok: true, summary: 'node lone, 0 VRRP instances, 0 virtual servers, 0 real servers, 0 alert sinks' });
  });

  test('usage errors', async () => {
    const io = new FakeIo();
    await expect(checkConfigVerb.run([], io)).rejects.toThrow(UsageError);
    await expect(checkConfigVerb.run(['a.yaml', 'b.yaml'], io)).rejects.toThrow('expected one FILE, got 2');
    await expect(checkConfigVerb.run(['--jsn', 'a.yaml'], io)).rejects.toThrow("unknown option '--jsn'");
  });
});
