/**
 * The lab's topology and the configuration files it generates (pure).
 *
 * One switch namespace holds the bridges; every other host (two directors,
 * three real servers, one client) is a namespace joined to a bridge by a veth
 * pair created inside the namespaces, so nothing of the lab appears in the
 * host's own network namespace. DR and TUN use one network; NAT adds a second
 * ("back") network where the real servers route through the directors'
 * gateway VIP, moved with the front VIP by a sync group. FULLNAT puts the real
 * servers behind a router (./fullnat.ts).
 */
import { stringify } from 'yaml';
import { fullnatServiceKeys, fullnatSysctls, fullnatTopology } from './fullnat.js';
import type { NetSpec } from './netns.js';
import { ecmpDirectorConfig, ecmpTopology, type EcmpScheduler } from './ecmp.js';

export const LAB_MODES = ['dr', 'nat', 'tun', 'fullnat', 'ecmp'] as const;
export type LabMode = (typeof LAB_MODES)[number];

/** Every namespace name starts with this; `lab down` removes only names it recorded. */
export const LAB_PREFIX = 'lvl';

export interface LabOptions {
  readonly mode: LabMode;
  /** Connection sync between the directors (ipvs_sync); off shows what sync is for. */
  readonly sync: boolean;
  /** VRRP advert interval in ms (whole centiseconds, 10..40950). */
  readonly advertIntervalMs: number;
  /** ECMP only: how many active directors (default 3). */
  readonly directors?: number;
  /** ECMP only: the virtual server's scheduler (default mh; rr shows what mh is for). */
  readonly scheduler?: EcmpScheduler;
  /** ECMP only: BFD between the directors' routing daemons and the router. */
  readonly bfd?: boolean;
}

export const DEFAULT_LAB_OPTIONS: LabOptions = { mode: 'dr', sync: true, advertIntervalMs: 1000 };

export type HostRole = 'director' | 'real_server' | 'client' | 'router';

export interface LabLink {
  /** Interface name inside the host's namespace. */
  readonly ifname: string;
  readonly bridge: string;
  /** Address with prefix length, e.g. 10.77.0.11/24. */
  readonly cidr: string;
}

export interface LabHost {
  /** Short name: d1, d2, r1..r3, c. */
  readonly name: string;
  readonly role: HostRole;
  readonly netns: string;
  readonly links: readonly LabLink[];
  /** Default gateway, if any (NAT real servers: the gateway VIP). */
  readonly gateway: string | null;
}

export interface LabTopology {
  readonly options: LabOptions;
  /** The namespace holding the bridges. */
  readonly switchNetns: string;
  readonly bridges: readonly string[];
  readonly hosts: readonly LabHost[];
  /** The service VIP the client talks to, and its port. */
  readonly vip: string;
  readonly port: number;
  /** The port the real servers listen on (differs from `port` only under NAT). */
  readonly realPort: number;
  /** NAT only: the gateway VIP on the back network. */
  readonly gatewayVip: string | null;
  readonly vrid: number;
}

const FRONT = '10.77.0';
const BACK = '10.78.0';
export const LAB_VIP = `${FRONT}.100`;

function ns(name: string): string {
  return `${LAB_PREFIX}-${name}`;
}

export function labTopology(options: LabOptions): LabTopology {
  if (options.mode === 'fullnat') return fullnatTopology(options, LAB_PREFIX, LAB_VIP);
  if (options.mode === 'ecmp') return ecmpTopology(options, LAB_PREFIX);
  const nat = options.mode === 'nat';
  const bridges = nat ? ['br-front', 'br-back'] : ['br-front'];
  const director = (name: string, octet: number): LabHost => ({
    name, role: 'director', netns: ns(name), gateway: null,
    links: [
      { ifname: 'eth0', bridge: 'br-front', cidr: `${FRONT}.${String(octet)}/24` },
      ...(nat ? [{ ifname: 'eth1', bridge: 'br-back', cidr: `${BACK}.${String(octet)}/24` }] : []),
    ],
  });
  const real = (name: string, octet: number): LabHost => ({
    name, role: 'real_server', netns: ns(name), gateway: nat ? `${BACK}.1` : null,
    links: [{ ifname: 'eth0', bridge: nat ? 'br-back' : 'br-front', cidr: `${nat ? BACK : FRONT}.${String(octet)}/24` }],
  });
  return {
    options,
    switchNetns: ns('sw'),
    bridges,
    hosts: [
      director('d1', 11), director('d2', 12),
      real('r1', 21), real('r2', 22), real('r3', 23),
      { name: 'c', role: 'client', netns: ns('c'), gateway: null, links: [{ ifname: 'eth0', bridge: 'br-front', cidr: `${FRONT}.2/24` }] },
    ],
    vip: LAB_VIP,
    port: 80,
    realPort: nat ? 8080 : 80,
    gatewayVip: nat ? `${BACK}.1` : null,
    vrid: 77,
  };
}

export function hostsOf(t: LabTopology, role: HostRole): LabHost[] {
  return t.hosts.filter((h) => h.role === role);
}

