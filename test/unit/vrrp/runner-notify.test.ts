import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { notifyArgv, NotifyQueue, notifyRuns } from '../../../src/vrrp/notify.js';
import { findUser } from '../../../src/os/accounts.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A node one-liner that sleeps `ms` then appends its extra args to `file`. */
function appender(file: string): string[] {
  return [process.execPath, '-e', `const [ms, ...a] = process.argv.slice(1); setTimeout(() => require('fs').appendFileSync(${JSON.stringify(file)}, a.join(' ') + '\\n'), Number(ms));`];
}

describe('notify', () => {
  it('appends instance, from, to and priority after the configured argv', () => {
    expect(notifyArgv({ command: ['/usr/local/bin/n', 'web'], instance: 'web', from: 'BACKUP', to: 'MASTER', priority: 150 }))
      .toEqual(['/usr/local/bin/n', 'web', 'web', 'BACKUP', 'MASTER', '150']);
  });

  it('per-state commands run as written, before command; INIT is stop; nothing configured, nothing run', () => {
    const notify = { command: ['/n'], master: ['/up', 'x'], backup: null, fault: ['/fault'], stop: ['/stop'] };
    const base = { instance: 'web', from: 'BACKUP', priority: 150 };
    expect(notifyRuns(notify, { ...base, to: 'MASTER' }).map(notifyArgv)).toEqual([['/up', 'x'], ['/n', 'web', 'BACKUP', 'MASTER', '150']]);
    expect(notifyRuns(notify, { ...base, to: 'BACKUP' }).map(notifyArgv)).toEqual([['/n', 'web', 'BACKUP', 'BACKUP', '150']]);
    expect(notifyRuns(notify, { ...base, to: 'FAULT' }).map(notifyArgv)).toEqual([['/fault'], ['/n', 'web', 'BACKUP', 'FAULT', '150']]);
    expect(notifyRuns({ ...notify, command: null }, { ...base, to: 'INIT' }).map(notifyArgv)).toEqual([['/stop']]);
    expect(notifyRuns(null, { ...base, to: 'MASTER' })).toEqual([]);
  });

  it('runs are serialised in transition order even when an earlier run is slower', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lve-notify-'));
    const file = join(dir, 'out');
    const q = new NotifyQueue(systemClock, silentLogger(), () => Promise.resolve(null));
    q.enqueue({ command: [...appender(file), '150'], instance: 'web', from: 'INIT', to: 'BACKUP', priority: 100 });
    q.enqueue({ command: [...appender(file), '0'], instance: 'web', from: 'BACKUP', to: 'MASTER', priority: 100 });
    q.enqueue({ command: [...appender(file), '0'], instance: 'web', from: 'MASTER', to: 'BACKUP', priority: 100 });
    await q.idle();
    expect(readFileSync(file, 'utf8')).toBe('web INIT BACKUP 100\nweb BACKUP MASTER 100\nweb MASTER BACKUP 100\n');
    expect(q.runs).toBe(3);
    expect(q.failures).toBe(0);
  });

  it('enqueue never waits for the script', () => {
    const q = new NotifyQueue(systemClock, silentLogger(), () => Promise.resolve(null));
    const start = performance.now();
    q.enqueue({ command: [process.execPath, '-e', 'setTimeout(() => {}, 300)'], instance: 'w', from: 'A', to: 'B', priority: 1 });
    expect(performance.now() - start).toBeLessThan(50);
    return q.idle();
  });

  it('drain: queued runs get a grace period, then the running one is killed and the rest dropped', async () => {
    const q = new NotifyQueue(systemClock, silentLogger(), () => Promise.resolve(null));
    const hang = [process.execPath, '-e', 'setTimeout(() => {}, 10000)'];
    q.enqueue({ command: hang, instance: 'w', from: 'A', to: 'B', priority: 1 });
    q.enqueue({ command: hang, instance: 'w', from: 'B', to: 'A', priority: 1 });
    const start = performance.now();
    await q.drain(200);
    expect(performance.now() - start).toBeLessThan(2000);
    expect(q.runs).toBe(1);
    expect(q.failures).toBe(1);
    expect(q.dropped).toBe(1);
  });

  it('a failing script user lookup refuses the run (never falls back to root)', async () => {
    const q = new NotifyQueue(systemClock, silentLogger(), () => Promise.reject(new Error('no such user')));
    q.enqueue({ command: ['/bin/true'], instance: 'w', from: 'A', to: 'B', priority: 1 });
    await q.idle();
    expect(q.runs).toBe(0);
    expect(q.failures).toBe(1);
  });
});

describe('script user', () => {
  it('parses passwd lines', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\nlvs-ha-script:x:998:997::/nonexistent:/usr/sbin/nologin\n';
    expect(findUser(passwd, 'lvs-ha-script')).toEqual({ name: 'lvs-ha-script', uid: 998, gid: 997, home: '/nonexistent' });
    expect(findUser(passwd, 'nobody')).toBeNull();
  });
});
