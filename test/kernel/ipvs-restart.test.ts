/**
 * Kernel tier: a restart of lvs-ha performs zero operations and an established
 * connection through the service is unaffected (one VM boot).
 *
 * Topology in the VM: client netns lvi-c (10.50.1.2) -- director (root ns,
 * VIP 10.50.1.1) -- real server netns lvi-r (10.50.2.2, echo server on 8080);
 * service tcp 10.50.1.1:80 -> 10.50.2.2:8080 masq, applied by lvs-ha's
 * reconciler (compiled code). A client connection is established and used,
 * then a fresh process reconciles again ("restart"): 0 operations, the
 * connection entry is still there, and the same connection still works.
 * Negative half: what a daemon that does not read the kernel does at start
 * (flush, then add again; seesaw) with expire_nodest_conn=1 breaks a second
 * established connection, so the check above can tell the two apart.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { parseIpVsConn, renderConnections } from '../../src/lvs/ipvs/connections.js';
import { assertBuilt, describeRun, runInVm, type VmRunResult } from '../helpers/vm/index.js';
import { echoServer, HELD_CLIENT, heldOne, RECONCILE_DRIVER, type HeldOne } from '../helpers/vm/programs.js';
import { networkShell, teardownShell, type NetSpec } from '../../src/lab/netns.js';

const CONFIG = `node: lvi-restart
virtual_servers:
  - name: echo
    address: 10.50.1.1
    port: 80
    scheduler: rr
    forwarding: nat
    real_servers: [{ address: 10.50.2.2, port: 8080 }]
`;

// The daemon side of status --connections (readIpVsConnections from the compiled code), as JSON.
const CONNS = String.raw`
const { readIpVsConnections, connectionsJson } = await import(process.cwd() + '/dist/lvs/ipvs/index.js');
console.log(JSON.stringify(connectionsJson(await readIpVsConnections())));
`;

const ECHO = echoServer(8080);

/** The director is the VM's own namespace: a client and a real server (routed back through it) on veths. */
const NETWORK: NetSpec = {
  namespaces: [{ name: 'lvi-c' }, { name: 'lvi-r' }],
  veths: [
    { a: { netns: null, ifname: 'lvi-c0', addresses: ['10.50.1.1/24'] }, b: { netns: 'lvi-c', ifname: 'lvi-c1', addresses: ['10.50.1.2/24'] } },
    { a: { netns: null, ifname: 'lvi-r0', addresses: ['10.50.2.1/24'] }, b: { netns: 'lvi-r', ifname: 'lvi-r1', addresses: ['10.50.2.2/24'] } },
  ],
  routes: [{ netns: 'lvi-r', to: 'default', via: '10.50.2.1' }],
};

const PAYLOAD = `
r=$LVK_RESULTS
py=/usr/bin/python3
waitfor() { i=0; while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
cleanup() { ${teardownShell(NETWORK)}
}
trap cleanup EXIT
echo 1 > /proc/sys/net/ipv4/ip_forward
${networkShell(NETWORK, 10)}
ip netns exec lvi-r $py $r/echo.py > $r/echo.log 2>&1 &
echo_pid=$!
"$LVK_NODE" $r/driver.mjs $r/c.yaml > $r/apply1.json 2> $r/apply1.err || exit 14
ipvsadm -Ln > $r/table1.txt
# 1. An established connection, then a restart (a new process reconciling the same config).
ip netns exec lvi-c $py $r/held.py $r one 10.50.1.1 80 1 --hold > $r/one.log 2>&1 &
waitfor $r/one.connected || exit 15
ipvsadm -Lnc > $r/conns-before.txt
cat /proc/net/ip_vs_conn > $r/proc-conn.txt
"$LVK_NODE" $r/conns.mjs > $r/conns-read.json 2> $r/conns-read.err || exit 21
"$LVK_NODE" $r/driver.mjs $r/c.yaml > $r/apply2.json 2> $r/apply2.err || exit 16
ipvsadm -Lnc > $r/conns-after.txt
ipvsadm -Ln > $r/table2.txt
touch $r/one.go; waitfor $r/one.jsonl || exit 17
# 2. Negative: flush and add again (a daemon blind to the kernel), connections to gone destinations expire.
echo 1 > /proc/sys/net/ipv4/vs/expire_nodest_conn
ip netns exec lvi-c $py $r/held.py $r two 10.50.1.1 80 1 --hold > $r/two.log 2>&1 &
waitfor $r/two.connected || exit 18
ipvsadm -C
"$LVK_NODE" $r/driver.mjs $r/c.yaml > $r/apply3.json 2> $r/apply3.err || exit 19
touch $r/two.go; waitfor $r/two.jsonl || exit 20
kill $echo_pid 2>/dev/null
exit 0
`;

