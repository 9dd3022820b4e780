/**
 * Benchmark targets, run by bench.ts in a child process so that their CPU is
 * not counted as the checker's: `tcp` listeners that accept and close at
 * once, `http` listeners that answer every request with 200 "ok" and close.
 * Prints one line "ready" when every listener is up.
 */
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcp, type Server, type Socket } from 'node:net';
import { layout } from './layout.js';

const [tcpCount = 0, httpCount = 0] = process.argv.slice(2).map(Number);
const servers: Server[] = [];

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 511 }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

const onTcp = (sock: Socket): void => {
  sock.on('error', () => undefined);
  sock.destroy();
};
const onHttp = (_req: IncomingMessage, res: ServerResponse): void => {
  res.setHeader('connection', 'close');
  res.end('ok');
};

for (const t of layout(tcpCount, httpCount)) {
  const server = t.kind === 'tcp' ? createTcp(onTcp) : createHttp(onHttp);
  server.on('error', () => undefined);
  servers.push(server);
  await listen(server, t.host, t.port);
}
process.stdout.write('ready\n');
process.on('SIGTERM', () => process.exit(0));
