/**
 * Kernel tier, end to end (one VM boot): two directors each running
 * `lvs-ha run` (dist) on their own config file, in namespaces inside the VM,
 * three DR real servers, a client and a webhook sink, all on one bridge.
 *
 * 1. Traffic to the VIP is balanced over the three healthy real servers.
 * 2. A real server stopped is weight 0 within fall x interval + timeout (plus
 *    a margin for TCG), the webhook sink receives real_server_down; started
 *    again, it is back after rise checks.
 * 3. With ipvs_sync: 6 established connections through the master; kill -9 of
 *    the master daemon and its link cut; the backup takes over; 6 of 6 keep
 *    working and a new connection succeeds.
 * 4. SIGHUP of the new master with one weight changed: only that weight
 *    changes in the kernel, and no VRRP transition happens.
 * 5. The same failover with ipvs_sync removed from both configs: 0 of 6
 *    survive (the test proves itself).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, runInVm, type VmRunResult } from '../helpers/vm/index.js';
import { HELD_CLIENT, heldRounds, WEBHOOK_SINK, type HeldRound } from '../helpers/vm/programs.js';
import { drLanSpec, networkShell, teardownShell } from '../../src/lab/netns.js';

function config(node: string, priority: number, sync: boolean, weightR1 = 1): string {
  return `node: ${node}
control: { socket: /run/lvx-${node}.sock }
vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 61
      priority: ${priority}
      advert_interval: 1s
      virtual_addresses: [10.61.0.100/32]
${sync ? 'ipvs_sync: { interface: eth0, follow: web, sync_id: 61 }\n' : ''}virtual_servers:
  - name: echo
    address: 10.61.0.100
    port: 80
    scheduler: rr
    forwarding: dr
    on_failure: inhibit
    check: { type: tcp, interval: 1s, timeout: 1s, rise: 2, fall: 2 }
    real_servers:
      - { address: 10.61.0.21, port: 80, weight: ${weightR1} }
      - { address: 10.61.0.22, port: 80, weight: 1 }
      - { address: 10.61.0.23, port: 80, weight: 1 }
scripts: { user: nobody }
alerts:
  - name: sink
    type: webhook
    url: http://10.61.0.2:9000/hook
    events: [real_server_down, real_server_up, vrrp_transition]
`;
}

const ECHO = `import socketserver, sys
name = sys.argv[1].encode()
class H(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(name + b' ' + line)
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(('0.0.0.0', 80), H).serve_forever()
`;

const SINK = WEBHOOK_SINK;

// argv: socket [cmd]. One control request (a node CLI start costs tens of seconds under a loaded TCG).
const CTL = `import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
s.sendall(json.dumps({'v': 1, 'id': 1, 'cmd': sys.argv[2] if len(sys.argv) > 2 else 'status', 'args': args}).encode() + b'\\n')
buf = b''
while not buf.endswith(b'\\n'):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
reply = json.loads(buf)
print(json.dumps(reply.get('result', reply)))
`;

const NETWORK = drLanSpec('lvx', '10.61.0', [{ name: 'd1', octet: 11 }, { name: 'd2', octet: 12 }, { name: 'r1', octet: 21 }, { name: 'r2', octet: 22 }, { name: 'r3', octet: 23 }, { name: 'c', octet: 2 }], ['r1', 'r2', 'r3'], ['10.61.0.100']);

const PAYLOAD = String.raw`
r=$LVK_RESULTS
py=/usr/bin/python3
ctl() { $py $r/ctl.py "$@"; }
n() { ip netns exec "$@"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
waitfor() { i=0; while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
# until CMD succeeds, at most $1 tenths of a second
until_ok() { lim=$1; shift; i=0; while ! "$@" && [ $i -lt $lim ]; do sleep 0.1; i=$((i + 1)); done; "$@"; }
vip_on() { ip -n lvx-$1 -o addr show dev eth0 | grep -q ' 10.61.0.100/32'; }
vip_off() { ! vip_on $1; }
weight() { n lvx-$1 ipvsadm -Ln | awk -v rs="$2:80" '$2 == rs { print $4 }'; }
weight_is() { [ "$(weight $1 $2)" = "$3" ]; }
sink_has() { grep -q "$1" $r/sink.log 2>/dev/null && grep "$1" $r/sink.log | grep -q "$2"; }
cleanup() {
  for p in $(cat $r/*.pid 2>/dev/null); do kill -9 $p 2>/dev/null; done
  ${teardownShell(NETWORK)}
}
trap cleanup EXIT
${networkShell(NETWORK, 10)}
# Background jobs use 'ip netns exec' itself, not the n function: $! is then the pid that
# execs the program (a backgrounded function would be a subshell, and killing it would not
# stop the program).
rs_start() { ip netns exec lvx-$1 $py $r/echo.py $1 > $r/echo-$1.log 2>&1 & echo $! > $r/echo-$1.pid; }
for h in r1 r2 r3; do
  rs_start $h
done
ip netns exec lvx-c $py $r/sink.py $r/sink.log > $r/sink.err 2>&1 & echo $! > $r/sink.pid
start() { # netns config-name
  ip netns exec lvx-$1 "$LVK_NODE" bin/lvs-ha.js run --config $r/$2.yaml > $r/$2.log 2>&1 & echo $! > $r/$1.pid
}
t0=$(ms)
start d1 d1
until_ok 1500 vip_on d1 || exit 20
start d2 d2
until_ok 1500 test -S /run/lvx-d2.sock || exit 21
until_ok 600 sink_has '"d2"' '"to":"BACKUP"' || exit 21
until_ok 600 weight_is d1 10.61.0.23 1 || exit 22
until_ok 600 weight_is d2 10.61.0.23 1 || exit 23
echo "started $(( $(ms) - t0 ))" > $r/started-ms.txt
ctl /run/lvx-d1.sock > $r/status-d1.json

# 1. balance
n lvx-c $py $r/held.py $r balance 10.61.0.100 80 9 || exit 30

# 2. a real server stopped, then started. The times compared are the VM clock at the kill/start
# and the health transition's own timestamp in the alert (the ipvsadm polls only confirm the
# kernel weight, and are slow on a loaded TCG host).
kill $(cat $r/echo-r3.pid); ms > $r/down-at.txt
until_ok 600 weight_is d1 10.61.0.23 0 || exit 31
until_ok 300 sink_has real_server_down 10.61.0.23 || exit 32
rs_start r3; ms > $r/up-at.txt
until_ok 600 weight_is d1 10.61.0.23 1 || exit 33
until_ok 300 sink_has real_server_up 10.61.0.23 || exit 34
until_ok 600 weight_is d2 10.61.0.23 1 || exit 35

# 3. failover with sync: kill -9 the master daemon and cut its link
n lvx-d1 ipvsadm -L --daemon > $r/with-daemon-d1.txt; n lvx-d2 ipvsadm -L --daemon > $r/with-daemon-d2.txt
failover() { # name
  ip netns exec lvx-c $py $r/held.py $r $1 10.61.0.100 80 6 --hold --new > $r/$1-client.log 2>&1 &
  waitfor $r/$1.connected || exit 40
  sleep 3   # the master flushes its sync buffer at least every 2 s
  n lvx-d2 ipvsadm -Lnc > $r/$1-conns-d2.txt
  ctl /run/lvx-d2.sock connections > $r/$1-ctl-conns-d2.json   # what status --connections asks
  # A crash of the whole director: its VRRP isolate first (alone, it would resign with priority 0
  # when the daemon's channel closes), then the daemon.
  p=$(cat $r/d1.pid); kill -9 $(cat /proc/$p/task/$p/children 2>/dev/null) $p; ip -n lvx-d1 link set eth0 down; t=$(ms); echo $t > $r/$1-kill-at.txt
  until_ok 600 vip_on d2 || exit 41
  echo $(( $(ms) - t )) > $r/$1-takeover-ms.txt
  touch $r/$1.go; waitfor $r/$1.jsonl || exit 42
}
failover with

# 4. SIGHUP with one weight changed on the new master
n lvx-d2 ipvsadm -Ln > $r/hup-before.txt
grep -c '"vrrp_transition"' $r/sink.log > $r/hup-transitions-before.txt
sed -i 's/10.61.0.21, port: 80, weight: 1/10.61.0.21, port: 80, weight: 3/' $r/d2.yaml
kill -HUP $(cat $r/d2.pid)
until_ok 100 weight_is d2 10.61.0.21 3
sleep 2
n lvx-d2 ipvsadm -Ln > $r/hup-after.txt
grep -c '"vrrp_transition"' $r/sink.log > $r/hup-transitions-after.txt
ctl /run/lvx-d2.sock > $r/status-d2.json

# 5. the same without ipvs_sync: d2 reloads a config without it (its daemons are then not
# lvs-ha's and are stopped here), d1 restarts without it and takes the VIP back (preempt).
cp $r/d2b.yaml $r/d2.yaml; kill -HUP $(cat $r/d2.pid)
sleep 2
for d in d1 d2; do for s in master backup; do n lvx-$d ipvsadm --stop-daemon $s 2>/dev/null; done; done
ip -n lvx-d1 addr del 10.61.0.100/32 dev eth0 2>/dev/null
ip -n lvx-d1 link set eth0 up
start d1 d1b
until_ok 1500 sink_has '"d1b"' '"to":"MASTER"' || exit 50
until_ok 300 vip_off d2 || exit 51
# A planned failover drill on the master d1b, then back.
ctl /run/lvx-d2.sock drill '{"force":false}' > $r/drill-refused.json
ctl /run/lvx-d1b.sock drill '{"force":false}' > $r/drill.json
until_ok 50 vip_on d2 && echo yes > $r/drill-vip-d2.txt
vip_off d1 && echo yes > $r/drill-vip-gone-d1.txt
ctl /run/lvx-d1b.sock drill '{"return":true}' > $r/drill-return.json
until_ok 300 vip_on d1 || exit 52
until_ok 300 vip_off d2 || exit 53
n lvx-d1 ipvsadm -L --daemon > $r/without-daemon-d1.txt; n lvx-d2 ipvsadm -L --daemon > $r/without-daemon-d2.txt
failover without
exit 0
`;

/** The real server that answered each connection of a round with "NAME WORD" (the named echo servers), else null. */
const servers = (round: HeldRound | undefined, word: string): (string | null)[] =>
  (round?.answers ?? []).map((a) => (a === null ? null : new RegExp(`^(r[123]) ${word}$`).exec(a)?.[1] ?? null));

