/** Drill and maintenance against a fake VRRP hold port and a fake clock. */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { JsonValue } from '../../../src/control/protocol.js';
import { EventQueue } from '../../../src/core/event-queue.js';
import { DrillRefused, Operator, type HoldPort } from '../../../src/daemon/operator.js';

/** One instance whose state the test moves; setHold records calls. */
class FakeVrrp implements HoldPort {
  state = 'MASTER';
  master: string | null = '10.0.0.1';
  holds = new Set<string>();
  calls: string[] = [];
  setHold(instance: string, on: boolean, resign = false): boolean {
    this.calls.push(`${instance} ${String(on)} ${String(resign)}`);
    if (on) this.holds.add(instance);
    else this.holds.delete(instance);
    return true;
  }
  held(instance: string): boolean {
    return this.holds.has(instance);
  }
  snapshot(): JsonValue {
    return [{ name: 'web', state: this.state, master_address: this.master, master_priority: 100, primary_address: '10.0.0.1' }];
  }
}

async function tick(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < ms / 20; i++) {
    clock.advance(20);
    for (let j = 0; j < 5; j++) await Promise.resolve();
  }
}

describe('drill failover', () => {
  test('resigns the master, reports the time until the peer is heard as master, stays held', async () => {
    const clock = new FakeClock();
    const vrrp = new FakeVrrp();
    const op = new Operator(vrrp, new EventQueue(), clock);
    const result = op.drill(false);
    await tick(clock, 200);
    vrrp.state = 'BACKUP';
    vrrp.master = null; // resigned, nothing heard yet
    await tick(clock, 400);
    vrrp.master = '10.0.0.2';
    await tick(clock, 100);
    const r = await result;
    expect(vrrp.calls).toEqual(['web true true']);
    const inst = (r.instances as { takeover_ms: number; peer: string; vips_left: boolean }[])[0];
    expect(inst?.peer).toBe('10.0.0.2');
    expect(inst?.vips_left).toBe(true);
    expect(inst?.takeover_ms).toBeGreaterThanOrEqual(600);
    expect(inst?.takeover_ms).toBeLessThanOrEqual(720);
    expect(r.held).toBe(true);
  });

  test('refuses on a backup without --force; reports null when no takeover is seen', async () => {
    const clock = new FakeClock();
    const vrrp = new FakeVrrp();
    vrrp.state = 'BACKUP';
    const op = new Operator(vrrp, new EventQueue(), clock);
    await expect(op.drill(false)).rejects.toBeInstanceOf(DrillRefused);
    expect(vrrp.calls).toEqual([]);
    vrrp.master = null;
    const forced = op.drill(true);
    await tick(clock, 15_100);
    const r = await forced;
    expect((r.instances as { takeover_ms: number | null }[])[0]?.takeover_ms).toBeNull();
  });

  test('--return releases the hold and waits for MASTER; maintenance is listed', async () => {
    const clock = new FakeClock();
    const vrrp = new FakeVrrp();
    vrrp.state = 'BACKUP';
    const op = new Operator(vrrp, new EventQueue(), clock);
    await op.maintenance(true);
    expect(op.maintenanceStatus()).toMatchObject({ on: true, held_instances: ['web'] });
    const back = op.drillReturn();
    await tick(clock, 300);
    vrrp.state = 'MASTER';
    await tick(clock, 40);
    const r = await back;
    expect(vrrp.calls).toEqual(['web true true', 'web false false']);
    expect((r.instances as { master_again_ms: number }[])[0]?.master_again_ms).toBeGreaterThanOrEqual(300);
    expect(op.maintenanceStatus()).toMatchObject({ on: false, held_instances: [] });
  });
});
