/**
 * Failover under load (run it with `bash bench/failover/run.sh`): one VM boot, two lvs-ha
 * directors with ipvs_sync, three DR real servers, a load client. Scenario "crash": kill -9
 * of the master daemon and its link cut. Scenario "drill": `drill failover` on the master
 * (after the crashed director was restarted and took the VIP back). The summary goes to
 * .vm/runs/lvx-bench/summary.txt (a table) and summary.json (the figures run.sh prints as its
 * `BENCH {json}` line); the test checks that both scenarios produced numbers.
 * LVX_LOAD_SECONDS (default 20, at least 10): how long the client load runs per scenario.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, runInVm } from '../../test/helpers/vm/index.js';
import { echoServer, WEBHOOK_SINK } from '../../test/helpers/vm/programs.js';
import { drLanSpec, networkShell, teardownShell } from '../../src/lab/netns.js';

function config(node: string, priority: number): string {
  return `node: ${node}
control: { socket: /run/lvx-${node}.sock }
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 62, priority: ${priority}, advert_interval: 1s, virtual_addresses: [10.62.0.100/32] }
ipvs_sync: { interface: eth0, follow: web, sync_id: 62 }
virtual_servers:
  - name: echo
    address: 10.62.0.100
    port: 80
    scheduler: rr
    forwarding: dr
    check: { type: tcp, interval: 1s, timeout: 1s }
    real_servers: [{ address: 10.62.0.21, port: 80 }, { address: 10.62.0.22, port: 80 }, { address: 10.62.0.23, port: 80 }]
scripts: { user: nobody }
alerts: [{ name: sink, type: webhook, url: "http://10.62.0.2:9000/", events: [vrrp_transition] }]
`;
}

const ECHO = echoServer(80);
/** How long the client load runs per scenario (run.sh --seconds; at least 10 so both events fall inside it). */
const LOAD_SECONDS = Math.max(10, Number(process.env.LVX_LOAD_SECONDS ?? 20));
const SINK = WEBHOOK_SINK;


// argv: results, name, seconds. 20 persistent connections (a request every 100 ms each, one
// thread each) and a new connection every 50 ms; times in ms since the epoch.
const LOAD = `import json, socket, sys, threading, time
r, name, dur = sys.argv[1], sys.argv[2], float(sys.argv[3])
VIP = ('10.62.0.100', 80)
now = lambda: int(time.time() * 1000)
socks = [socket.create_connection(VIP, timeout=5) for _ in range(20)]
open(f'{r}/{name}.warm', 'w').close()
end = time.time() + dur
broken, new_ok, new_fail, lock = [], [], [], threading.Lock()
def ping(i, s):
    s.settimeout(20)
    while time.time() < end:
        try:
            s.sendall(b'p\\n')
            if s.recv(100) != b'p\\n':
                raise Exception('bad reply')
        except Exception as e:
            with lock:
                broken.append({'conn': i, 'at': now(), 'error': repr(e)})
            return
        time.sleep(0.1)
def opener():
    while time.time() < end:
        t = now()
        try:
            s = socket.create_connection(VIP, timeout=5)
            s.sendall(b'n\\n')
            ok = s.recv(100) == b'n\\n'
            s.close()
        except Exception:
            ok = False
        with lock:
            (new_ok if ok else new_fail).append(t)
        time.sleep(max(0, 0.05 - (now() - t) / 1000))
threads = [threading.Thread(target=ping, args=(i, s)) for i, s in enumerate(socks)] + [threading.Thread(target=opener)]
for t in threads: t.start()
for t in threads: t.join()
gaps = [b - a for a, b in zip(new_ok, new_ok[1:])]
json.dump({'persistent': len(socks), 'broken': broken, 'new_ok': len(new_ok), 'new_failed': len(new_fail),
           'max_new_gap_ms': max(gaps) if gaps else None}, open(f'{r}/{name}.json', 'w'))
`;

const CTL = `import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
s.sendall(json.dumps({'v': 1, 'id': 1, 'cmd': sys.argv[2], 'args': json.loads(sys.argv[3])}).encode() + b'\\n')
buf = b''
while not buf.endswith(b'\\n'):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
`;

const NETWORK = drLanSpec('lvx', '10.62.0', [{ name: 'd1', octet: 11 }, { name: 'd2', octet: 12 }, { name: 'r1', octet: 21 }, { name: 'r2', octet: 22 }, { name: 'r3', octet: 23 }, { name: 'c', octet: 2 }], ['r1', 'r2', 'r3'], ['10.62.0.100']);

