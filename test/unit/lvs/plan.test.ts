import { describe, expect, it } from 'vitest';
import { desiredTable, ownedBy, staticHealthView, healthKey } from '../../../src/lvs/desired.js';
import {
  canonicalTable,
  indexServices,
  serviceKeyText,
  SvcFlag,
  tablesEqual,
  type ServiceKey,
  type Table,
} from '../../../src/lvs/model.js';
import { applyPlan, plan, planSummary, type Operation } from '../../../src/lvs/plan.js';
import { dest, entry, exampleConfig, KEY_POOL, prng, randomTable, svc, table, tcp } from './plan-fixtures.js';

const ALL = (): boolean => true;
const NONE = (): boolean => false;
const A = tcp('10.0.0.100', 80);
const B = tcp('10.0.0.100', 443);

function ops(list: readonly Operation[]): string[] {
  return list.map((o) => {
    const svcKey = o.op === 'AddService' || o.op === 'EditService' || o.op === 'DelService' ? o.service.key : o.service;
    const d = 'dest' in o ? ` ${o.dest.address}:${o.dest.port}` : '';
    return `${o.op} ${serviceKeyText(svcKey)}${d}`;
  });
}

describe('plan: basics', () => {
  it('plan(T, T) is empty', () => {
    const t = table(entry(svc(A), dest('10.0.0.11', 80), dest('10.0.0.12', 80, 0)), entry(svc(B, { flags: SvcFlag.PERSISTENT, timeoutS: 300 })));
    expect(plan(t, t, ALL)).toEqual([]);
  });

  it('from empty: each service, then its destinations', () => {
    const d = table(entry(svc(A), dest('10.0.0.11', 80), dest('10.0.0.12', 80)), entry(svc(B), dest('10.0.0.11', 443)));
    expect(ops(plan(table(), d, NONE))).toEqual([
      'AddService tcp 10.0.0.100:80',
      'AddService tcp 10.0.0.100:443',
      'AddDest tcp 10.0.0.100:80 10.0.0.11:80',
      'AddDest tcp 10.0.0.100:80 10.0.0.12:80',
      'AddDest tcp 10.0.0.100:443 10.0.0.11:443',
    ]);
  });

  it('a kernel reply with HASHED and counters is in sync with the same config', () => {
    const live = table(entry(svc(A, { flags: SvcFlag.HASHED }), dest('10.0.0.11', 80, 1, { counters: { activeConns: 5, inactConns: 2, persistConns: 0 } })));
    expect(plan(live, table(entry(svc(A), dest('10.0.0.11', 80))), ALL)).toEqual([]);
  });

  it('a weight-only change is one EditDest naming the weight', () => {
    const live = table(entry(svc(A), dest('10.0.0.11', 80, 2)));
    const [op, ...rest] = plan(live, table(entry(svc(A), dest('10.0.0.11', 80, 0))), ALL);
    expect(rest).toEqual([]);
    expect(op).toMatchObject({ op: 'EditDest', changed: ['weight'], previous: { weight: 2 }, dest: { weight: 0 } });
  });

  it('scheduler, flags, timeout or netmask changes are one EditService, never delete + add', () => {
    const live = table(entry(svc(A, { scheduler: 'rr' }), dest('10.0.0.11', 80)));
    const want = table(entry(svc(A, { scheduler: 'wrr', flags: SvcFlag.PERSISTENT, timeoutS: 300, netmask: '255.255.255.0' }), dest('10.0.0.11', 80)));
    const result = plan(live, want, ALL);
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ op: 'EditService', changed: ['scheduler', 'flags', 'timeoutS', 'netmask'] });
  });

  it('a changed forwarding method is an EditDest; a changed address family is delete + add', () => {
    const live = table(entry(svc(A), dest('10.0.0.11', 80)));
    expect(plan(live, table(entry(svc(A), dest('10.0.0.11', 80, 1, { fwd: 'masq' }))), ALL)[0]).toMatchObject({ op: 'EditDest', changed: ['fwd'] });
    const v6 = plan(live, table(entry(svc(A), dest('2001:db8::11', 80, 1, { fwd: 'tunnel' }))), ALL);
    expect(ops(v6)).toEqual(['AddDest tcp 10.0.0.100:80 2001:db8::11:80', 'DelDest tcp 10.0.0.100:80 10.0.0.11:80']);
  });

  it('fwmark services are keyed by family and mark', () => {
    const m4: ServiceKey = { kind: 'fwmark', family: 'ipv4', fwmark: 7 };
    const m6: ServiceKey = { kind: 'fwmark', family: 'ipv6', fwmark: 7 };
    const live = table(entry(svc(m4), dest('10.0.0.11', 0)));
    expect(ops(plan(live, table(entry(svc(m4), dest('10.0.0.11', 0)), entry(svc(m6))), ALL))).toEqual(['AddService fwmark 7 ipv6']);
  });

  it('never a flush: an empty desired table deletes owned services one by one', () => {
    const live = table(entry(svc(A), dest('10.0.0.11', 80)), entry(svc(B)));
    const result = plan(live, table(), ALL);
    expect(ops(result)).toEqual(['DelService tcp 10.0.0.100:80', 'DelService tcp 10.0.0.100:443']);
  });
});

