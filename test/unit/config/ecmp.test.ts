import { describe, expect, test } from 'vitest';
import { ECMP_DEFAULTS } from '../../../src/config/ecmp.js';
import { BASE, oneIssue, valid, yaml } from './helpers.js';

const VS = yaml`
  virtual_servers:
    - { name: web, address: 192.0.2.10, port: 80, protocol: tcp, scheduler: mh, scheduler_flags: [mh-port], real_servers: [{ address: 10.1.0.11, port: 80 }] }
    - { name: tls, address: 192.0.2.10, port: 443, protocol: tcp, scheduler: mh, real_servers: [{ address: 10.1.0.11, port: 443 }] }
    - { name: dns, address: 2001:db8::53, port: 53, protocol: udp, scheduler: mh, real_servers: [{ address: 2001:db8:1::11, port: 53 }] }
    - { name: marked, fwmark: 7, scheduler: mh, real_servers: [{ address: 10.1.0.12, port: 0 }] }
`;

describe('ecmp section', () => {
  test('absent: null; empty mapping: the documented defaults, one VIP per address', () => {
    expect(valid(BASE + VS).ecmp).toBeNull();
    const c = valid(`${BASE}ecmp: {}\n${VS}`);
    expect(c.ecmp).toEqual({
      routeTable: 240, routeProtocol: 240, device: 'lo', stopGraceMs: 5000, drainQuietMs: 2000, drainTimeoutMs: 60_000,
      vips: ['192.0.2.10', '2001:db8::53'],
    });
    expect(ECMP_DEFAULTS.routeTable).toBe(240);
  });

  test('every key read', () => {
    const c = valid(`${BASE}ecmp: { route_table: 100, route_protocol: 201, device: lvsha0, stop_grace: 0s, drain_quiet: 500ms, drain_timeout: 30s }\n`);
    expect(c.ecmp).toMatchObject({ routeTable: 100, routeProtocol: 201, device: 'lvsha0', stopGraceMs: 0, drainQuietMs: 500, drainTimeoutMs: 30_000, vips: [] });
  });

  test('a table FRR cannot import and the main table are refused', () => {
    expect(oneIssue(`${BASE}ecmp: { route_table: 254 }\n`)).toMatchObject({ line: 2, path: 'ecmp.route_table', message: 'must be an integer 1..252' });
    expect(oneIssue(`${BASE}ecmp: { route_table: 0 }\n`).message).toBe('must be an integer 1..252');
  });

  test('a protocol number of another program is refused, with its owner', () => {
    const issue = oneIssue(`${BASE}ecmp:\n  route_protocol: 186\n`);
    expect(issue).toMatchObject({ line: 3, column: 19, path: 'ecmp.route_protocol' });
    expect(issue.message).toContain('belongs to bgp (FRR)');
    expect(oneIssue(`${BASE}ecmp: { route_protocol: 2 }\n`).message).toBe('must be an integer 5..255');
    expect(oneIssue(`${BASE}ecmp: { route_protocol: 18 }\n`).message).toContain('keepalived');
  });

  test('unknown keys get a did-you-mean', () => {
    expect(oneIssue(`${BASE}ecmp: { route_tabel: 10 }\n`).message).toContain("did you mean 'route_table'");
  });

  test('a VIP both moved by VRRP and announced by ECMP is refused', () => {
    const text = `${BASE}ecmp: {}\nvrrp:\n  instances: [{ name: w, interface: eth0, vrid: 1, virtual_addresses: [192.0.2.10/24] }]\n${VS}`;
    const issue = oneIssue(text);
    expect(issue.path).toBe('ecmp');
    expect(issue.message).toContain("virtual server 'web' (192.0.2.10) is announced by ECMP and also a VIP of VRRP instance 'w'");
  });
});

describe('ecmpWarnings', () => {
  test('a scheduler with per-director state and a missing sloppy_tcp are warned about; mh with sloppy_tcp is quiet', async () => {
    const { ecmpWarnings } = await import('../../../src/config/ecmp.js');
    const vs = (scheduler: string): string => `virtual_servers:\n  - { name: web, address: 192.0.2.10, port: 80, protocol: tcp, scheduler: ${scheduler}, real_servers: [{ address: 10.1.0.11, port: 80 }] }\n`;
    const rr = ecmpWarnings(valid(`${BASE}ecmp: {}\n${vs('rr')}`));
    expect(rr[0]).toContain("virtual server 'web': scheduler rr keeps state on each director");
    expect(rr[1]).toContain('ipvs.sloppy_tcp is not true');
    expect(ecmpWarnings(valid(`${BASE}ecmp: {}\nipvs: { sloppy_tcp: true }\n${vs('mh')}`))).toEqual([]);
    expect(ecmpWarnings(valid(`${BASE}ecmp: {}\n${vs('mh')}`))).toHaveLength(1);
    // without an ecmp section, rr is nobody's business here
    expect(ecmpWarnings(valid(`${BASE}${vs('rr')}`))).toEqual([]);
  });
});
