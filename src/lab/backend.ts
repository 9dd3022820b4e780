/**
 * A lab real server: a small HTTP server that answers every request with its
 * name (body and X-Real-Server header), keeping connections open for as long
 * as the client wants, so a drill can hold established sessions across a
 * failover. Run as: node dist/lab/backend.js NAME PORT
 */
import { createServer } from 'node:http';

const [name, portText] = process.argv.slice(2);
const port = Number(portText);
if (name === undefined || !/^[a-z0-9-]{1,32}$/.test(name) || !Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: node backend.js NAME PORT\n');
  process.exit(2);
}

const body = `${name}\n`;
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-real-server': name });
  res.end(body);
});
// Held drill connections sit idle between rounds: never close them for idleness.
server.keepAliveTimeout = 0;
server.requestTimeout = 0;
server.headersTimeout = 60_000;
server.listen(port, '0.0.0.0', () => {
  process.stdout.write(`lab backend ${name} listening on :${String(port)}\n`);
});
const stop = (): void => {
  server.close();
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
