/** The lab's ECMP mode: N directors behind a router, each with its own routing daemon fed the shipped snippets. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ecmpWarnings } from '../../../src/config/ecmp.js';
import { validateConfigText } from '../../../src/config/validate.js';
import { parseLabArgs } from '../../../src/cli/verbs/lab.js';
import {
  directorBirdConfig, directorFrrConfig, ECMP_ROUTER, ECMP_VIP, parseNextHops, routerFrrConfig, routingDaemonOf,
} from '../../../src/lab/ecmp.js';
import { traceFlows } from '../../../src/lab/ecmp-drill.js';
import { parseState } from '../../../src/lab/state.js';
import { addressOf, directorConfig, hostsOf, labPaths, labTopology, type LabOptions } from '../../../src/lab/topology.js';

const repo = join(import.meta.dirname, '../../..');
const shipped = (f: string): string => readFileSync(join(repo, 'configs', f), 'utf8');
const options: LabOptions = { mode: 'ecmp', sync: true, advertIntervalMs: 1000 };
const t = labTopology(options);

describe('lab --mode ecmp topology', () => {
  test('3 directors by default (d2 on BIRD), real servers beside them, the client behind the router, the VIP in no subnet', () => {
    const directors = hostsOf(t, 'director');
    expect(directors.map((d) => `${d.name} ${addressOf(d)} ${routingDaemonOf(d)}`)).toEqual(['d1 10.78.0.11 frr', 'd2 10.78.0.12 bird', 'd3 10.78.0.13 frr']);
    expect(hostsOf(t, 'real_server').every((r) => r.gateway === ECMP_ROUTER && r.links[0]?.bridge === 'br-front')).toBe(true);
    expect(hostsOf(t, 'client')[0]?.links[0]?.bridge).toBe('br-client');
    expect(hostsOf(t, 'router')[0]?.links.map((l) => l.cidr)).toEqual(['10.77.0.1/24', `${ECMP_ROUTER}/24`]);
    expect(t.vip).toBe(ECMP_VIP);
    expect(t.hosts.flatMap((h) => h.links).some((l) => l.cidr.startsWith('10.70.0.'))).toBe(false);
    expect(hostsOf(labTopology({ ...options, directors: 5 }), 'director').map((d) => d.name)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
  });

  test('a director config validates: ecmp section, mh with mh-port, sloppy_tcp, DR, no VRRP, and no ECMP warning', () => {
    const d1 = hostsOf(t, 'director')[0];
    if (!d1) throw new Error('no director');
    const r = validateConfigText(directorConfig(t, d1, labPaths('/run/lvs-ha-lab')), 'd1.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.config.ecmp?.vips).toEqual([ECMP_VIP]);
    expect(r.config.vrrp.instances).toEqual([]);
    expect(r.config.virtualServers[0]?.scheduler).toBe('mh');
    expect(ecmpWarnings(r.config)).toEqual([]);
    // The negative half: rr is accepted, and the validator warns about it.
    const rr = labTopology({ ...options, scheduler: 'rr' });
    const r2 = validateConfigText(directorConfig(rr, d1, labPaths('/run/lvs-ha-lab')), 'd1.yaml');
    if (!r2.ok) throw new Error(JSON.stringify(r2.errors));
    expect(ecmpWarnings(r2.config).join('\n')).toMatch(/rr/);
  });

  test('the routing daemons get the shipped snippets with only the addresses changed (and BFD lines when asked)', () => {
    const frr = directorFrrConfig(shipped('frr-ecmp.conf'), '10.78.0.11', false);
    expect(frr).toContain('bgp router-id 10.78.0.11');
    expect(frr).toContain(`neighbor ${ECMP_ROUTER} remote-as 65000`);
    expect(frr).toContain('ip import-table 240');
    expect(frr).not.toMatch(/10\.0\.1\./);
    expect(directorFrrConfig(shipped('frr-ecmp.conf'), '10.78.0.11', true)).toMatch(new RegExp(`^ neighbor ${ECMP_ROUTER.replace(/\./g, '\\.')} bfd$`, 'm'));
    const bird = directorBirdConfig(shipped('bird-ecmp.conf'), '10.78.0.12', true);
    expect(bird).toContain('router id 10.78.0.12;');
    expect(bird).toContain(`neighbor ${ECMP_ROUTER} as 65000;`);
    expect(bird).toMatch(/^protocol bfd \{/m);
    expect(bird).toMatch(/^ {2}bfd on;/m);
    const router = routerFrrConfig(shipped('frr-ecmp-router.conf'), false);
    expect(router).toContain('bgp listen range 10.78.0.0/24 peer-group DIRECTORS');
    expect(router).toContain('maximum-paths 16');
    expect(router).not.toMatch(/^ neighbor 10\.0\./m);
    expect(() => routerFrrConfig('router bgp 1\n', false)).toThrow(/frr-ecmp-router.conf: expected/);
  });

  test('next hops from ip route', () => {
    expect(parseNextHops('10.70.0.100 proto bgp metric 20 \n\tnexthop via 10.78.0.13 dev eth1 weight 1 \n\tnexthop via 10.78.0.11 dev eth1 weight 1 \n')).toEqual(['10.78.0.11', '10.78.0.13']);
    expect(parseNextHops('10.70.0.100 via 10.78.0.12 dev eth1 proto bgp metric 20 \n')).toEqual(['10.78.0.12']);
    expect(parseNextHops('')).toEqual([]);
  });

  test('arguments: --directors, --scheduler, --bfd go with --mode ecmp and reach the state file', () => {
    const a = parseLabArgs(['up', '--mode', 'ecmp', '--directors', '4', '--scheduler', 'rr', '--bfd']);
    expect(a.options).toEqual({ mode: 'ecmp', sync: true, advertIntervalMs: 1000, directors: 4, scheduler: 'rr', bfd: true });
    expect(() => parseLabArgs(['up', '--directors', '4'])).toThrow(/go with --mode ecmp/);
    expect(() => parseLabArgs(['up', '--mode', 'ecmp', '--directors', '2'])).toThrow(/3 to 6/);
    expect(() => parseLabArgs(['up', '--mode', 'ecmp', '--scheduler', 'wrr'])).toThrow(/mh, rr/);
    expect(parseLabArgs(['drill']).connections).toBeNull();
    const state = { version: 1, createdAt: 'x', options: a.options, namespaces: ['lvl-sw'], processes: [] };
    expect(parseState(JSON.stringify(state), 's.json').options).toEqual(a.options);
    expect(() => parseState(JSON.stringify({ ...state, options: { ...a.options, scheduler: 'lc' } }), 's.json')).toThrow(/scheduler/);
  });

  test('drill trace: a flow counts as moved when a director holds it after the step that did not before', () => {
    const first = ['r1', 'r2', 'r3', 'r1', null];
    const after = ['r1', 'r3', 'r3', null, null];
    const ports = [1001, 1002, 1003, 1004, null];
    const before = new Map([[1001, ['d2']], [1002, ['d2']], [1003, ['d3']], [1004, ['d2']]]);
    // 1001 moved and kept, 1002 moved and broken, 1003 stayed on d3, 1004 broken without a new entry.
    const now = new Map([[1001, ['d2', 'd3']], [1002, ['d2', 'd3']], [1003, ['d3']], [1004, ['d2']]]);
    const r = traceFlows(first, after, ports, before, now);
    expect(r.moved).toEqual({ held: 2, kept: 1, broken: 1, percentKept: 50 });
    expect(r.trace[1]).toEqual({ port: 1002, before_on: ['d2'], after_on: ['d2', 'd3'], first: 'r2', after: 'r3' });
    expect(r.trace[4]).toEqual({ port: null, before_on: [], after_on: [], first: null, after: null });
  });
});
