/**
 * dns, udp, icmp and smtp checks against real servers of their kind, across a
 * veth pair between two namespaces (prefix lvchk): dnsmasq, a UDP echo
 * service, the kernel's ICMP echo (blocked with nftables for the negative
 * half) and an SMTP server written after RFC 5321/3207 in this file. The
 * checks run in the compiled HealthService (dist/) in the client namespace;
 * each goes down with the right reason exactly at `fall` and up again exactly
 * at `rise` (the runs are counted).
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLeftovers } from '../../helpers/netns.js';
import { ProtoLab, SRV4, SRV6, changesWithRuns, tail, virtualServerFromYaml, type Line } from './proto-checks.js';
import { selfSigned, waitFor } from './servers.js';

const TIMING = 'interval: 300ms, timeout: 250ms, rise: 2, fall: 3';

let lab: ProtoLab;
beforeAll(() => {
  removeLeftovers('lvchk');
  lab = new ProtoLab();
});
afterAll(() => { lab.destroy(); });

/** Up at exactly `rise`, down at exactly `fall` with `reason`, up again at exactly `rise`. */
async function flap(opts: { vsYaml: string; type: string; down: () => Promise<void>; up: () => Promise<void>; reason: string | RegExp }): Promise<Line[]> {
  const w = lab.watch(virtualServerFromYaml(opts.vsYaml));
  try {
    const changes = () => changesWithRuns(w.lines);
    expect(await waitFor(() => changes().length >= 1, 15_000), JSON.stringify(w.lines.slice(-5))).toBe(true);
    const first = changes()[0];
    expect(first?.change).toMatchObject({ from: 'unknown', to: 'up' });
    expect(first?.runs.map((r) => r.ok)).toEqual([true, true]);

    await opts.down();
    expect(await waitFor(() => changes().length >= 2, 15_000), JSON.stringify(w.lines.slice(-5))).toBe(true);
    const down = changes()[1];
    expect(down?.change).toMatchObject({ from: 'up', to: 'down' });
    expect(tail(down?.runs ?? [], false)).toBe(3); // exactly fall: the change came right after the third failure
    expect(down?.change.reason?.startsWith('3 consecutive failed checks: ')).toBe(true);
    const reason = down?.change.reason?.slice('3 consecutive failed checks: '.length) ?? '';
    if (typeof opts.reason === 'string') expect(reason).toBe(opts.reason);
    else expect(reason).toMatch(opts.reason);

    await opts.up();
    expect(await waitFor(() => changes().length >= 3, 15_000), JSON.stringify(w.lines.slice(-5))).toBe(true);
    const up = changes()[2];
    expect(up?.change).toMatchObject({ from: 'down', to: 'up' });
    expect(tail(up?.runs ?? [], true)).toBe(2); // exactly rise
    expect(up?.runs.slice(0, -2).every((r) => !r.ok)).toBe(true); // failures until the server was back, then exactly rise successes
    // the same results reached the metrics hook with the check's type, and the events were published
    const types = new Set(w.lines.flatMap((l) => ('result' in l ? [l.result.type] : [])));
    expect([...types]).toEqual([opts.type]);
    // The event line of the last change may follow its change line from the driver: wait for it (bounded).
    const events = (): string[] => w.lines.flatMap((l) => ('event' in l ? [l.event] : []));
    await waitFor(() => events().includes('real_server_up'), 5_000);
    expect(events()).toEqual(expect.arrayContaining(['real_server_down', 'real_server_up']) as unknown);
    return w.lines;
  } finally {
    await w.stop();
  }
}

