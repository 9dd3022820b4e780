/**
 * One lvs-ha daemon on its own (it becomes MASTER): notify runs on every transition, in order,
 * as the script user; a VIP removed by hand comes back; a tracked interface going down puts the
 * instance in FAULT (VIP removed) and coming back up returns it; SIGHUP with an unchanged
 * instance keeps it running, a changed priority is taken in place (no transition, no notify),
 * and a changed VRID (a new socket identity) restarts it.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, vrrpConfig, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, counters, PREFIX, VIP } from './pair.js';

let lab: VrrpLab | undefined;
let shared: string | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
  if (shared !== undefined) rmSync(shared, { recursive: true, force: true });
  shared = undefined;
});

function config(l: VrrpLab, notifyLog: string, priority: number, vrid = 51): string {
  return vrrpConfig({
    node: 'lve-a',
    socket: l.socketPath('a'),
    scriptsUser: 'nobody',
    instances: [{
      name: 'web', vrid, priority, virtualAddresses: [`${VIP}/24`],
      extra: [
        'track: { interfaces: [{ name: trk0, weight: 0 }] }',
        // command gets lvs-ha's arguments; master and fault (Keepalived's notify_master, notify_fault) run as written, first.
        `notify: { command: [/bin/sh, -c, 'echo "$*" >> ${notifyLog}', notify], master: [/bin/sh, -c, 'echo MASTER! >> ${notifyLog}'], fault: [/bin/sh, -c, 'echo FAULT! >> ${notifyLog}'] }`,
      ],
    }],
  });
}

describe('notify, VIP ownership, interface tracking and reload', () => {
  it('works end to end in one daemon', async () => {
    lab = await VrrpLab.create(PREFIX, ['a']);
    const l = lab;
    shared = mkdtempSync(join(tmpdir(), 'lve-notify-'));
    chmodSync(shared, 0o777);
    const notifyLog = join(shared, 'notify.log');
    const lines = (): string[] => {
      try {
        return readFileSync(notifyLog, 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    };
    // No dummy driver on this kernel: a veth pair inside the namespace is the tracked link.
    l.netns.ip(l.router('a').ns, ['link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']);
    l.netns.up(l.router('a').ns, 'trk1');
    l.netns.up(l.router('a').ns, 'trk0');
    await l.until('trk0 running', () => (l.exec('a', ['cat', '/sys/class/net/trk0/operstate']).stdout.trim() === 'up' ? true : undefined), 5000);
    l.writeConfig('a', config(l, notifyLog, 200));
    l.startDaemon('a');
    await l.waitForState('a', 'web', 'MASTER');
    await l.until('three notify runs', () => (lines().length >= 3 ? true : undefined), 5000);
    expect(lines()).toEqual(['web INIT BACKUP 200', 'MASTER!', 'web BACKUP MASTER 200']);
    expect(statSync(notifyLog).uid).toBe(65534); // written by the script user, not root

    // Someone removes the VIP: it comes back.
    l.netns.ip(l.router('a').ns, ['addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    await l.until('VIP restored', () => (l.hasAddress('a', VIP) ? true : undefined), 3000);
    expect(counters(await l.instance('a', 'web')).vips_restored).toBe(1);

    // The tracked interface goes down: FAULT, VIP removed; back up: BACKUP, then MASTER again.
    l.netns.ip(l.router('a').ns, ['link', 'set', 'trk0', 'down']);
    await l.waitForState('a', 'web', 'FAULT', 3000);
    await l.until('VIP removed in FAULT', () => (l.hasAddress('a', VIP) ? undefined : true), 3000);
    expect((await l.instance('a', 'web')).last_transition).toMatchObject({ from: 'MASTER', to: 'FAULT', reason: 'fault' });
    l.netns.ip(l.router('a').ns, ['link', 'set', 'trk0', 'up']);
    await l.waitForState('a', 'web', 'MASTER', 3000);
    await l.until('notify saw all', () => (lines().length >= 8 ? true : undefined), 5000);
    expect(lines().slice(3)).toEqual(['FAULT!', 'web MASTER FAULT 200', 'web FAULT BACKUP 200', 'MASTER!', 'web BACKUP MASTER 200']);

    // SIGHUP, same instance: it keeps running (no transition).
    const before = counters(await l.instance('a', 'web')).transitions;
    l.daemon('a').process.kill('SIGHUP');
    await l.until('reload applied', async () => ((await l.status('a')).reload_count === 1 ? true : undefined));
    await sleep(500);
    expect(counters(await l.instance('a', 'web')).transitions).toBe(before);
    expect((await l.instance('a', 'web')).state).toBe('MASTER');

    // SIGHUP, changed priority: taken in place, advertised, no transition and no notify run.
    l.writeConfig('a', config(l, notifyLog, 180));
    l.daemon('a').process.kill('SIGHUP');
    await l.until('reload applied', async () => ((await l.status('a')).reload_count === 2 ? true : undefined));
    expect(await l.instance('a', 'web')).toMatchObject({ state: 'MASTER', priority: 180, effective_priority: 180, master_priority: 180 });
    await sleep(500);
    expect(counters(await l.instance('a', 'web')).transitions).toBe(before);
    expect(lines()).toHaveLength(8);

    // SIGHUP, changed VRID (a new socket identity): the instance restarts with it.
    l.writeConfig('a', config(l, notifyLog, 180, 52));
    l.daemon('a').process.kill('SIGHUP');
    await l.until('reload applied', async () => ((await l.status('a')).reload_count === 3 ? true : undefined));
    await l.waitForState('a', 'web', 'MASTER', 3000);
    expect(await l.instance('a', 'web')).toMatchObject({ vrid: 52, priority: 180, effective_priority: 180 });
    await l.until('restart notified', () => (lines().length >= 12 ? true : undefined), 5000);
    expect(lines().slice(8)).toEqual(['web MASTER INIT 180', 'web INIT BACKUP 180', 'MASTER!', 'web BACKUP MASTER 180']);
  });
});
