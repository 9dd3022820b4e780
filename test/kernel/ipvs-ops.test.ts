/**
 * Kernel tier: `ops: true` (one-packet scheduling) on a UDP virtual server in
 * front of three dnsmasq real servers, in one VM boot.
 *
 * Topology in the VM: a bridge joining a director (netns lvo-d, holding the
 * VIPs, its IPVS table applied by lvs-ha's reconciler from CONFIG), three DR
 * real servers (VIPs on lo, arp_ignore=1, arp_announce=2, dnsmasq answering
 * `who.example.test` with the real server's own address) and a client. The
 * client sends 12 DNS queries from ONE socket (one source port) to each VIP:
 * - 10.61.0.100:53, `ops: true`: every datagram is scheduled afresh, so the
 *   answers come from all three real servers (rr: 4 each), and IPVS keeps no
 *   connection entry for them;
 * - 10.61.0.101:53, same service without `ops`: the first datagram creates a
 *   connection entry and every later one follows it, so one real server
 *   answers all 12.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, runInVm, type VmRunResult } from '../helpers/vm/index.js';
import { RECONCILE_DRIVER } from '../helpers/vm/programs.js';
import { drLanSpec, networkShell, teardownShell } from '../../src/lab/netns.js';

const RS = ['10.61.0.21', '10.61.0.22', '10.61.0.23'];

const CONFIG = `node: lvo-ops
virtual_servers:
  - name: dns-ops
    address: 10.61.0.100
    port: 53
    protocol: udp
    ops: true
    scheduler: rr
    forwarding: dr
    real_servers: [${RS.map((a) => `{ address: ${a} }`).join(', ')}]
  - name: dns-plain
    address: 10.61.0.101
    port: 53
    protocol: udp
    scheduler: rr
    forwarding: dr
    real_servers: [${RS.map((a) => `{ address: ${a} }`).join(', ')}]
`;

// argv: VIP, count. COUNT A queries for who.example.test from one socket; which server answered each.
const CLIENT = String.raw`import json, socket, struct, sys
vip, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.bind(('10.61.0.2', 0))
name = b''.join(bytes([len(p)]) + p for p in b'who.example.test'.split(b'.')) + b'\0'
out = {'port': s.getsockname()[1], 'answers': [], 'errors': []}
for i in range(1, n + 1):
    try:
        s.sendto(struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0) + name + struct.pack('>HH', 1, 1), (vip, 53))
        data, src = s.recvfrom(512)
        out['answers'].append({'id': struct.unpack('>H', data[:2])[0], 'rcode': data[3] & 15, 'ancount': struct.unpack('>H', data[6:8])[0], 'from': src[0], 'a': socket.inet_ntoa(data[-4:])})
    except Exception as e:
        out['errors'].append(repr(e))
print(json.dumps(out))
`;

const NETWORK = drLanSpec('lvo', '10.61.0', [{ name: 'd', octet: 11 }, { name: 'r1', octet: 21 }, { name: 'r2', octet: 22 }, { name: 'r3', octet: 23 }, { name: 'c', octet: 2 }], ['r1', 'r2', 'r3'], ['10.61.0.100', '10.61.0.101']);

const PAYLOAD = `
r=$LVK_RESULTS
n() { ip netns exec "$@"; }
trap '${teardownShell(NETWORK)}' EXIT
${networkShell(NETWORK, 10)}
for i in 1 2 3; do
  h=r$i
  n lvo-$h dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --user=root \\
    --listen-address=10.61.0.100 --listen-address=10.61.0.101 --bind-interfaces --port=53 \\
    --local=/example.test/ --host-record=who.example.test,10.61.0.2$i --log-facility=- > $r/dnsmasq-$h.log 2>&1 &
done
ip -n lvo-d addr add 10.61.0.100/32 dev eth0; ip -n lvo-d addr add 10.61.0.101/32 dev eth0
n lvo-d "$LVK_NODE" $r/driver.mjs $r/c.yaml > $r/apply.json 2> $r/apply.err || exit 12
n lvo-d ipvsadm -Ln > $r/table.txt
i=0; while [ $i -lt 50 ]; do ok=0; for h in r1 r2 r3; do n lvo-$h ss -Hlnu 'sport = :53' | grep -q 10.61.0.101 && ok=$((ok + 1)); done; [ $ok -eq 3 ] && break; sleep 0.2; i=$((i + 1)); done
n lvo-c python3 $r/client.py 10.61.0.100 12 > $r/ops.json 2> $r/ops.err
n lvo-c python3 $r/client.py 10.61.0.101 12 > $r/plain.json 2> $r/plain.err
n lvo-d ipvsadm -Lnc > $r/conns.txt
n lvo-d ipvsadm -Ln --stats > $r/stats.txt
exit 0
`;

interface ClientResult { port: number; answers: { id: number; rcode: number; ancount: number; from: string; a: string }[]; errors: string[] }

describe('ops: one-packet scheduling of a UDP service (DNS, dnsmasq real servers)', () => {
  let run: VmRunResult;
  const result = (f: string): string => run.readResult(f);
  const client = (f: string): ClientResult => JSON.parse(result(f)) as ClientResult;

  beforeAll(async () => {
    assertBuilt(['dist/lvs/reconciler.js', 'dist/config/validate.js']);
    run = await runInVm({
      name: 'lvo-ops',
      script: PAYLOAD,
      files: { 'driver.mjs': RECONCILE_DRIVER, 'c.yaml': CONFIG, 'client.py': CLIENT },
      modules: ['ip_vs', 'ip_vs_rr', 'veth', 'bridge'],
      timeoutMs: 400_000,
    });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  });

  test('the payload ran; lvs-ha programmed both services, the ops one with the ONEPACKET flag', () => {
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(JSON.parse(result('apply.json'))).toMatchObject({ ok: true, applied: 8, failed: 0 });
    const table = result('table.txt');
    expect(table).toMatch(/UDP\s+10\.61\.0\.100:53 rr ops/);
    expect(table).toMatch(/UDP\s+10\.61\.0\.101:53 rr\s*\n/);
  });

  test('with ops, the 12 queries of one client socket are answered by all three real servers (4 each, rr)', () => {
    const c = client('ops.json');
    expect(c.errors, result('ops.err')).toEqual([]);
    expect(c.answers.map((a) => a.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(c.answers.every((a) => a.rcode === 0 && a.ancount === 1 && a.from === '10.61.0.100')).toBe(true);
    const per = new Map<string, number>();
    for (const a of c.answers) per.set(a.a, (per.get(a.a) ?? 0) + 1);
    expect([...per.keys()].sort()).toEqual(RS);
    expect([...per.values()]).toEqual([4, 4, 4]);
    // no connection entry for the ops service; one for the plain one
    expect(result('conns.txt')).not.toMatch(/10\.61\.0\.100:53/);
  });

  test('without ops, the same 12 queries from one socket all go to one real server (its connection entry)', () => {
    const c = client('plain.json');
    expect(c.errors, result('plain.err')).toEqual([]);
    expect(c.answers).toHaveLength(12);
    expect(new Set(c.answers.map((a) => a.a)).size).toBe(1);
    expect(RS).toContain(c.answers[0]?.a);
    // `ipvsadm -Lnc`: pro expire state source virtual destination
    expect(result('conns.txt')).toMatch(new RegExp(`UDP\\s+\\S+\\s+UDP\\s+10\\.61\\.0\\.2:${String(c.port)}\\s+10\\.61\\.0\\.101:53\\s+${(c.answers[0]?.a ?? '').replaceAll('.', '\\.')}:53`));
  });
});