describe('dns check against dnsmasq', () => {
  const big = Array.from({ length: 4 }, () => 'x'.repeat(200)).join(',');
  const dnsmasqArgs = [
    'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--pid-file=', '--user=root',
    `--listen-address=${SRV4}`, `--listen-address=${SRV6}`, '--bind-interfaces', '--port=53', '--local=/example.test/', '--local-ttl=300',
    '--host-record=www.example.test,10.1.2.3,2001:db8::3', `--txt-record=big.example.test,${big}`, '--log-facility=-',
  ];
  let dnsmasq: ChildProcess | null = null;
  const start = async () => { dnsmasq = await lab.server(dnsmasqArgs, () => lab.listening('udp', 53, 2) && lab.listening('tcp', 53, 2)); };
  const stop = async () => { if (dnsmasq) await lab.stop(dnsmasq); };
  beforeAll(start);
  afterAll(stop);

  const vs = (check: string, address = SRV4) => `- name: dns\n  address: ${address.includes(':') ? '"2001:db8::53"' : '10.79.1.53'}\n  port: 53\n  protocol: udp\n  real_servers: [{ address: "${address}" }]\n  check: { type: dns, ${check} }`;

  it('is up for the expected answer, down with the rcode, the answer or no reply', () => {
    expect(lab.once(virtualServerFromYaml(vs('query_name: www.example.test, query_type: A, expect_answer: "^10\\\\.1\\\\.2\\\\.3$"')))).toMatchObject({ ok: true });
    expect(lab.once(virtualServerFromYaml(vs('query_name: www.example.test, query_type: AAAA, expect_answer: "^2001:db8::3$"', SRV6)))).toMatchObject({ ok: true });
    expect(lab.once(virtualServerFromYaml(vs('query_name: nx.example.test, query_type: A')))).toMatchObject({ ok: false, reason: 'rcode NXDOMAIN, expected NOERROR' });
    expect(lab.once(virtualServerFromYaml(vs('query_name: nx.example.test, query_type: A, expect_rcode: NXDOMAIN')))).toMatchObject({ ok: true });
    // Keepalived's defaults (SOA of the root): dnsmasq without upstream refuses it
    expect(lab.once(virtualServerFromYaml(vs('timeout: 1s')))).toMatchObject({ ok: false, reason: 'rcode REFUSED, expected NOERROR' });
    expect(lab.once(virtualServerFromYaml(vs('query_name: www.example.test, query_type: A, expect_answer: "^10\\\\.9\\\\."'))))
      .toMatchObject({ ok: false, reason: 'no answer matches /^10\\.9\\./ (got 10.1.2.3)' });
    expect(lab.once(virtualServerFromYaml(vs('query_name: www.example.test, query_type: MX, expect_answer: "mail"'))))
      .toMatchObject({ ok: false, reason: 'no MX answer for www.example.test (expect_answer /mail/)' });
    // an 800-byte TXT record does not fit 512 bytes of UDP: truncated, asked again over TCP
    expect(lab.once(virtualServerFromYaml(vs('query_name: big.example.test, query_type: TXT, expect_answer: "^x{800}$"')))).toMatchObject({ ok: true });
    expect(lab.once(virtualServerFromYaml(vs('query_name: www.example.test, query_type: A, connect_port: 5353')))).toMatchObject({ ok: false, reason: 'no reply: connection refused (port unreachable) (ECONNREFUSED)' });
  });

  it('goes down at fall when dnsmasq stops, up at rise when it is back', async () => {
    await flap({
      vsYaml: vs(`query_name: www.example.test, query_type: A, expect_answer: "^10\\\\.1\\\\.2\\\\.3$", ${TIMING}`),
      type: 'dns',
      down: stop,
      up: start,
      reason: 'no reply: connection refused (port unreachable) (ECONNREFUSED)',
    });
  });
});

describe('udp check against a UDP echo service', () => {
  let echo: ChildProcess | null = null;
  const script = () => lab.file('udp-echo.mjs', `
import { createSocket } from 'node:dgram';
const [addr, port, mode] = process.argv.slice(2);
const s = createSocket(addr.includes(':') ? 'udp6' : 'udp4');
s.on('message', (m, r) => { if (mode === 'echo') s.send(Buffer.concat([Buffer.from('pong:'), m]), r.port, r.address); });
s.bind(Number(port), addr);
`);
  const start = async (mode = 'echo', address = SRV4) => { echo = await lab.server([process.execPath, script(), address, '7007', mode], () => lab.listening('udp', 7007)); };
  const stop = async () => { if (echo) await lab.stop(echo); };
  afterAll(stop);
  const vs = (check: string, address = SRV4) => `- name: udp\n  address: ${address.includes(':') ? '"2001:db8::70"' : '10.79.1.70'}\n  port: 7007\n  protocol: udp\n  real_servers: [{ address: "${address}" }]\n  check: { type: udp, ${check} }`;

  it('matches the reply; without a reply expectation silence is up and an ICMP port unreachable down', async () => {
    await start('echo');
    expect(lab.once(virtualServerFromYaml(vs('payload: ping, expect_reply: "^pong:ping$"')))).toMatchObject({ ok: true });
    expect(lab.once(virtualServerFromYaml(vs('payload_hex: "00ff", expect_reply_hex: "706f6e673a00ff"')))).toMatchObject({ ok: true });
    expect(lab.once(virtualServerFromYaml(vs('payload: ping, expect_reply: "^pang"')))).toMatchObject({ ok: false, reason: 'reply does not match /^pang/' });
    await stop();
    await start('silent');
    const silent = lab.once(virtualServerFromYaml(vs('payload: ping, timeout: 400ms')));
    expect(silent).toMatchObject({ ok: true });
    expect(silent.latencyMs).toBeGreaterThanOrEqual(300); // it waited for an ICMP error until its deadline (360 ms)
    expect(lab.once(virtualServerFromYaml(vs('payload: ping, require_reply: true, timeout: 400ms')))).toMatchObject({ ok: false, reason: 'no reply within 360 ms' });
    await stop();
    expect(lab.once(virtualServerFromYaml(vs('payload: ping, timeout: 400ms')))).toMatchObject({ ok: false, reason: 'ICMP port unreachable (ECONNREFUSED)' });
  });

  it('over IPv6 too', async () => {
    await start('echo', SRV6);
    expect(lab.once(virtualServerFromYaml(vs('payload: ping6, expect_reply: "^pong:ping6$"', SRV6)))).toMatchObject({ ok: true });
    await stop();
    expect(lab.once(virtualServerFromYaml(vs('payload: ping6', SRV6)))).toMatchObject({ ok: false, reason: 'ICMP port unreachable (ECONNREFUSED)' });
  });

  it('goes down at fall when the port closes (ICMP port unreachable), up at rise when it answers again', async () => {
    await start('echo');
    await flap({ vsYaml: vs(`payload: ping, expect_reply: "^pong:", ${TIMING}`), type: 'udp', down: stop, up: () => start('echo'), reason: 'ICMP port unreachable (ECONNREFUSED)' });
    await stop();
  });
});

