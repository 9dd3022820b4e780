/**
 * The problem finder: every way the live settings (a Snapshot) fall short of
 * what the mode needs, each with the command that fixes it. Pure.
 */
import { desiredState, effectiveSysctl, sysctlKey, tunnelFor, type DesiredState, type SysctlRequirement } from './settings.js';
import type { Family, Problem as FullProblem, RealServerSpec, Snapshot } from './types.js';

/** Problems as the finders build them; findProblems adds the severity. */
type Problem = Omit<FullProblem, 'severity'>;

/** Codes that are warnings: the real server works, but not well. */
export const WARNING_CODES: readonly string[] = ['tunnel-mtu'];

/** `sysctl -w` argument for a key; interface names with dots need the slash form. */
export function sysctlArg(key: string, value: number): string {
  return `${key.includes('.') ? key : key.replaceAll('/', '.')}=${value}`;
}

function interfaceProblems(spec: RealServerSpec, snap: Snapshot): Problem[] {
  const names = new Set(snap.links.map((l) => l.name));
  return (spec.interfaces ?? [])
    .filter((i) => !names.has(i))
    .map((i) => ({ code: 'interface-missing', subject: i, message: `interface ${i} (given as a traffic interface) does not exist`, fix: `check the interface name; \`ip link\` lists them` }));
}

function vipProblems(spec: RealServerSpec, snap: Snapshot, desired: DesiredState): Problem[] {
  const out: Problem[] = [];
  const links = new Map(snap.links.map((l) => [l.name, l]));
  for (const dev of desired.devicesUp) {
    const link = links.get(dev);
    if (link === undefined) {
      const family: Family = spec.vips.find((v) => desired.placements.some((p) => p.vip === v && p.ifname === dev))?.family ?? 4;
      const mods = tunnelFor(spec.tunType, family).modules.join(' ');
      out.push({ code: 'tunnel-missing', subject: dev, message: `the tunnel device ${dev} does not exist (its module is not loaded)`, fix: `modprobe -a ${mods}` });
    } else if (!link.up) {
      out.push({ code: 'device-down', subject: dev, message: `${dev}, which holds the VIP, is down`, fix: `ip link set ${dev} up` });
    }
  }
  for (const p of desired.placements) {
    const { address, family } = p.vip;
    const found = snap.addresses.filter((a) => a.address === address && a.family === family);
    const onDevice = found.find((a) => a.ifname === p.ifname);
    if (onDevice === undefined) {
      const flags = family === 6 ? ' nodad' : '';
      out.push({ code: 'vip-missing', subject: address, message: `VIP ${address} is not on ${p.ifname}`, fix: `ip addr add ${address}/${p.prefixLength} dev ${p.ifname}${flags}` });
    } else if (onDevice.prefixLength !== p.prefixLength) {
      out.push({ code: 'vip-prefix', subject: address, message: `VIP ${address} is on ${p.ifname} as /${onDevice.prefixLength}; it must be a host address (/${p.prefixLength}) or the whole prefix is routed to ${p.ifname}`, fix: `ip addr del ${address}/${onDevice.prefixLength} dev ${p.ifname} && ip addr add ${address}/${p.prefixLength} dev ${p.ifname}` });
    }
    if (onDevice?.dadFailed === true) {
      out.push({ code: 'vip-dad-failed', subject: address, message: `VIP ${address} on ${p.ifname} failed duplicate address detection and is unusable`, fix: `ip addr del ${address}/${p.prefixLength} dev ${p.ifname} && ip addr add ${address}/${p.prefixLength} dev ${p.ifname} nodad` });
    }
    for (const other of found.filter((a) => desired.traffic.includes(a.ifname))) {
      out.push({ code: 'vip-on-traffic-interface', subject: address, message: `VIP ${address} is also on ${other.ifname}: the real server answers ARP/ND for it there, taking it from the director`, fix: `ip addr del ${address}/${other.prefixLength} dev ${other.ifname}` });
    }
  }
  return out;
}

const SYSCTL_CODES: Readonly<Record<SysctlRequirement['name'], string>> = {
  arp_ignore: 'arp-ignore',
  arp_announce: 'arp-announce',
  rp_filter: 'rp-filter',
};

function sysctlProblems(snap: Snapshot, desired: DesiredState): Problem[] {
  const out: Problem[] = [];
  for (const req of desired.sysctls) {
    const effective = effectiveSysctl(snap, req.name, req.ifname);
    if (effective === undefined || req.acceptable.includes(effective)) continue;
    const keys = ['all', req.ifname]
      .map((i) => sysctlKey(i, req.name))
      .filter((k) => !req.acceptable.includes(snap.sysctls[k] ?? 0));
    const all = snap.sysctls[sysctlKey('all', req.name)] ?? 0;
    const dev = snap.sysctls[sysctlKey(req.ifname, req.name)] ?? 0;
    out.push({
      code: SYSCTL_CODES[req.name],
      subject: req.ifname,
      message: `${req.name} on ${req.ifname} is ${effective} (all=${all}, ${req.ifname}=${dev}; the kernel uses the larger), needs ${req.acceptable.join(' or ')}: ${req.why}`,
      fix: `sysctl -w ${keys.map((k) => sysctlArg(k, req.want)).join(' ')}`,
    });
  }
  return out;
}

