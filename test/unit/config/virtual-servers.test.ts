/** Virtual servers, real servers and health checks. */
import { describe, expect, test } from 'vitest';
import { invalid, locate, oneIssue, valid, withVirtualServer } from './helpers.js';

const ADDR = 'address: 10.0.0.100\nport: 80';

function vs(extra: string, realServers?: string, top?: string) {
  return withVirtualServer(extra, realServers, top);
}

describe('service key', () => {
  test('address, port and protocol', () => {
    const v = valid(vs(`${ADDR}\nprotocol: udp`)).virtualServers[0];
    expect(v?.key).toEqual({ kind: 'address', address: { text: '10.0.0.100', family: 'ipv4' }, port: 80, protocol: 'udp' });
  });

  test('an IPv6 service', () => {
    const v = valid(vs('address: "2001:db8::100"\nport: 443\nprotocol: sctp', '- { address: "2001:db8::11" }')).virtualServers[0];
    expect(v?.key).toEqual({ kind: 'address', address: { text: '2001:db8::100', family: 'ipv6' }, port: 443, protocol: 'sctp' });
    expect(v?.realServers[0]?.port).toBe(443);
  });

  test('fwmark services have a family and no address, port or protocol', () => {
    const v = valid(vs('fwmark: 7\nfamily: ipv6', '- { address: "2001:db8::11", port: 80 }')).virtualServers[0];
    expect(v?.key).toEqual({ kind: 'fwmark', fwmark: 7, family: 'ipv6' });
    const errors = invalid(vs('fwmark: 7\naddress: 10.0.0.100\nport: 80\nprotocol: tcp', '- { address: 10.0.0.11, port: 80 }'));
    expect(errors.map((e) => e.message)).toEqual([
      "'address' is not allowed with fwmark (a fwmark service has no address, port or protocol)",
      "'port' is not allowed with fwmark (a fwmark service has no address, port or protocol)",
      "'protocol' is not allowed with fwmark (a fwmark service has no address, port or protocol)",
    ]);
    expect(oneIssue(vs(`${ADDR}\nfamily: ipv4`)).message).toBe("'family' is not allowed without fwmark (an address service has the family of its address)");
    expect(oneIssue(vs('fwmark: 0', '- { address: 10.0.0.11, port: 80 }')).message).toBe('must be an integer 1..4294967295');
  });

  test('a fwmark service needs real-server ports; an address service needs address and port', () => {
    expect(oneIssue(vs('fwmark: 7')).message).toBe("missing required key 'port'");
    expect(invalid(vs('name2: x')).map((e) => e.message)).toEqual(expect.arrayContaining(["missing required key 'address'", "missing required key 'port'"]) as unknown);
  });

  test('port 0 needs persistence', () => {
    expect(oneIssue(vs('address: 10.0.0.100\nport: 0')).message).toBe('port 0 (all ports) needs persistence');
    valid(vs('address: 10.0.0.100\nport: 0\npersistence: { timeout: 1m }'));
  });

  test('the service address must be unicast, and no real server may be the service address', () => {
    expect(oneIssue(vs('address: 224.1.1.1\nport: 80')).message).toBe('must be a unicast host address, not a multicast address');
    expect(oneIssue(vs(ADDR, '- { address: 10.0.0.100 }')).message).toBe("a real server cannot be the virtual server's own address");
    const v6 = (rs: string) => vs('address: "2001:db8::100"\nport: 80', `- { address: "${rs}" }`);
    expect(oneIssue(v6('fe80::11')).message).toBe('cannot be an IPv6 link-local address: IPVS addresses carry no interface');
    expect(oneIssue(v6('::1')).message).toBe('must be a unicast host address, not a loopback address');
    valid(v6('2001:db8::11'));
  });

  test('duplicate virtual servers by name and by key', () => {
    const text = 'node: d\nvirtual_servers:\n  - { name: a, address: 10.0.0.100, port: 80, real_servers: [{ address: 10.0.0.11 }] }\n  - { name: a, address: 10.0.0.100, port: 80, real_servers: [{ address: 10.0.0.11 }] }\n';
    const errors = invalid(text);
    expect(errors.map((e) => [e.line, e.message.replace(/ \(first.*/, '')])).toEqual([
      [4, 'duplicate virtual server name a'],
      [4, 'duplicate virtual server tcp 10.0.0.100:80'],
    ]);
    valid(text.replace(/name: a, address: 10.0.0.100, port: 80(?![\s\S]*name: a, address: 10.0.0.100, port: 80)/, 'name: b, address: 10.0.0.100, port: 80, protocol: udp'));
  });
});

describe('scheduler', () => {
  test('flags belong to their scheduler', () => {
    expect(valid(vs(`${ADDR}\nscheduler: sh\nscheduler_flags: [sh-port, sh-fallback]`)).virtualServers[0]?.schedulerFlags).toEqual(['sh-port', 'sh-fallback']);
    valid(vs(`${ADDR}\nscheduler: mh\nscheduler_flags: [mh-fallback]`));
    const e = oneIssue(vs(`${ADDR}\nscheduler: wrr\nscheduler_flags: [sh-port]`));
    expect([e.path, e.message]).toEqual(['virtual_servers[0].scheduler_flags[0]', 'scheduler flag sh-port applies only to scheduler sh (this virtual server uses wrr)']);
    expect(oneIssue(vs(`${ADDR}\nscheduler: sh\nscheduler_flags: [mh-port]`)).message).toContain('applies only to scheduler mh');
    expect(oneIssue(vs(`${ADDR}\nscheduler: sh\nscheduler_flags: [sh-port, sh-port]`)).message).toMatch(/^duplicate scheduler flag sh-port/);
    expect(oneIssue(vs(`${ADDR}\nscheduler: roundrobin`)).message).toBe('must be one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, mh, fo, ovf, sed, nq, twos');
  });
});

describe('persistence', () => {
  test('IPv4 takes a dotted mask, IPv6 a prefix length', () => {
    expect(valid(vs(`${ADDR}\npersistence: { timeout: 5m, netmask: 255.255.255.0 }`)).virtualServers[0]?.persistence).toEqual({ timeoutS: 300, netmask: '255.255.255.0', prefixLength: 24 });
    expect(valid(vs(`${ADDR}\npersistence: {}`)).virtualServers[0]?.persistence).toEqual({ timeoutS: 300, netmask: '255.255.255.255', prefixLength: 32 });
    const v6 = vs('address: "2001:db8::100"\nport: 80\npersistence: { timeout: 60s, netmask: 64 }', '- { address: "2001:db8::11" }');
    expect(valid(v6).virtualServers[0]?.persistence).toEqual({ timeoutS: 60, netmask: '64', prefixLength: 64 });
  });

  test('a mask of the wrong kind or shape is refused', () => {
    expect(oneIssue(vs(`${ADDR}\npersistence: { netmask: 24 }`)).message).toContain('(an IPv4 service takes a dotted mask)');
    expect(oneIssue(vs(`${ADDR}\npersistence: { netmask: 255.0.255.0 }`)).message).toContain('contiguous ones');
    const v6 = vs('address: "2001:db8::100"\nport: 80\npersistence: { netmask: 255.255.255.0 }', '- { address: "2001:db8::11" }');
    expect(oneIssue(v6).message).toBe('must be a prefix length 1..128 (an IPv6 service takes a prefix length, not a dotted mask)');
    expect(oneIssue(vs(`${ADDR}\npersistence: { timeout: 1500ms }`)).message).toContain('in whole seconds');
  });
});

describe('forwarding', () => {
  test('tun types and ports', () => {
    expect(valid(vs(`${ADDR}\nforwarding: tun`)).virtualServers[0]?.forwarding).toEqual({ method: 'tun', tunType: 'ipip', tunPort: null });
    expect(valid(vs(`${ADDR}\nforwarding: tun\ntun_type: gue\ntun_port: 6080`)).virtualServers[0]?.forwarding).toEqual({ method: 'tun', tunType: 'gue', tunPort: 6080 });
    expect(oneIssue(vs(`${ADDR}\nforwarding: tun\ntun_type: gue`)).message).toBe("missing required key 'tun_port'");
    expect(oneIssue(vs(`${ADDR}\nforwarding: tun\ntun_type: gre\ntun_port: 6080`)).message).toBe("'tun_port' is not allowed with tun_type gre (only gue uses a UDP port)");
    expect(oneIssue(vs(`${ADDR}\nforwarding: dr\ntun_type: ipip`)).message).toBe("'tun_type' is not allowed with forwarding dr (only with forwarding tun)");
    expect(oneIssue(vs(`${ADDR}\ntun_port: 1`)).message).toContain("'tun_port' is not allowed with forwarding dr");
  });

  test('real-server family must match unless forwarding is tun', () => {
    const mixed = '- { address: 10.0.0.11 }\n- { address: "2001:db8::11" }';
    const e = oneIssue(vs(ADDR, mixed));
    expect([e.path, e.message]).toEqual(['virtual_servers[0].real_servers[1].address', 'must be an IPv4 address like the virtual server (only forwarding tun can mix families)']);
    valid(vs(`${ADDR}\nforwarding: tun`, mixed));
  });

  test('only nat can map ports', () => {
    const text = vs(`${ADDR}\nforwarding: dr`, '- { address: 10.0.0.11, port: 8080 }');
    const e = oneIssue(text);
    expect([e.line, e.message]).toEqual([locate(text, '8080').line, "port 8080 differs from the virtual server's 80, but forwarding dr cannot change ports (only nat and fullnat can)"]);
    expect(valid(vs(`${ADDR}\nforwarding: nat`, '- { address: 10.0.0.11, port: 8080 }')).virtualServers[0]?.realServers[0]?.port).toBe(8080);
  });
});

describe('real servers', () => {
  test('duplicates, weights and thresholds', () => {
    expect(oneIssue(vs(ADDR, '- { address: 10.0.0.11 }\n- { address: 10.0.0.11, port: 80 }')).message).toMatch(/^duplicate real server 10\.0\.0\.11 port 80/);
    expect(oneIssue(vs(ADDR, '- { address: 10.0.0.11, weight: -1 }')).message).toBe('must be an integer 0..65535');
    expect(oneIssue(vs(ADDR, '- { address: 10.0.0.11, upper_threshold: 10, lower_threshold: 20 }')).message).toBe('must not exceed upper_threshold (10)');
    const rs = valid(vs(ADDR, '- { address: 10.0.0.11, weight: 0, upper_threshold: 100, lower_threshold: 50 }')).virtualServers[0]?.realServers[0];
    expect(rs).toMatchObject({ weight: 0, upperThreshold: 100, lowerThreshold: 50 });
  });

  test('at least one real server', () => {
    expect(oneIssue(vs(ADDR, '').replace('    real_servers:\n', '    real_servers: []\n')).message).toBe('must list at least one real server');
  });

  test('quorum and sorry server', () => {
    const three = '- { address: 10.0.0.11 }\n- { address: 10.0.0.12 }\n- { address: 10.0.0.13 }';
    expect(valid(vs(`${ADDR}\nquorum: { min_up: 2, hysteresis: 1 }`, three)).virtualServers[0]?.quorum).toEqual({ minUp: 2, hysteresis: 1 });
    expect(oneIssue(vs(`${ADDR}\nquorum: { min_up: 3, hysteresis: 1 }`, three)).message).toContain('exceeds the 3 real servers');
    expect(oneIssue(vs(`${ADDR}\nquorum: { min_up: 1, hysteresis: 1 }`, three)).message).toBe('must be less than min_up (1), or quorum could never be lost');
    expect(valid(vs(`${ADDR}\nsorry_server: { address: 10.0.0.250 }`)).virtualServers[0]?.sorryServer).toEqual({ address: { text: '10.0.0.250', family: 'ipv4' }, port: 80 });
    expect(oneIssue(vs(`${ADDR}\nsorry_server: { address: "2001:db8::250" }`)).message).toBe('must be an IPv4 address like the virtual server');
    expect(oneIssue(vs(`${ADDR}\nsorry_server: { address: 10.0.0.11, port: 80 }`)).message).toBe('the sorry server must not be one of the real servers');
  });
});

describe('checks', () => {
  test('an http check with every key, inherited by real servers without their own', () => {
    const check = 'check: { type: http, method: GET, path: /healthz, host: www.example.com, expect_status: ["200-299", 301], expect_body: "^ok", expect_digest: 0C4F2BD39D2C1A9F2A0F04C2F1E10D2E62A1D6E8C3A18E3B6B3DBA5F3C8A9E11, interval: 2s, timeout: 1s, rise: 2, fall: 3, max_body_bytes: 4096 }';
    const v = valid(vs(`${ADDR}\n${check}`, '- { address: 10.0.0.11 }\n- { address: 10.0.0.12, check: { type: tcp } }\n- { address: 10.0.0.13, check: false }')).virtualServers[0];
    expect(v?.realServers[0]?.check).toEqual({
      type: 'http', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, connectAddress: null, connectPort: null, bindAddress: null,
      method: 'GET', path: '/healthz', host: 'www.example.com', expectStatus: [[200, 299], [301, 301]], expectBody: '^ok',
      expectDigest: '0c4f2bd39d2c1a9f2a0f04c2f1e10d2e62a1d6e8c3a18e3b6b3dba5f3c8a9e11', expectDigestMd5: null, tlsVerify: false, tlsServerName: null, caFile: null, maxBodyBytes: 4096,
    });
    expect(v?.realServers[1]?.check).toEqual({ type: 'tcp', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, connectAddress: null, connectPort: null, bindAddress: null });
    expect(v?.realServers[2]?.check).toBeNull();
  });

  test('https and exec checks', () => {
    const https = valid(vs(ADDR, '- { address: 10.0.0.11, check: { type: https, tls_verify: false, tls_server_name: www.example.com, ca_file: /etc/ssl/ca.pem } }')).virtualServers[0]?.realServers[0]?.check;
    expect(https).toMatchObject({ type: 'https', tlsVerify: false, tlsServerName: 'www.example.com', caFile: '/etc/ssl/ca.pem', expectStatus: [[200, 299]], path: '/', method: 'GET' });
    const exec = valid(vs(ADDR, '- { address: 10.0.0.11, check: { type: exec, command: [/usr/local/bin/chk, "10.0.0.11"], dynamic_weight: true } }')).virtualServers[0]?.realServers[0]?.check;
    expect(exec).toEqual({ type: 'exec', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, command: ['/usr/local/bin/chk', '10.0.0.11'], dynamicWeight: true });
  });

  test('suggestions come from the keys of the check type', () => {
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, conect_port: 80 }`)).message).toBe("unknown key 'conect_port'; did you mean 'connect_port'?");
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, pth: / }`)).message).toBe("unknown key 'pth' (allowed here: type, interval, timeout, rise, fall, connect_address, connect_port, bind_address)");
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: http, pth: / }`)).message).toBe("unknown key 'pth'; did you mean 'path'?");
  });

  test('each type allows only its own keys', () => {
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, path: / }`)).message).toBe("'path' is not allowed for check type tcp (only for http, https)");
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: http, tls_verify: false }`)).message).toBe("'tls_verify' is not allowed for check type http (only for https, smtp)");
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: exec, command: [/bin/c], connect_port: 80 }`)).message).toBe("'connect_port' is not allowed for check type exec (only for tcp, http, https, dns, udp, smtp)");
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, command: [/bin/c] }`)).message).toBe("'command' is not allowed for check type tcp (only for exec)");
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: ping }`)).message).toBe('must be one of tcp, http, https, exec, dns, udp, icmp, smtp');
    expect(oneIssue(vs(`${ADDR}\ncheck: { interval: 1s }`)).message).toBe("missing required key 'type'");
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: exec }`)).message).toBe("missing required key 'command'");
    expect(oneIssue(vs(`${ADDR}\ncheck: false`)).message).toBe('must be a mapping (key: value)');
  });

  test('http expectations are validated', () => {
    const cases: [string, string][] = [
      ['expect_status: ["2xx"]', "must be an HTTP status 100..599 or a range like '200-299'"],
      ['expect_status: ["299-200"]', "must be an HTTP status 100..599 or a range like '200-299'"],
      ['expect_status: [600]', "must be an HTTP status 100..599 or a range like '200-299'"],
      ['expect_status: []', 'must list at least one status or range'],
      ['expect_body: "(unclosed"', 'must be a valid regular expression (JavaScript syntax)'],
      ['expect_digest: abc123', 'must be a sha256 digest: 64 hexadecimal characters'],
      ['path: healthz', "must be an absolute request path starting with '/', without spaces"],
      ['method: POST', 'must be one of GET, HEAD'],
      ['method: HEAD\n  expect_body: ok', 'expect_body needs a body, but method HEAD receives none'],
      ['max_body_bytes: 0', 'must be an integer 1..67108864'],
    ];
    for (const [line, message] of cases) {
      const text = vs(`${ADDR}\ncheck:\n  type: http\n  ${line}`);
      expect(oneIssue(text).message, line).toContain(message);
    }
    expect(valid(vs(`${ADDR}\ncheck: { type: http, expect_status: 204 }`)).virtualServers[0]?.realServers[0]?.check).toMatchObject({ expectStatus: [[204, 204]] });
  });

  test('expect_digest_md5: 32 hex characters, lowercased, alone or with expect_digest', () => {
    const check = (extra: string) => valid(vs(`${ADDR}\ncheck: { type: http, ${extra} }`)).virtualServers[0]?.realServers[0]?.check;
    expect(check('expect_digest_md5: 9B3A0C85A887A256D6939DA88AABD8CD')).toMatchObject({ expectDigestMd5: '9b3a0c85a887a256d6939da88aabd8cd', expectDigest: null });
    expect(check('expect_digest_md5: 9b3a0c85a887a256d6939da88aabd8cd, expect_digest: ' + 'ab'.repeat(32))).toMatchObject({ expectDigestMd5: '9b3a0c85a887a256d6939da88aabd8cd', expectDigest: 'ab'.repeat(32) });
    expect(check('path: /')).toMatchObject({ expectDigestMd5: null });
    const https = valid(vs(ADDR, '- { address: 10.0.0.11, check: { type: https, expect_digest_md5: ff20ad2481f97b1754ef3e12ecd3a9cc } }')).virtualServers[0]?.realServers[0]?.check;
    expect(https).toMatchObject({ type: 'https', expectDigestMd5: 'ff20ad2481f97b1754ef3e12ecd3a9cc' });
  });

  test('a bad expect_digest_md5 is refused where it is written', () => {
    const bad: [string, string][] = [
      ['9b3a0c85a887a256d6939da88aabd8c', 'must be an md5 digest: 32 hexadecimal characters'],
      ['9b3a0c85a887a256d6939da88aabd8cdd', 'must be an md5 digest: 32 hexadecimal characters'],
      ['9b3a0c85a887a256d6939da88aabd8cg', 'must be an md5 digest: 32 hexadecimal characters'],
      ['0c4f2bd39d2c1a9f2a0f04c2f1e10d2e62a1d6e8c3a18e3b6b3dba5f3c8a9e11', 'must be an md5 digest: 32 hexadecimal characters'],
    ];
    for (const [value, message] of bad) {
      const text = vs(`${ADDR}\ncheck:\n  type: http\n  path: /x\n  expect_digest_md5: ${value}`);
      const issue = oneIssue(text);
      expect(issue.message, value).toBe(message);
      expect(issue.path).toBe('virtual_servers[0].check.expect_digest_md5');
      expect({ line: issue.line, column: issue.column }).toEqual(locate(text, value));
    }
    const head = vs(`${ADDR}\ncheck:\n  type: http\n  method: HEAD\n  expect_digest_md5: 9b3a0c85a887a256d6939da88aabd8cd`);
    const issue = oneIssue(head);
    expect(issue.message).toBe('expect_digest_md5 needs a body, but method HEAD receives none');
    expect({ line: issue.line, column: issue.column }).toEqual(locate(head, 'expect_digest_md5'));
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, expect_digest_md5: 9b3a0c85a887a256d6939da88aabd8cd }`)).message).toBe("'expect_digest_md5' is not allowed for check type tcp (only for http, https)");
  });

  test('timing, addresses and ports of checks', () => {
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, interval: 1s, timeout: 2s }`)).message).toContain('must not be longer than the interval');
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, interval: 10ms }`)).message).toBe('must be a duration 100ms..1h');
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, rise: 0 }`)).message).toBe('must be an integer 1..1000');
    expect(oneIssue(vs(`${ADDR}\ncheck: { type: tcp, connect_address: 10.0.0.5 }`)).message).toContain('connect_address on a virtual-server check');
    expect(oneIssue(vs(ADDR, '- { address: 10.0.0.11, check: { type: tcp, bind_address: "2001:db8::1" } }')).message).toBe('must be an IPv4 address like the address it probes');
    const rs = valid(vs(ADDR, '- { address: 10.0.0.11, check: { type: tcp, connect_address: 10.0.1.11, connect_port: 8081, bind_address: 10.0.0.2 } }')).virtualServers[0]?.realServers[0]?.check;
    expect(rs).toMatchObject({ connectAddress: { text: '10.0.1.11' }, connectPort: 8081, bindAddress: { text: '10.0.0.2' } });
    expect(oneIssue(vs('fwmark: 1\ncheck: { type: tcp }', '- { address: 10.0.0.11, port: 0 }')).message).toContain('a tcp check needs a port to probe');
    valid(vs('fwmark: 1\ncheck: { type: tcp, connect_port: 80 }', '- { address: 10.0.0.11, port: 0 }'));
  });
});
