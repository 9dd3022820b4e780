/**
 * The Prometheus listener (node:http): GET /metrics answers the exposition of
 * the daemon's current status; anything else is 404 (405 for other methods
 * on /metrics). Listens on control.metrics_listen; loopback is the sane choice.
 */
import { createServer, type Server } from 'node:http';
import type { JsonObject } from '../control/protocol.js';
import { CONTENT_TYPE, renderExposition } from './exposition.js';
import { metricsFromStatus } from './from-status.js';

export interface MetricsServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly status: () => JsonObject;
  readonly onError?: (err: Error) => void;
}

export function metricsText(status: JsonObject): string {
  return renderExposition(metricsFromStatus(status));
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let body: string;
    try {
      body = metricsText(options.status());
    } catch (err) {
      options.onError?.(err instanceof Error ? err : new Error(String(err)));
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('clientError', (err, socket) => {
    options.onError?.(err);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : options.port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => { resolve(); });
      server.closeAllConnections();
    }),
  };
}
