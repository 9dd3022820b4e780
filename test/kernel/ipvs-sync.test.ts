/**
 * Kernel tier: session preservation with the kernel sync daemons driven by
 * lvs-ha's code (one VM boot, both halves).
 *
 * Topology in the VM (../shared/docs/test-environment.md): a bridge joining two
 * directors (netns lvi-d1, lvi-d2, each with its own IPVS table, applied by
 * lvs-ha's reconciler from the same config), two DR real servers (VIP on lo,
 * arp_ignore=1, arp_announce=2, echo server on port 80) and a client. The
 * client opens 6 connections to VIP:80 and uses them; the VIP moves from
 * director 1 to director 2 (address moved, the client's neighbour entry
 * pointed at director 2, as a gratuitous ARP would); the client uses the same
 * 6 connections again.
 * - With sync (director 1 MASTER -> master daemon, director 2 BACKUP -> backup
 *   daemon, via applySyncForRole): director 2 lists the 6 connections before
 *   the move and 6 of 6 keep working.
 * - Without sync (daemons stopped by lvs-ha, role STOPPED): 0 of 6 survive.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, runInVm, type VmRunResult } from '../helpers/vm/index.js';
import { echoServer, HELD_CLIENT, heldRounds, RECONCILE_DRIVER, type HeldRun } from '../helpers/vm/programs.js';
import { drLanSpec, networkShell, teardownShell } from '../../src/lab/netns.js';

const CONFIG = `node: lvi-sync
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 60, priority: 100, virtual_addresses: [10.60.0.100/32] }
ipvs_sync: { interface: eth0, follow: web, sync_id: 60 }
virtual_servers:
  - name: echo
    address: 10.60.0.100
    port: 80
    scheduler: rr
    forwarding: dr
    real_servers: [{ address: 10.60.0.21, port: 80 }, { address: 10.60.0.22, port: 80 }]
`;

const ECHO = echoServer(80);

const NETWORK = drLanSpec('lvi', '10.60.0', [{ name: 'd1', octet: 11 }, { name: 'd2', octet: 12 }, { name: 'r1', octet: 21 }, { name: 'r2', octet: 22 }, { name: 'c', octet: 2 }], ['r1', 'r2'], ['10.60.0.100']);

const PAYLOAD = `
r=$LVK_RESULTS
py=/usr/bin/python3
n() { ip netns exec "$@"; }
waitfor() { i=0; while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
trap '${teardownShell(NETWORK)}' EXIT
${networkShell(NETWORK, 10)}
for h in r1 r2; do n lvi-$h $py $r/echo.py > $r/echo-$h.log 2>&1 & done
mac() { ip -n lvi-$1 -o link show eth0 | sed 's/.*link.ether \\([0-9a-f:]*\\).*/\\1/'; }
to() { ip -n lvi-c neigh replace 10.60.0.100 lladdr $(mac $1) dev eth0 nud permanent; }
for d in d1 d2; do n lvi-$d "$LVK_NODE" $r/driver.mjs $r/c.yaml apply > $r/apply-$d.json 2> $r/apply-$d.err || exit 12; done
sleep 1
round() { # name sync(yes|no)
  ip -n lvi-d2 addr del 10.60.0.100/32 dev eth0 2>/dev/null; ip -n lvi-d1 addr add 10.60.0.100/32 dev eth0; to d1
  if [ $2 = yes ]; then
    n lvi-d2 "$LVK_NODE" $r/driver.mjs $r/c.yaml sync BACKUP > $r/$1-sync-d2.json 2>&1
    n lvi-d1 "$LVK_NODE" $r/driver.mjs $r/c.yaml sync MASTER > $r/$1-sync-d1.json 2>&1
  else
    for d in d1 d2; do n lvi-$d "$LVK_NODE" $r/driver.mjs $r/c.yaml sync STOPPED > $r/$1-sync-$d.json 2>&1; done
  fi
  n lvi-d1 ipvsadm -L --daemon > $r/$1-daemon-d1.txt; n lvi-d2 ipvsadm -L --daemon > $r/$1-daemon-d2.txt
  n lvi-c $py $r/held.py $r $1 10.60.0.100 80 6 --hold > $r/$1-client.log 2>&1 &
  waitfor $r/$1.connected || exit 13
  sleep 4   # the master flushes its sync buffer at least every 2 s
  n lvi-d1 ipvsadm -Lnc > $r/$1-conns-d1.txt; n lvi-d2 ipvsadm -Lnc > $r/$1-conns-d2.txt
  ip -n lvi-d1 addr del 10.60.0.100/32 dev eth0; ip -n lvi-d2 addr add 10.60.0.100/32 dev eth0; to d2
  touch $r/$1.go; waitfor $r/$1.jsonl || exit 14
}
round with yes
round without no
exit 0
`;

interface SyncResult { ops: string[]; failures: string[]; daemons: { master: unknown; backup: unknown } }

const established = (text: string): number => text.split('\n').filter((l) => /ESTABLISHED\s+10\.60\.0\.2:\d+\s+10\.60\.0\.100:80\s+10\.60\.0\.2[12]:80/.test(l)).length;

const clientPorts = (text: string): string[] =>
  text.split('\n').flatMap((l) => /ESTABLISHED\s+(10\.60\.0\.2:\d+)\s+10\.60\.0\.100:80/.exec(l)?.[1] ?? []);

describe('session preservation across a VIP move, sync daemons driven by lvs-ha', () => {
  let run: VmRunResult;
  const result = (f: string): string => run.readResult(f);
  const held = (f: string): HeldRun => heldRounds(result(f));
  const sync = (f: string): SyncResult => JSON.parse(result(f)) as SyncResult;

  beforeAll(async () => {
    assertBuilt(['dist/lvs/reconciler.js', 'dist/lvs/sync-daemon.js']);
    run = await runInVm({
      name: 'lvi-sync',
      script: PAYLOAD,
      files: { 'driver.mjs': RECONCILE_DRIVER, 'c.yaml': CONFIG, 'echo.py': ECHO, 'held.py': HELD_CLIENT },
      modules: ['ip_vs', 'ip_vs_rr', 'veth', 'bridge'],
      timeoutMs: 400_000,
    });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  });

  test('the payload ran to the end; both directors got the table from lvs-ha', () => {
    expect(run.exitCode, describeRun(run)).toBe(0);
    for (const d of ['d1', 'd2']) expect(JSON.parse(result(`apply-${d}.json`))).toMatchObject({ ok: true, applied: 3, failed: 0 });
  });

  test('with sync: master on director 1, backup on director 2; director 2 holds the 6 connections; 6 of 6 survive the move', () => {
    expect(sync('with-sync-d1.json')).toMatchObject({ ops: ['StartDaemon master'], failures: [], daemons: { backup: null } });
    expect(sync('with-sync-d2.json')).toMatchObject({ ops: ['StartDaemon backup'], failures: [], daemons: { master: null } });
    expect(result('with-daemon-d1.txt')).toContain('master sync daemon (mcast=eth0, syncid=60');
    expect(result('with-daemon-d2.txt')).toContain('backup sync daemon (mcast=eth0, syncid=60');
    expect(established(result('with-conns-d1.txt'))).toBe(6);
    expect(established(result('with-conns-d2.txt')), result('with-conns-d2.txt')).toBe(6);
    const h = held('with.jsonl');
    expect(h.first).toMatchObject({ answers: Array(6).fill('ping1'), errors: Array(6).fill(null) });
    expect(h.second).toMatchObject({ answers: Array(6).fill('ping2'), errors: Array(6).fill(null) });
  });

  test('without sync (daemons stopped by lvs-ha): director 2 has no entries and 0 of 6 survive', () => {
    expect(sync('without-sync-d1.json')).toMatchObject({ ops: ['StopDaemon master'], failures: [], daemons: { master: null, backup: null } });
    expect(sync('without-sync-d2.json')).toMatchObject({ ops: ['StopDaemon backup'], failures: [], daemons: { master: null, backup: null } });
    expect(result('without-daemon-d1.txt').trim()).toBe('');
    // Director 1 also still lists the 6 connections of the first round (moved away, not yet expired).
    const firstRound = new Set(clientPorts(result('with-conns-d1.txt')));
    const newOnD1 = clientPorts(result('without-conns-d1.txt')).filter((p) => !firstRound.has(p));
    expect(newOnD1).toHaveLength(6);
    // Director 2 knows none of them (only first-round entries, closing).
    const onD2 = result('without-conns-d2.txt').match(/10\.60\.0\.2:\d+/g) ?? [];
    expect(onD2.length).toBeGreaterThan(0); // the first round's entries are listed, so the listing works
    expect(onD2.filter((p) => newOnD1.includes(p))).toEqual([]);
    const h = held('without.jsonl');
    expect(h.first).toMatchObject({ answers: Array(6).fill('ping1'), errors: Array(6).fill(null) });
    expect(h.second?.answers).toEqual(Array(6).fill(null));
    expect(h.second?.errors.filter((e) => e !== null)).toHaveLength(6);
  });
});
