/** The reconciler against an in-memory IPVS (FakeIpvs) with a fake clock. */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { tablesEqual, type ServiceKey, type Table } from '../../../src/lvs/model.js';
import { Reconciler, type DesiredState } from '../../../src/lvs/reconciler.js';
import { parseSysctlInt, wantedSysctls, type IpvsSysctlApi, type IpvsSysctlName } from '../../../src/lvs/sysctls.js';
import { FakeIpvs } from './ipvs/fake-ipvs.js';
import type { NftTableSpec } from '../../../src/lvs/nft/table.js';
import { FakeNft } from './nft/fake-nft.js';
import { dest, entry, svc, table, tcp } from './plan-fixtures.js';

const WEB = tcp('10.0.0.100', 80);
const API = tcp('10.0.0.100', 443);
const DESIRED: Table = table(
  entry(svc(WEB), dest('10.0.1.1', 80, 3), dest('10.0.1.2', 80, 2)),
  entry(svc(API, { scheduler: 'rr' }), dest('10.0.1.1', 443, 1)),
);
const TIMEOUTS = { tcpS: 600, tcpFinS: 60, udpS: 120 };

function ownedByDesired(t: Table): (key: ServiceKey) => boolean {
  const keys = new Set(t.services.map((e) => JSON.stringify(e.service.key)));
  return (k) => keys.has(JSON.stringify(k));
}

function setup(desired: Table = DESIRED, timeouts: DesiredState['timeouts'] = null) {
  const ipvs = new FakeIpvs();
  const clock = new FakeClock();
  const state = { table: desired };
  const reconciler = new Reconciler({
    ipvs, clock, log: silentLogger(), intervalMs: 60_000, retryMs: 5_000,
    desired: () => ({ table: state.table, owned: ownedByDesired(state.table), timeouts }),
  });
  return { ipvs, clock, reconciler, state };
}

