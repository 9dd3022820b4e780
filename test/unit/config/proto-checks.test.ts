/** The dns, udp, icmp and smtp checks: defaults, keys, and the errors (with their locations). */
import { describe, expect, test } from 'vitest';
import { locate, oneIssue, valid, withVirtualServer } from './helpers.js';

const UDP_VS = 'address: 10.0.0.100\nport: 53\nprotocol: udp';
const TCP_VS = 'address: 10.0.0.100\nport: 25';

function checkOf(vsPart: string, check: string) {
  return valid(withVirtualServer(`${vsPart}\ncheck: { ${check} }`)).virtualServers[0]?.realServers[0]?.check;
}

const TIMING = { intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 };

describe('dns check', () => {
  test("defaults are Keepalived's DNS_CHECK: SOA of '.', NOERROR expected, the real server's port", () => {
    expect(checkOf(UDP_VS, 'type: dns')).toEqual({
      type: 'dns', ...TIMING, connectAddress: null, connectPort: null, bindAddress: null,
      queryName: '.', queryType: 'SOA', expectRcode: 'NOERROR', expectAnswer: null,
    });
  });

  test('every key', () => {
    expect(checkOf(UDP_VS, 'type: dns, query_name: www.example.com., query_type: AAAA, expect_answer: "^2001:db8::", connect_port: 5353, bind_address: 10.0.0.5')).toMatchObject({
      queryName: 'www.example.com.', queryType: 'AAAA', expectRcode: 'NOERROR', expectAnswer: '^2001:db8::', connectPort: 5353, bindAddress: { text: '10.0.0.5', family: 'ipv4' },
    });
    expect(checkOf(UDP_VS, 'type: dns, query_name: gone.example.com, query_type: A, expect_rcode: NXDOMAIN')).toMatchObject({ expectRcode: 'NXDOMAIN' });
  });

  test('errors', () => {
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: dns, query_type: ANY }`)).message).toBe('must be one of A, AAAA, CAA, CNAME, MX, NAPTR, NS, PTR, SOA, SRV, TXT');
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: dns, expect_rcode: NOTAUTH }`)).message).toBe('must be one of NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED');
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: dns, query_name: "bad name" }`)).message).toBe("must be a DNS name like 'www.example.com' or '.' (the root)");
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: dns, query_name: a..b }`)).message).toMatch(/^must be a DNS name/);
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: dns, expect_answer: "(" }`)).message).toMatch(/^must be a valid regular expression/);
    const text = withVirtualServer(`${UDP_VS}\ncheck: { type: dns, expect_rcode: NXDOMAIN, expect_answer: x }`);
    const issue = oneIssue(text);
    expect(issue.message).toBe('expect_answer needs answers, but expect_rcode NXDOMAIN has none (only NOERROR carries answers)');
    expect({ line: issue.line, column: issue.column }).toEqual(locate(text, 'expect_answer'));
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: dns, payload: x }`)).message).toBe("'payload' is not allowed for check type dns (only for udp)");
  });
});