describe('plan: ownership', () => {
  const foreign = entry(svc(tcp('10.9.9.9', 25), { scheduler: 'lc' }), dest('10.9.9.1', 25, 3));

  it('leaves a service the config does not describe alone, with its destinations', () => {
    const live = table(foreign, entry(svc(A), dest('10.0.0.11', 80)));
    const desired = table(entry(svc(A), dest('10.0.0.11', 80)));
    expect(plan(live, desired, (k) => serviceKeyText(k) === serviceKeyText(A))).toEqual([]);
  });

  it('deletes an owned service that is no longer desired, not a foreign one', () => {
    const live = table(foreign, entry(svc(B)));
    expect(ops(plan(live, table(), (k) => serviceKeyText(k) === serviceKeyText(B)))).toEqual(['DelService tcp 10.0.0.100:443']);
  });

  it('manages owned services whole: a destination added by hand is deleted, one deleted by hand re-added', () => {
    const live = table(entry(svc(A), dest('10.0.0.11', 80), dest('10.0.0.99', 80)));
    const desired = table(entry(svc(A), dest('10.0.0.11', 80), dest('10.0.0.12', 80)));
    expect(ops(plan(live, desired, ALL))).toEqual(['AddDest tcp 10.0.0.100:80 10.0.0.12:80', 'DelDest tcp 10.0.0.100:80 10.0.0.99:80']);
  });
});

describe('plan: order (make before break)', () => {
  it('quorum lost: the sorry server is added before real servers go to 0', () => {
    const live = table(entry(svc(A), dest('10.0.0.11', 80, 2), dest('10.0.0.12', 80, 1)));
    const desired = table(entry(svc(A), dest('10.0.0.11', 80, 0), dest('10.0.0.12', 80, 0), dest('10.0.0.250', 80, 1)));
    expect(ops(plan(live, desired, ALL))).toEqual([
      'AddDest tcp 10.0.0.100:80 10.0.0.250:80',
      'EditDest tcp 10.0.0.100:80 10.0.0.11:80',
      'EditDest tcp 10.0.0.100:80 10.0.0.12:80',
    ]);
  });

  it('quorum restored: real servers come back before the sorry server leaves', () => {
    const live = table(entry(svc(A), dest('10.0.0.11', 80, 0), dest('10.0.0.250', 80, 1)));
    const desired = table(entry(svc(A), dest('10.0.0.11', 80, 2)));
    expect(ops(plan(live, desired, ALL))).toEqual(['EditDest tcp 10.0.0.100:80 10.0.0.11:80', 'DelDest tcp 10.0.0.100:80 10.0.0.250:80']);
  });

  it('phases: services, adds, raises, lowers, dest deletes, service deletes', () => {
    const live = table(
      entry(svc(A, { scheduler: 'rr' }), dest('10.0.0.11', 80, 1), dest('10.0.0.12', 80, 5), dest('10.0.0.13', 80)),
      entry(svc(B)),
    );
    const C = tcp('10.0.0.101', 80);
    const desired = table(entry(svc(A), dest('10.0.0.11', 80, 4), dest('10.0.0.12', 80, 0), dest('10.0.0.14', 80)), entry(svc(C), dest('10.0.0.11', 80)));
    const names = plan(live, desired, ALL).map((o) => o.op);
    expect(names).toEqual(['EditService', 'AddService', 'AddDest', 'AddDest', 'EditDest', 'EditDest', 'DelDest', 'DelService']);
    const result = plan(live, desired, ALL);
    expect(result[4]).toMatchObject({ op: 'EditDest', dest: { weight: 4 } });
    expect(result[5]).toMatchObject({ op: 'EditDest', dest: { weight: 0 } });
  });
});

