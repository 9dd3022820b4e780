/**
 * `lvs-ha drill failover` resigns make-before-break: the old master keeps the VIP until it hears
 * the new master, so at every moment one of the two holds it, and the old master leaves through
 * MASTER -> BACKUP (never INIT). Its own netns prefix ('lvmbb'), so it can run beside other suites.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, sleep, VrrpLab, type LogLine } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, startElected, VIP, writePair } from './pair.js';

const PREFIX = 'lvmbb';
let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

const at = (line: LogLine | undefined): number => Date.parse(String(line?.time));

describe('make-before-break resign (drill failover)', () => {
  it('the VIP is on one director or the other at every sample; the old master leaves only after the new one took over', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    const l = lab;
    writePair(l, { a: { priority: 200 }, b: { priority: 100 } });
    await startElected(l, l.router('a').ipv4);
    const t0 = Date.now();
    const drill = l.spawn('a', [process.execPath, BIN, 'drill', 'failover', '--json', '--socket', l.socketPath('a')]);
    let out = '';
    drill.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => drill.once('exit', resolve));
    let samples = 0;
    let gaps = 0;
    while (drill.exitCode === null && drill.signalCode === null && Date.now() - t0 < 10_000) {
      const onA = l.hasAddress('a', VIP);
      const onB = l.hasAddress('b', VIP);
      samples++;
      if (!onA && !onB) gaps++;
      await sleep(0);
    }
    expect(await exited).toBe(0);
    const report = JSON.parse(out) as { instances: { takeover_ms: number | null; vips_left: boolean }[] };
    expect(report.instances[0]).toMatchObject({ vips_left: true });
    expect(samples).toBeGreaterThan(5);
    expect(gaps).toBe(0);

    const aLeft = l.transitions('a', 'web').filter((t) => at(t) >= t0);
    expect(aLeft.map((t) => `${String(t.from)}>${String(t.to)}:${String(t.reason)}`)).toEqual(['MASTER>BACKUP:higher_priority_advert']);
    const bTook = l.transitions('b', 'web').find((t) => t.to === 'MASTER' && at(t) >= t0);
    expect(at(aLeft[0])).toBeGreaterThanOrEqual(at(bTook));
    await l.waitForState('b', 'web', 'MASTER');
    expect(l.hasAddress('b', VIP) && !l.hasAddress('a', VIP)).toBe(true);
    expect(await l.instance('a', 'web')).toMatchObject({ state: 'BACKUP', resigning: false, effective_priority: 1 });
  });
});
