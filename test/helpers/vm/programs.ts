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