describe('udp check', () => {
  test('defaults: an empty datagram, no reply required (Keepalived UDP_CHECK)', () => {
    expect(checkOf(UDP_VS, 'type: udp')).toEqual({
      type: 'udp', ...TIMING, connectAddress: null, connectPort: null, bindAddress: null,
      payloadHex: '', requireReply: false, expectReply: null, expectReplyHex: null,
    });
  });

  test('payload as text or hex; a reply expectation implies require_reply', () => {
    expect(checkOf(UDP_VS, 'type: udp, payload: "ping\\n"')).toMatchObject({ payloadHex: '70696e670a', requireReply: false });
    expect(checkOf(UDP_VS, 'type: udp, payload_hex: "00FF10", expect_reply: "^pong"')).toMatchObject({ payloadHex: '00ff10', requireReply: true, expectReply: '^pong' });
    expect(checkOf(UDP_VS, 'type: udp, expect_reply_hex: "ABCD"')).toMatchObject({ requireReply: true, expectReplyHex: 'abcd' });
    expect(checkOf(UDP_VS, 'type: udp, require_reply: true')).toMatchObject({ requireReply: true, expectReply: null });
  });

  test('errors', () => {
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: udp, payload: a, payload_hex: "61" }`)).message).toBe('payload and payload_hex are two ways to write the one datagram sent: write only one');
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: udp, payload_hex: "abc" }`)).message).toBe("must be hexadecimal bytes in quotes, e.g. '0a1b' (an even number of 0-9 a-f characters)");
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: udp, payload_hex: 0102 }`)).message).toMatch(/^must be hexadecimal bytes in quotes/);
    expect(oneIssue(withVirtualServer(`${UDP_VS}\ncheck: { type: udp, payload: ${'x'.repeat(1473)} }`)).message).toBe('must be at most 1472 bytes');
    const text = withVirtualServer(`${UDP_VS}\ncheck: { type: udp, require_reply: false, expect_reply: ok }`);
    const issue = oneIssue(text);
    expect(issue.message).toBe('require_reply: false contradicts expect_reply / expect_reply_hex, which need a reply');
    expect({ line: issue.line, column: issue.column }).toEqual(locate(text, 'false'));
  });
});

describe('icmp check', () => {
  test("defaults: one echo request, one reply needed (Keepalived PING_CHECK); no port needed", () => {
    expect(checkOf(TCP_VS, 'type: icmp')).toEqual({ type: 'icmp', ...TIMING, connectAddress: null, count: 1, minReplies: 1 });
    const fw = valid(withVirtualServer('fwmark: 3\ncheck: { type: icmp }', '- { address: 10.0.0.11, port: 0 }')).virtualServers[0];
    expect(fw?.realServers[0]?.check).toMatchObject({ type: 'icmp' });
  });

  test('count, min_replies, connect_address; errors', () => {
    expect(valid(withVirtualServer(TCP_VS, '- { address: 10.0.0.11, check: { type: icmp, count: 3, min_replies: 2, connect_address: 10.0.1.11 } }')).virtualServers[0]?.realServers[0]?.check)
      .toMatchObject({ count: 3, minReplies: 2, connectAddress: { text: '10.0.1.11', family: 'ipv4' } });
    expect(oneIssue(withVirtualServer(`${TCP_VS}\ncheck: { type: icmp, count: 2, min_replies: 3 }`)).message).toBe('must not exceed count (2): only count echo requests are sent');
    expect(oneIssue(withVirtualServer(`${TCP_VS}\ncheck: { type: icmp, count: 11 }`)).message).toBe('must be an integer 1..10');
    expect(oneIssue(withVirtualServer(`${TCP_VS}\ncheck: { type: icmp, connect_port: 80 }`)).message).toBe("'connect_port' is not allowed for check type icmp (only for tcp, http, https, dns, udp, smtp)");
    expect(oneIssue(withVirtualServer(`${TCP_VS}\ncheck: { type: icmp, bind_address: 10.0.0.1 }`)).message).toBe("'bind_address' is not allowed for check type icmp (only for tcp, http, https, dns, udp, smtp)");
  });
});

describe('smtp check', () => {
  test('defaults: the host name in EHLO, no STARTTLS', () => {
    expect(checkOf(TCP_VS, 'type: smtp')).toEqual({
      type: 'smtp', ...TIMING, connectAddress: null, connectPort: null, bindAddress: null,
      heloName: null, starttls: false, tlsVerify: true, tlsServerName: null, caFile: null,
    });
  });

  test('helo_name and STARTTLS with its TLS keys', () => {
    expect(checkOf(TCP_VS, 'type: smtp, helo_name: lb1.example.com, starttls: true, tls_verify: false, tls_server_name: mx.example.com, ca_file: /etc/ssl/ca.pem'))
      .toMatchObject({ heloName: 'lb1.example.com', starttls: true, tlsVerify: false, tlsServerName: 'mx.example.com', caFile: '/etc/ssl/ca.pem' });
    expect(checkOf(TCP_VS, 'type: smtp, helo_name: "[10.0.0.5]"')).toMatchObject({ heloName: '[10.0.0.5]' });
  });

  test('errors', () => {
    expect(oneIssue(withVirtualServer(`${TCP_VS}\ncheck: { type: smtp, tls_verify: false }`)).message).toBe("'tls_verify' is not allowed for check type smtp without starttls: true (there is no TLS to configure)");
    expect(oneIssue(withVirtualServer(`${TCP_VS}\ncheck: { type: smtp, helo_name: "two words" }`)).message).toMatch(/^must be a host name like/);
    expect(oneIssue(withVirtualServer(`${TCP_VS}\ncheck: { type: smtp, query_name: x }`)).message).toBe("'query_name' is not allowed for check type smtp (only for dns)");
  });
});
