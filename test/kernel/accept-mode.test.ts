/**
 * Kernel tier: accept_mode false with real IPVS (Debian's kernel, one VM boot). The
 * compiled reconciler, with the daemon's kernel adapters, applies the IPVS table and
 * lvs-ha's nftables table for a master (masters = {web}) and then for a backup
 * (masters = {}): what IPVS serves (a NAT service on the VIP, TCP 80) keeps working in
 * both; a ping and a TCP port no virtual server has are dropped while master and
 * answered (echo reply, RST) while backup; a second run as master writes nothing.
 *
 * Topology in the VM: client lva-c 10.62.1.2 -- director (root ns; VIP 10.62.1.1 on
 * lva-c0, 10.62.2.1 on lva-r0) -- real server lva-r 10.62.2.2:8080 (default via the
 * director: IPVS masquerading).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, runInVm, type VmRunResult } from '../helpers/vm/index.js';
import { peerEchoServer, RECONCILE_DRIVER } from '../helpers/vm/programs.js';
import { networkShell, teardownShell, type NetSpec } from '../../src/lab/netns.js';

const CONFIG = `node: lva-director
vrrp:
  instances:
    - name: web
      interface: lva-c0
      vrid: 51
      accept_mode: false
      virtual_addresses: [10.62.1.1/24]
virtual_servers:
  - name: echo
    address: 10.62.1.1
    port: 80
    scheduler: rr
    forwarding: nat
    real_servers: [{ address: 10.62.2.2, port: 8080 }]
`;

// argv: results dir, name, port. Connects (2 s), sends a line, records the reply or the error.
const CLIENT = `import json, socket, sys
r, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {}
try:
    s = socket.create_connection(('10.62.1.1', port), timeout=2)
    s.sendall(b'hello\\n')
    out['reply'] = s.recv(100).decode().strip()
except Exception as e:
    out['error'] = repr(e)
json.dump(out, open(f'{r}/{name}.json', 'w'))
`;

/** The director is the VM's own namespace: a client and a NAT real server (routed back through it) on veths. */
const NETWORK: NetSpec = {
  namespaces: [{ name: 'lva-c' }, { name: 'lva-r' }],
  veths: [
    { a: { netns: null, ifname: 'lva-c0', addresses: ['10.62.1.1/24'] }, b: { netns: 'lva-c', ifname: 'lva-c1', addresses: ['10.62.1.2/24'] } },
    { a: { netns: null, ifname: 'lva-r0', addresses: ['10.62.2.1/24'] }, b: { netns: 'lva-r', ifname: 'lva-r1', addresses: ['10.62.2.2/24'] } },
  ],
  routes: [{ netns: 'lva-r', to: 'default', via: '10.62.2.1' }],
};

const PAYLOAD = String.raw`
r=$LVK_RESULTS
py=/usr/bin/python3
cleanup() { ${teardownShell(NETWORK)}
}
trap cleanup EXIT
echo 1 > /proc/sys/net/ipv4/ip_forward
${networkShell(NETWORK, 10)}
ip netns exec lva-r $py $r/echo.py > $r/echo.log 2>&1 &
echo_pid=$!
sleep 1
probe() {
  ip netns exec lva-c $py $r/client.py $r $1-80 80
  ip netns exec lva-c $py $r/client.py $r $1-22 22
  if ip netns exec lva-c ping -c1 -W1 10.62.1.1 > $r/$1-ping.log 2>&1; then echo ok > $r/$1-ping.txt; else echo lost > $r/$1-ping.txt; fi
}
"$LVK_NODE" $r/driver.mjs $r/c.yaml apply web > $r/master1.json 2> $r/master1.err || exit 14
nft -a list table inet lvs_ha > $r/table-master1.txt
probe master
"$LVK_NODE" $r/driver.mjs $r/c.yaml apply web > $r/master2.json 2> $r/master2.err || exit 15
nft -a list table inet lvs_ha > $r/table-master2.txt
"$LVK_NODE" $r/driver.mjs $r/c.yaml apply '' > $r/backup.json 2> $r/backup.err || exit 16
nft -a list table inet lvs_ha > $r/table-backup.txt 2>&1
probe backup
kill $echo_pid 2>/dev/null
exit 0
`;

interface Apply { ok: boolean; ops: string[]; failed: number; nft: { state: string; applies: number; last_apply: { changes: string[] } | null } | null }
interface Client { reply?: string; error?: string }

describe('accept_mode false with real IPVS', () => {
  let run: VmRunResult;
  const result = (f: string): string => run.readResult(f);
  const apply = (f: string): Apply => JSON.parse(result(f)) as Apply;
  const client = (f: string): Client => JSON.parse(result(f)) as Client;

  beforeAll(async () => {
    assertBuilt(['dist/lvs/reconciler.js', 'dist/lvs/nft/vip-filter.js', 'dist/lvs/nft/desired.js']);
    run = await runInVm({
      name: 'lva-accept',
      script: PAYLOAD,
      files: { 'driver.mjs': RECONCILE_DRIVER, 'c.yaml': CONFIG, 'echo.py': peerEchoServer(8080), 'client.py': CLIENT },
      modules: ['ip_vs', 'ip_vs_rr', 'veth', 'nf_tables'],
      timeoutMs: 300_000,
    });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  });

  test('the payload ran to the end', () => {
    expect(run.exitCode, describeRun(run)).toBe(0);
  });

  test('master: the service and the VIP filter are applied', () => {
    expect(apply('master1.json')).toMatchObject({ ok: true, ops: ['AddService', 'AddDest'], failed: 0, nft: { state: 'in_sync', applies: 1 } });
    // nft prints priority -1 as "filter - 1" and our "meta l4proto tcp th dport 80" as "tcp dport 80".
    expect(result('table-master1.txt')).toContain('type filter hook input priority filter - 1; policy accept;');
    expect(result('table-master1.txt')).toMatch(/ip daddr 10\.62\.1\.1 tcp dport 80 accept comment "served echo #[0-9a-f]{12}"/);
    expect(result('table-master1.txt')).toMatch(/ip daddr 10\.62\.1\.1 drop comment "drop ipv4 vips #[0-9a-f]{12}"/);
  });

  test('master: IPVS still serves the VIP (the real server answers); a ping and TCP 22 to the VIP are dropped', () => {
    expect(client('master-80.json')).toEqual({ reply: '10.62.1.2 hello' });
    expect(client('master-22.json').error).toMatch(/timed out|timeout/i);
    expect(result('master-ping.txt').trim()).toBe('lost');
  });

  test('a second run as master writes nothing', () => {
    expect(apply('master2.json')).toMatchObject({ ok: true, ops: [], failed: 0, nft: { state: 'in_sync', applies: 0 } });
    expect(result('table-master2.txt')).toBe(result('table-master1.txt'));
  });

  test('backup: the filter goes; ping answered, TCP 22 refused by the kernel, IPVS still serves', () => {
    expect(apply('backup.json')).toMatchObject({ ok: true, ops: [], failed: 0, nft: { state: 'absent', applies: 1 } });
    expect(result('table-backup.txt')).toMatch(/No such file or directory/);
    expect(client('backup-80.json')).toEqual({ reply: '10.62.1.2 hello' });
    expect(client('backup-22.json').error).toMatch(/ConnectionRefused/);
    expect(result('backup-ping.txt').trim()).toBe('ok');
  });
});
