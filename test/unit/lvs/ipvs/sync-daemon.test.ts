/** Sync-daemon control over an in-memory IPVS: read, policy applied per role, failures reported not thrown. */
import { describe, expect, test } from 'vitest';
import type { IpvsSyncConfig } from '../../../../src/config/types.js';
import { applySyncForRole, readSyncDaemons, stopSyncDaemons, syncStatusJson } from '../../../../src/lvs/sync-daemon.js';
import { FakeIpvs } from './fake-ipvs.js';

const CFG: IpvsSyncConfig = {
  interface: 'eth1', syncId: 51, follow: 'web', group: { text: '224.0.0.81', family: 'ipv4' }, port: 8848, ttl: 1, maxLen: 1472,
  backupWhileMaster: false,
};

describe('sync-daemon control', () => {
  test('BACKUP starts the backup daemon; MASTER stops it first, then starts the master', async () => {
    const ipvs = new FakeIpvs();
    const b = await applySyncForRole(ipvs, 'BACKUP', CFG);
    expect(b.ops.map((o) => o.op)).toEqual(['StartDaemon']);
    expect(b.daemons).toMatchObject({ master: null, backup: { state: 'backup', interface: 'eth1', syncId: 51 } });
    const m = await applySyncForRole(ipvs, 'MASTER', CFG);
    expect(ipvs.calls.filter((c) => c.includes('Daemon ')).slice(1)).toEqual(['stopDaemon backup', 'startDaemon master']);
    expect(m.daemons).toMatchObject({ master: { state: 'master' }, backup: null });
    expect(syncStatusJson(m.daemons)).toEqual({
      master: { interface: 'eth1', sync_id: 51, group: '224.0.0.81', port: 8848, ttl: 1, max_len: 1472 }, backup: null,
    });
  });

  test('the same role again does nothing; no ipvs_sync in the config leaves the daemons alone', async () => {
    const ipvs = new FakeIpvs();
    await applySyncForRole(ipvs, 'BACKUP', CFG);
    expect((await applySyncForRole(ipvs, 'BACKUP', CFG)).ops).toEqual([]);
    const untouched = await applySyncForRole(ipvs, 'STOPPED', null);
    expect(untouched.ops).toEqual([]);
    expect((await readSyncDaemons(ipvs)).backup).not.toBeNull();
  });

  test('a refused start is reported with its kind, not thrown; STOPPED stops everything', async () => {
    const ipvs = new FakeIpvs();
    ipvs.failWhen = (m) => (m === 'startDaemon' ? FakeIpvs.err(19, 'NEW_DAEMON') : undefined);
    const r = await applySyncForRole(ipvs, 'MASTER', { ...CFG, backupWhileMaster: true });
    expect(r.failures.map((f) => f.kind)).toEqual(['ENODEV', 'ENODEV']);
    expect(r.failures[0]?.message).toMatch(/^\+ sync master eth1 syncid 51 224\.0\.0\.81:8848 ttl 1 maxlen 1472: IPVS NEW_DAEMON/);
    ipvs.failWhen = () => undefined;
    await applySyncForRole(ipvs, 'MASTER', { ...CFG, backupWhileMaster: true });
    expect((await stopSyncDaemons(ipvs)).daemons).toEqual({ master: null, backup: null });
  });

  test('a failed read throws (the caller decides)', async () => {
    const ipvs = new FakeIpvs();
    ipvs.failWhen = (m) => (m === 'getDaemons' ? FakeIpvs.err(1, 'GET_DAEMON') : undefined);
    await expect(applySyncForRole(ipvs, 'BACKUP', CFG)).rejects.toMatchObject({ errno: 1 });
  });
});
