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
