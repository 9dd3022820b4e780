/** The lab's fullnat mode: real servers behind a router with no route to the client; LIP as a VRRP address. */
import { describe, expect, test } from 'vitest';
import { validateConfigText } from '../../../src/config/validate.js';
import { FULLNAT_LIP, fullnatSysctls } from '../../../src/lab/fullnat.js';
import { directorConfig, hostsOf, labPaths, labTopology } from '../../../src/lab/topology.js';

const t = labTopology({ mode: 'fullnat', sync: true, advertIntervalMs: 1000 });

describe('lab --mode fullnat', () => {
  test('real servers: another subnet, default route via the router, and nothing routes to the client subnet', () => {
    const router = t.hosts.find((h) => h.role === 'router');
    expect(router?.gateway).toBeNull(); // connected routes only: transit and back, not the front
    expect(router?.links.map((l) => l.cidr)).toEqual(['10.79.0.1/24', '10.78.0.1/24']);
    for (const r of hostsOf(t, 'real_server')) {
      expect(r.gateway).toBe('10.78.0.1');
      expect(r.links[0]?.bridge).toBe('br-back');
    }
    expect(hostsOf(t, 'director').every((d) => d.links.every((l) => l.bridge !== 'br-back'))).toBe(true);
    expect(fullnatSysctls(t).map((s) => `${s.host.name}: ${s.settings.join(' ')}`)).toEqual([
      'd1: net.ipv4.ip_forward=1 net.netfilter.nf_conntrack_tcp_be_liberal=1',
      'd2: net.ipv4.ip_forward=1 net.netfilter.nf_conntrack_tcp_be_liberal=1',
      'g: net.ipv4.ip_forward=1',
    ]);
    expect(fullnatSysctls(labTopology({ mode: 'nat', sync: true, advertIntervalMs: 1000 }))).toEqual([]);
  });

  test('the director config: fullnat service with the LIP, which is a VRRP address moved with the VIP', () => {
    const d1 = hostsOf(t, 'director')[0];
    if (!d1) throw new Error('no director');
    const r = validateConfigText(directorConfig(t, d1, labPaths('/run/lvs-ha-lab')), 'd1.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const vs = r.config.virtualServers[0];
    expect(vs?.forwarding).toEqual({ method: 'fullnat', localAddresses: [{ text: FULLNAT_LIP, family: 'ipv4' }], interface: 'eth1' });
    expect(vs?.realServers.map((x) => `${x.address.text}:${String(x.port)}`)).toEqual(['10.78.0.21:8080', '10.78.0.22:8080', '10.78.0.23:8080']);
    const gw = r.config.vrrp.instances.find((i) => i.name === 'gateway');
    expect(gw?.virtualAddresses.map((a) => a.text)).toEqual([FULLNAT_LIP]);
    expect(r.config.vrrp.syncGroups[0]?.instances).toEqual(['front', 'gateway']);
    expect(r.config.ipvsSync?.follow).toBe('pair');
  });
});