/** Lets timer-started runs (promise chains on the fake) finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

const NFT_SPEC: NftTableSpec = {
  chains: [{ name: 'fullnat_snat', base: { type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' }, rules: [{ id: 'fullnat web', text: 'ip daddr 10.0.0.11 snat ip to 10.0.2.1' }] }],
};

describe('Reconciler', () => {
  test('from empty: applies the desired table in plan order; the next run has zero operations', async () => {
    const { ipvs, reconciler } = setup();
    const first = await reconciler.start();
    expect(first).toMatchObject({ ok: true, applied: 5, failed: 0 });
    expect(tablesEqual(ipvs.table(), DESIRED)).toBe(true);
    expect(ipvs.calls.filter((c) => c !== 'readTable').slice(0, 2)).toEqual(['addService tcp 10.0.0.100:80', 'addService tcp 10.0.0.100:443']);
    const second = await reconciler.request('again');
    expect(second.ops).toEqual([]);
    expect(reconciler.counters()).toMatchObject({ runs: 2, opsApplied: 5, opsFailed: 0, failedRuns: 0, lastError: null });
    expect(reconciler.live()?.length).toBe(2);
    await reconciler.stop();
  });

  test('drift repair on the slow timer: a deleted and a re-weighted destination come back; nothing before the interval', async () => {
    const { ipvs, clock, reconciler } = setup();
    await reconciler.start();
    const web = ipvs.services.get('tcp 10.0.0.100:80');
    web?.dests.delete('10.0.1.2:80');
    web?.dests.set('10.0.1.1:80', dest('10.0.1.1', 80, 9));
    clock.advance(59_000);
    await settle();
    expect(reconciler.counters().runs).toBe(1);
    expect(tablesEqual(ipvs.table(), DESIRED)).toBe(false);
    clock.advance(1_000);
    await settle();
    expect(reconciler.counters().runs).toBe(2);
    expect(tablesEqual(ipvs.table(), DESIRED)).toBe(true);
    expect(reconciler.counters().opsApplied).toBe(5 + 2);
    await reconciler.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a service added by hand that the config does not describe is left alone', async () => {
    const { ipvs, reconciler } = setup();
    ipvs.load(table(entry(svc(tcp('192.0.2.1', 25)), dest('10.9.9.9', 25, 1))));
    await reconciler.start();
    expect(ipvs.services.get('tcp 192.0.2.1:25')?.dests.size).toBe(1);
    expect(ipvs.calls.some((c) => c.includes('192.0.2.1'))).toBe(false);
    await reconciler.stop();
  });

  test('a destination the desired state drops is deleted from an owned service (negative of the above)', async () => {
    const { ipvs, reconciler, state } = setup();
    await reconciler.start();
    state.table = table(entry(svc(WEB), dest('10.0.1.1', 80, 3)), entry(svc(API, { scheduler: 'rr' }), dest('10.0.1.1', 443, 1)));
    const r = await reconciler.request('config');
    expect(r.ops.map((o) => o.op)).toEqual(['DelDest']);
    expect(ipvs.services.get('tcp 10.0.0.100:80')?.dests.has('10.0.1.2:80')).toBe(false);
    await reconciler.stop();
  });

  test('a failed operation is counted and logged, the rest applied, and it is retried soon (retryMs), not fatal', async () => {
    const { ipvs, clock, reconciler } = setup();
    let fail = true;
    ipvs.failWhen = (m, s) => (fail && m === 'addDest' && s.endsWith('10.0.1.2:80') ? FakeIpvs.err(22, 'NEW_DEST') : undefined);
    const r = await reconciler.start();
    expect(r).toMatchObject({ ok: true, applied: 4, failed: 1 });
    const c = reconciler.counters();
    expect(c).toMatchObject({ opsFailed: 1, errorsByKind: { EINVAL: 1 } });
    expect(c.lastError?.message).toContain('+ dest tcp 10.0.0.100:80 -> 10.0.1.2:80');
    expect(c.lastError?.message).toContain('EINVAL');
    fail = false;
    clock.advance(5_000);
    await settle();
    expect(reconciler.counters().runs).toBe(2);
    expect(tablesEqual(ipvs.table(), DESIRED)).toBe(true);
    await reconciler.stop();
  });

  test('AddService refused (unknown scheduler): its destinations are skipped, other services applied', async () => {
    const bad = table(entry(svc(WEB, { scheduler: 'xyz' }), dest('10.0.1.1', 80, 1)), entry(svc(API), dest('10.0.1.1', 443, 1)));
    const { ipvs, reconciler } = setup(bad);
    const r = await reconciler.start();
    expect(r).toMatchObject({ applied: 2, failed: 1, skipped: 1 });
    expect(reconciler.counters().errorsByKind).toEqual({ ENOENT: 1 });
    expect(ipvs.services.has('tcp 10.0.0.100:443')).toBe(true);
    await reconciler.stop();
  });

  test('a failed dump fails the run, never throws, is counted and retried after retryMs', async () => {
    const { ipvs, clock, reconciler } = setup();
    ipvs.failWhen = (m) => (m === 'readTable' ? FakeIpvs.err(1, 'GET_SERVICE') : undefined);
    const r = await reconciler.start();
    expect(r.ok).toBe(false);
    expect(r.error).toContain('EPERM');
    expect(reconciler.counters()).toMatchObject({ runs: 1, failedRuns: 1, errorsByKind: { EPERM: 1 } });
    ipvs.failWhen = () => undefined;
    clock.advance(4_999);
    await settle();
    expect(reconciler.counters().runs).toBe(1);
    clock.advance(1);
    await settle();
    expect(reconciler.counters()).toMatchObject({ runs: 2, failedRuns: 1 });
    expect(tablesEqual(ipvs.table(), DESIRED)).toBe(true);
    await reconciler.stop();
  });

  test('requests during a run merge into exactly one more run', async () => {
    const { ipvs, reconciler } = setup();
    let open = (): void => undefined;
    ipvs.gate = new Promise((r) => { open = r; });
    const a = reconciler.start();
    await settle();
    const b = reconciler.request('b');
    const c = reconciler.request('c');
    const d = reconciler.request('d');
    expect(b).toBe(c);
    expect(c).toBe(d);
    expect(a).not.toBe(b);
    ipvs.gate = null;
    open();
    await Promise.all([a, b, c, d]);
    expect(reconciler.counters().runs).toBe(2);
    expect((await b).reason).toBe('b (merged)');
    expect((await b).ops).toEqual([]);
    await reconciler.stop();
  });

  test('ipvs.timeouts: set when they differ, left when equal', async () => {
    const { ipvs, reconciler } = setup(DESIRED, TIMEOUTS);
    await reconciler.start();
    expect(ipvs.timeouts).toEqual(TIMEOUTS);
    expect(ipvs.calls.filter((c) => c.startsWith('setTimeouts'))).toEqual(['setTimeouts 600/60/120']);
    await reconciler.request('again');
    expect(ipvs.calls.filter((c) => c.startsWith('setTimeouts'))).toHaveLength(1);
    await reconciler.stop();
  });

  test('a timeouts failure is counted but the table is still applied', async () => {
    const { ipvs, reconciler } = setup(DESIRED, TIMEOUTS);
    ipvs.failWhen = (m) => (m === 'setTimeouts' ? FakeIpvs.err(22, 'SET_CONFIG') : undefined);
    const r = await reconciler.start();
    expect(r).toMatchObject({ ok: true, applied: 5, failed: 1 });
    expect(reconciler.counters().lastError?.message).toMatch(/^set ipvs timeouts: /);
    await reconciler.stop();
  });

  test('ipvs sysctls: written when the kernel differs, left when equal, a failure counted and retried', async () => {
    const values = new Map<IpvsSysctlName, number>([['sloppy_tcp', 0], ['sloppy_sctp', 1]]);
    const writes: string[] = [];
    let failWrite = true;
    const sysctls: IpvsSysctlApi = {
      read: (name) => Promise.resolve(values.get(name) ?? -1),
      write: (name, value) => {
        if (failWrite && name === 'sloppy_sctp') return Promise.reject(new Error('EACCES'));
        writes.push(`${name}=${String(value)}`);
        values.set(name, value);
        return Promise.resolve();
      },
    };
    const ipvs = new FakeIpvs();
    const wanted = wantedSysctls({ sloppyTcp: true, sloppySctp: false });
    const reconciler = new Reconciler({
      ipvs, sysctls, clock: new FakeClock(), log: silentLogger(),
      desired: () => ({ table: DESIRED, owned: ownedByDesired(DESIRED), timeouts: null, sysctls: wanted }),
    });
    const first = await reconciler.start();
    expect(first).toMatchObject({ ok: true, applied: 5, failed: 1 });
    expect(reconciler.counters().lastError).toMatchObject({ kind: 'sysctl', message: 'set net.ipv4.vs.sloppy_sctp=0: EACCES' });
    expect(writes).toEqual(['sloppy_tcp=1']);
    expect(reconciler.counters().sysctls).toEqual({ 'net.ipv4.vs.sloppy_tcp': 1, 'net.ipv4.vs.sloppy_sctp': 1 });
    failWrite = false;
    await reconciler.request('retry');
    expect(writes).toEqual(['sloppy_tcp=1', 'sloppy_sctp=0']);
    await reconciler.request('again');
    expect(writes).toHaveLength(2);
    expect(reconciler.counters().sysctls).toEqual({ 'net.ipv4.vs.sloppy_tcp': 1, 'net.ipv4.vs.sloppy_sctp': 0 });
    await reconciler.stop();
  });

  test('with no fullnat service nft runs once (a leftover table removed), then not at all until one is wanted', async () => {
    const ipvs = new FakeIpvs();
    const nft = new FakeNft();
    const empty: NftTableSpec = { chains: [] };
    let spec: NftTableSpec = empty;
    const reconciler = new Reconciler({
      ipvs, nft, clock: new FakeClock(), log: silentLogger(),
      desired: () => ({ table: DESIRED, owned: ownedByDesired(DESIRED), timeouts: null, nft: spec }),
    });
    nft.json = FakeNft.listing('table inet lvs_ha {\n}\n');
    await reconciler.start();
    // The leftover table (of an earlier config) was read and removed.
    expect(nft.calls).toEqual(['list inet lvs_ha', 'apply']);
    expect(nft.json).toBeNull();
    for (let i = 0; i < 3; i++) await reconciler.request('health');
    expect(nft.calls).toHaveLength(2);
    spec = NFT_SPEC;
    await reconciler.request('reload');
    expect(nft.calls.slice(2)).toEqual(['list inet lvs_ha', 'apply']);
    spec = empty;
    await reconciler.request('reload');
    await reconciler.request('health');
    // Wanted before: read and removed once more, then quiet again.
    expect(nft.calls.slice(4)).toEqual(['list inet lvs_ha', 'apply']);
    await reconciler.stop();
  });

  test('the owned nftables table and the conntrack sysctl are set before the IPVS operations; an nft failure is counted by kind', async () => {
    const order: string[] = [];
    const ipvs = new FakeIpvs();
    const nft = new FakeNft();
    const origApply = nft.apply.bind(nft);
    nft.apply = (script) => { order.push('nft'); return origApply(script); };
    const origAdd = ipvs.addService.bind(ipvs);
    ipvs.addService = (s) => { order.push('ipvs'); return origAdd(s); };
    const sysctls: IpvsSysctlApi = { read: () => Promise.resolve(0), write: (n) => { order.push(`sysctl ${n}`); return Promise.resolve(); } };
    const spec = NFT_SPEC;
    const reconciler = new Reconciler({
      ipvs, sysctls, nft, clock: new FakeClock(), log: silentLogger(),
      desired: () => ({ table: DESIRED, owned: ownedByDesired(DESIRED), timeouts: null, sysctls: [{ name: 'conntrack', value: 1 }], nft: spec }),
    });
    expect(await reconciler.start()).toMatchObject({ ok: true, failed: 0 });
    expect(order.slice(0, 3)).toEqual(['sysctl conntrack', 'nft', 'ipvs']);
    expect(reconciler.counters().nftables).toMatchObject({ table: 'inet lvs_ha', state: 'in_sync', applies: 1 });
    nft.json = null;
    nft.failApply = new Error('nft -f -: exit 1');
    expect(await reconciler.request('drift')).toMatchObject({ ok: true, failed: 1 });
    expect(reconciler.counters().errorsByKind).toEqual({ nftables: 1 });
    nft.failApply = null;
    expect(await reconciler.request('retry')).toMatchObject({ failed: 0 });
    expect(reconciler.counters().nftables).toMatchObject({ state: 'in_sync', applies: 2 });
    await reconciler.stop();
  });

  test('wantedSysctls: keys not set in the config are not touched', () => {
    expect(wantedSysctls({ sloppyTcp: null, sloppySctp: null })).toEqual([]);
    expect(wantedSysctls({ sloppyTcp: false, sloppySctp: null })).toEqual([{ name: 'sloppy_tcp', value: 0 }]);
    expect(() => parseSysctlInt('/proc/sys/net/ipv4/vs/sloppy_tcp', 'x\n')).toThrow(/sloppy_tcp: expected an integer/);
    expect(parseSysctlInt('/p', '1\n')).toBe(1);
  });

  test('after stop, no timer is left and the timer never fires a run', async () => {
    const { clock, reconciler } = setup();
    await reconciler.start();
    expect(clock.pendingTimers()).toBe(1);
    await reconciler.stop();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(120_000);
    await settle();
    expect(reconciler.counters().runs).toBe(1);
  });
});