const weights = (ipvsadm: string): Record<string, number> =>
  Object.fromEntries(ipvsadm.split('\n').flatMap((l) => {
    const m = /->\s+(10\.61\.0\.2\d:80)\s+Route\s+(\d+)/.exec(l);
    return m?.[1] && m[2] ? [[m[1], Number(m[2])]] : [];
  }));

describe('two lvs-ha directors end to end: balancing, health, failover with session sync, reload', () => {
  let run: VmRunResult;
  const result = (f: string): string => run.readResult(f);
  const num = (f: string): number => Number(result(f).trim());

  beforeAll(async () => {
    assertBuilt(['dist/director/engine.js', 'dist/cli/main.js']);
    run = await runInVm({
      name: 'lvx-e2e',
      script: PAYLOAD,
      files: {
        'd1.yaml': config('d1', 150, true), 'd2.yaml': config('d2', 100, true),
        'd1b.yaml': config('d1b', 150, false).replace('/run/lvx-d1b.sock', '/run/lvx-d1b.sock'), 'd2b.yaml': config('d2b', 100, false).replace('/run/lvx-d2b.sock', '/run/lvx-d2.sock'),
        'echo.py': ECHO, 'sink.py': SINK, 'held.py': HELD_CLIENT, 'ctl.py': CTL,
      },
      modules: ['ip_vs', 'ip_vs_rr', 'veth', 'bridge'],
      timeoutMs: 600_000,
    });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  }, 620_000);

  test('the payload ran to the end', () => {
    expect(run.exitCode, `${describeRun(run)}\n--- d1.log\n${run.readResult('d1.log').slice(-3000)}`).toBe(0);
  });

  test('status shows the instance first, then the virtual server with health and kernel weight', () => {
    const status = JSON.parse(result('status-d1.json')) as Record<string, unknown>;
    expect(status.instances).toEqual([expect.objectContaining({ name: 'web', state: 'MASTER' })]);
    expect(status.virtual_servers).toEqual([expect.objectContaining({
      name: 'echo', in_kernel: true, scheduler: 'rr',
      real_servers: expect.arrayContaining([expect.objectContaining({ address: '10.61.0.21', health: 'up', weight: 1, configured_weight: 1 })]) as unknown,
    })]);
    expect(status.ipvs_sync).toMatchObject({ follow: 'web', role: 'MASTER', backup: null, master: expect.objectContaining({ sync_id: 61 }) as unknown });
    expect(status.reconcile).toMatchObject({ ipvs: 'connected' });
  });

  test('the client is balanced across the three healthy real servers', () => {
    const seen: Record<string, number> = {};
    for (const who of servers(heldRounds(result('balance.jsonl')).first, 'ping1')) seen[String(who)] = (seen[String(who)] ?? 0) + 1;
    expect(seen).toEqual({ r1: 3, r2: 3, r3: 3 });
  });

  test('a stopped real server is weight 0 within fall x interval + timeout (+TCG margin), alerted, and back after rise', () => {
    const alert = (event: string): { at: string; object: unknown } =>
      JSON.parse(result('sink.log').split('\n').find((l) => l.includes(`"event":"${event}"`) && l.includes('"node":"d1"')) ?? '{}') as { at: string; object: unknown };
    const down = alert('real_server_down');
    const up = alert('real_server_up');
    expect(down.object).toEqual({ kind: 'real_server', virtual_server: 'echo', address: '10.61.0.23', port: 80 });
    expect(up.object).toEqual(down.object);
    const downMs = Date.parse(down.at) - num('down-at.txt');
    const upMs = Date.parse(up.at) - num('up-at.txt');
    console.log(`real server down detected after ${String(downMs)} ms, up after ${String(upMs)} ms`);
    // fall 2 x interval 1 s + timeout 1 s = 3 s, plus 2 s for a loaded TCG.
    expect(downMs).toBeGreaterThan(0);
    expect(downMs).toBeLessThan(5000);
    // rise 2: at least one interval after the first good check.
    expect(upMs).toBeGreaterThanOrEqual(900);
    expect(upMs).toBeLessThan(8000);
  });

  test('with sync: the backup held the 6 connections; kill -9 + link cut: takeover, 6 of 6 keep working, new ones succeed', () => {
    expect(result('with-daemon-d1.txt')).toContain('master sync daemon');
    expect(result('with-daemon-d2.txt')).toContain('backup sync daemon');
    expect(result('with-conns-d2.txt').match(/ESTABLISHED/g) ?? []).toHaveLength(6);
    // The backup daemon's own answer to `status --connections` (the control command it sends).
    const listed = JSON.parse(result('with-ctl-conns-d2.json')) as { available: boolean; connections: { virtual: string; virtual_port: number; state: string }[] };
    expect(listed.available).toBe(true);
    expect(listed.connections.filter((c) => c.virtual === '10.61.0.100' && c.virtual_port === 80 && c.state === 'ESTABLISHED')).toHaveLength(6);
    const h = heldRounds(result('with.jsonl'));
    const first = servers(h.first, 'ping1');
    expect(first.filter((who) => who !== null), JSON.stringify(h)).toHaveLength(6);
    expect(servers(h.second, 'ping2'), JSON.stringify(h)).toEqual(first); // each still answers, from the same real server
    expect(servers(h.new, 'new')).toEqual([expect.stringMatching(/^r[123]$/)]);
    expect([...(h.first?.errors ?? []), ...(h.second?.errors ?? []), ...(h.new?.errors ?? [])]).toEqual(Array(13).fill(null));
    // Takeover: from the kill to d2's own BACKUP -> MASTER timestamp (alert), master-down
    // interval 3 x 1 s + skew ~0.6 s; a loaded TCG adds more.
    const killAt = num('with-kill-at.txt');
    const master = result('sink.log').split('\n').filter((l) => l.includes('"node":"d2"') && l.includes('"to":"MASTER"'))
      .map((l) => Date.parse((JSON.parse(l) as { at: string }).at)).find((at) => at >= killAt);
    expect(master).toBeDefined();
    const takeoverMs = (master ?? 0) - killAt;
    console.log(`takeover after kill -9 + link cut: ${String(takeoverMs)} ms (VIP seen on d2 after ${String(num('with-takeover-ms.txt'))} ms of polling)`);
    expect(takeoverMs).toBeGreaterThan(2500);
    expect(takeoverMs).toBeLessThan(10_000);
  });

  test('SIGHUP with one weight changed: only that weight changes, no VRRP transition', () => {
    const before = weights(result('hup-before.txt'));
    const after = weights(result('hup-after.txt'));
    expect(before).toEqual({ '10.61.0.21:80': 1, '10.61.0.22:80': 1, '10.61.0.23:80': 1 });
    expect(after).toEqual({ ...before, '10.61.0.21:80': 3 });
    expect(num('hup-transitions-after.txt')).toBe(num('hup-transitions-before.txt'));
    const status = JSON.parse(result('status-d2.json')) as { reload_count: number; instances: { state: string }[] };
    expect(status.reload_count).toBe(1); // the first reload (round 5 reloads again later)
    expect(status.instances[0]?.state).toBe('MASTER');
  });

  test('drill failover on the master: the peer takes over, the VIP moves, the takeover time is reported; refused on the backup; --return takes it back', () => {
    const drill = JSON.parse(result('drill.json')) as { held: boolean; instances: { name: string; takeover_ms: number | null; peer: string; vips_left: boolean }[] };
    console.log(`drill takeover: ${JSON.stringify(drill.instances)}`);
    expect(drill.held).toBe(true);
    expect(drill.instances).toEqual([expect.objectContaining({ name: 'web', peer: '10.61.0.12', vips_left: true })]);
    expect(drill.instances[0]?.takeover_ms).toBeGreaterThan(0);
    expect(drill.instances[0]?.takeover_ms).toBeLessThan(5000); // priority 0: the peer takes over after its skew time
    expect(result('drill-vip-d2.txt').trim()).toBe('yes');
    expect(result('drill-vip-gone-d1.txt').trim()).toBe('yes');
    expect(JSON.parse(result('drill-refused.json'))).toMatchObject({ ok: false, error: { code: 'refused' } });
    const back = JSON.parse(result('drill-return.json')) as { instances: { master_again_ms: number | null; state: string }[] };
    expect(back.instances[0]).toMatchObject({ state: 'MASTER' });
    // Back by preemption: master-down interval of d1b as BACKUP (3 x 1 s + skew), within the 15 s watch.
    expect(back.instances[0]?.master_again_ms).toBeGreaterThan(2000);
    expect(back.instances[0]?.master_again_ms).toBeLessThan(15_000);
  });

  test('without ipvs_sync (the same failover): no sync daemons and 0 of 6 survive', () => {
    expect(result('without-daemon-d1.txt').trim()).toBe('');
    expect(result('without-daemon-d2.txt').trim()).toBe('');
    const h = heldRounds(result('without.jsonl'));
    expect(servers(h.first, 'ping1').filter((who) => who !== null), JSON.stringify(h)).toHaveLength(6);
    expect(servers(h.second, 'ping2'), JSON.stringify(h)).toEqual(Array(6).fill(null));
    expect(servers(h.new, 'new')).toEqual([expect.stringMatching(/^r[123]$/)]);
  });
});
