/**
 * What the VRRP isolate is for: no work elsewhere in the daemon may delay an advert or a
 * master-down timer. A pair at 10 ms adverts (master-down on the backup: 36 ms), the master
 * health-checking 10,000 TCP real servers every second, reloaded (SIGHUP: the whole file
 * re-read and re-validated) every 3 s and asked for `status` back to back, for 60 s: the backup
 * never becomes master. The same load with VRRP on the daemon's own event loop
 * (LVSHA_VRRP_INLINE=1, the shape before the isolate) makes it take over, which proves the test
 * can fail.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runLoad, startLoadedPair, startTargets, waitChecksUp, type LoadOptions } from '../../helpers/loaded-pair.js';
import { assertBuilt, VrrpLab } from '../../helpers/vrrp-lab.js';

const PREFIX = 'lviso';

let lab: VrrpLab | undefined;

const LOAD: LoadOptions = {
  advertMs: 10, tcp: 10_000, http: 0, reloadEveryMs: 3000, statusEveryMs: 0, metricsEveryMs: null, durationMs: 60_000, inline: false,
};

beforeAll(() => {
  expect(process.getuid?.(), 'the netns tier runs as root').toBe(0);
  assertBuilt([['src/vrrp/isolate/host.ts', 'dist/vrrp/isolate/host.js'], ['src/vrrp/isolate/server.ts', 'dist/vrrp/isolate/server.js'], ['src/daemon/engines.ts', 'dist/daemon/engines.js']]);
});

afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

describe('VRRP isolation under a busy daemon', () => {
  it('10 ms adverts, 10,000 checked real servers, a reload every 3 s, status back to back, 60 s: no false failover', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    startTargets(lab);
    await startLoadedPair(lab, LOAD);
    await waitChecksUp(lab, LOAD.tcp * 0.95);
    const result = await runLoad(lab, LOAD);
    console.log(`isolated: ${JSON.stringify(result)}`);
    expect(result.isolatePid).not.toBeNull();
    expect(result.reloads).toBeGreaterThanOrEqual(15);
    expect(result.statusQueries).toBeGreaterThanOrEqual(20);
    expect(result.realServers).toBe(LOAD.tcp);
    expect(result.realServersUp).toBeGreaterThanOrEqual(LOAD.tcp * 0.95);
    expect(result.falseFailovers).toBe(0);
    expect(result.masterLosses).toBe(0);
  }, 300_000);

  it('the same load with VRRP on the daemon\'s event loop: the backup takes over (the test can fail)', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    startTargets(lab);
    const inline = { ...LOAD, durationMs: 20_000, inline: true };
    await startLoadedPair(lab, inline);
    await waitChecksUp(lab, LOAD.tcp * 0.95);
    const result = await runLoad(lab, inline);
    console.log(`inline: ${JSON.stringify(result)}`);
    expect(result.isolatePid).toBeNull();
    expect(result.falseFailovers).toBeGreaterThan(0);
  }, 300_000);
});
