/**
 * Small Python programs the kernel-tier payloads run inside the VM (python3 comes
 * from the host root over 9p). One copy each, shared by the tests and benchmarks.
 */

/** A threaded line-echo TCP server on 0.0.0.0:PORT (stands in for a real server). */
export function echoServer(port: number): string {
  return `import socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(('0.0.0.0', ${port}), H).serve_forever()
`;
}

/** A webhook sink on 0.0.0.0:9000: appends each POST body, one line each, to argv[1]; answers 204. */
export const WEBHOOK_SINK = `import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('content-length', 0)))
        with open(sys.argv[1], 'ab') as f:
            f.write(body.replace(b'\\n', b' ') + b'\\n')
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('0.0.0.0', 9000), H).serve_forever()
`;

/** Like echoServer, but each reply line starts with the peer's address as the server sees it ("10.0.0.1 ping"). */
export function peerEchoServer(port: number): string {
  return `import socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        peer = self.client_address[0].encode()
        for line in self.rfile:
            self.wfile.write(peer + b' ' + line)
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(('0.0.0.0', ${port}), H).serve_forever()
`;
}

/**
 * The in-VM driver of lvs-ha's compiled reconciler (run with "$LVK_NODE" from the
 * repository root, inside a director's namespace). argv: CONFIG [apply [MASTERS] | sync ROLE].
 * - apply: one reconcile of IPVS, the IPVS sysctls and the nftables table from the
 *   config, as the daemon composes them; MASTERS (comma-separated VRRP instance
 *   names, default none) are the instances this director is master of (accept_mode's
 *   filter follows them); prints {ok, ops, applied, failed, nft, sysctls, errors}.
 * - sync ROLE: the sync daemons for a VRRP role; prints {ops, failures, daemons}.
 */
export const RECONCILE_DRIVER = String.raw`
import { readFileSync } from 'node:fs';
const ROOT = process.cwd();
const { openGenericNetlink } = await import(ROOT + '/dist/os/genl.js');
const { IpvsClient } = await import(ROOT + '/dist/lvs/ipvs/index.js');
const { Reconciler } = await import(ROOT + '/dist/lvs/reconciler.js');
const { desiredStateFor } = await import(ROOT + '/dist/lvs/reconcile-desired.js');
const { applySyncForRole } = await import(ROOT + '/dist/lvs/sync-daemon.js');
const { procIpvsSysctls } = await import(ROOT + '/dist/lvs/sysctls.js');
const { nftables } = await import(ROOT + '/dist/os/nftables.js');
const { validateConfigText } = await import(ROOT + '/dist/config/validate.js');
const { systemClock } = await import(ROOT + '/dist/core/clock.js');
const { silentLogger } = await import(ROOT + '/dist/core/log.js');
const parsed = validateConfigText(readFileSync(process.argv[2], 'utf8'), 'c.yaml');
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const nl = openGenericNetlink();
const ipvs = await IpvsClient.connect(nl);
if ((process.argv[3] ?? 'apply') === 'apply') {
  const rec = new Reconciler({
    ipvs, sysctls: procIpvsSysctls(), nft: nftables(), clock: systemClock, log: silentLogger(),
    desired: (live) => desiredStateFor({ config: parsed.config, masters: new Set((process.argv[4] ?? '').split(',').filter((n) => n !== '')) }, live),
  });
  const r = await rec.start();
  await rec.stop();
  const c = rec.counters();
  console.log(JSON.stringify({ ok: r.ok, ops: r.ops.map((o) => o.op), applied: r.applied, failed: r.failed, nft: c.nftables, sysctls: c.sysctls, errors: c.errorsByKind }));
} else {
  const r = await applySyncForRole(ipvs, process.argv[4], parsed.config.ipvsSync);
  console.log(JSON.stringify({ ops: r.ops.map((o) => o.op + ' ' + (o.op === 'StartDaemon' ? o.params.state : o.state)), failures: r.failures.map((f) => f.message), daemons: r.daemons }));
}
nl.close();
`;