describe('icmp check against the kernel echo, blocked with nftables', () => {
  const block = (verdict = 'drop') => {
    lab.nft(`table inet lvchk {\n chain in {\n  type filter hook input priority 0; policy accept;\n  icmp type echo-request ${verdict}\n  icmpv6 type echo-request ${verdict === 'drop' ? 'drop' : 'reject with icmpv6 type admin-prohibited'}\n }\n}\n`);
  };
  const unblock = () => { lab.nft('delete table inet lvchk\n'); };
  const vs = (check: string, address = SRV4) => `- name: ping\n  address: ${address.includes(':') ? '"2001:db8::80"' : '10.79.1.80'}\n  port: 80\n  real_servers: [{ address: "${address}" }]\n  check: { type: icmp, ${check} }`;

  it('IPv4 and IPv6: up with replies, down when the echo requests are dropped or rejected', () => {
    expect(lab.once(virtualServerFromYaml(vs('count: 3, min_replies: 3')))).toMatchObject({ ok: true });
    expect(lab.once(virtualServerFromYaml(vs('count: 2', SRV6)))).toMatchObject({ ok: true });
    block('drop');
    try {
      expect(lab.once(virtualServerFromYaml(vs('count: 3, min_replies: 2, timeout: 400ms')))).toMatchObject({ ok: false, reason: '0 of 3 echo replies (need 2) within 360 ms' });
      expect(lab.once(virtualServerFromYaml(vs('timeout: 400ms', SRV6)))).toMatchObject({ ok: false, reason: '0 of 1 echo replies (need 1) within 360 ms' });
    } finally {
      unblock();
    }
    block('reject with icmp type admin-prohibited');
    try {
      expect(lab.once(virtualServerFromYaml(vs('count: 2')))).toMatchObject({ ok: false, reason: '0 of 2 echo replies (need 1): destination unreachable (code 13)' });
      expect(lab.once(virtualServerFromYaml(vs('count: 1', SRV6)))).toMatchObject({ ok: false, reason: '0 of 1 echo replies (need 1): destination unreachable (code 1)' });
    } finally {
      unblock();
    }
    // iputils ping from the client namespace agrees once the rules are gone
    expect(lab.lab.exec(lab.cli, ['ping', '-c1', '-W1', SRV4]).status).toBe(0);
  });

  it('goes down at fall while nftables drops the echo requests, up at rise when they pass', async () => {
    await flap({
      vsYaml: vs(TIMING),
      type: 'icmp',
      down: () => { block('drop'); return Promise.resolve(); },
      up: () => { unblock(); return Promise.resolve(); },
      reason: '0 of 1 echo replies (need 1) within 225 ms',
    });
  });
});