interface Apply { ok: boolean; ops: string[]; applied: number; failed: number }

describe('restart: zero operations, an established connection through the service is unaffected', () => {
  let run: VmRunResult;
  const result = (f: string): string => run.readResult(f);
  const apply = (f: string): Apply => JSON.parse(result(f)) as Apply;
  const client = (f: string): HeldOne => heldOne(result(f));
  // The table without the connection counters (ActiveConn/InActConn change with the client).
  const table = (f: string): string => result(f).split('\n').map((l) => l.trim().split(/\s+/).slice(0, 4).join(' ')).join('\n');

  beforeAll(async () => {
    assertBuilt(['dist/lvs/reconciler.js', 'dist/lvs/reconcile-desired.js', 'dist/lvs/ipvs/connections-read.js']);
    run = await runInVm({
      name: 'lvi-restart',
      script: PAYLOAD,
      files: { 'driver.mjs': RECONCILE_DRIVER, 'conns.mjs': CONNS, 'c.yaml': CONFIG, 'echo.py': ECHO, 'held.py': HELD_CLIENT },
      modules: ['ip_vs', 'ip_vs_rr', 'veth'],
      timeoutMs: 300_000,
    });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  });

  test('the payload ran to the end', () => {
    expect(run.exitCode, describeRun(run)).toBe(0);
  });

  test('the first run applied the service; the restart performed zero operations and the table is unchanged', () => {
    expect(apply('apply1.json')).toMatchObject({ ok: true, ops: ['AddService', 'AddDest'], applied: 2, failed: 0 });
    expect(apply('apply2.json')).toMatchObject({ ok: true, ops: [], applied: 0, failed: 0 });
    expect(table('table2.txt')).toBe(table('table1.txt'));
    expect(table('table1.txt')).toContain('TCP 10.50.1.1:80 rr');
    expect(result('table1.txt')).toContain('-> 10.50.2.2:8080');
  });

  test('the established connection keeps its entry and still works after the restart', () => {
    const one = client('one.jsonl');
    expect(one).toMatchObject({ first: 'ping1', second: 'ping2', secondError: null });
    const entry = new RegExp(`ESTABLISHED\\s+10\\.50\\.1\\.2:${one.port ?? 0}\\s+10\\.50\\.1\\.1:80\\s+10\\.50\\.2\\.2:8080`);
    expect(result('conns-before.txt')).toMatch(entry);
    expect(result('conns-after.txt')).toMatch(entry);
  });

  test('/proc/net/ip_vs_conn, parsed for status --connections, agrees with ipvsadm -Lnc', () => {
    const port = client('one.jsonl').port ?? 0;
    const { connections, skipped } = parseIpVsConn(result('proc-conn.txt'));
    expect(skipped).toBe(0);
    const mine = connections.find((c) => c.client.port === port);
    expect(mine).toMatchObject({
      protocol: 'TCP', client: { address: '10.50.1.2' }, virtual: { address: '10.50.1.1', port: 80 },
      destination: { address: '10.50.2.2', port: 8080 }, state: 'ESTABLISHED',
    });
    const line = renderConnections(mine === undefined ? [] : [mine]).split('\n')[1] ?? '';
    const words = (l: string): string[] => l.trim().split(/\s+/).filter((_w, i) => i !== 1); // expiry differs by a second or so
    expect(result('conns-before.txt').split('\n').map(words)).toContainEqual(words(line));
  });

  test('readIpVsConnections (what the daemon answers for status --connections) lists the live connection', () => {
    const port = client('one.jsonl').port ?? 0;
    const read = JSON.parse(result('conns-read.json')) as { available: boolean; skipped: number; connections: Record<string, unknown>[] };
    expect(read).toMatchObject({ available: true, skipped: 0 });
    expect(read.connections).toContainEqual(expect.objectContaining({
      protocol: 'TCP', client: '10.50.1.2', client_port: port, virtual: '10.50.1.1', virtual_port: 80,
      destination: '10.50.2.2', destination_port: 8080, state: 'ESTABLISHED',
    }));
    const listed = result('conns-before.txt').split('\n').filter((l) => /^(TCP|UDP|SCTP)\s/.test(l));
    expect(read.connections).toHaveLength(listed.length);
  });

  test('negative: flush and re-add (a daemon blind to the kernel) breaks an established connection', () => {
    expect(apply('apply3.json')).toMatchObject({ ok: true, applied: 2 });
    const two = client('two.jsonl');
    expect(two.first).toBe('ping1');
    expect(two.second, JSON.stringify(two)).toBeNull();
    expect(two.secondError).toMatch(/ConnectionResetError|timed out/);
  });
});
