/** The pure parts of the dns, udp, icmp and smtp checkers: reply matching, parsing, the SMTP dialogue. */
import { describe, expect, test } from 'vitest';
import { dnsVerdict, rcodeOf, renderAnswers } from '../../../src/health/checkers/dns.js';
import { buildEchoRequest, internetChecksum, parseEchoMessage } from '../../../src/health/checkers/icmp.js';
import { offersStarttls, smtpNext, takeSmtpReply, type SmtpReply } from '../../../src/health/checkers/smtp.js';
import { ownDeadlineMs } from '../../../src/health/checkers/types.js';
import { udpErrorText, udpReplyVerdict } from '../../../src/health/checkers/udp.js';

describe('own deadline', () => {
  test('10% of the timeout before it, at most 50 ms, at least 1 ms', () => {
    expect(ownDeadlineMs(1000)).toBe(950);
    expect(ownDeadlineMs(250)).toBe(225);
    expect(ownDeadlineMs(10)).toBe(9);
    expect(ownDeadlineMs(1)).toBe(1);
  });
});

describe('dns', () => {
  test('c-ares error codes map back to response codes; the rest is no usable reply', () => {
    expect(rcodeOf('ENOTFOUND')).toEqual({ rcode: 'NXDOMAIN', answers: [] });
    expect(rcodeOf('ENODATA')).toEqual({ rcode: 'NOERROR', answers: [] });
    expect(rcodeOf('ESERVFAIL')).toEqual({ rcode: 'SERVFAIL', answers: [] });
    expect(rcodeOf('EREFUSED')).toEqual({ rcode: 'REFUSED', answers: [] });
    expect(rcodeOf('ENOTIMP')).toEqual({ rcode: 'NOTIMP', answers: [] });
    expect(rcodeOf('EFORMERR')).toEqual({ rcode: 'FORMERR', answers: [] });
    expect(rcodeOf('ETIMEOUT')).toEqual({ failure: 'no reply (ETIMEOUT)' });
    expect(rcodeOf('ECONNREFUSED')).toEqual({ failure: 'no reply: connection refused (port unreachable) (ECONNREFUSED)' });
    expect(rcodeOf('EWEIRD')).toEqual({ failure: 'query failed (EWEIRD)' });
  });

  test('answers as text, per type', () => {
    expect(renderAnswers('A', ['10.0.0.1', '10.0.0.2'])).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(renderAnswers('MX', [{ priority: 10, exchange: 'mx.example.com' }])).toEqual(['10 mx.example.com']);
    expect(renderAnswers('TXT', [['v=spf1 ', '-all']])).toEqual(['v=spf1 -all']);
    expect(renderAnswers('SRV', [{ priority: 0, weight: 5, port: 5060, name: 'sip.example.com' }])).toEqual(['0 5 5060 sip.example.com']);
    expect(renderAnswers('SOA', { nsname: 'ns1.example.com', hostmaster: 'hostmaster.example.com', serial: 7, refresh: 3600, retry: 600, expire: 86400, minttl: 60 }))
      .toEqual(['ns1.example.com hostmaster.example.com 7 3600 600 86400 60']);
    expect(renderAnswers('CAA', [{ critical: 0, issue: 'letsencrypt.org' }])).toEqual(['0 issue "letsencrypt.org"']);
  });

  test('verdicts: rcode first, then an answer must match', () => {
    const spec = { expectRcode: 'NOERROR' as const, queryName: 'www.example.com', queryType: 'A' as const };
    expect(dnsVerdict(spec, null, { rcode: 'NOERROR', answers: [] })).toBeNull();
    expect(dnsVerdict(spec, null, { rcode: 'NXDOMAIN', answers: [] })).toBe('rcode NXDOMAIN, expected NOERROR');
    expect(dnsVerdict({ ...spec, expectRcode: 'NXDOMAIN' }, null, { rcode: 'NXDOMAIN', answers: [] })).toBeNull();
    expect(dnsVerdict(spec, /^10\.0\./, { rcode: 'NOERROR', answers: ['192.0.2.1', '10.0.0.7'] })).toBeNull();
    expect(dnsVerdict(spec, /^10\.1\./, { rcode: 'NOERROR', answers: ['192.0.2.1'] })).toBe('no answer matches /^10\\.1\\./ (got 192.0.2.1)');
    expect(dnsVerdict(spec, /x/, { rcode: 'NOERROR', answers: [] })).toBe('no A answer for www.example.com (expect_answer /x/)');
    expect(dnsVerdict(spec, /x/, { failure: 'no reply (ETIMEOUT)' })).toBe('no reply (ETIMEOUT)');
  });
});