describe('smtp check against an SMTP server', () => {
  const tls = selfSigned('mx.example.test');
  const keyFile = () => lab.file('smtp.key', tls.key.toString());
  const certFile = () => lab.file('smtp.crt', tls.cert.toString());
  // A small SMTP server after RFC 5321 (replies, multi-line EHLO) and RFC 3207 (STARTTLS).
  const script = () => lab.file('smtp.mjs', `
import { createServer } from 'node:net';
import { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
const [addr, port, mode, keyFile, certFile] = process.argv.slice(2);
const key = readFileSync(keyFile), cert = readFileSync(certFile);
function session(sock, secure) {
  let buf = '';
  const say = (l) => sock.write(l + '\\r\\n');
  sock.on('error', () => {});
  if (!secure) say(mode === 'banner554' ? '554 5.3.2 mx.example.test no SMTP service here' : '220 mx.example.test ESMTP lvchk');
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    let i;
    while ((i = buf.indexOf('\\r\\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 2); if (handle(line) === 'tls') return; }
  });
  function handle(line) {
    const verb = line.split(' ')[0].toUpperCase();
    if (verb === 'EHLO') {
      if (mode === 'noehlo') return say('502 5.5.1 EHLO not implemented');
      say('250-mx.example.test greets ' + line.slice(5)); say('250-PIPELINING'); say('250-SIZE 10240000');
      if (!secure) say('250-STARTTLS');
      return say('250 8BITMIME');
    }
    if (verb === 'HELO') return say('250 mx.example.test');
    if (verb === 'STARTTLS' && !secure) {
      say('220 2.0.0 Ready to start TLS');
      sock.removeAllListeners('data');
      session(new TLSSocket(sock, { isServer: true, key, cert }), true);
      return 'tls';
    }
    if (verb === 'QUIT') { say('221 2.0.0 Bye'); return sock.end(); }
    return say('500 5.5.2 command unrecognized');
  }
}
createServer((s) => session(s, false)).listen(Number(port), addr);
`);
  let smtp: ChildProcess | null = null;
  const start = async (mode = 'normal') => { smtp = await lab.server([process.execPath, script(), SRV4, '2525', mode, keyFile(), certFile()], () => lab.listening('tcp', 2525)); };
  const stop = async () => { if (smtp) await lab.stop(smtp); };
  afterAll(stop);
  const vs = (check: string) => `- name: mail\n  address: 10.79.1.25\n  port: 2525\n  forwarding: nat\n  real_servers: [{ address: "${SRV4}" }]\n  check: { type: smtp, ${check} }`;

  it('banner, EHLO (HELO fallback), STARTTLS and QUIT, and the failures of each step', async () => {
    await start('normal');
    expect(lab.once(virtualServerFromYaml(vs('helo_name: director-a.example.test')))).toMatchObject({ ok: true });
    expect(lab.once(virtualServerFromYaml(vs('starttls: true, tls_verify: false')))).toMatchObject({ ok: true });
    expect(lab.once(virtualServerFromYaml(vs(`starttls: true, ca_file: ${certFile()}, tls_server_name: mx.example.test`)))).toMatchObject({ ok: true });
    // without tls_server_name the certificate is verified against the address probed, which it does not name
    expect(lab.once(virtualServerFromYaml(vs(`starttls: true, ca_file: ${certFile()}`)))).toMatchObject({ ok: false, reason: expect.stringMatching(/^TLS: ERR_TLS_CERT_ALTNAME_INVALID .*IP: 10\.79\.0\.2/) as unknown });
    expect(lab.once(virtualServerFromYaml(vs('starttls: true')))).toMatchObject({ ok: false, reason: expect.stringMatching(/^TLS: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID)/) as unknown });
    await stop();
    await start('noehlo');
    expect(lab.once(virtualServerFromYaml(vs('helo_name: director-a.example.test')))).toMatchObject({ ok: true }); // HELO after a 502 to EHLO
    expect(lab.once(virtualServerFromYaml(vs('starttls: true, tls_verify: false')))).toMatchObject({ ok: false, reason: 'EHLO: 502 5.5.1 EHLO not implemented (STARTTLS needs EHLO)' });
    await stop();
    await start('banner554');
    expect(lab.once(virtualServerFromYaml(vs('')))).toMatchObject({ ok: false, reason: 'banner: 554 5.3.2 mx.example.test no SMTP service here' });
    await stop();
    expect(lab.once(virtualServerFromYaml(vs('')))).toMatchObject({ ok: false, reason: 'connect: ECONNREFUSED' });
  });

  it('goes down at fall when the server stops, up at rise when it is back', async () => {
    await start('normal');
    await flap({ vsYaml: vs(`starttls: true, tls_verify: false, ${TIMING}`), type: 'smtp', down: stop, up: () => start('normal'), reason: 'connect: ECONNREFUSED' });
    await stop();
  });
});