export function addressOf(h: LabHost): string {
  const cidr = h.links[0]?.cidr ?? '';
  return cidr.slice(0, cidr.indexOf('/'));
}

/** The veth end in the switch namespace for a host's link (<= 15 characters). */
export function switchPort(h: LabHost, l: LabLink): string {
  return `${h.name}-${l.ifname}`;
}

/** The lab's network as the one builder describes it (./netns.ts): switch namespace, bridges, hosts. */
export function labNetwork(t: LabTopology): NetSpec {
  const sysctls = new Map(fullnatSysctls(t).map(({ host, settings }) => [host.netns, settings]));
  return {
    namespaces: [{ name: t.switchNetns }, ...t.hosts.map((h) => ({ name: h.netns, sysctls: sysctls.get(h.netns) ?? [] }))],
    bridges: t.bridges.map((name) => ({ netns: t.switchNetns, name })),
    veths: t.hosts.flatMap((h) => h.links.map((l) => ({
      a: { netns: t.switchNetns, ifname: switchPort(h, l), bridge: l.bridge },
      b: { netns: h.netns, ifname: l.ifname, addresses: [l.cidr] },
    }))),
    routes: t.hosts.flatMap((h) => (h.gateway === null ? [] : [{ netns: h.netns, to: 'default', via: h.gateway }])),
  };
}

export interface LabPaths {
  readonly dir: string;
  socket(host: string): string;
  config(host: string): string;
  log(name: string): string;
  rsState(host: string): string;
}

export function labPaths(dir: string): LabPaths {
  return {
    dir,
    socket: (h) => `${dir}/${h}.sock`,
    config: (h) => `${dir}/${h}.yaml`,
    log: (n) => `${dir}/${n}.log`,
    rsState: (h) => `${dir}/${h}.real-server.json`,
  };
}

function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${String(ms / 1000)}s` : `${String(ms)}ms`;
}

/**
 * With sync, mh by source port (the real server a new master picks for a connection it takes
 * over with sloppy_tcp is the one the old master picked); without sync the plain pair: rr.
 */
export function labScheduler(sync: boolean): { scheduler: string; scheduler_flags?: string[] } {
  return sync ? { scheduler: 'mh', scheduler_flags: ['mh-port'] } : { scheduler: 'rr' };
}

/** The config file of one director, as YAML text the real validator accepts. */
export function directorConfig(t: LabTopology, d: LabHost, paths: LabPaths): string {
  if (t.options.mode === 'ecmp') return ecmpDirectorConfig(t, d, paths, hostsOf(t, 'real_server').map(addressOf));
  const first = d.name === 'd1';
  const { mode, sync, advertIntervalMs } = t.options;
  const advert = durationText(advertIntervalMs);
  const instance = (name: string, ifname: string, vip: string): Record<string, unknown> => ({
    name, interface: ifname, vrid: t.vrid, priority: first ? 150 : 100, advert_interval: advert,
    virtual_addresses: [`${vip}/32`],
  });
  const instances = [instance('front', 'eth0', t.vip)];
  if (t.gatewayVip !== null) instances.push(instance('gateway', 'eth1', t.gatewayVip));
  const vrrp: Record<string, unknown> = { instances };
  if (t.gatewayVip !== null) vrrp.sync_groups = [{ name: 'pair', instances: ['front', 'gateway'] }];
  const config: Record<string, unknown> = {
    node: d.name,
    control: { socket: paths.socket(d.name) },
    vrrp,
  };
  if (sync) {
    config.ipvs_sync = { interface: 'eth0', follow: t.gatewayVip === null ? 'front' : 'pair', sync_id: t.vrid };
    // A connection whose handshake straddles the hand-over (SYN to the old master, ACK to the
    // new one) reaches the new master before its sync entry (the master's sync daemon flushes
    // every 2 s at most). sloppy_tcp lets the new master take it over from that ACK, and mh
    // (hashing the source port too) picks the same real server the old master picked. Without
    // sync the lab shows the plain pair, so neither is set there.
    config.ipvs = { sloppy_tcp: true };
  }
  // No scripts run in the lab, but the script user must exist: Debian's nobody does.
  config.scripts = { user: 'nobody' };
  config.virtual_servers = [{
    name: 'web', address: t.vip, port: t.port, ...labScheduler(sync), forwarding: mode, ...fullnatServiceKeys(t), on_failure: 'inhibit',
    check: { type: 'http', path: '/', expect_status: [200], interval: '1s', timeout: '1s', rise: 2, fall: 2 },
    real_servers: hostsOf(t, 'real_server').map((r) => ({ address: addressOf(r), port: t.realPort, weight: 1 })),
  }];
  const header = `# lvs-ha lab: director ${d.name} (${mode.toUpperCase()}, ${sync ? 'with' : 'without'} connection sync).\n# Generated by 'lvs-ha lab up'; removed by 'lvs-ha lab down'.\n`;
  return header + stringify(config);
}
