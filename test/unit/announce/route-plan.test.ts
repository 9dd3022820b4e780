import { describe, expect, test } from 'vitest';
import { planRoutes, type LiveRoute } from '../../../src/announce/route-plan.js';

const owner = { table: 240, protocol: 240 };
const ours = (address: string, ifindex: number | null = 1, over: Partial<LiveRoute> = {}): LiveRoute =>
  ({ address, prefixLength: address.includes(':') ? 128 : 32, table: 240, protocol: 240, ifindex, type: 1, ...over });

describe('planRoutes', () => {
  test('in sync: nothing to do (a restart changes nothing)', () => {
    const live = [ours('192.0.2.10'), ours('2001:db8::1')];
    expect(planRoutes(live, [{ address: '192.0.2.10', prefixLength: 32, ifindex: 1 }, { address: '2001:db8::1', prefixLength: 128, ifindex: 1 }], owner))
      .toEqual({ ops: [], conflicts: [] });
  });

  test('adds the missing, deletes ours that are not wanted, withdrawals first', () => {
    const plan = planRoutes([ours('192.0.2.20')], [{ address: '192.0.2.10', prefixLength: 32, ifindex: 1 }], owner);
    expect(plan.ops).toEqual([
      { op: 'delete', route: ours('192.0.2.20') },
      { op: 'add', route: { address: '192.0.2.10', prefixLength: 32, ifindex: 1 } },
    ]);
  });

  test('never touches routes of another protocol or another table', () => {
    const foreign = [ours('192.0.2.30', 1, { protocol: 4 }), ours('192.0.2.31', 1, { table: 254 }), ours('192.0.2.32', 1, { protocol: 186 })];
    expect(planRoutes(foreign, [], owner)).toEqual({ ops: [], conflicts: [] });
  });

  test('a wanted VIP held in the table by another protocol is a conflict, not replaced', () => {
    const other = ours('192.0.2.10', 1, { protocol: 4 });
    expect(planRoutes([other], [{ address: '192.0.2.10', prefixLength: 32, ifindex: 1 }], owner)).toEqual({ ops: [], conflicts: [other] });
  });

  test('ours on the wrong device or of the wrong type is replaced', () => {
    const wrong = ours('192.0.2.10', 7);
    const plan = planRoutes([wrong], [{ address: '192.0.2.10', prefixLength: 32, ifindex: 1 }], owner);
    expect(plan.ops).toEqual([{ op: 'delete', route: wrong }, { op: 'add', route: { address: '192.0.2.10', prefixLength: 32, ifindex: 1 } }]);
    const blackhole = ours('192.0.2.10', null, { type: 6 });
    expect(planRoutes([blackhole], [{ address: '192.0.2.10', prefixLength: 32, ifindex: 1 }], owner).ops.map((o) => o.op)).toEqual(['delete', 'add']);
  });
});