describe('plan: properties over generated tables', () => {
  const CASES = 400;

  function ownedPart(t: Table, owned: (k: ServiceKey) => boolean): Table {
    return { services: t.services.filter((e) => owned(e.service.key)) };
  }

  it('apply(plan(L, D), L) equals D on the owned part, unowned services untouched, no conflicts; then in sync', () => {
    const rnd = prng(20261121);
    for (let i = 0; i < CASES; i++) {
      const live = randomTable(rnd);
      const desired = randomTable(rnd);
      const desiredKeys = new Set(desired.services.map((e) => serviceKeyText(e.service.key)));
      const extra = new Set(KEY_POOL.filter(() => rnd() < 0.3).map(serviceKeyText));
      const owned = (k: ServiceKey): boolean => desiredKeys.has(serviceKeyText(k)) || extra.has(serviceKeyText(k));
      const ops1 = plan(live, desired, owned);
      const { table: after, conflicts } = applyPlan(live, ops1);
      expect(conflicts).toEqual([]);
      expect(tablesEqual(ownedPart(after, owned), desired)).toBe(true);
      const untouched = (t: Table): Table => ({ services: t.services.filter((e) => !owned(e.service.key)) });
      expect(canonicalTable(untouched(after))).toEqual(canonicalTable(untouched(live)));
      expect(plan(after, desired, owned)).toEqual([]);
    }
  });

  it('every plan respects the phase order and edits rather than re-creates', () => {
    const rank: Record<string, number> = { AddService: 0, EditService: 0, AddDest: 1, raise: 2, lower: 3, DelDest: 4, DelService: 5 };
    const rnd = prng(7);
    for (let i = 0; i < CASES; i++) {
      const live = randomTable(rnd);
      const desired = randomTable(rnd);
      const result = plan(live, desired, ALL);
      const ranks = result.map((o) => rank[o.op === 'EditDest' ? (o.dest.weight < o.previous.weight ? 'lower' : 'raise') : o.op] ?? -1);
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      const liveKeys = indexServices(live);
      for (const o of result) {
        if (o.op === 'AddService') expect(liveKeys.has(serviceKeyText(o.service.key))).toBe(false);
        if (o.op === 'DelService') expect(indexServices(desired).has(serviceKeyText(o.service.key))).toBe(false);
      }
      const summary = planSummary(result);
      expect(Object.values(summary).reduce((a, b) => a + b, 0)).toBe(result.length);
    }
  });
});

describe('applyPlan (the reference)', () => {
  it('reports conflicts the kernel would refuse', () => {
    const t = table(entry(svc(A), dest('10.0.0.11', 80)));
    const { conflicts } = applyPlan(t, [
      { op: 'AddService', service: svc(A) },
      { op: 'AddDest', service: A, dest: dest('10.0.0.11', 80) },
      { op: 'DelDest', service: B, dest: dest('10.0.0.11', 80) },
      { op: 'EditDest', service: A, dest: dest('10.0.0.12', 80), previous: dest('10.0.0.12', 80), changed: [] },
    ]);
    expect(conflicts).toHaveLength(4);
  });

  it('DelService takes the destinations with it', () => {
    const t = table(entry(svc(A), dest('10.0.0.11', 80)));
    expect(applyPlan(t, [{ op: 'DelService', service: svc(A) }]).table.services).toEqual([]);
  });
});

describe('from config to plan', () => {
  it('a daemon restart (health unknown) against the table it left is a no-op, even with a server down', () => {
    const cfg = exampleConfig('director-a.yaml');
    const h = staticHealthView(
      {
        [healthKey('http', '10.0.0.11', 80)]: { state: 'down', weight: null },
        [healthKey('http', '10.0.0.12', 80)]: { state: 'up', weight: null },
        [healthKey('https', '10.0.0.11', 443)]: { state: 'up', weight: null },
      },
      { http: 'held' },
    );
    const before = desiredTable(cfg, h, 'MASTER');
    expect(indexServices(before).get('tcp 10.0.0.100:80')?.destinations.map((d) => d.weight)).toEqual([0, 1]);
    const restarted = desiredTable(cfg, staticHealthView({}), 'MASTER', { live: before });
    expect(plan(before, restarted, ownedBy(cfg))).toEqual([]);
  });

  it('a first start applies the whole config, and a second plan is empty', () => {
    const cfg = exampleConfig('tun-service.yaml');
    const desired = desiredTable(cfg, staticHealthView({}), 'BACKUP');
    const first = plan(table(), desired, ownedBy(cfg));
    expect(planSummary(first)).toMatchObject({ AddService: 3, AddDest: 7, DelService: 0 });
    const { table: after } = applyPlan(table(), first);
    expect(plan(after, desiredTable(cfg, staticHealthView({}), 'BACKUP', { live: after }), ownedBy(cfg))).toEqual([]);
  });
});
