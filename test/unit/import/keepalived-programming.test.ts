/**
 * What Keepalived 2.2.7 really programs, measured by the round-trip tests
 * (test/kernel/import-roundtrip.test.ts, test/netns/import/roundtrip-vrrp.test.ts),
 * and converted the same way: UDP without a protocol line, DR/TUN real-server
 * ports forced to the service port (0 for fwmark), port 0 made persistent,
 * quorum lowered to the total weight, duplicate real servers, the family of a
 * fwmark service from its real servers, and a track_interface on the
 * instance's own interface ignored. Each with its negative case.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importKeepalived } from '../../../src/import/convert.js';
import { memorySourceFs } from '../../../src/import/source.js';

const FILE = '/etc/keepalived/keepalived.conf';

function convert(text: string): { doc: Record<string, unknown>; warnings: string[]; valid: boolean } {
  const r = importKeepalived(FILE, memorySourceFs({ [FILE]: `global_defs {\n router_id t\n}\n${text}` }), { defaultNode: 'n', outputName: 'out.yaml' });
  if (!r.ok) expect.fail(r.error.message);
  return { doc: parse(r.yaml) as Record<string, unknown>, warnings: r.warnings.map((w) => w.message), valid: r.validation.ok };
}

function vs(text: string, i = 0): Record<string, unknown> {
  const c = convert(text);
  expect(c.valid).toBe(true);
  return (c.doc.virtual_servers as Record<string, unknown>[])[i] ?? {};
}

describe('virtual servers as Keepalived programs them', () => {
  it('no protocol line is UDP (warned); an explicit TCP stays TCP', () => {
    const c = convert('virtual_server 10.0.0.1 53 {\n lb_kind DR\n real_server 10.0.1.1 53 {\n }\n}\n');
    expect(c.doc.virtual_servers).toMatchObject([{ name: 'udp-10.0.0.1-53', protocol: 'udp' }]);
    expect(c.warnings).toContainEqual(expect.stringContaining("virtual_server without 'protocol': Keepalived programs it as UDP"));
    expect(vs('virtual_server 10.0.0.1 53 {\n protocol TCP\n lb_kind DR\n real_server 10.0.1.1 53 {\n }\n}\n')).toMatchObject({ name: 'tcp-10.0.0.1-53', protocol: 'tcp' });
    // fwmark services have no protocol: no warning.
    expect(convert('virtual_server fwmark 3 {\n lb_kind DR\n real_server 10.0.1.1 0 {\n }\n}\n').warnings.join('\n')).not.toContain('protocol');
  });

  it('DR and TUN real servers get the service port (fwmark: 0); NAT keeps its port translation', () => {
    const dr = convert('virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind DR\n sorry_server 10.0.2.1 81\n real_server 10.0.1.1 8080 {\n }\n}\n');
    expect((dr.doc.virtual_servers as Record<string, unknown>[])[0]).toMatchObject({ real_servers: [{ address: '10.0.1.1', weight: 1 }], sorry_server: { address: '10.0.2.1', port: 80 } });
    expect(dr.warnings).toContainEqual(expect.stringContaining('real_server 10.0.1.1 port 8080: with DR the port cannot be translated; Keepalived programs 80'));
    expect(vs('virtual_server fwmark 4 {\n lb_kind TUN\n real_server 10.0.1.1 443 {\n }\n}\n').real_servers).toEqual([{ address: '10.0.1.1', port: 0, weight: 1 }]);
    expect(vs('virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind NAT\n real_server 10.0.1.1 8080 {\n }\n}\n').real_servers).toEqual([{ address: '10.0.1.1', port: 8080, weight: 1 }]);
  });

  it('port 0 without persistence_timeout becomes persistent for 360 s; with one, its own timeout', () => {
    expect(vs('virtual_server 10.0.0.1 0 {\n protocol TCP\n lb_kind DR\n real_server 10.0.1.1 0 {\n }\n}\n').persistence).toEqual({ timeout: '360s' });
    expect(vs('virtual_server 10.0.0.1 0 {\n protocol TCP\n lb_kind DR\n persistence_timeout 50\n real_server 10.0.1.1 0 {\n }\n}\n').persistence).toEqual({ timeout: '50s' });
    expect(vs('virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind DR\n real_server 10.0.1.1 80 {\n }\n}\n').persistence).toBeUndefined();
  });

  it('a quorum above the total weight is lowered to it (hysteresis below it); a reachable one is kept', () => {
    const rs = ' real_server 10.0.1.1 80 {\n }\n real_server 10.0.1.2 80 {\n }\n';
    const c = convert(`virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind DR\n quorum 5\n hysteresis 0\n${rs}}\n`);
    expect((c.doc.virtual_servers as Record<string, unknown>[])[0]?.quorum).toEqual({ min_up: 2, hysteresis: 0 });
    expect(c.warnings).toContainEqual(expect.stringContaining('quorum 5 exceeds the total weight 2 of the real servers'));
    expect(vs(`virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind DR\n quorum 1\n hysteresis 0\n${rs}}\n`).quorum).toEqual({ min_up: 1, hysteresis: 0 });
  });

  it('the second of two identical real servers is dropped; the same address on another port is not', () => {
    const c = convert('virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind NAT\n real_server 10.0.1.1 80 {\n weight 2\n }\n real_server 10.0.1.1 80 {\n weight 9\n }\n real_server 10.0.1.1 81 {\n }\n}\n');
    expect((c.doc.virtual_servers as Record<string, unknown>[])[0]?.real_servers).toEqual([{ address: '10.0.1.1', weight: 2 }, { address: '10.0.1.1', port: 81, weight: 1 }]);
    expect(c.warnings).toContainEqual(expect.stringContaining('real_server 10.0.1.1 80 repeats the one at line 7'));
  });

  it('a fwmark service without ip_family takes the family of its first real server', () => {
    expect(vs('virtual_server fwmark 8 {\n lb_kind DR\n real_server 2001:db8::1 0 {\n }\n}\n')).toMatchObject({ fwmark: 8, family: 'ipv6' });
    expect(vs('virtual_server fwmark 8 {\n lb_kind DR\n real_server 10.0.1.1 0 {\n }\n}\n').family).toBeUndefined();
  });
});

describe('VRRP as Keepalived advertises it', () => {
  const instance = (track: string): string => `vrrp_instance V {\n interface eth0\n virtual_router_id 5\n priority 90\n track_interface {\n${track}\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n`;

  it("a track_interface on the instance's own interface is dropped (its weight never counts); another interface's counts", () => {
    const c = convert(instance(' eth0 weight 5\n eth1 weight 25'));
    const v = (c.doc.vrrp as { instances: Record<string, unknown>[] }).instances[0];
    expect(v?.priority).toBe(115);
    expect(v?.track).toEqual({ interfaces: [{ name: 'eth1', weight: -25 }] });
    expect(c.warnings).toContainEqual(expect.stringContaining("track_interface eth0: the instance's own interface"));
    expect((convert(instance(' eth1 weight 25')).doc.vrrp as { instances: Record<string, unknown>[] }).instances[0]?.priority).toBe(115);
  });
});
