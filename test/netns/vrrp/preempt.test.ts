/**
 * Preempt: the higher priority, returning after a failover, takes the VIP back. Nopreempt
 * (preempt: false on both): it stays BACKUP and the current master keeps the VIP.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, PREFIX, startElected, VIP, writePair } from './pair.js';

let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

async function failOverToB(l: VrrpLab): Promise<void> {
  await startElected(l, l.router('a').ipv4);
  await l.stopDaemon('a', 'SIGTERM');
  await l.waitForState('b', 'web', 'MASTER', 5000);
  expect(l.hasAddress('b', VIP)).toBe(true);
}

describe('preemption', () => {
  it('preempt (default): the higher priority coming back becomes MASTER again and gets the VIP', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    writePair(lab, { a: { priority: 200 }, b: { priority: 100 } });
    await failOverToB(lab);
    lab.startDaemon('a');
    await lab.waitForState('a', 'web', 'MASTER');
    await lab.waitForState('b', 'web', 'BACKUP', 3000);
    expect(lab.hasAddress('a', VIP)).toBe(true);
    await lab.until('VIP gone from b', () => (lab?.hasAddress('b', VIP) === false ? true : undefined), 3000);
    const b = await lab.instance('b', 'web');
    expect(b.last_transition).toMatchObject({ from: 'MASTER', to: 'BACKUP', reason: 'higher_priority_advert' });
  });

  it('nopreempt: the higher priority coming back stays BACKUP; the master keeps the VIP', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    writePair(lab, { a: { priority: 200 }, b: { priority: 100 } }, { preempt: false });
    await failOverToB(lab);
    lab.startDaemon('a');
    await lab.waitForState('a', 'web', 'BACKUP');
    await lab.until('a hears b', async () => ((await lab?.instance('a', 'web'))?.master_address === lab?.router('b').ipv4 ? true : undefined));
    // Well beyond a's master-down interval (3 x 100 ms + skew): still no preemption.
    await sleep(1000);
    expect((await lab.instance('a', 'web')).state).toBe('BACKUP');
    expect((await lab.instance('b', 'web')).state).toBe('MASTER');
    expect(lab.hasAddress('b', VIP)).toBe(true);
    expect(lab.hasAddress('a', VIP)).toBe(false);
    expect(lab.transitions('a', 'web').some((t) => t.to === 'MASTER')).toBe(false);
  });
});
