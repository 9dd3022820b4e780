/** Loopback servers that tests make flap, and small process helpers. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckTimeoutReason } from '../../../src/health/scheduler.js';
import type { Checker } from '../../../src/health/checkers/index.js';
import type { CheckResult } from '../../../src/health/hysteresis.js';

export interface Seen {
  connections: number;
  requests: { method: string; url: string; host: string | undefined; remote: string | undefined; servername?: string }[];
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Run one check with a timeout the way the scheduler does. */
export async function runWithTimeout(checker: Checker, timeoutMs: number): Promise<CheckResult> {
  const controller = new AbortController();
  const t = setTimeout(() => { controller.abort(new CheckTimeoutReason(timeoutMs)); }, timeoutMs);
  try {
    return await checker(controller.signal);
  } finally {
    clearTimeout(t);
  }
}

export async function listen(server: Server, host = '127.0.0.1', port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { resolve(); });
  });
  return (server.address() as AddressInfo).port;
}

export async function close(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
}

/** An HTTP server whose behaviour the test swaps with `handler`. */
export function httpServer(seen: Seen, state: { handler: Handler }) {
  const server = createHttpServer((req, res) => {
    seen.requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, remote: req.socket.remoteAddress });
    state.handler(req, res);
  });
  server.on('connection', () => { seen.connections += 1; });
  return server;
}

export function tcpServer(sockets: Socket[] = []): Server {
  return createTcpServer((s) => { sockets.push(s); s.on('error', () => undefined); });
}

/** A self-signed certificate for `name`, written to a temp dir. */
export function selfSigned(name: string): { key: Buffer; cert: Buffer; certFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lvh-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
  ], { stdio: 'ignore' });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

export function httpsServer(seen: Seen, tls: { key: Buffer; cert: Buffer }, state: { handler: Handler }) {
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const servername: unknown = (req.socket as unknown as { servername?: unknown }).servername;
    seen.requests.push({
      method: req.method ?? '', url: req.url ?? '', host: req.headers.host, remote: req.socket.remoteAddress,
      ...(typeof servername === 'string' ? { servername } : {}),
    });
    state.handler(req, res);
  });
  server.on('secureConnection', () => { seen.connections += 1; });
  return server;
}

/** True when pid no longer exists (or is a zombie awaiting its reaper). */
export function pidGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

/** The test's script user: `lvh-script` (created as a system user if absent). */
export function scriptUserName(): string {
  try {
    execFileSync('id', ['-u', 'lvh-script'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-r', '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', 'lvh-script'], { stdio: 'ignore' });
  }
  return 'lvh-script';
}

export function writeScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}