describe('udp', () => {
  test('reply matching: hex prefix, then the regular expression', () => {
    expect(udpReplyVerdict({ expectReplyHex: null }, null, Buffer.from('anything'))).toBeNull();
    expect(udpReplyVerdict({ expectReplyHex: '706f' }, null, Buffer.from('pong'))).toBeNull();
    expect(udpReplyVerdict({ expectReplyHex: '706f6e6767' }, null, Buffer.from('pong'))).toBe('reply 706f6e67 does not start with 706f6e6767');
    expect(udpReplyVerdict({ expectReplyHex: null }, /^pong/, Buffer.from('pong 1'))).toBeNull();
    expect(udpReplyVerdict({ expectReplyHex: null }, /^pong/, Buffer.from('ping'))).toBe('reply does not match /^pong/');
    expect(udpReplyVerdict({ expectReplyHex: '00' }, null, Buffer.alloc(40, 1))).toMatch(/^reply 0101.{60}\.\.\. does not start with 00$/);
  });

  test('ICMP errors as socket errors', () => {
    expect(udpErrorText('ECONNREFUSED')).toBe('ICMP port unreachable (ECONNREFUSED)');
    expect(udpErrorText('EHOSTUNREACH')).toBe('ICMP host unreachable (EHOSTUNREACH)');
    expect(udpErrorText('EPERM')).toBe('socket error: EPERM');
  });
});

describe('icmp', () => {
  test('an IPv4 echo request carries a valid checksum, id and sequence', () => {
    const req = buildEchoRequest(4, 0x1234, 0xabcd, Buffer.from('payload!'));
    expect(req[0]).toBe(8);
    expect(req.readUInt16BE(4)).toBe(0x1234);
    expect(req.readUInt16BE(6)).toBe(0xabcd);
    expect(internetChecksum(req)).toBe(0); // a correct checksum sums to zero
    expect(buildEchoRequest(6, 1, 2, Buffer.alloc(0))[0]).toBe(128);
  });

  const ipv4 = (payload: Buffer, proto = 1) => {
    const h = Buffer.alloc(20);
    h[0] = 0x45;
    h[9] = proto;
    return Buffer.concat([h, payload]);
  };
  const echo = (type: number, id: number, seq: number) => {
    const b = Buffer.alloc(16);
    b[0] = type;
    b.writeUInt16BE(id, 4);
    b.writeUInt16BE(seq, 6);
    return b;
  };

  test('IPv4: replies and errors that quote our request; anything else ignored', () => {
    expect(parseEchoMessage(4, ipv4(echo(0, 7, 9)))).toEqual({ kind: 'reply', id: 7, seq: 9 });
    const unreachable = Buffer.concat([Buffer.from([3, 13, 0, 0, 0, 0, 0, 0]), ipv4(echo(8, 7, 10))]);
    expect(parseEchoMessage(4, ipv4(unreachable))).toEqual({ kind: 'error', id: 7, seq: 10, text: 'destination unreachable (code 13)' });
    expect(parseEchoMessage(4, ipv4(echo(8, 7, 9)))).toBeNull(); // someone's echo request
    const udpQuoted = Buffer.concat([Buffer.from([3, 3, 0, 0, 0, 0, 0, 0]), ipv4(echo(8, 7, 10), 17)]);
    expect(parseEchoMessage(4, ipv4(udpQuoted))).toBeNull(); // an error about a UDP packet
    expect(parseEchoMessage(4, Buffer.alloc(10))).toBeNull();
  });

  test('IPv6: no IP header on the socket; errors quote the IPv6 header', () => {
    expect(parseEchoMessage(6, echo(129, 1, 2))).toEqual({ kind: 'reply', id: 1, seq: 2 });
    const inner = Buffer.alloc(40);
    inner[6] = 58;
    const err = Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), inner, echo(128, 1, 3)]);
    expect(parseEchoMessage(6, err)).toEqual({ kind: 'error', id: 1, seq: 3, text: 'destination unreachable (code 1)' });
    expect(parseEchoMessage(6, echo(135, 1, 2))).toBeNull(); // neighbour solicitation
  });
});

