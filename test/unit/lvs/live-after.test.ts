/**
 * liveAfter: the table read plus the accepted operations equals what a second
 * dump would show (the reconciler no longer dumps again after a clean run),
 * with counters and stats carried for what was there and zero for what is new.
 */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { liveTable, type LiveEntry } from '../../../src/lvs/ipvs/client.js';
import type { IpvsStats } from '../../../src/lvs/ipvs/stats.js';
import { liveAfter, ZERO_STATS } from '../../../src/lvs/live-after.js';
import { serviceKeyText, tablesEqual, type Table } from '../../../src/lvs/model.js';
import { applyPlan, plan } from '../../../src/lvs/plan.js';
import { Reconciler } from '../../../src/lvs/reconciler.js';
import { FakeIpvs } from './ipvs/fake-ipvs.js';
import { dest, entry, prng, randomTable, svc, table, tcp } from './plan-fixtures.js';

const keyOf = (e: LiveEntry): string => serviceKeyText(e.service.service.key);
const stats = (conns: bigint): IpvsStats => ({ ...ZERO_STATS, conns });
const WEB = tcp('10.0.0.1', 80);
const API = tcp('10.0.0.1', 443);
const OLD = tcp('10.0.0.9', 80);

function entries(t: Table): LiveEntry[] {
  return t.services.map((e, i) => ({
    service: { service: e.service, stats: stats(BigInt(100 + i)) },
    destinations: e.destinations.map((d, j) => ({ dest: { ...d, counters: { activeConns: j + 1, inactConns: 0, persistConns: 0 } }, stats: stats(BigInt(j + 1)) })),
  }));
}

describe('liveAfter', () => {
  const live = table(
    entry(svc(WEB), dest('10.0.1.1', 80, 1), dest('10.0.1.2', 80, 1), dest('10.0.1.3', 80, 1)),
    entry(svc(OLD), dest('10.0.1.1', 80, 1)),
  );
  const desired = table(
    entry(svc(WEB, { scheduler: 'rr' }), dest('10.0.1.1', 80, 5), dest('10.0.1.2', 80, 1), dest('10.0.1.4', 80, 2)),
    entry(svc(API), dest('10.0.1.1', 443, 1)),
  );

  test('the read plus the operations is the desired table; counters and stats kept for edited and untouched, zero for added', () => {
    const before = entries(live);
    const ops = plan(live, desired, () => true);
    const after = liveAfter(before, ops);
    expect(tablesEqual(liveTable(after), desired)).toBe(true);
    const web = after.find((e) => keyOf(e) === 'tcp 10.0.0.1:80');
    expect(web?.service.service.scheduler).toBe('rr');
    expect(web?.service.stats?.conns).toBe(100n); // edited service keeps its stats
    const byAddr = new Map(web?.destinations.map((d) => [d.dest.address, d]));
    expect(byAddr.get('10.0.1.1')).toMatchObject({ dest: { weight: 5, counters: { activeConns: 1 } } }); // edited
    expect(byAddr.get('10.0.1.1')?.stats?.conns).toBe(1n);
    expect(byAddr.get('10.0.1.2')).toMatchObject({ dest: { weight: 1, counters: { activeConns: 2 } } }); // untouched
    expect(byAddr.get('10.0.1.4')).toMatchObject({ dest: { weight: 2, counters: { activeConns: 0, inactConns: 0, persistConns: 0 } }, stats: ZERO_STATS });
    expect(byAddr.has('10.0.1.3')).toBe(false); // deleted
    expect(after.find((e) => keyOf(e) === 'tcp 10.0.0.1:443')?.service.stats).toBe(ZERO_STATS); // added
    expect(after.some((e) => keyOf(e) === 'tcp 10.0.0.9:80')).toBe(false); // owned, deleted
  });

  test('services not touched keep the very same objects (no copy), and the read is not modified', () => {
    const before = entries(live);
    const keepOld = plan(live, desired, (k) => serviceKeyText(k) !== 'tcp 10.0.0.9:80');
    const after = liveAfter(before, keepOld);
    const old = after.find((e) => keyOf(e) === 'tcp 10.0.0.9:80');
    expect(old?.service).toBe(before[1]?.service);
    expect(old?.destinations).toBe(before[1]?.destinations);
    expect(before[0]?.destinations).toHaveLength(3);
    expect(liveAfter(before, [])).toEqual(before);
  });

  test('random tables: equal to applyPlan of the same operations', () => {
    const rnd = prng(42);
    for (let i = 0; i < 40; i++) {
      const l = randomTable(rnd);
      const d = randomTable(rnd);
      const ops = plan(l, d, () => rnd() < 0.5);
      const expected = applyPlan(l, ops);
      expect(expected.conflicts).toEqual([]);
      expect(tablesEqual(liveTable(liveAfter(entries(l), ops)), expected.table)).toBe(true);
    }
  });
});

describe('Reconciler: no second dump after a clean run', () => {
  function setup(desired: Table) {
    const ipvs = new FakeIpvs();
    const reconciler = new Reconciler({
      ipvs, clock: new FakeClock(), log: silentLogger(),
      desired: () => ({ table: desired, owned: () => true, timeouts: null }),
    });
    return { ipvs, reconciler };
  }
  const want = table(entry(svc(WEB), dest('10.0.1.1', 80, 3)), entry(svc(API, { scheduler: 'nosuch' }), dest('10.0.1.1', 443, 1)));

  test('all operations accepted: one readTable per run, and live() shows the applied table', async () => {
    const ok = table(entry(svc(WEB), dest('10.0.1.1', 80, 3)));
    const { ipvs, reconciler } = setup(ok);
    const r = await reconciler.request('test');
    expect(r).toMatchObject({ applied: 2, failed: 0 });
    expect(ipvs.calls.filter((c) => c === 'readTable')).toHaveLength(1);
    expect(tablesEqual(liveTable(reconciler.live() ?? []), ok)).toBe(true);
    expect(reconciler.live()?.[0]?.destinations[0]?.dest.counters).toEqual({ activeConns: 0, inactConns: 0, persistConns: 0 });
  });

  test('negative: a failed operation makes the reconciler read the kernel again for status', async () => {
    const { ipvs, reconciler } = setup(want);
    const r = await reconciler.request('test');
    expect(r.failed).toBe(1);
    expect(ipvs.calls.filter((c) => c === 'readTable')).toHaveLength(2);
    expect(liveTable(reconciler.live() ?? []).services.map((e) => serviceKeyText(e.service.key))).toEqual(['tcp 10.0.0.1:80']);
  });
});
