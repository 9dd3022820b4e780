import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpChecker, type HttpCheckSpec } from '../../../src/health/checkers/http.js';
import { buildChecker } from '../../../src/health/checkers/index.js';
import type { CheckResult } from '../../../src/health/hysteresis.js';
import { httpCheck, ip, tcpCheck } from '../../unit/health/fixtures.js';
import {
  close, httpServer, httpsServer, listen, runWithTimeout, selfSigned, tcpServer, waitFor, type Handler, type Seen,
} from './servers.js';

const deps = { now: () => performance.now(), scriptUser: null };
const target = (port: number, address = '127.0.0.1') => ({ address: ip(address), port });

describe('tcp checker (loopback)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => { server = tcpServer(); port = await listen(server); });
  afterAll(async () => { await close(server); });

  it('is up when the port accepts', async () => {
    const r = await runWithTimeout(buildChecker(target(port), tcpCheck(), deps), 500);
    expect(r.ok).toBe(true);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('is down with the error code when the port refuses', async () => {
    const closed = tcpServer();
    const p = await listen(closed);
    await close(closed);
    const r = await runWithTimeout(buildChecker(target(p), tcpCheck(), deps), 500);
    expect(r).toMatchObject({ ok: false, reason: 'connect: ECONNREFUSED' });
  });

  it('honours connect_address/connect_port and the source bind address', async () => {
    const remotes: string[] = [];
    server.on('connection', (s) => { remotes.push(s.remoteAddress ?? ''); });
    const check = tcpCheck({ connectAddress: ip('127.0.0.1'), connectPort: port, bindAddress: ip('127.0.0.7') });
    const r = await runWithTimeout(buildChecker(target(1, '127.0.0.99'), check, deps), 500);
    expect(r.ok).toBe(true);
    expect(remotes).toContain('127.0.0.7');
  });

  it('is down when the signal is already aborted', async () => {
    const c = new AbortController();
    c.abort(new Error('timeout after 1 ms'));
    const r = await buildChecker(target(port), tcpCheck(), deps)(c.signal);
    expect(r).toMatchObject({ ok: false, reason: 'timeout after 1 ms' });
  });
});

describe('http checker (loopback)', () => {
  const seen: Seen = { connections: 0, requests: [] };
  const state: { handler: Handler } = { handler: (_q, s) => { s.end('ok'); } };
  const server = httpServer(seen, state);
  let port: number;
  beforeAll(async () => { port = await listen(server); });
  afterAll(async () => { await close(server); });
  const check = (over: Parameters<typeof httpCheck>[0] = {}) => buildChecker(target(port), httpCheck(over), deps);

  it('is up on 200 and sends method, path and Host header', async () => {
    state.handler = (_q, s) => { s.end('all good'); };
    seen.requests.length = 0;
    expect((await runWithTimeout(check({ host: 'www.example.test', path: '/hc?x=1' }), 1000)).ok).toBe(true);
    expect(seen.requests[0]).toMatchObject({ method: 'GET', url: '/hc?x=1', host: 'www.example.test' });
    expect((await runWithTimeout(check({ method: 'HEAD' }), 1000)).ok).toBe(true);
    expect(seen.requests[1]).toMatchObject({ method: 'HEAD', host: `127.0.0.1:${String(port)}` });
  });

  it('opens a fresh connection for every run of one checker', async () => {
    state.handler = (_q, s) => { s.end('ok'); };
    const one = check();
    const before = seen.connections;
    for (let i = 0; i < 3; i++) expect((await runWithTimeout(one, 1000)).ok).toBe(true);
    expect(seen.connections - before).toBe(3);
  });

  it('recovers after a run that timed out', async () => {
    const one = check();
    state.handler = () => undefined;
    expect(await runWithTimeout(one, 200)).toMatchObject({ ok: false, reason: 'timeout after 200 ms' });
    state.handler = (_q, s) => { s.end('ok'); };
    expect((await runWithTimeout(one, 1000)).ok).toBe(true);
  });

  it('is down with the status when it is outside expect_status, up inside a range', async () => {
    state.handler = (_q, s) => { s.statusCode = 503; s.end('busy'); };
    expect(await runWithTimeout(check(), 1000)).toMatchObject({ ok: false, reason: 'status 503 not in 200-299' });
    expect((await runWithTimeout(check({ expectStatus: [[200, 200], [500, 503]] }), 1000)).ok).toBe(true);
  });

  it('checks the body against expect_body', async () => {
    state.handler = (_q, s) => { s.end('status: degraded'); };
    expect(await runWithTimeout(check({ expectBody: 'status: (ok|fine)' }), 1000))
      .toMatchObject({ ok: false, reason: 'body does not match /status: (ok|fine)/' });
    state.handler = (_q, s) => { s.end('status: fine'); };
    expect((await runWithTimeout(check({ expectBody: 'status: (ok|fine)' }), 1000)).ok).toBe(true);
  });

  it('checks the sha256 digest of the body', async () => {
    const good = createHash('sha256').update('payload-v1').digest('hex');
    state.handler = (_q, s) => { s.end('payload-v1'); };
    expect((await runWithTimeout(check({ expectDigest: good }), 1000)).ok).toBe(true);
    state.handler = (_q, s) => { s.end('payload-v2'); };
    const r = await runWithTimeout(check({ expectDigest: good }), 1000);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^body sha256 [0-9a-f]{64} != expected /);
  });

  it('checks the MD5 digest of the body (expect_digest_md5, Keepalived digest)', async () => {
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const spec = (over: Partial<HttpCheckSpec>): HttpCheckSpec => ({
      scheme: 'http', host: '127.0.0.1', port, bindAddress: null, method: 'GET', path: '/index.html', hostHeader: null,
      expectStatus: [[200, 299]], expectBody: null, expectDigest: null, tlsVerify: false, tlsServerName: null, caFile: null,
      maxBodyBytes: 65536, ...over,
    });
    const md5Check = (over: Partial<HttpCheckSpec>) => httpChecker(spec(over), deps.now);
    const good = md5('<html>v1</html>\n');
    state.handler = (_q, s) => { s.end('<html>v1</html>\n'); };
    expect(await runWithTimeout(md5Check({ expectDigestMd5: good }), 1000)).toMatchObject({ ok: true });
    expect((await runWithTimeout(md5Check({ expectDigestMd5: good.toUpperCase() }), 1000)).ok).toBe(true);
    expect(seen.requests.at(-1)).toMatchObject({ method: 'GET', url: '/index.html' });
    state.handler = (_q, s) => { s.end('<html>v2</html>\n'); };
    expect(await runWithTimeout(md5Check({ expectDigestMd5: good }), 1000))
      .toMatchObject({ ok: false, reason: `digest mismatch (md5 ${md5('<html>v2</html>\n')} != expected ${good})` });
    // The same through buildChecker, as the daemon builds checks from the config.
    expect(await runWithTimeout(check({ path: '/index.html', expectDigestMd5: good }), 1000))
      .toMatchObject({ ok: false, reason: expect.stringMatching(/^digest mismatch \(md5 /) as unknown });
    // With both digests, each must match: a right sha256 does not hide a wrong MD5, nor the reverse.
    const sha = createHash('sha256').update('<html>v2</html>\n').digest('hex');
    expect(await runWithTimeout(md5Check({ expectDigest: sha, expectDigestMd5: good }), 1000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^digest mismatch \(md5 /) as unknown });
    expect((await runWithTimeout(md5Check({ expectDigest: sha, expectDigestMd5: md5('<html>v2</html>\n') }), 1000)).ok).toBe(true);
    expect(await runWithTimeout(md5Check({ expectDigest: 'b'.repeat(64), expectDigestMd5: md5('<html>v2</html>\n') }), 1000))
      .toMatchObject({ ok: false, reason: expect.stringMatching(/^body sha256 /) as unknown });
    // Without expect_digest_md5 the changed body is up: the MD5 is what made it down.
    expect((await runWithTimeout(md5Check({}), 1000)).ok).toBe(true);
    state.handler = (_q, s) => { s.end('y'.repeat(4096)); };
    expect(await runWithTimeout(md5Check({ maxBodyBytes: 1024, expectDigestMd5: md5('y'.repeat(4096)) }), 2000))
      .toMatchObject({ ok: false, reason: 'body larger than 1024 bytes, digest not checked' });
    expect((await runWithTimeout(md5Check({ expectDigestMd5: md5('y'.repeat(4096)) }), 1000)).ok).toBe(true);
  });

  it('reads at most max_body_bytes of a large body', async () => {
    state.handler = (_q, s) => { s.end(`ok-marker${'x'.repeat(4 * 1024 * 1024)}`); };
    expect((await runWithTimeout(check({ maxBodyBytes: 1024, expectBody: '^ok-marker' }), 2000)).ok).toBe(true);
    const r = await runWithTimeout(check({ maxBodyBytes: 1024, expectDigest: 'a'.repeat(64) }), 2000);
    expect(r).toMatchObject({ ok: false, reason: 'body larger than 1024 bytes, digest not checked' });
  });

  it('start form (the scheduler\'s): a cancel ends a hanging request once, with its reason, and closes it', async () => {
    let closed = false;
    state.handler = (req) => { req.socket.once('close', () => { closed = true; }); };
    const start = check().start;
    expect(start).toBeDefined();
    const results: CheckResult[] = [];
    const before = seen.requests.length;
    const cancel = start?.((r) => results.push(r));
    expect(await waitFor(() => seen.requests.length > before, 1000)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(results).toHaveLength(0); // the server never answers
    cancel?.(new Error('timeout after 50 ms'));
    cancel?.(new Error('again'));
    expect(results).toEqual([expect.objectContaining({ ok: false, reason: 'timeout after 50 ms' })]);
    expect(await waitFor(() => closed, 1000)).toBe(true);
    expect(results).toHaveLength(1);
  });

  it('start form: done once per run with the verdict, also for many runs of one checker', async () => {
    state.handler = (_q, s) => { s.statusCode = 503; s.end('busy'); };
    const start = check().start;
    const results: CheckResult[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => { start?.((r) => { results.push(r); resolve(); }); });
    }
    expect(results.map((r) => r.reason)).toEqual(Array<string>(5).fill('status 503 not in 200-299'));
  });

  it('is down after the timeout when the server accepts but never answers', async () => {
    state.handler = () => undefined;
    const t0 = performance.now();
    const r = await runWithTimeout(check(), 300);
    const took = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, reason: 'timeout after 300 ms' });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });
});