describe('smtp', () => {
  test('replies: single and multi-line, partial, malformed, oversized', () => {
    expect(takeSmtpReply('220 mx ready\r\nrest')).toEqual({ reply: { code: 220, lines: ['mx ready'] }, rest: 'rest' });
    expect(takeSmtpReply('250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n')).toEqual({ reply: { code: 250, lines: ['mx', 'PIPELINING', 'STARTTLS'] }, rest: '' });
    expect(takeSmtpReply('250-mx\r\n250-PIPE')).toBeNull();
    expect(takeSmtpReply('220\n')).toEqual({ reply: { code: 220, lines: [''] }, rest: '' });
    expect(takeSmtpReply('hello\r\n')).toEqual({ error: "malformed reply line 'hello'" });
    expect(takeSmtpReply('250-a\r\n251 b\r\n')).toEqual({ error: 'reply code changes within a reply (250, then 251)' });
    expect(takeSmtpReply('2'.repeat(20_000))).toEqual({ error: 'reply longer than 16384 bytes' });
    expect(takeSmtpReply('250-x\r\n'.repeat(70))).toMatchObject({ error: expect.stringMatching(/^reply longer than 64 lines/) as unknown });
  });

  const r = (code: number, ...lines: string[]): SmtpReply => ({ code, lines: lines.length > 0 ? lines : ['text'] });

  test('the dialogue', () => {
    expect(smtpNext('banner', r(220), false, 'lb1')).toEqual({ kind: 'send', step: 'EHLO', line: 'EHLO lb1' });
    expect(smtpNext('banner', r(554, 'no service'), false, 'lb1')).toEqual({ kind: 'finish', reason: 'banner: 554 no service' });
    expect(smtpNext('EHLO', r(250, 'mx'), false, 'lb1')).toEqual({ kind: 'send', step: 'QUIT', line: 'QUIT' });
    expect(smtpNext('EHLO', r(502), false, 'lb1')).toEqual({ kind: 'send', step: 'HELO', line: 'HELO lb1' });
    expect(smtpNext('EHLO', r(502, 'no'), true, 'lb1')).toEqual({ kind: 'finish', reason: 'EHLO: 502 no (STARTTLS needs EHLO)' });
    expect(smtpNext('EHLO', r(421, 'busy'), false, 'lb1')).toEqual({ kind: 'finish', reason: 'EHLO: 421 busy' });
    expect(smtpNext('EHLO', r(250, 'mx', 'PIPELINING', 'STARTTLS'), true, 'lb1')).toEqual({ kind: 'send', step: 'STARTTLS', line: 'STARTTLS' });
    expect(smtpNext('EHLO', r(250, 'mx', 'PIPELINING'), true, 'lb1')).toEqual({ kind: 'finish', reason: 'STARTTLS not offered in the EHLO reply' });
    expect(smtpNext('STARTTLS', r(220), true, 'lb1')).toEqual({ kind: 'upgrade' });
    expect(smtpNext('STARTTLS', r(454, 'TLS not available'), true, 'lb1')).toEqual({ kind: 'finish', reason: 'STARTTLS: 454 TLS not available' });
    expect(smtpNext('EHLO after STARTTLS', r(250), true, 'lb1')).toEqual({ kind: 'send', step: 'QUIT', line: 'QUIT' });
    expect(smtpNext('HELO', r(550, 'go away'), false, 'lb1')).toEqual({ kind: 'finish', reason: 'HELO: 550 go away' });
    expect(smtpNext('QUIT', r(221), false, 'lb1')).toEqual({ kind: 'finish', reason: null });
    expect(smtpNext('QUIT', r(500, 'what'), false, 'lb1')).toEqual({ kind: 'finish', reason: 'QUIT: 500 what' });
    // STARTTLS in the greeting line itself is not an extension
    expect(offersStarttls(r(250, 'STARTTLS.example.com'))).toBe(false);
    expect(offersStarttls(r(250, 'mx', 'starttls'))).toBe(true);
  });
});
