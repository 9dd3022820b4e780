/**
 * The VRRP isolate fails safe, whichever of the two processes dies:
 * - the isolate (kill -9): the daemon removes the VIPs it left, the peer takes over at its
 *   master-down timer, the isolate is started again (status counts the restart) and, preempting,
 *   takes the VIP back;
 * - the daemon (kill -9) alone: the isolate sees its channel close, resigns like a graceful stop
 *   (priority 0: the peer takes over within about the skew time), removes the VIPs and exits.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { masterDownIntervalMs, skewTimeMs } from '../../../src/vrrp/timers.js';
import { assertBuilt, sleep, vrrpConfig, VrrpLab } from '../../helpers/vrrp-lab.js';

const PREFIX = 'lvifs';
const VIP = '10.77.0.100';
const ADVERT_MS = 100;
const MARGIN_MS = 250;

let lab: VrrpLab | undefined;

async function electedPair(l: VrrpLab, extra: readonly string[] = []): Promise<void> {
  for (const [name, priority] of [['a', 200], ['b', 100]] as const) {
    l.writeConfig(name, vrrpConfig({ node: `ifs-${name}`, socket: l.socketPath(name), instances: [{ name: 'web', vrid: 51, priority, virtualAddresses: [`${VIP}/24`], extra }] }));
  }
  l.startDaemon('b');
  l.startDaemon('a');
  await l.waitForState('a', 'web', 'MASTER');
  await l.waitForState('b', 'web', 'BACKUP');
  await l.until('b hears a', async () => ((await l.instance('b', 'web')).master_address === l.router('a').ipv4 ? true : undefined));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  expect(process.getuid?.(), 'the netns tier runs as root').toBe(0);
  assertBuilt([['src/vrrp/isolate/host.ts', 'dist/vrrp/isolate/host.js'], ['src/vrrp/isolate/server.ts', 'dist/vrrp/isolate/server.js']]);
});

afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

describe('VRRP isolate fail-safe', () => {
  it('isolate killed: VIPs removed by the daemon, the peer takes over, the isolate restarts and preempts back', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    const l = lab;
    await electedPair(l);
    const first = l.isolatePid('a');
    expect(first).toBeDefined();
    const killedAt = Date.now();
    process.kill(first ?? 0, 'SIGKILL');
    await l.until('VIP gone from a', () => (l.hasAddress('a', VIP) ? undefined : true), 3000);
    await l.waitForState('b', 'web', 'MASTER', 5000);
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThanOrEqual(masterDownIntervalMs(100, ADVERT_MS) + 1000);
    // Restarted after the back-off (1 s), it comes up BACKUP and preempts b (200 > 100).
    await l.waitForState('a', 'web', 'MASTER', 15_000);
    await l.until('b back to BACKUP', async () => ((await l.instance('b', 'web')).state === 'BACKUP' ? true : undefined), 5000);
    const isolate = (await l.status('a')).vrrp_isolate as Record<string, unknown>;
    expect(isolate).toMatchObject({ running: true, restarts: 1 });
    expect(isolate.pid).not.toBe(first);
    expect(String(isolate.last_exit)).toMatch(/SIGKILL/);
    expect(l.hasAddress('a', VIP)).toBe(true);
    expect(l.hasAddress('b', VIP)).toBe(false);
    const exitLine = l.logLines('a').find((line) => String(line.msg).includes('removing its VIPs'));
    expect(exitLine).toBeDefined();
  });

  it('isolate killed with a VMAC: the daemon removes the VIP from the VMAC, where it lives', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    const l = lab;
    await electedPair(l, ['vmac: true']);
    const onVmac = (): boolean => l.exec('a', ['ip', '-br', 'addr', 'show', 'dev', 'vrrp.51']).stdout.includes(VIP);
    expect(onVmac()).toBe(true);
    const runningLines = (): number => l.logLines('a').filter((line) => line.msg === 'VRRP isolate running').length;
    const before = runningLines();
    process.kill(l.isolatePid('a') ?? 0, 'SIGKILL');
    await l.until('VIP gone from a\'s VMAC', () => (onVmac() ? undefined : true), 3000);
    // Removed by the daemon's fail-safe, not later by the restarted isolate (1 s back-off).
    expect(runningLines()).toBe(before);
    await l.waitForState('b', 'web', 'MASTER', 5000);
    expect(l.logLines('a').some((line) => String(line.msg).includes('could not remove'))).toBe(false);
  });

  it('daemon killed alone: the isolate resigns (priority 0, takeover within about the skew time), removes the VIP and exits', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    const l = lab;
    await electedPair(l);
    const isolate = l.isolatePid('a');
    expect(isolate).toBeDefined();
    const main = l.daemon('a').process;
    const killedAt = Date.now();
    main.kill('SIGKILL');
    await l.waitForState('b', 'web', 'MASTER', 5000);
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThanOrEqual(skewTimeMs(100, ADVERT_MS) + MARGIN_MS);
    await l.until('VIP gone from a', () => (l.hasAddress('a', VIP) ? undefined : true), 3000);
    for (let i = 0; i < 100 && alive(isolate ?? 0); i++) await sleep(50);
    expect(alive(isolate ?? 0)).toBe(false);
    console.log(`daemon kill -9 -> peer MASTER: ${String(takeover)} ms (skew ${skewTimeMs(100, ADVERT_MS).toFixed(1)} ms)`);
  });
});