describe('https checker (loopback)', () => {
  const seen: Seen = { connections: 0, requests: [] };
  const state: { handler: Handler } = { handler: (_q, s) => { s.end('ok'); } };
  const tls = selfSigned('rs.lvh.test');
  const server = httpsServer(seen, tls, state);
  let port: number;
  beforeAll(async () => { port = await listen(server); });
  afterAll(async () => { await close(server); });
  const check = (over: Parameters<typeof httpCheck>[0] = {}) =>
    buildChecker(target(port), httpCheck({ type: 'https', ...over }), deps);

  it('verifies against the CA file with SNI from tls_server_name', async () => {
    const r = await runWithTimeout(check({ caFile: tls.certFile, tlsServerName: 'rs.lvh.test' }), 2000);
    expect(r.ok).toBe(true);
    expect(seen.requests.at(-1)?.servername).toBe('rs.lvh.test');
  });

  it('uses the Host header name for SNI when no server name is given', async () => {
    const r = await runWithTimeout(check({ caFile: tls.certFile, host: 'rs.lvh.test' }), 2000);
    expect(r.ok).toBe(true);
    expect(seen.requests.at(-1)).toMatchObject({ servername: 'rs.lvh.test', host: 'rs.lvh.test' });
  });

  it('start form with a CA file: a run cancelled before the client is ready reports the cancel once', async () => {
    const start = check({ caFile: tls.certFile, tlsServerName: 'rs.lvh.test' }).start;
    const results: CheckResult[] = [];
    const cancel = start?.((r) => results.push(r)); // the CA file is still being read
    cancel?.(new Error('check removed'));
    await new Promise((r) => setTimeout(r, 100));
    expect(results).toEqual([expect.objectContaining({ ok: false, reason: 'check removed' })]);
    const ok = await new Promise<CheckResult>((resolve) => { start?.(resolve); });
    expect(ok.ok).toBe(true);
  });

  it('is down when verification fails, up with verify off', async () => {
    const bad = await runWithTimeout(check({ tlsServerName: 'rs.lvh.test' }), 2000);
    expect(bad.ok).toBe(false);
    expect(bad.reason).toMatch(/self.signed|SELF_SIGNED/i);
    const wrongName = await runWithTimeout(check({ caFile: tls.certFile, tlsServerName: 'other.test' }), 2000);
    expect(wrongName.ok).toBe(false);
    expect((await runWithTimeout(check({ tlsVerify: false }), 2000)).ok).toBe(true);
  });
});

