import { describe, expect, it } from 'vitest';
import {
  desiredTable,
  healthKey,
  ownedBy,
  staticHealthView,
  type HealthView,
  type RealServerHealth,
} from '../../../src/lvs/desired.js';
import { indexServices, serviceKeyText, SvcFlag, type Destination, type ServiceEntry, type Table } from '../../../src/lvs/model.js';
import type { QuorumState } from '../../../src/health/quorum.js';
import { configFrom, dest, entry, exampleConfig, svc, table, tcp } from './plan-fixtures.js';

const UP: RealServerHealth = { state: 'up', weight: null };
const DOWN: RealServerHealth = { state: 'down', weight: null };

function health(rs: Record<string, RealServerHealth>, quorum: Record<string, QuorumState> = {}): HealthView {
  const keyed = Object.fromEntries(
    Object.entries(rs).map(([k, v]) => {
      const [vs = '', addr = '', port = ''] = k.split('|');
      return [healthKey(vs, addr, Number(port)), v];
    }),
  );
  return staticHealthView(keyed, quorum);
}

function service(t: Table, key: string): ServiceEntry {
  const e = indexServices(t).get(key);
  if (!e) expect.fail(`no service ${key} in ${[...indexServices(t).keys()].join(', ')}`);
  return e;
}

function weights(e: ServiceEntry): Record<string, number> {
  return Object.fromEntries(e.destinations.map((d: Destination) => [`${d.address}:${d.port}`, d.weight]));
}

const HTTP = 'tcp 10.0.0.100:80';

function vsConfig(extra: string, realServers = '- { address: 10.0.0.11, weight: 2 }\n- { address: 10.0.0.12 }'): string {
  return `node: a
virtual_servers:
  - name: http
    address: 10.0.0.100
    port: 80
    check: { type: tcp, interval: 1s, timeout: 500ms }
${extra.replace(/^/gm, '    ')}
    real_servers:
${realServers.replace(/^/gm, '      ')}
`;
}

describe('desired services from the example configs', () => {
  it('director-a: wrr/dr with weights, sh with sh-fallback = SCHED1', () => {
    const t = desiredTable(exampleConfig('director-a.yaml'), health({}), 'MASTER', { unknownWeight: 'configured' });
    expect(t.services.map((e) => serviceKeyText(e.service.key))).toEqual([HTTP, 'tcp 10.0.0.100:443']);
    const http = service(t, HTTP);
    expect(http.service).toEqual(svc(tcp('10.0.0.100', 80), { scheduler: 'wrr' }));
    expect(http.destinations).toEqual([dest('10.0.0.11', 80, 2), dest('10.0.0.12', 80, 1)]);
    const https = service(t, 'tcp 10.0.0.100:443');
    expect(https.service.scheduler).toBe('sh');
    expect(https.service.flags).toBe(SvcFlag.SCHED1);
  });

  it('tun-service: ipip, gue with port, gre; mh flags; fwmark with persistence and netmask; mixed family', () => {
    const t = desiredTable(exampleConfig('tun-service.yaml'), health({}), 'BACKUP', { unknownWeight: 'configured' });
    const ipip = service(t, 'tcp 192.0.2.80:80');
    expect(ipip.destinations.map((d) => d.tunnel)).toEqual([
      { type: 'ipip', port: 0, flags: 0 },
      { type: 'ipip', port: 0, flags: 0 },
      { type: 'ipip', port: 0, flags: 0 },
    ]);
    expect(ipip.destinations[2]).toMatchObject({ family: 'ipv6', address: '2001:db8:2::11', fwd: 'tunnel', weight: 3 });
    const gue = service(t, 'tcp 192.0.2.80:443');
    expect(gue.service.flags).toBe(SvcFlag.SCHED1 | SvcFlag.SCHED2);
    expect(gue.destinations[0]?.tunnel).toEqual({ type: 'gue', port: 6080, flags: 0 });
    const mark = service(t, 'fwmark 7 ipv4');
    expect(mark.service).toEqual({
      key: { kind: 'fwmark', family: 'ipv4', fwmark: 7 },
      scheduler: 'wrr',
      flags: SvcFlag.PERSISTENT,
      timeoutS: 600,
      netmask: '255.255.255.0',
      peName: null,
    });
    expect(mark.destinations.map((d) => [d.port, d.tunnel?.type])).toEqual([[0, 'gre'], [0, 'gre']]);
  });

  it('ipv6-service: IPv6 persistence netmask as a prefix length, sh-port = SCHED2, udp', () => {
    const t = desiredTable(exampleConfig('ipv6-service.yaml'), health({}), 'MASTER');
    const https6 = service(t, 'tcp [2001:db8:10::100]:443');
    expect(https6.service).toMatchObject({ flags: SvcFlag.PERSISTENT | SvcFlag.SCHED2, timeoutS: 300, netmask: '64' });
    const dns6 = service(t, 'udp [2001:db8:10::101]:53');
    expect(dns6.service).toMatchObject({ scheduler: 'rr', flags: 0, timeoutS: 0, netmask: '128' });
    expect(dns6.destinations.every((d) => d.family === 'ipv6' && d.fwd === 'droute')).toBe(true);
  });

  it('an IPv6 fwmark service: family ipv6, netmask 128, destinations keep their port', () => {
    const cfg = configFrom(`node: a
virtual_servers:
  - name: mark6
    fwmark: 9
    family: ipv6
    scheduler: rr
    real_servers:
      - { address: "2001:db8::21", port: 443 }
`);
    const e = service(desiredTable(cfg, health({}), 'MASTER'), 'fwmark 9 ipv6');
    expect(e.service).toEqual({ key: { kind: 'fwmark', family: 'ipv6', fwmark: 9 }, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: '128', peName: null });
    expect(e.destinations).toEqual([dest('2001:db8::21', 443, 1)]);
  });

  it('nat forwarding gives masq; thresholds are carried', () => {
    const cfg = configFrom(vsConfig('scheduler: wlc\nforwarding: nat', '- { address: 10.0.0.11, port: 8080, upper_threshold: 100, lower_threshold: 10 }'));
    const [d] = service(desiredTable(cfg, health({ 'http|10.0.0.11|8080': UP }), 'MASTER'), HTTP).destinations;
    expect(d).toEqual(dest('10.0.0.11', 8080, 1, { fwd: 'masq', upperThreshold: 100, lowerThreshold: 10 }));
  });
});

