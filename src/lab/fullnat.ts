/**
 * The lab's FULLNAT mode (`lvs-ha lab up --mode fullnat`), kept apart from the
 * shared lab files, which call in through small hooks.
 *
 *   client c (10.77.0.2) --- br-front --- d1, d2 (VIP 10.77.0.100)
 *   d1, d2 (10.79.0.11/.12, LIP 10.79.0.100) --- br-transit --- router g (10.79.0.1)
 *   router g (10.78.0.1) --- br-back --- r1..r3 (10.78.0.21..23, default via g)
 *
 * The real servers sit in another subnet behind a router that has no route to
 * the client network: nothing on them knows about LVS (no VIP, no gateway on
 * the directors). The LIP is a VRRP address on the transit network, in a sync
 * group with the front VIP, so the real servers' replies reach whichever
 * director is MASTER. The directors reach the real servers (and check them)
 * through the router.
 */
import type { LabHost, LabOptions, LabTopology } from './topology.js';

const FRONT = '10.77.0';
const TRANSIT = '10.79.0';
const BACK = '10.78.0';
export const FULLNAT_LIP = `${TRANSIT}.100`;

export function fullnatTopology(options: LabOptions, prefix: string, vip: string): LabTopology {
  const ns = (name: string): string => `${prefix}-${name}`;
  const director = (name: string, octet: number): LabHost => ({
    name, role: 'director', netns: ns(name), gateway: `${TRANSIT}.1`,
    links: [
      { ifname: 'eth0', bridge: 'br-front', cidr: `${FRONT}.${String(octet)}/24` },
      { ifname: 'eth1', bridge: 'br-transit', cidr: `${TRANSIT}.${String(octet)}/24` },
    ],
  });
  const real = (name: string, octet: number): LabHost => ({
    name, role: 'real_server', netns: ns(name), gateway: `${BACK}.1`,
    links: [{ ifname: 'eth0', bridge: 'br-back', cidr: `${BACK}.${String(octet)}/24` }],
  });
  return {
    options,
    switchNetns: ns('sw'),
    bridges: ['br-front', 'br-transit', 'br-back'],
    hosts: [
      director('d1', 11), director('d2', 12),
      real('r1', 21), real('r2', 22), real('r3', 23),
      { name: 'c', role: 'client', netns: ns('c'), gateway: null, links: [{ ifname: 'eth0', bridge: 'br-front', cidr: `${FRONT}.2/24` }] },
      {
        name: 'g', role: 'router', netns: ns('g'), gateway: null,
        links: [
          { ifname: 'eth0', bridge: 'br-transit', cidr: `${TRANSIT}.1/24` },
          { ifname: 'eth1', bridge: 'br-back', cidr: `${BACK}.1/24` },
        ],
      },
    ],
    vip,
    port: 80,
    realPort: 8080,
    // The LIP moves like NAT's gateway VIP: second instance on eth1, in a sync group with the front.
    gatewayVip: FULLNAT_LIP,
    vrid: 77,
  };
}

/** The virtual server's fullnat keys in a director's config (none in other modes). */
export function fullnatServiceKeys(t: LabTopology): Record<string, unknown> {
  if (t.options.mode !== 'fullnat') return {};
  return { fullnat: { local_addresses: [FULLNAT_LIP], interface: 'eth1' } };
}

/**
 * The sysctls the lab sets as an operator would (lvs-ha sets neither): forwarding on the
 * router and the directors (masquerading forwards the replies), and on the directors liberal
 * TCP window tracking, so that a director taking connections back after a failover and return
 * uses its older conntrack entries (and their source NAT) although their windows are stale;
 * without it conntrack marks those packets invalid, they leave untranslated, and the return
 * drops every established connection (docs/operations.md, FULLNAT across a failover).
 */
export function fullnatSysctls(t: LabTopology): { readonly host: LabHost; readonly settings: readonly string[] }[] {
  if (t.options.mode !== 'fullnat') return [];
  return t.hosts.filter((h) => h.role === 'router' || h.role === 'director').map((host) => ({
    host,
    settings: host.role === 'router' ? ['net.ipv4.ip_forward=1'] : ['net.ipv4.ip_forward=1', 'net.netfilter.nf_conntrack_tcp_be_liberal=1'],
  }));
}
