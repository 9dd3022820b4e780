import { describe, expect, it } from 'vitest';
import type { IpvsSyncConfig } from '../../../src/config/types.js';
import {
  applyDaemonPlan,
  daemonParams,
  effectiveMaxLen,
  NO_SYNC_DAEMONS,
  sameDaemon,
  syncDaemonPlan,
  wantedSyncDaemons,
  type SyncDaemons,
} from '../../../src/lvs/sync-policy.js';
import { exampleConfig } from './plan-fixtures.js';

function syncOf(name: string): IpvsSyncConfig {
  const cfg = exampleConfig(name).ipvsSync;
  if (cfg === null) throw new Error(`${name} has no ipvs_sync`);
  return cfg;
}

const V4 = syncOf('director-a.yaml');
const V6 = syncOf('ipv6-service.yaml');

describe('wantedSyncDaemons (role policy)', () => {
  it('MASTER: the master daemon with the configured parameters', () => {
    expect(wantedSyncDaemons('MASTER', V4)).toEqual({
      master: { state: 'master', interface: 'eth1', syncId: 51, group: '224.0.0.81', groupFamily: 'ipv4', port: 8848, ttl: 1, maxLen: 1472 },
      backup: null,
    });
  });

  it('MASTER with backupWhileMaster: both', () => {
    const w = wantedSyncDaemons('MASTER', V4, { backupWhileMaster: true });
    expect(w?.master?.state).toBe('master');
    expect(w?.backup?.state).toBe('backup');
  });

  it('BACKUP, INIT and FAULT: the backup daemon only', () => {
    for (const role of ['BACKUP', 'INIT', 'FAULT'] as const) {
      expect(wantedSyncDaemons(role, V4)).toEqual({ master: null, backup: daemonParams('backup', V4) });
    }
  });

  it('STOPPED: none', () => {
    expect(wantedSyncDaemons('STOPPED', V4)).toEqual(NO_SYNC_DAEMONS);
  });

  it('no ipvs_sync in the config: the daemons are not ours (null, no operations)', () => {
    expect(wantedSyncDaemons('MASTER', null)).toBeNull();
    const live: SyncDaemons = { master: daemonParams('master', V4), backup: null };
    expect(syncDaemonPlan(live, null)).toEqual([]);
  });

  it('an IPv6 group is carried with its family', () => {
    expect(wantedSyncDaemons('BACKUP', V6)?.backup).toMatchObject({ group: 'ff02::81', groupFamily: 'ipv6', maxLen: 1452, syncId: 51 });
  });
});

describe('syncDaemonPlan', () => {
  const master = daemonParams('master', V4);
  const backup = daemonParams('backup', V4);

  it('BACKUP -> MASTER: stop the backup, then start the master', () => {
    const ops = syncDaemonPlan({ master: null, backup }, wantedSyncDaemons('MASTER', V4));
    expect(ops).toEqual([
      { op: 'StopDaemon', state: 'backup', previous: backup },
      { op: 'StartDaemon', params: master },
    ]);
  });

  it('MASTER -> BACKUP: stop the master, then start the backup', () => {
    const ops = syncDaemonPlan({ master, backup: null }, wantedSyncDaemons('BACKUP', V4));
    expect(ops.map((o) => o.op)).toEqual(['StopDaemon', 'StartDaemon']);
    expect(applyDaemonPlan({ master, backup: null }, ops)).toEqual({ master: null, backup });
  });

  it('in sync: no operations', () => {
    expect(syncDaemonPlan({ master, backup: null }, wantedSyncDaemons('MASTER', V4))).toEqual([]);
    expect(syncDaemonPlan(NO_SYNC_DAEMONS, NO_SYNC_DAEMONS)).toEqual([]);
  });

  it('shutdown stops both', () => {
    const ops = syncDaemonPlan({ master, backup }, wantedSyncDaemons('STOPPED', V4));
    expect(ops.map((o) => (o.op === 'StopDaemon' ? o.state : 'start'))).toEqual(['master', 'backup']);
  });

  it('a changed parameter restarts that daemon', () => {
    const changed: IpvsSyncConfig = { ...V4, syncId: 52 };
    const ops = syncDaemonPlan({ master, backup: null }, wantedSyncDaemons('MASTER', changed));
    expect(ops).toEqual([
      { op: 'StopDaemon', state: 'master', previous: master },
      { op: 'StartDaemon', params: { ...master, syncId: 52 } },
    ]);
  });

  it('compares as the kernel reports: a clamped max_len or ttl 0 is not a change', () => {
    const small: IpvsSyncConfig = { ...V4, maxLen: 600 };
    const reported = { ...daemonParams('backup', small), maxLen: 1024 };
    expect(syncDaemonPlan({ master: null, backup: reported }, wantedSyncDaemons('BACKUP', small))).toEqual([]);
    expect(sameDaemon({ ...master, ttl: 0 }, { ...master, ttl: 1 })).toBe(true);
    expect(sameDaemon(master, { ...master, ttl: 2 })).toBe(false);
  });
});

describe('effectiveMaxLen', () => {
  it('clamps to [1 | 1024, 65535 - headers]', () => {
    expect(effectiveMaxLen('master', 'ipv4', 600)).toBe(600);
    expect(effectiveMaxLen('backup', 'ipv4', 600)).toBe(1024);
    expect(effectiveMaxLen('master', 'ipv4', 70000)).toBe(65507);
    expect(effectiveMaxLen('master', 'ipv6', 70000)).toBe(65487);
    expect(effectiveMaxLen('backup', 'ipv6', 1452)).toBe(1452);
  });
});
