/** `lvs-ha plan` with an in-memory IPVS: exit codes, text and JSON, unmanaged services, timeouts, errors. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { makePlanVerb } from '../../../../src/cli/verbs/plan.js';
import { UsageError } from '../../../../src/core/errors.js';
import { NetlinkError } from '../../../../src/os/genl.js';
import { dest, entry, svc, table, tcp } from '../plan-fixtures.js';
import { FakeIpvs } from './fake-ipvs.js';
import { FakeNft } from '../nft/fake-nft.js';
import { loadConfigFile } from '../../../../src/config/load.js';
import type { Config } from '../../../../src/config/types.js';
import { nftApplyScript } from '../../../../src/lvs/nft/table.js';
import { desiredStateFor } from '../../../../src/lvs/reconcile-desired.js';

const dir = mkdtempSync(join(tmpdir(), 'lvi-plan-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const CONFIG = join(dir, 'c.yaml');
writeFileSync(CONFIG, `node: t
ipvs:
  timeouts: { tcp: 900s, tcp_fin: 120s, udp: 300s }
virtual_servers:
  - name: web
    address: 10.0.0.100
    port: 80
    scheduler: wrr
    forwarding: dr
    real_servers:
      - { address: 10.0.1.1, port: 80, weight: 2 }
      - { address: 10.0.1.2, port: 80 }
`);
const BAD = join(dir, 'bad.yaml');
writeFileSync(BAD, 'node: t\nvirtual_servers: [{ name: web, address: 10.0.0.100 }]\n');

const IN_SYNC = table(entry(svc(tcp('10.0.0.100', 80)), dest('10.0.1.1', 80, 2), dest('10.0.1.2', 80, 1)));

async function runPlan(ipvs: FakeIpvs | Error, args: string[]): Promise<{ code: number; out: string; err: string; closed: boolean }> {
  const io = { out: '', err: '', closed: false };
  const verb = makePlanVerb({
    connect: () => (ipvs instanceof Error ? Promise.reject(ipvs) : Promise.resolve({ ipvs, close: () => { io.closed = true; } })),
  });
  const code = await verb.run(args, { stdout: (t) => { io.out += t; }, stderr: (t) => { io.err += t; } });
  return { code, ...io };
}

describe('lvs-ha plan', () => {
  test('empty kernel: exit 2 and the operations in order; nothing is changed', async () => {
    const ipvs = new FakeIpvs();
    const r = await runPlan(ipvs, ['--config', CONFIG]);
    expect(r.code).toBe(2);
    expect(r.out).toBe([
      '+ service tcp 10.0.0.100:80 wrr',
      '+ dest tcp 10.0.0.100:80 -> 10.0.1.1:80 route weight 2',
      '+ dest tcp 10.0.0.100:80 -> 10.0.1.2:80 route weight 1',
      '',
    ].join('\n'));
    expect(ipvs.calls).toEqual(['readTable', 'getTimeouts']);
    expect(ipvs.services.size).toBe(0);
    expect(r.closed).toBe(true);
  });

  test('in sync: exit 0, "in sync"; a hand-made service is listed as left alone', async () => {
    const ipvs = new FakeIpvs().load(IN_SYNC).load(table(entry(svc(tcp('192.0.2.9', 25)))));
    const r = await runPlan(ipvs, ['--config', CONFIG]);
    expect(r).toMatchObject({ code: 0, out: 'in sync: no changes\n# left alone (not in the config): tcp 192.0.2.9:25\n' });
  });

  test('--json: in_sync false, operations, timeouts and unmanaged', async () => {
    const ipvs = new FakeIpvs().load(table(entry(svc(tcp('10.0.0.100', 80)), dest('10.0.1.1', 80, 5), dest('10.0.1.2', 80, 1))));
    ipvs.timeouts = { tcpS: 900, tcpFinS: 120, udpS: 60 };
    const r = await runPlan(ipvs, ['--json', '--config', CONFIG]);
    expect(r.code).toBe(2);
    const body = JSON.parse(r.out) as { in_sync: boolean; operations: { op: string; text: string }[]; timeouts: unknown; unmanaged: string[] };
    expect(body.in_sync).toBe(false);
    expect(body.operations.map((o) => o.text)).toEqual(['~ dest tcp 10.0.0.100:80 -> 10.0.1.1:80 weight 5 -> 2']);
    expect(body.timeouts).toEqual({ live: { tcpS: 900, tcpFinS: 120, udpS: 60 }, wanted: { tcpS: 900, tcpFinS: 120, udpS: 300 }, change: true });
    expect(body.unmanaged).toEqual([]);
  });

  test('only the timeouts differ: exit 2 and a "~ timeouts" line', async () => {
    const ipvs = new FakeIpvs().load(IN_SYNC);
    ipvs.timeouts = { tcpS: 100, tcpFinS: 120, udpS: 300 };
    const r = await runPlan(ipvs, ['--config', CONFIG]);
    expect(r).toMatchObject({ code: 2, out: '~ timeouts tcp 100 tcpfin 120 udp 300 -> tcp 900 tcpfin 120 udp 300\n' });
  });

  test('no IPVS: exit 1 with the adapter message on stderr', async () => {
    const err = new NetlinkError({ errno: 2, command: 'nlctrl GETFAMILY IPVS', detail: 'generic netlink family "IPVS" not found (ENOENT): this kernel has no IPVS' });
    const r = await runPlan(err, ['--config', CONFIG]);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe('lvs-ha plan: nlctrl GETFAMILY IPVS: generic netlink family "IPVS" not found (ENOENT): this kernel has no IPVS\n');
  });

  test('a dump refused with EPERM: exit 1 and the socket is closed', async () => {
    const ipvs = new FakeIpvs();
    ipvs.failWhen = (m) => (m === 'readTable' ? FakeIpvs.err(1, 'GET_SERVICE') : undefined);
    const r = await runPlan(ipvs, ['--config', CONFIG]);
    expect(r).toMatchObject({ code: 1, closed: true });
    expect(r.err).toContain('EPERM');
  });

  test('an invalid config: exit 1 with located errors, no kernel access', async () => {
    const r = await runPlan(new Error('must not connect'), ['--config', BAD]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('configuration refused');
    expect(r.err).not.toContain('must not connect');
  });

  test('usage errors: missing --config, unknown flag, --apply is not a thing', async () => {
    await expect(runPlan(new FakeIpvs(), [])).rejects.toThrow(UsageError);
    await expect(runPlan(new FakeIpvs(), ['--config'])).rejects.toThrow("'--config' needs a FILE");
    await expect(runPlan(new FakeIpvs(), ['--config', CONFIG, '--apply'])).rejects.toThrow("unknown argument '--apply'");
    expect((await runPlan(new FakeIpvs().load(IN_SYNC), [`--config=${CONFIG}`])).code).toBe(0);
  });
});

describe('lvs-ha plan: the owned nftables table beside IPVS', () => {
  const FULLNAT = join(dir, 'fullnat.yaml');
  writeFileSync(FULLNAT, readFileSync(CONFIG, 'utf8').replace('forwarding: dr', 'forwarding: fullnat\n    fullnat: { local_addresses: [10.0.2.1] }'));
  const MASQ = table(entry(svc(tcp('10.0.0.100', 80)), { ...dest('10.0.1.1', 80, 2), fwd: 'masq' }, { ...dest('10.0.1.2', 80, 1), fwd: 'masq' }));

  async function planWith(nft: FakeNft, args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const ipvs = new FakeIpvs().load(MASQ);
    const verb = makePlanVerb({ connect: () => Promise.resolve({ ipvs, nft, close: () => undefined }) });
    const code = await verb.run(args, { stdout: (t) => { out += t; }, stderr: (t) => { out += t; } });
    return { code, out };
  }

  test('IPVS in sync but the SNAT table missing: exit 2 with the nft lines; once applied: in sync', async () => {
    const nft = new FakeNft();
    const missing = await planWith(nft, ['--config', FULLNAT]);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('+ nft table inet lvs_ha\n+ nft chain fullnat_snat\n+ nft rule fullnat_snat fullnat web: meta l4proto tcp ct original ip daddr 10.0.0.100');
    const json = JSON.parse((await planWith(nft, ['--config', FULLNAT, '--json'])).out) as { in_sync: boolean; nftables: { table: string; changes: { kind: string }[] } };
    expect(json.in_sync).toBe(false);
    expect(json.nftables.changes.map((c) => c.kind)).toEqual(['add-table', 'add-chain', 'add-rule']);
    const state = desiredStateFor({ config: (await loadConfigFile(FULLNAT) as { config: Config }).config }, MASQ);
    await nft.apply(nftApplyScript(state.nft ?? { chains: [] }));
    const synced = await planWith(nft, ['--config', FULLNAT]);
    expect(synced).toEqual({ code: 0, out: 'in sync: no changes\n' });
    expect(nft.scripts).toHaveLength(1); // plan itself never wrote
  });
});
