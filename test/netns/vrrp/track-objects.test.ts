/**
 * Tracking of processes, files and routes, end to end with a real peer: a (priority 150) tracks a
 * process, a file and a route; b (priority 100) tracks nothing. Each object in turn fails: a's
 * priority drops below b's and b takes over; the object comes back and a preempts again. Both
 * halves: while the object is healthy a stays MASTER with its full priority.
 */
import { copyFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, startElected, VIP, writePair } from './pair.js';

const PREFIX = 'lvp';
/** A unique process name (comm: the program's file name, at most 15 bytes). */
const PROC_NAME = `lvptrk${String(process.pid % 100000)}`;
const ROUTE = '198.51.100.0/24';

let lab: VrrpLab | undefined;
let dir: string | undefined;
let tracked: ChildProcess | undefined;

function startTracked(): void {
  if (!dir) throw new Error('no dir');
  tracked = lab?.spawn('a', [join(dir, PROC_NAME), '600']);
}

async function killTracked(): Promise<void> {
  const p = tracked;
  tracked = undefined;
  if (p?.exitCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

beforeAll(async () => {
  checkPrerequisites();
  lab = await VrrpLab.create(PREFIX, ['a', 'b']);
  dir = mkdtempSync(join(tmpdir(), 'lvp-track-'));
  chmodSync(dir, 0o755);
  copyFileSync('/bin/sleep', join(dir, PROC_NAME));
  chmodSync(join(dir, PROC_NAME), 0o755);
  writeFileSync(join(dir, 'prio'), '0\n');
  lab.netns.ip(lab.router('a').ns, ['route', 'add', ROUTE, 'dev', 'eth0', 'table', '100']);
  startTracked();
  writePair(lab, {
    a: {
      priority: 150,
      extra: [
        'track:',
        `  processes: [{ name: worker, process: ${PROC_NAME}, weight: -100, interval: 200ms }]`,
        `  files: [{ name: prio, path: ${join(dir, 'prio')}, weight: -10 }]`,
        `  routes: [{ destination: ${ROUTE}, table: 100, weight: -100 }]`,
      ],
    },
    b: { priority: 100 },
  });
  await startElected(lab, lab.router('a').ipv4);
}, 60_000);

afterAll(async () => {
  await killTracked();
  lab?.destroy();
  lab = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function expectAMasterAtFull(l: VrrpLab): Promise<void> {
  await l.waitForState('a', 'web', 'MASTER', 5000);
  await l.waitForState('b', 'web', 'BACKUP', 5000);
  expect(await l.instance('a', 'web')).toMatchObject({ effective_priority: 150 });
  expect(l.hasAddress('a', VIP)).toBe(true);
}

describe('tracked processes, files and routes move the VIP through the priority', () => {
  it('starts MASTER at full priority while everything tracked is healthy', async () => {
    if (!lab) throw new Error('no lab');
    await expectAMasterAtFull(lab);
    const tracking = (await lab.instance('a', 'web')).tracking as Record<string, unknown>[];
    expect(tracking.filter((t) => t.kind !== 'interface')).toEqual([
      { kind: 'route', name: `${ROUTE} table 100`, weight: -100, failed: false },
      { kind: 'process', name: 'worker', weight: -100, failed: false },
      { kind: 'file', name: 'prio', weight: -10, failed: false, value: 0, priority_delta: 0 },
    ]);
  });

  it('a tracked process killed lowers the priority and the peer takes over; restarted, a takes back', async () => {
    if (!lab) throw new Error('no lab');
    const l = lab;
    await killTracked();
    await l.waitForState('b', 'web', 'MASTER', 5000);
    await l.waitForState('a', 'web', 'BACKUP', 5000);
    expect(await l.instance('a', 'web')).toMatchObject({ effective_priority: 50 });
    startTracked();
    await expectAMasterAtFull(l);
  });

  it("a tracked file's content changes the priority (value x weight); back to 0, a takes back", async () => {
    if (!lab || !dir) throw new Error('no lab');
    const l = lab;
    // Written by rename, as a careful writer does: the directory watch sees it.
    writeFileSync(join(dir, 'prio.tmp'), '3\n');
    renameSync(join(dir, 'prio.tmp'), join(dir, 'prio'));
    await l.until('a at 120', async () => ((await l.instance('a', 'web')).effective_priority === 120 ? true : undefined), 5000);
    expect((await l.instance('a', 'web')).state).toBe('MASTER'); // 120 > 100: no move
    writeFileSync(join(dir, 'prio'), '6\n');
    await l.waitForState('b', 'web', 'MASTER', 5000);
    expect(await l.instance('a', 'web')).toMatchObject({ state: 'BACKUP', effective_priority: 90 });
    writeFileSync(join(dir, 'prio'), 'garbage\n'); // refused: the last value stays
    await new Promise((r) => setTimeout(r, 500));
    expect(await l.instance('a', 'web')).toMatchObject({ state: 'BACKUP', effective_priority: 90 });
    writeFileSync(join(dir, 'prio'), '0\n');
    await expectAMasterAtFull(l);
  });

  it('a tracked route removed lowers the priority and the peer takes over; added back, a takes back', async () => {
    if (!lab) throw new Error('no lab');
    const l = lab;
    l.netns.ip(l.router('a').ns, ['route', 'del', ROUTE, 'table', '100']);
    await l.waitForState('b', 'web', 'MASTER', 5000);
    expect(await l.instance('a', 'web')).toMatchObject({ state: 'BACKUP', effective_priority: 50 });
    // The same prefix in another table does not count.
    l.netns.ip(l.router('a').ns, ['route', 'add', ROUTE, 'dev', 'eth0']);
    await new Promise((r) => setTimeout(r, 500));
    expect(await l.instance('a', 'web')).toMatchObject({ state: 'BACKUP', effective_priority: 50 });
    l.netns.ip(l.router('a').ns, ['route', 'add', ROUTE, 'dev', 'eth0', 'table', '100']);
    await expectAMasterAtFull(l);
    // The scan thread left real-time scheduling without complaint.
    expect(l.logLines('a').filter((line) => String(line.msg).includes('process-scan thread'))).toEqual([]);
  });
});
