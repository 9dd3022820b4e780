/**
 * Reload in place (issue 13): a pair with three instances on eth0. A reload on the master that
 * removes one instance and re-prioritises another leaves the untouched one alone (zero
 * transitions: status counters, last_transition and the log), and the new priority reaches the
 * peer in the adverts (its master_priority) with no transition on either side. Adding the
 * instance back does not touch the others either.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, vrrpConfig, VrrpLab, type InstanceYaml } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, counters } from './pair.js';

const PREFIX = 'rlip';
let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

const web = (priority: number): InstanceYaml => ({ name: 'web', vrid: 51, priority, virtualAddresses: ['10.77.0.100/24'] });
const api = (priority: number): InstanceYaml => ({ name: 'api', vrid: 52, priority, virtualAddresses: ['10.77.0.101/24'] });
const db = (priority: number): InstanceYaml => ({ name: 'db', vrid: 53, priority, virtualAddresses: ['10.77.0.102/24'] });

function write(l: VrrpLab, name: string, instances: readonly InstanceYaml[]): void {
  l.writeConfig(name, vrrpConfig({ node: `${PREFIX}-${name}`, socket: l.socketPath(name), instances }));
}

async function reload(l: VrrpLab, name: string, count: number): Promise<void> {
  l.daemon(name).process.kill('SIGHUP');
  await l.until(`reload ${String(count)} applied`, async () => ((await l.status(name)).reload_count === count ? true : undefined), 10_000, name);
}

/** Status of an instance that must not have moved: state, transition counter and record. */
async function untouched(l: VrrpLab, router: string, instance: string): Promise<Record<string, unknown>> {
  const i = await l.instance(router, instance);
  return { state: i.state, transitions: counters(i).transitions, last_transition: i.last_transition };
}

describe('reload in place', () => {
  it('removing, re-prioritising and adding instances on the master: the untouched one makes zero transitions', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b']);
    const l = lab;
    write(l, 'a', [web(200), api(200), db(200)]);
    write(l, 'b', [web(100), api(100), db(100)]);
    l.startDaemon('a');
    for (const i of ['web', 'api', 'db']) await l.waitForState('a', i, 'MASTER');
    l.startDaemon('b');
    for (const i of ['web', 'api', 'db']) await l.waitForState('b', i, 'BACKUP');
    await l.until('b hears api at 200', async () => ((await l.instance('b', 'api')).master_priority === 200 ? true : undefined));
    const webBefore = await untouched(l, 'a', 'web');
    const apiBefore = await untouched(l, 'a', 'api');
    const peerApiBefore = await untouched(l, 'b', 'api');
    const webLog = l.transitions('a', 'web').length;

    // Remove db and re-prioritise api on the master.
    write(l, 'a', [web(200), api(150)]);
    await reload(l, 'a', 1);
    await l.waitForState('b', 'db', 'MASTER', 3000); // a resigned db with priority 0
    await l.until('b hears api at 150', async () => ((await l.instance('b', 'api')).master_priority === 150 ? true : undefined), 3000);
    expect(await l.instance('a', 'api')).toMatchObject({ priority: 150, effective_priority: 150 });
    await sleep(500);
    expect(await untouched(l, 'a', 'web')).toEqual(webBefore);
    expect(await untouched(l, 'a', 'api')).toEqual(apiBefore);
    expect(await untouched(l, 'b', 'api')).toEqual(peerApiBefore);
    expect(l.transitions('a', 'web')).toHaveLength(webLog);
    expect(l.logLines('a').some((line) => line.instance === 'api' && line.msg === 'instance changed in place')).toBe(true);
    expect(l.hasAddress('a', '10.77.0.100') && l.hasAddress('a', '10.77.0.101')).toBe(true);
    expect(l.hasAddress('a', '10.77.0.102')).toBe(false);

    // Add db back: it starts (and preempts b with 200), the others do not move.
    write(l, 'a', [web(200), api(150), db(200)]);
    await reload(l, 'a', 2);
    await l.waitForState('a', 'db', 'MASTER', 5000);
    await l.waitForState('b', 'db', 'BACKUP', 3000);
    await sleep(300);
    expect(await untouched(l, 'a', 'web')).toEqual(webBefore);
    expect(await untouched(l, 'a', 'api')).toEqual(apiBefore);
    expect(l.transitions('a', 'web')).toHaveLength(webLog);
    expect(l.transitions('a', 'db').map((t) => `${String(t.from)}>${String(t.to)}`).slice(-3)).toEqual(['MASTER>INIT', 'INIT>BACKUP', 'BACKUP>MASTER']);
  });
});
