/**
 * Kernel tier: FULLNAT on Debian's kernel (one VM boot). IPVS masquerading with
 * net.ipv4.vs.conntrack=1 and lvs-ha's nftables SNAT table, all applied by the
 * compiled reconciler (the one the director engine runs, with the kernel
 * adapters the daemon uses: genetlink, /proc/sys, nft).
 *
 * Topology in the VM:
 *   client lvf-c 10.61.1.2 -- director (root ns; VIP 10.61.1.1, LIP 10.61.3.1 on
 *   the transit link) -- router lvf-g (10.61.3.2 | 10.61.2.1; NO route to the
 *   client subnet 10.61.1.0/24) -- real server lvf-r 10.61.2.2:8080 (default via
 *   the router, no VIP, nothing configured for LVS). The real server's echo
 *   answers with the source address it sees.
 *
 * 1. Start: the service, the SNAT table and conntrack=1 are applied; a client
 *    connection reaches the real server, which sees the LIP (not the client).
 * 2. Restart (a fresh process reconciling the same config): zero IPVS
 *    operations, no nft write (the table's listing with handles is
 *    byte-identical), the established connection still works, and a table of
 *    another owner (inet theirs) is byte-identical throughout.
 * 3. Negative half: with lvs-ha's table deleted by hand, a new connection
 *    fails (the real server's reply has no route to the client); the next
 *    reconcile puts the table back and new connections work again.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, runInVm, type VmRunResult } from '../helpers/vm/index.js';
import { HELD_CLIENT, heldOne, peerEchoServer, RECONCILE_DRIVER, type HeldOne } from '../helpers/vm/programs.js';
import { networkShell, teardownShell, type NetSpec } from '../../src/lab/netns.js';

const CONFIG = `node: lvf-fullnat
virtual_servers:
  - name: echo
    address: 10.61.1.1
    port: 80
    scheduler: rr
    forwarding: fullnat
    fullnat: { local_addresses: [10.61.3.1], interface: lvf-t0 }
    real_servers: [{ address: 10.61.2.2, port: 8080 }]
`;

/**
 * The director is the VM's own namespace: the client on a veth; the real server
 * behind router g (a transit veth to the director, a back veth to the real
 * server), with no route to the client's network.
 */
const NETWORK: NetSpec = {
  namespaces: [{ name: 'lvf-c' }, { name: 'lvf-g', sysctls: ['net.ipv4.ip_forward=1'] }, { name: 'lvf-r' }],
  veths: [
    { a: { netns: null, ifname: 'lvf-c0', addresses: ['10.61.1.1/24'] }, b: { netns: 'lvf-c', ifname: 'lvf-c1', addresses: ['10.61.1.2/24'] } },
    { a: { netns: null, ifname: 'lvf-t0', addresses: ['10.61.3.1/24'] }, b: { netns: 'lvf-g', ifname: 'lvf-t1', addresses: ['10.61.3.2/24'] } },
    { a: { netns: 'lvf-g', ifname: 'lvf-g0', addresses: ['10.61.2.1/24'] }, b: { netns: 'lvf-r', ifname: 'lvf-r1', addresses: ['10.61.2.2/24'] } },
  ],
  routes: [{ netns: null, to: '10.61.2.0/24', via: '10.61.3.2' }, { netns: 'lvf-r', to: 'default', via: '10.61.2.1' }],
};

const PAYLOAD = String.raw`
r=$LVK_RESULTS
py=/usr/bin/python3
waitfor() { i=0; while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
cleanup() { ${teardownShell(NETWORK)}
}
trap cleanup EXIT
echo 1 > /proc/sys/net/ipv4/ip_forward
${networkShell(NETWORK, 10)}
ip -n lvf-g route > $r/router-routes.txt
ip netns exec lvf-r $py $r/echo.py > $r/echo.log 2>&1 &
echo_pid=$!
# A table of another owner, present before lvs-ha starts.
printf 'table inet theirs {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 22 counter accept\n }\n}\n' | nft -f - || exit 16
nft -a list table inet theirs > $r/theirs-0.txt
sleep 1
cat /proc/sys/net/ipv4/vs/conntrack > $r/conntrack-0.txt
"$LVK_NODE" $r/driver.mjs $r/c.yaml > $r/apply1.json 2> $r/apply1.err || exit 17
cat /proc/sys/net/ipv4/vs/conntrack > $r/conntrack-1.txt
ipvsadm -Ln > $r/table1.txt
nft -a list table inet lvs_ha > $r/lvs-ha-1.txt
# 1. An established connection through the service.
ip netns exec lvf-c $py $r/held.py $r one 10.61.1.1 80 1 --timeout 3 --hold > $r/one.log 2>&1 &
waitfor $r/one.connected || exit 18
# 2. Restart: a fresh process reconciles the same config.
"$LVK_NODE" $r/driver.mjs $r/c.yaml > $r/apply2.json 2> $r/apply2.err || exit 19
nft -a list table inet lvs_ha > $r/lvs-ha-2.txt
nft -a list table inet theirs > $r/theirs-2.txt
ipvsadm -Ln > $r/table2.txt
touch $r/one.go; waitfor $r/one.jsonl || exit 20
# 3. Negative half: the SNAT table deleted by hand.
nft delete table inet lvs_ha || exit 21
ip netns exec lvf-c $py $r/held.py $r two 10.61.1.1 80 1 --timeout 3 > $r/two.log 2>&1
"$LVK_NODE" $r/driver.mjs $r/c.yaml > $r/apply3.json 2> $r/apply3.err || exit 22
nft -a list table inet lvs_ha > $r/lvs-ha-3.txt
ip netns exec lvf-c $py $r/held.py $r three 10.61.1.1 80 1 --timeout 3 > $r/three.log 2>&1
nft -a list table inet theirs > $r/theirs-3.txt
kill $echo_pid 2>/dev/null
exit 0
`;

