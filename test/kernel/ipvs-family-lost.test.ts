/**
 * Kernel tier: `ip_vs` unloaded and loaded again under a running daemon (one
 * VM boot). The generic netlink family comes back under a new id, so a
 * daemon that resolved the id once could never reconcile again. lvs-ha hears
 * nlctrl announce the family's removal and return, connects afresh and
 * restores the table at once: well before its 60 s drift repair or 30 s
 * reconnect timer would have (nothing else asks it to), counting it in status.
 * (A dump answering ENOENT takes the same path: unit-tested.)
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, runInVm, type VmRunResult } from '../helpers/vm/index.js';

const CONFIG = `node: lvf-family
virtual_servers:
  - name: web
    address: 10.50.1.1
    port: 80
    scheduler: rr
    forwarding: nat
    real_servers: [{ address: 10.50.2.2, port: 8080 }]
`;

const PAYLOAD = `
r=$LVK_RESULTS
lvs() { "$LVK_NODE" bin/lvs-ha.js "$@"; }
waitfor() { i=0; while ! eval "$1" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; eval "$1"; }
lvs run --config $r/c.yaml --socket /run/lvf-c.sock > $r/daemon.log 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null' EXIT
waitfor "ipvsadm -Ln | grep -q '10.50.2.2:8080'" || exit 10
ipvsadm -Ln > $r/table1.txt
cat /sys/module/ip_vs/refcnt > $r/refcnt.txt 2>&1
# The module goes away (its table with it) and comes back: a new generic netlink family id.
ipvsadm -C
modprobe -r ip_vs_rr ip_vs > $r/unload.txt 2>&1; echo $? > $r/unload.rc
[ -e /sys/module/ip_vs ] && echo loaded > $r/after-unload.txt || echo gone > $r/after-unload.txt
t0=$(date +%s%N)
modprobe ip_vs || exit 11
waitfor "ipvsadm -Ln | grep -q '10.50.2.2:8080'"; echo $? > $r/restored.rc
echo $(( ($(date +%s%N) - t0) / 1000000 )) > $r/restored-ms.txt
ipvsadm -Ln > $r/table2.txt
lvs status --json --socket /run/lvf-c.sock > $r/status.json 2> $r/status.err
exit 0
`;

describe('ip_vs unloaded and loaded again under a running daemon', () => {
  let run: VmRunResult;
  const result = (f: string): string => run.readResult(f).trim();

  beforeAll(async () => {
    assertBuilt(['dist/director/engine.js', 'dist/lvs/reconciler.js', 'dist/cli/main.js']);
    run = await runInVm({
      name: 'lvf-family',
      script: PAYLOAD,
      files: { 'c.yaml': CONFIG },
      modules: ['ip_vs', 'ip_vs_rr'],
      timeoutMs: 300_000,
    });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  });

  test('the payload ran to the end, and the module really went away', () => {
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(result('unload.rc'), result('unload.txt')).toBe('0');
    expect(result('after-unload.txt')).toBe('gone');
  });

  test('the family comes back: the daemon reconnects at once, the table is back, and status counts the lost family once', () => {
    expect(result('restored.rc'), `${result('table2.txt')}\n${run.readResult('daemon.log').slice(-3000)}`).toBe('0');
    expect(result('table2.txt')).toContain('TCP  10.50.1.1:80 rr');
    expect(result('table2.txt')).toContain('-> 10.50.2.2:8080');
    // No reload, no timer: the family watch did it (the repair timer is 60 s, the reconnect timer 30 s).
    console.log(`table back ${result('restored-ms.txt')} ms after modprobe ip_vs`);
    expect(Number(result('restored-ms.txt'))).toBeLessThan(25_000);
    // nlctrl's removal notice drove it (by then modprobe had usually loaded ip_vs again, so the
    // reconnect right after it succeeds; otherwise the 'family is back' notice connects).
    expect(run.readResult('daemon.log')).toContain('"reason":"nlctrl: the IPVS family was removed"');
    const status = JSON.parse(result('status.json')) as { reconcile: { ipvs: string; family_lost: number; connect_errors: number } };
    expect(status.reconcile).toMatchObject({ ipvs: 'connected', family_lost: 1 });
    expect(run.readResult('daemon.log')).toContain('the IPVS generic netlink family is gone (ip_vs unloaded?): reconnecting');
  });
});