function natProblems(spec: RealServerSpec, snap: Snapshot): Problem[] {
  const gw = spec.gateway;
  if (gw === null) return [];
  const routes = snap.defaultRoutes.filter((r) => r.family === gw.family);
  if (routes.some((r) => r.gateway === gw.address)) return [];
  const current = routes.map((r) => `via ${r.gateway ?? '(none)'} dev ${r.ifname ?? '?'}`).join(', ');
  const ipv = gw.family === 6 ? ' -6' : '';
  return [{
    code: 'nat-gateway',
    subject: gw.address,
    message: routes.length === 0
      ? `no IPv${gw.family} default route: replies would not go back through the director ${gw.address}`
      : `the IPv${gw.family} default route is ${current}, not the director's internal VIP ${gw.address}: replies would bypass the director and be dropped by the client`,
    fix: `ip${ipv} route replace default via ${gw.address}`,
  }];
}

const HEADER_BYTES: Readonly<Record<Family, number>> = { 4: 40, 6: 60 };

/**
 * TUN: clients size their segments by the MSS this server advertises (from the
 * default route: advmss, else its MTU); the director adds the tunnel header, and
 * the result must fit the MTU of the interfaces the tunnel packets arrive on.
 */
function mtuProblems(spec: RealServerSpec, snap: Snapshot, desired: DesiredState): Problem[] {
  if (spec.mode !== 'tun') return [];
  const out: Problem[] = [];
  const carriers = snap.links.filter((l) => desired.traffic.includes(l.name));
  if (carriers.length === 0) return [];
  const carrierMtu = Math.min(...carriers.map((l) => l.mtu));
  for (const family of [...new Set(spec.vips.map((v) => v.family))]) {
    const route = snap.defaultRoutes.find((r) => r.family === family);
    if (route === undefined) continue;
    const routeMtu = route.mtu ?? snap.links.find((l) => l.name === route.ifname)?.mtu;
    if (routeMtu === undefined) continue;
    const mss = route.advmss ?? routeMtu - HEADER_BYTES[family];
    const overhead = tunnelFor(spec.tunType, family).overheadBytes;
    const arriving = mss + HEADER_BYTES[family] + overhead;
    if (arriving <= carrierMtu) continue;
    const fitting = carrierMtu - overhead - HEADER_BYTES[family];
    const via = route.gateway === null ? '' : ` via ${route.gateway}`;
    out.push({
      code: 'tunnel-mtu',
      subject: `ipv${family}`,
      message: `MTU too small for the tunnel: this server advertises MSS ${mss}, so a full client segment is ${arriving} bytes once the director adds ${overhead} bytes of ${spec.tunType}, more than the carrier MTU ${carrierMtu}`,
      fix: `ip${family === 6 ? ' -6' : ''} route change default${via} dev ${route.ifname ?? '?'} advmss ${fitting}`,
    });
  }
  return out;
}

function fouProblems(spec: RealServerSpec, snap: Snapshot, desired: DesiredState): Problem[] {
  const out: Problem[] = [];
  if (spec.mode === 'tun' && spec.tunType === 'gue' && spec.guePort === null) {
    out.push({ code: 'gue-port-unknown', subject: 'gue', message: 'GUE needs the UDP port the director sends to', fix: 'give --gue-port PORT (the director\'s --tun-port)' });
  }
  for (const port of desired.fouPorts.filter((p) => !snap.fouPorts.includes(p))) {
    out.push({ code: 'gue-port-missing', subject: String(port), message: `no GUE receiver on UDP port ${port}`, fix: `ip fou add port ${port} gue` });
  }
  return out;
}

/** Every problem, in a stable order; empty when all is right. */
export function findProblems(spec: RealServerSpec, snap: Snapshot): FullProblem[] {
  const desired = desiredState(spec, snap);
  const found: Problem[] = [
    ...interfaceProblems(spec, snap),
    ...vipProblems(spec, snap, desired),
    ...sysctlProblems(snap, desired),
    ...fouProblems(spec, snap, desired),
    ...natProblems(spec, snap),
    ...mtuProblems(spec, snap, desired),
  ];
  return found.map((p) => ({ ...p, severity: WARNING_CODES.includes(p.code) ? 'warning' : 'error' }));
}