interface Apply { ok: boolean; ops: string[]; failed: number; nft: { state: string; applies: number; last_apply: { changes: string[] } | null } | null; sysctls: Record<string, number>; errors: Record<string, number> }

describe('fullnat: real servers in another subnet with no route to the client', () => {
  let run: VmRunResult;
  const result = (f: string): string => run.readResult(f);
  const apply = (f: string): Apply => JSON.parse(result(f)) as Apply;
  const client = (f: string): HeldOne => heldOne(result(f));

  beforeAll(async () => {
    assertBuilt(['dist/lvs/reconciler.js', 'dist/lvs/nft/owner.js', 'dist/os/nftables.js']);
    run = await runInVm({
      name: 'lvf-fullnat',
      script: PAYLOAD,
      files: { 'driver.mjs': RECONCILE_DRIVER, 'c.yaml': CONFIG, 'echo.py': peerEchoServer(8080), 'held.py': HELD_CLIENT },
      modules: ['ip_vs', 'ip_vs_rr', 'veth', 'nf_conntrack', 'nf_nat', 'nf_tables', 'nft_chain_nat', 'nft_nat', 'nft_ct'],
      timeoutMs: 300_000,
    });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  });

  test('the payload ran to the end', () => {
    expect(run.exitCode, describeRun(run)).toBe(0);
  });

  test('the router has no route back to the client subnet (so only SNAT can make it work)', () => {
    expect(result('router-routes.txt')).not.toContain('10.61.1.0/24');
    expect(result('router-routes.txt')).not.toContain('default');
  });

  test('start: masquerading service, SNAT table and conntrack=1 applied', () => {
    const a = apply('apply1.json');
    expect(a).toMatchObject({ ok: true, ops: ['AddService', 'AddDest'], failed: 0, errors: {} });
    expect(a.nft).toMatchObject({ state: 'in_sync', applies: 1 });
    expect(a.sysctls).toEqual({ 'net.ipv4.vs.conntrack': 1 });
    expect(result('conntrack-0.txt').trim()).toBe('0');
    expect(result('conntrack-1.txt').trim()).toBe('1');
    expect(result('table1.txt')).toMatch(/-> 10\.61\.2\.2:8080\s+Masq/);
    // (nft prints a one-element set as the element itself)
    expect(result('lvs-ha-1.txt')).toMatch(/ct original ip daddr 10\.61\.1\.1 ct original proto-dst 80 ip daddr 10\.61\.2\.2 oifname "lvf-t0" snat ip to 10\.61\.3\.1 comment "fullnat echo #[0-9a-f]{12}"/);
  });

  test('the real server is reached and sees the LIP, not the client', () => {
    expect(client('one.jsonl')).toMatchObject({ first: '10.61.3.1 ping1' });
  });

  test('restart: zero IPVS operations, no nft write, the established connection still works', () => {
    const a = apply('apply2.json');
    expect(a).toMatchObject({ ok: true, ops: [], failed: 0 });
    expect(a.nft).toMatchObject({ state: 'in_sync', applies: 0 });
    expect(result('lvs-ha-2.txt')).toBe(result('lvs-ha-1.txt')); // same handles: nothing rewritten
    expect(result('table2.txt').split('\n').slice(0, 4)).toEqual(result('table1.txt').split('\n').slice(0, 4));
    expect(client('one.jsonl')).toMatchObject({ first: '10.61.3.1 ping1', second: '10.61.3.1 ping2', secondError: null });
  });

  test('negative half: without the SNAT table a new connection fails; the next reconcile repairs it', () => {
    const two = client('two.jsonl');
    expect(two.first).toBeNull();
    expect(two.firstError).toMatch(/timed out|timeout/i);
    const a = apply('apply3.json');
    expect(a).toMatchObject({ ok: true, ops: [], failed: 0 });
    expect(a.nft).toMatchObject({ applies: 1, last_apply: { changes: ['+ nft table inet lvs_ha', '+ nft chain fullnat_snat', expect.stringContaining('+ nft rule fullnat_snat fullnat echo') as unknown] } });
    expect(client('three.jsonl')).toMatchObject({ first: '10.61.3.1 ping1' });
  });

  test('the table of another owner is never touched', () => {
    expect(result('theirs-0.txt')).toContain('tcp dport 22 counter');
    // Same rules, same handles (nothing rewritten); its counter counts only port-22 packets, none here.
    expect(result('theirs-2.txt')).toBe(result('theirs-0.txt'));
    expect(result('theirs-3.txt')).toBe(result('theirs-0.txt'));
  });
});