describe('IPv6 loopback targets', () => {
  const seen: Seen = { connections: 0, requests: [] };
  const server = httpServer(seen, { handler: (_q, s) => { s.end('ok'); } });
  let port: number;
  beforeAll(async () => { port = await listen(server, '::1'); });
  afterAll(async () => { await close(server); });

  it('tcp and http reach [::1] with a bracketed default Host header', async () => {
    expect((await runWithTimeout(buildChecker(target(port, '::1'), tcpCheck(), deps), 1000)).ok).toBe(true);
    expect((await runWithTimeout(buildChecker(target(port, '::1'), httpCheck(), deps), 1000)).ok).toBe(true);
    expect(seen.requests.at(-1)?.host).toBe(`[::1]:${String(port)}`);
    const spare = tcpServer();
    const closedPort = await listen(spare, '::1');
    await close(spare);
    expect((await runWithTimeout(buildChecker(target(closedPort, '::1'), tcpCheck(), deps), 1000)).ok).toBe(false);
  });
});

describe('tcp checker against a listener whose accept queue is full', () => {
  it('is down with a timeout when the SYN is never answered', async () => {
    // A child listens with backlog 1 and is then stopped (SIGSTOP), so it never
    // accepts: once its queue is full the kernel drops further SYNs and a
    // connect hangs until the check's timeout.
    const child = spawn(process.execPath, ['-e', [
      "const s = require('node:net').createServer(() => undefined);",
      "s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port));",
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const p = Number(line.toString().trim());
      child.kill('SIGSTOP');
      const fillers: Socket[] = [];
      for (let i = 0; i < 4; i++) fillers.push(connect(p, '127.0.0.1').on('error', () => undefined));
      await new Promise((r) => setTimeout(r, 200));
      const r = await runWithTimeout(buildChecker(target(p), tcpCheck(), deps), 300);
      expect(r).toMatchObject({ ok: false, reason: 'timeout after 300 ms' });
      for (const f of fillers) f.destroy();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