describe('weights from health', () => {
  const inhibit = configFrom(vsConfig('on_failure: inhibit'));
  const remove = configFrom(vsConfig('on_failure: remove'));

  it('up: the configured weight; down + inhibit: 0; down + remove: absent', () => {
    const h = health({ 'http|10.0.0.11|80': UP, 'http|10.0.0.12|80': DOWN });
    expect(weights(service(desiredTable(inhibit, h, 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 2, '10.0.0.12:80': 0 });
    expect(weights(service(desiredTable(remove, h, 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 2 });
  });

  it('up with a dynamic weight: that weight (never negative)', () => {
    const h = health({ 'http|10.0.0.11|80': { state: 'up', weight: 7 }, 'http|10.0.0.12|80': { state: 'up', weight: -3 } });
    expect(weights(service(desiredTable(inhibit, h, 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 7, '10.0.0.12:80': 0 });
  });

  it('unknown, not in the kernel: present with weight 0 (default), in both modes', () => {
    expect(weights(service(desiredTable(remove, health({}), 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 0, '10.0.0.12:80': 0 });
    expect(weights(service(desiredTable(inhibit, health({}), 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 0, '10.0.0.12:80': 0 });
  });

  it("unknown with unknownWeight 'configured': the configured weight at once (keepalived's default)", () => {
    const t = desiredTable(remove, health({}), 'MASTER', { unknownWeight: 'configured' });
    expect(weights(service(t, HTTP))).toEqual({ '10.0.0.11:80': 2, '10.0.0.12:80': 1 });
  });

  it('a real server without a check is up whatever the health view says', () => {
    const cfg = configFrom(vsConfig('on_failure: remove', '- { address: 10.0.0.11, weight: 2, check: false }\n- { address: 10.0.0.12 }'));
    const t = desiredTable(cfg, health({ 'http|10.0.0.11|80': DOWN, 'http|10.0.0.12|80': DOWN }), 'MASTER');
    expect(weights(service(t, HTTP))).toEqual({ '10.0.0.11:80': 2 });
  });

  it('unknown keeps what the kernel has: the live weight, so a restart changes nothing', () => {
    const live = table(entry(svc(tcp('10.0.0.100', 80)), dest('10.0.0.11', 80, 0)));
    const t = desiredTable(remove, health({ 'http|10.0.0.12|80': UP }), 'MASTER', { live });
    expect(weights(service(t, HTTP))).toEqual({ '10.0.0.11:80': 0, '10.0.0.12:80': 1 });
    // a verdict overrides the live weight
    const t2 = desiredTable(remove, health({ 'http|10.0.0.11|80': UP }), 'MASTER', { live });
    expect(weights(service(t2, HTTP))).toMatchObject({ '10.0.0.11:80': 2 });
  });

  it('a drain sets weight 0 on an up server, in one virtual server or in all', () => {
    const h = health({ 'http|10.0.0.11|80': UP, 'http|10.0.0.12|80': UP });
    const one = desiredTable(inhibit, h, 'MASTER', { drains: [{ address: '10.0.0.11', port: 80, virtualServer: 'http' }] });
    expect(weights(service(one, HTTP))).toEqual({ '10.0.0.11:80': 0, '10.0.0.12:80': 1 });
    const all = desiredTable(inhibit, h, 'MASTER', { drains: [{ address: '10.0.0.12', port: 80, virtualServer: null }] });
    expect(weights(service(all, HTTP))).toEqual({ '10.0.0.11:80': 2, '10.0.0.12:80': 0 });
    const other = desiredTable(inhibit, h, 'MASTER', { drains: [{ address: '10.0.0.12', port: 80, virtualServer: 'https' }] });
    expect(weights(service(other, HTTP))).toEqual({ '10.0.0.11:80': 2, '10.0.0.12:80': 1 });
  });

  it('a drain does not bring back a removed server', () => {
    const h = health({ 'http|10.0.0.11|80': DOWN, 'http|10.0.0.12|80': UP });
    const t = desiredTable(remove, h, 'MASTER', { drains: [{ address: '10.0.0.11', port: 80, virtualServer: null }] });
    expect(weights(service(t, HTTP))).toEqual({ '10.0.0.12:80': 1 });
  });
});

describe('quorum and the sorry server', () => {
  const sorry = 'sorry_server: { address: 10.0.0.250, port: 8080 }\nquorum: { min_up: 2 }';
  const inhibit = configFrom(vsConfig(`on_failure: inhibit\n${sorry}`));
  const remove = configFrom(vsConfig(`on_failure: remove\n${sorry}`));
  const h = health({ 'http|10.0.0.11|80': UP, 'http|10.0.0.12|80': DOWN }, { http: 'lost' });

  it('quorum lost + inhibit: sorry server weight 1, real servers weight 0', () => {
    expect(weights(service(desiredTable(inhibit, h, 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 0, '10.0.0.12:80': 0, '10.0.0.250:8080': 1 });
  });

  it('quorum lost + remove: only the sorry server', () => {
    expect(weights(service(desiredTable(remove, h, 'MASTER'), HTTP))).toEqual({ '10.0.0.250:8080': 1 });
  });

  it('the sorry server takes the virtual server forwarding method', () => {
    const d = service(desiredTable(inhibit, h, 'MASTER'), HTTP).destinations.find((x) => x.port === 8080);
    expect(d).toEqual(dest('10.0.0.250', 8080, 1));
  });

  it('quorum held: no sorry server', () => {
    const held = health({ 'http|10.0.0.11|80': UP, 'http|10.0.0.12|80': UP }, { http: 'held' });
    expect(weights(service(desiredTable(inhibit, held, 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 2, '10.0.0.12:80': 1 });
  });

  it('quorum unknown: the sorry server stays if and only if the kernel has it', () => {
    const unknown = health({}, { http: 'unknown' });
    expect(weights(service(desiredTable(inhibit, unknown, 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 0, '10.0.0.12:80': 0 });
    const live = table(entry(svc(tcp('10.0.0.100', 80)), dest('10.0.0.11', 80, 0), dest('10.0.0.12', 80, 0), dest('10.0.0.250', 8080, 1)));
    expect(weights(service(desiredTable(inhibit, unknown, 'MASTER', { live }), HTTP))).toEqual({
      '10.0.0.11:80': 0,
      '10.0.0.12:80': 0,
      '10.0.0.250:8080': 1,
    });
  });

  it('quorum lost without a sorry server: real servers keep their health weights', () => {
    const plain = configFrom(vsConfig('on_failure: inhibit\nquorum: { min_up: 2 }'));
    expect(weights(service(desiredTable(plain, h, 'MASTER'), HTTP))).toEqual({ '10.0.0.11:80': 2, '10.0.0.12:80': 0 });
  });
});

describe('role', () => {
  const cfg = exampleConfig('director-a.yaml');

  it('the table is the same on MASTER, BACKUP, FAULT and INIT', () => {
    const m = desiredTable(cfg, health({}), 'MASTER');
    for (const role of ['BACKUP', 'FAULT', 'INIT', 'STOPPED'] as const) expect(desiredTable(cfg, health({}), role)).toEqual(m);
  });

  it('withdrawOnFault empties the table on FAULT and STOPPED only', () => {
    expect(desiredTable(cfg, health({}), 'FAULT', { withdrawOnFault: true }).services).toEqual([]);
    expect(desiredTable(cfg, health({}), 'STOPPED', { withdrawOnFault: true }).services).toEqual([]);
    expect(desiredTable(cfg, health({}), 'BACKUP', { withdrawOnFault: true }).services).toHaveLength(2);
  });
});

describe('ownedBy', () => {
  it('owns exactly the services the configs describe', () => {
    const owned = ownedBy(exampleConfig('director-a.yaml'));
    expect(owned(tcp('10.0.0.100', 80))).toBe(true);
    expect(owned(tcp('10.0.0.100', 8080))).toBe(false);
    expect(owned({ kind: 'address', family: 'ipv4', protocol: 'udp', address: '10.0.0.100', port: 80 })).toBe(false);
  });

  it('with the previous config too, a service removed by a reload is still ours (to delete)', () => {
    const before = exampleConfig('director-a.yaml');
    const after = configFrom(vsConfig('scheduler: rr'));
    expect(ownedBy(after)(tcp('10.0.0.100', 443))).toBe(false);
    expect(ownedBy(after, before)(tcp('10.0.0.100', 443))).toBe(true);
  });
});