/**
 * The held-connection client. argv: RESULTS NAME HOST PORT COUNT [--timeout S] [--hold] [--new].
 * Opens COUNT TCP connections to HOST:PORT one after another and asks "ping1" on each right
 * after it connects (connect and answer within --timeout, default 10 s), then touches
 * RESULTS/NAME.connected. With --hold (and a connection still open): waits for RESULTS/NAME.go
 * (at most 150 s) and asks "ping2" on every connection still open (5 s each). With --new: then one
 * new connection asks "new" (5 s). A question is the word and a newline; the answer is the
 * server's reply line without its newline (echoServer answers "ping1", peerEchoServer
 * "10.0.0.1 ping1", a server that prefixes its name "r1 ping1").
 * A connection whose question failed is closed and not asked again.
 * Writes RESULTS/NAME.jsonl when done (whole, by rename), one line a round, parsed by heldRounds:
 * {"round": "first"|"second"|"new", "answers": [line|null], "errors": [repr|null], "ports": [local port|null]}.
 * Errors are Python reprs, e.g. "TimeoutError('timed out')", "ConnectionResetError(104, ...)",
 * "EOFError('connection closed')".
 */
export const HELD_CLIENT = `import argparse, json, os, socket, time
p = argparse.ArgumentParser()
for a in ('results', 'name', 'host'):
    p.add_argument(a)
p.add_argument('port', type=int)
p.add_argument('count', type=int)
p.add_argument('--timeout', type=float, default=10.0)
p.add_argument('--hold', action='store_true')
p.add_argument('--new', action='store_true')
a = p.parse_args()
base = f'{a.results}/{a.name}'
def ask(s, word, timeout):
    s.settimeout(timeout)
    s.sendall(word + b'\\n')
    buf = b''
    while not buf.endswith(b'\\n'):
        chunk = s.recv(100)
        if not chunk:
            raise EOFError('connection closed')
        buf += chunk
    return buf[:-1].decode()
def attempt(i, word, timeout):
    if socks[i] is None:
        return None, 'closed after an earlier error'
    try:
        return ask(socks[i], word, timeout), None
    except Exception as e:
        socks[i].close()
        socks[i] = None
        return None, repr(e)
def port(s):
    return None if s is None else s.getsockname()[1]
lines = []
def record(name, results, ports):
    lines.append(json.dumps({'round': name, 'answers': [r[0] for r in results], 'errors': [r[1] for r in results], 'ports': ports}))
socks, first = [], []
for i in range(a.count):
    try:
        socks.append(socket.create_connection((a.host, a.port), timeout=a.timeout))
    except Exception as e:
        socks.append(None)
        first.append((None, repr(e)))
        continue
    first.append(attempt(i, b'ping1', a.timeout))
record('first', first, [port(s) for s in socks])
open(f'{base}.connected', 'w').close()
if a.hold and any(s is not None for s in socks):
    deadline = time.time() + 150
    while not os.path.exists(f'{base}.go') and time.time() < deadline:
        time.sleep(0.1)
    ports = [port(s) for s in socks]
    record('second', [attempt(i, b'ping2', 5) for i in range(a.count)], ports)
if a.new:
    try:
        socks = [socket.create_connection((a.host, a.port), timeout=5)]
        ports = [port(socks[0])]
        record('new', [attempt(0, b'new', 5)], ports)
    except Exception as e:
        record('new', [(None, repr(e))], [None])
with open(f'{base}.jsonl.tmp', 'w') as f:
    f.write(''.join(l + '\\n' for l in lines))
os.replace(f'{base}.jsonl.tmp', f'{base}.jsonl')
`;

/** One round of HELD_CLIENT: per connection, the answer line (null if none), the error (null if none) and the local port. */
export interface HeldRound { answers: (string | null)[]; errors: (string | null)[]; ports: (number | null)[] }

/** HELD_CLIENT's rounds by name; a round not run is absent. */
export type HeldRun = Partial<Record<'first' | 'second' | 'new', HeldRound>>;

/** Parses HELD_CLIENT's NAME.jsonl. */
export function heldRounds(jsonl: string): HeldRun {
  const out: Partial<Record<string, HeldRound>> = {};
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    const { round, ...rest } = JSON.parse(line) as HeldRound & { round: string };
    out[round] = rest;
  }
  return out;
}

/** A HELD_CLIENT run of one connection: its answers and errors by round (null where none or not run), and its local port. */
export interface HeldOne { first: string | null; firstError: string | null; second: string | null; secondError: string | null; port: number | null }

/** Parses the NAME.jsonl of a HELD_CLIENT run with COUNT 1. */
export function heldOne(jsonl: string): HeldOne {
  const { first, second } = heldRounds(jsonl);
  return {
    first: first?.answers[0] ?? null, firstError: first?.errors[0] ?? null,
    second: second?.answers[0] ?? null, secondError: second?.errors[0] ?? null,
    port: first?.ports[0] ?? null,
  };
}
