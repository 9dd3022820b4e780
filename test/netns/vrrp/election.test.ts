/**
 * Two lvs-ha daemons on a bridge (IPv4 multicast, 100 ms adverts): the higher priority becomes
 * MASTER and holds the VIP; kill -9 of the master gives takeover within the master-down
 * interval (plus a margin); SIGTERM gives takeover within about the skew time, and the VIP
 * leaves the old master. Takeover times come from the daemons' own log timestamps.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { masterDownIntervalMs, skewTimeMs } from '../../../src/vrrp/timers.js';
import { assertBuilt, vrrpConfig, VrrpLab, type LogLine } from '../../helpers/vrrp-lab.js';

const PREFIX = 'lve';
const VIP = '10.77.0.100';
const ADVERT_MS = 100;
/** Scheduling and log latency on a loaded 2-core machine. */
const MARGIN_MS = 150;

let lab: VrrpLab | undefined;

function pairConfigs(l: VrrpLab, prioA: number, prioB: number, extra: readonly string[] = []): void {
  for (const [name, priority] of [['a', prioA], ['b', prioB]] as const) {
    l.writeConfig(name, vrrpConfig({
      node: `lve-${name}`,
      socket: l.socketPath(name),
      instances: [{ name: 'web', vrid: 51, priority, virtualAddresses: [`${VIP}/24`], extra }],
    }));
  }
}

function becameMasterAt(l: VrrpLab, name: string, after: number): number {
  const line: LogLine | undefined = l.transitions(name, 'web').find((t) => t.to === 'MASTER' && Date.parse(String(t.time)) >= after);
  if (!line) throw new Error(`no MASTER transition on ${name} after ${new Date(after).toISOString()}`);
  return Date.parse(String(line.time));
}

async function electedPair(l: VrrpLab): Promise<void> {
  pairConfigs(l, 200, 100);
  l.startDaemon('b');
  l.startDaemon('a');
  await l.waitForState('a', 'web', 'MASTER');
  await l.waitForState('b', 'web', 'BACKUP');
  // a few adverts so the backup has learned the master
  await l.until('b hears a', async () => ((await l.instance('b', 'web')).master_address === l.router('a').ipv4 ? true : undefined));
}

beforeAll(() => {
  expect(process.getuid?.(), 'the netns tier runs as root').toBe(0);
  assertBuilt([['src/vrrp/runner.ts', 'dist/vrrp/runner.js'], ['src/vrrp/engine.ts', 'dist/vrrp/engine.js'], ['src/daemon/daemon.ts', 'dist/daemon/daemon.js']]);
});

afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

describe('VRRP election between two lvs-ha daemons', () => {
  it('elects the higher priority; the VIP is only on the master; status shows the instance', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    await electedPair(lab);
    expect(lab.hasAddress('a', VIP)).toBe(true);
    expect(lab.hasAddress('b', VIP)).toBe(false);
    const a = await lab.instance('a', 'web');
    expect(a).toMatchObject({
      name: 'web', vrid: 51, interface: 'eth0', state: 'MASTER', priority: 200, effective_priority: 200,
      master_address: lab.router('a').ipv4, advert_interval_ms: ADVERT_MS, virtual_addresses: [`${VIP}/24`],
      last_transition: { from: 'BACKUP', to: 'MASTER', reason: 'master_down_timer' },
    });
    const b = await lab.instance('b', 'web');
    expect(b).toMatchObject({ state: 'BACKUP', priority: 100, master_address: lab.router('a').ipv4, last_transition: { to: 'BACKUP' } });
    const countersA = a.counters as Record<string, unknown>;
    const countersB = b.counters as Record<string, unknown>;
    expect(countersA.adverts_sent).toBeGreaterThan(0);
    expect(countersB.adverts_received).toBeGreaterThan(0);
    expect(countersB.checksum_seen).toMatchObject({ rfc5798: expect.any(Number) as number });
    expect(countersB.drops_total).toBe(0);
    expect(typeof (a.last_transition as Record<string, unknown>).at).toBe('string');
  });

  it('kill -9 of the master: the backup takes over within the master-down interval plus a margin', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    await electedPair(lab);
    const killedAt = Date.now();
    await lab.stopDaemon('a', 'SIGKILL');
    await lab.waitForState('b', 'web', 'MASTER', 5000);
    const gap = becameMasterAt(lab, 'b', killedAt) - killedAt;
    const down = masterDownIntervalMs(100, ADVERT_MS); // 360.9 ms
    // The last advert came at most one interval before the kill.
    expect(gap).toBeGreaterThanOrEqual(down - ADVERT_MS - 20);
    expect(gap).toBeLessThanOrEqual(down + MARGIN_MS);
    expect(lab.hasAddress('b', VIP)).toBe(true);
    console.log(`kill -9 takeover: ${String(gap)} ms (master-down ${down.toFixed(1)} ms)`);
    // The crashed master left its VIP behind; restarted below b's priority it removes it at startup.
    expect(lab.hasAddress('a', VIP)).toBe(true);
    pairConfigs(lab, 50, 100);
    lab.startDaemon('a');
    await lab.waitForState('a', 'web', 'BACKUP');
    const l = lab;
    await l.until('stale VIP removed from a', () => (l.hasAddress('a', VIP) ? undefined : true), 3000);
    expect((await l.instance('b', 'web')).state).toBe('MASTER');
  });

  it('SIGTERM of the master: priority 0, takeover within about the skew time, VIP gone from the old master', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    await electedPair(lab);
    const stoppedAt = Date.now();
    const exit = await lab.stopDaemon('a', 'SIGTERM');
    expect(exit.code).toBe(0);
    await lab.waitForState('b', 'web', 'MASTER', 5000);
    const gap = becameMasterAt(lab, 'b', stoppedAt) - stoppedAt;
    const skew = skewTimeMs(100, ADVERT_MS); // 60.9 ms
    expect(gap).toBeLessThanOrEqual(skew + MARGIN_MS);
    expect(lab.hasAddress('a', VIP)).toBe(false);
    expect(lab.hasAddress('b', VIP)).toBe(true);
    const resign = lab.transitions('a', 'web').find((t) => t.to === 'INIT');
    expect(resign).toMatchObject({ from: 'MASTER', reason: 'shutdown' });
    console.log(`SIGTERM takeover: ${String(gap)} ms (skew ${skew.toFixed(1)} ms)`);
  });
});