const PAYLOAD = String.raw`
r=$LVK_RESULTS
py=/usr/bin/python3
n() { ip netns exec "$@"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
waitfor() { i=0; while [ ! -e "$1" ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
until_ok() { lim=$1; shift; i=0; while ! "$@" && [ $i -lt $lim ]; do sleep 0.1; i=$((i + 1)); done; "$@"; }
vip_on() { ip -n lvx-$1 -o addr show dev eth0 | grep -q ' 10.62.0.100/32'; }
weight_is() { [ "$(n lvx-$1 ipvsadm -Ln | awk -v rs="$2:80" '$2 == rs { print $4 }')" = "$3" ]; }
sink_has() { grep "$1" $r/sink.log 2>/dev/null | grep -q "$2"; }
cleanup() {
  for p in $(cat $r/*.pid 2>/dev/null); do kill -9 $p 2>/dev/null; done
  ${teardownShell(NETWORK)}
}
trap cleanup EXIT
${networkShell(NETWORK, 10)}
for h in r1 r2 r3; do
  ip netns exec lvx-$h $py $r/echo.py > /dev/null 2>&1 & echo $! > $r/echo-$h.pid
done
ip netns exec lvx-c $py $r/sink.py $r/sink.log > /dev/null 2>&1 & echo $! > $r/sink.pid
start() { ip netns exec lvx-$1 "$LVK_NODE" bin/lvs-ha.js run --config $r/$2.yaml > $r/$2-$3.log 2>&1 & echo $! > $r/$1.pid; }
start d1 d1 a
until_ok 1500 vip_on d1 || exit 20
start d2 d2 a
until_ok 1500 sink_has '"d2"' '"to":"BACKUP"' || exit 21
until_ok 600 weight_is d1 10.62.0.23 1 || exit 22
until_ok 600 weight_is d2 10.62.0.23 1 || exit 23

load() { # name
  ip netns exec lvx-c $py $r/load.py $r $1 $LVX_LOAD_SECONDS > $r/$1-load.log 2>&1 &
  waitfor $r/$1.warm || exit 30
  sleep 5
}
# Scenario crash
load crash
# The whole director: its VRRP isolate (a child) with the daemon, or the isolate resigns.
p=$(cat $r/d1.pid); ms > $r/crash-at.txt; kill -9 $(cat /proc/$p/task/$p/children 2>/dev/null) $p; ip -n lvx-d1 link set eth0 down
waitfor $r/crash.json || exit 31
# Scenario drill: d1 back (restart, link up); it preempts; then the drill on it
ip -n lvx-d1 link set eth0 up
start d1 d1b b
until_ok 1500 sink_has '"d1b"' '"to":"MASTER"' || exit 40
until_ok 600 vip_on d1 || exit 41
sleep 5
load drill
ms > $r/drill-at.txt; $py $r/ctl.py /run/lvx-d1b.sock drill '{"force":false}' > $r/drill-reply.json
waitfor $r/drill.json || exit 42
exit 0
`;

interface Load { persistent: number; broken: { conn: number; at: number }[]; new_ok: number; new_failed: number; max_new_gap_ms: number | null }
interface Scenario {
  name: 'crash' | 'drill';
  persistent: number;
  broken: number;
  new_ok: number;
  new_failed: number;
  max_new_gap_ms: number | null;
  takeover_ms: number | null;
}

/** The control socket's reply to `drill`, as JSON when it is JSON (else the raw text). */
function parseReply(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

describe('failover under load', () => {
  test('crash and drill: connections broken, new-connection gap, takeover time', async () => {
    assertBuilt(['dist/director/engine.js', 'dist/daemon/operator.js']);
    const run = await runInVm({
      name: 'lvx-bench',
      script: PAYLOAD,
      files: { 'd1.yaml': config('d1', 150), 'd1b.yaml': config('d1b', 150), 'd2.yaml': config('d2', 100), 'echo.py': ECHO, 'sink.py': SINK, 'load.py': LOAD, 'ctl.py': CTL },
      modules: ['ip_vs', 'ip_vs_rr', 'veth', 'bridge'],
      env: { LVX_LOAD_SECONDS: String(LOAD_SECONDS) },
      timeoutMs: 800_000,
    });
    expect(run.exitCode, describeRun(run)).toBe(0);
    const sink = run.readResult('sink.log').split('\n').filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { node: string; at: string; details: { to: string } });
    const takeover = (node: string, after: number): number | null => {
      const t = sink.filter((e) => e.node === node && e.details.to === 'MASTER').map((e) => Date.parse(e.at)).find((at) => at >= after);
      return t === undefined ? null : t - after;
    };
    const lines = ['scenario  broken/established  new ok  new failed  max new-conn gap  takeover'];
    const scenarios: Scenario[] = [];
    for (const [name, newMaster] of [['crash', 'd2'], ['drill', 'd2']] as const) {
      const load = JSON.parse(run.readResult(`${name}.json`)) as Load;
      const at = Number(run.readResult(`${name}-at.txt`).trim());
      const t = takeover(newMaster, at);
      scenarios.push({ name, persistent: load.persistent, broken: load.broken.length, new_ok: load.new_ok, new_failed: load.new_failed, max_new_gap_ms: load.max_new_gap_ms, takeover_ms: t });
      lines.push(`${name.padEnd(8)}  ${`${String(load.broken.length)}/${String(load.persistent)}`.padEnd(18)}  ${String(load.new_ok).padEnd(6)}  ${String(load.new_failed).padEnd(10)}  ${`${String(load.max_new_gap_ms)} ms`.padEnd(16)}  ${t === null ? 'not seen' : `${String(t)} ms`}`);
      expect(load.new_ok).toBeGreaterThan(0);
      expect(t).not.toBeNull();
    }
    const drillReply = run.readResult('drill-reply.json').trim();
    lines.push(`drill reply: ${drillReply}`, `VM: boot ${String(Math.round(run.bootMs ?? -1))} ms, total ${String(Math.round(run.totalMs))} ms`);
    writeFileSync(join('.vm/runs/lvx-bench', 'summary.txt'), `${lines.join('\n')}\n`);
    // The machine-readable figures: run.sh prints them as the `BENCH {json}` line.
    const summary = { load_seconds: LOAD_SECONDS, scenarios, drill_reply: parseReply(drillReply), vm: { boot_ms: run.bootMs === undefined ? null : Math.round(run.bootMs), total_ms: Math.round(run.totalMs) } };
    writeFileSync(join('.vm/runs/lvx-bench', 'summary.json'), `${JSON.stringify(summary)}\n`);
  });
});
