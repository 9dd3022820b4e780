/**
 * The `virtual_servers` section: IPVS services, their real servers and checks.
 */
import { isScalar, type Node } from 'yaml';
import { readCheck } from './checks.js';
import { checkFullnatAgainstRealServers, readFullnat } from './fullnat.js';
import { KEYS } from './keys.js';
import { bool, duration, int, ip, isEmptyList, listOf, map, name, oneOf, parsed, reportDuplicates, values } from './read.js';
import type { Ctx, Located, MapReader, Read } from './reader.js';
import type {
  AddressFamily,
  CheckConfig,
  Forwarding,
  IpAddress,
  RealServerConfig,
  Scheduler,
  SchedulerFlag,
  VirtualServerConfig,
  VirtualServerKey,
} from './types.js';
import { familyName, isIpv6LinkLocal, notUnicastReason, parseV4Netmask, prefixToV4Netmask } from './values.js';

export const SCHEDULERS: readonly Scheduler[] = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'fo', 'ovf', 'sed', 'nq', 'twos'];
export const SCHEDULER_FLAGS: readonly SchedulerFlag[] = ['sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'];

export const VS_DEFAULTS = {
  protocol: 'tcp',
  scheduler: 'wlc',
  forwarding: 'dr',
  tunType: 'ipip',
  onFailure: 'inhibit',
  minUp: 1,
  hysteresis: 0,
  persistenceTimeoutS: 300,
  weight: 1,
} as const;

/** The kernel multiplies IPVS timeouts by HZ into an int: keep them below INT_MAX / 1000. */
export const MAX_KERNEL_TIMEOUT_MS = 2_147_483_000;

export interface VirtualServersSection {
  readonly config: readonly VirtualServerConfig[];
  readonly names: ReadonlySet<string>;
  /** Real servers whose family differs from their service's (tun only): the kernel refuses them while sync runs. */
  readonly mixedFamily: readonly Located<IpAddress>[];
}

interface VsRead {
  readonly config: VirtualServerConfig;
  readonly nameAt: Located<string> | undefined;
  readonly keyAt: Located<string> | undefined;
  readonly mixedFamily: readonly Located<IpAddress>[];
}

function hostAddress(ctx: Ctx, node: Node, path: string): IpAddress | undefined {
  const a = ip(ctx, node, path);
  if (a === undefined) return undefined;
  const reason = notUnicastReason(a);
  if (reason !== null) {
    ctx.report(node, path, `must be a unicast host address, not ${reason}`, a.text);
    return undefined;
  }
  if (isIpv6LinkLocal(a)) {
    ctx.report(node, path, 'cannot be an IPv6 link-local address: IPVS addresses carry no interface', a.text);
    return undefined;
  }
  return a;
}

function readKey(m: MapReader): { key: VirtualServerKey | undefined; port: number | undefined; keyAt: Located<string> | undefined } {
  const fwmark = m.optAt('fwmark', int(1, 4_294_967_295));
  if (m.has('fwmark')) {
    for (const k of ['address', 'port', 'protocol']) m.forbid(k, 'with fwmark (a fwmark service has no address, port or protocol)');
    const family = m.opt('family', oneOf(['ipv4', 'ipv6'] as const)) ?? 'ipv4';
    if (!fwmark) return { key: undefined, port: undefined, keyAt: undefined };
    const text = `fwmark ${fwmark.value} (${familyName(family)})`;
    return { key: { kind: 'fwmark', fwmark: fwmark.value, family }, port: undefined, keyAt: { ...fwmark, value: text } };
  }
  m.forbid('family', 'without fwmark (an address service has the family of its address)');
  const address = m.reqAt('address', hostAddress);
  const port = m.req('port', int(0, 65535));
  const protocol = m.opt('protocol', oneOf(['tcp', 'udp', 'sctp'] as const)) ?? VS_DEFAULTS.protocol;
  if (port === 0 && !m.has('persistence')) {
    m.ctx.report(m.nodeFor('port'), m.sub('port'), 'port 0 (all ports) needs persistence');
  }
  if (!address || port === undefined) return { key: undefined, port, keyAt: undefined };
  const shown = address.value.family === 'ipv6' ? `[${address.value.text}]` : address.value.text;
  const text = `${protocol} ${shown}:${port}`;
  return { key: { kind: 'address', address: address.value, port, protocol }, port, keyAt: { ...address, value: text } };
}

function readScheduler(m: MapReader): { scheduler: Scheduler; schedulerFlags: SchedulerFlag[] } {
  const scheduler = m.opt('scheduler', oneOf(SCHEDULERS)) ?? VS_DEFAULTS.scheduler;
  const flags = m.opt('scheduler_flags', listOf(oneOf(SCHEDULER_FLAGS))) ?? [];
  reportDuplicates(m.ctx, flags, (f) => f, 'scheduler flag');
  for (const f of flags) {
    const owner = f.value.split('-')[0] ?? '';
    if (owner !== scheduler) {
      m.ctx.report(f.node, f.path, `scheduler flag ${f.value} applies only to scheduler ${owner} (this virtual server uses ${scheduler})`, undefined, `a flag of ${scheduler}`);
    }
  }
  return { scheduler, schedulerFlags: [...new Set(values(flags))] };
}

function readPersistence(m: MapReader | undefined, family: AddressFamily): VirtualServerConfig['persistence'] {
  if (!m) return null;
  const timeoutS = (m.opt('timeout', duration({ min: 1000, max: MAX_KERNEL_TIMEOUT_MS, step: 1000 })) ?? VS_DEFAULTS.persistenceTimeoutS * 1000) / 1000;
  if (family === 'ipv4') {
    const prefixLength = m.opt('netmask', v4Netmask) ?? 32;
    return { timeoutS, netmask: prefixToV4Netmask(prefixLength), prefixLength };
  }
  const prefixLength = m.opt('netmask', v6PrefixLength) ?? 128;
  return { timeoutS, netmask: String(prefixLength), prefixLength };
}

const v4Netmask = parsed((text) => {
  const r = parseV4Netmask(text);
  return r.ok ? r : { ok: false, expected: `${r.expected} (an IPv4 service takes a dotted mask)` };
});

const v6PrefixLength: Read<number> = (ctx, node, path) => {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 128) return v;
  ctx.mismatch(node, path, 'a prefix length 1..128 (an IPv6 service takes a prefix length, not a dotted mask)');
  return undefined;
};

function readForwarding(m: MapReader, key: VirtualServerKey | undefined, family: AddressFamily): Forwarding {
  const method = m.opt('forwarding', oneOf(['dr', 'nat', 'tun', 'fullnat'] as const)) ?? VS_DEFAULTS.forwarding;
  if (method !== 'fullnat') m.forbid('fullnat', `with forwarding ${method} (only with forwarding fullnat)`);
  if (method === 'fullnat') {
    m.forbid('tun_type', 'with forwarding fullnat (only with forwarding tun)');
    m.forbid('tun_port', 'with forwarding fullnat (only with forwarding tun and tun_type gue)');
    return readFullnat(m, key, family, hostAddress);
  }
  if (method !== 'tun') {
    m.forbid('tun_type', `with forwarding ${method} (only with forwarding tun)`);
    m.forbid('tun_port', `with forwarding ${method} (only with forwarding tun and tun_type gue)`);
    return { method };
  }
  const tunType = m.opt('tun_type', oneOf(['ipip', 'gue', 'gre'] as const)) ?? VS_DEFAULTS.tunType;
  if (tunType !== 'gue') {
    m.forbid('tun_port', `with tun_type ${tunType} (only gue uses a UDP port)`);
    return { method, tunType, tunPort: null };
  }
  const tunPort = m.req('tun_port', int(1, 65535));
  return { method, tunType, tunPort: tunPort ?? 0 };
}

function readSorry(m: MapReader | undefined, family: AddressFamily, port: number | undefined): VirtualServerConfig['sorryServer'] {
  if (!m) return null;
  const address = m.reqAt('address', hostAddress);
  if (address && address.value.family !== family) {
    m.ctx.report(address.node, address.path, `must be an ${familyName(family)} address like the virtual server`, address.value.text);
  }
  const p = port === undefined ? m.req('port', int(1, 65535)) : (m.opt('port', int(1, 65535)) ?? port);
  return address && p !== undefined ? { address: address.value, port: p } : null;
}

/**
 * `ops`: one-packet scheduling. The kernel applies it only to UDP datagrams
 * (ip_vs_schedule sets IP_VS_CONN_F_ONE_PACKET only for IPPROTO_UDP), so it is
 * refused on a tcp or sctp service, where it would silently do nothing. A
 * fwmark service may carry UDP, so it is accepted there (it then applies to
 * the UDP packets of the mark only).
 */
function readOps(m: MapReader, key: VirtualServerKey | undefined): boolean {
  const ops = m.optAt('ops', bool);
  if (ops?.value === true && key?.kind === 'address' && key.protocol !== 'udp') {
    m.ctx.report(ops.node, ops.path, `ops (one-packet scheduling) is only for protocol udp: the kernel honours it only for UDP datagrams, and this virtual server is ${key.protocol}`, 'true', 'protocol: udp');
  }
  return ops?.value ?? false;
}

interface VsContext {
  readonly family: AddressFamily;
  readonly port: number | undefined;
  readonly forwarding: Forwarding;
  readonly defaultCheck: CheckConfig | null;
}

function readRealServer(vs: VsContext): Read<RealServerConfig> {
  return (ctx, node, path) => {
    const m = map(KEYS.realServer)(ctx, node, path);
    if (!m) return undefined;
    const address = m.reqAt('address', hostAddress);
    const portAt = vs.port === undefined ? m.reqAt('port', int(0, 65535)) : m.optAt('port', int(0, 65535));
    const port = portAt?.value ?? vs.port;
    if (portAt && vs.port !== undefined && vs.port !== 0 && portAt.value !== vs.port && vs.forwarding.method !== 'nat' && vs.forwarding.method !== 'fullnat') {
      ctx.report(portAt.node, portAt.path, `port ${portAt.value} differs from the virtual server's ${vs.port}, but forwarding ${vs.forwarding.method} cannot change ports (only nat and fullnat can)`, undefined, String(vs.port));
    }
    if (address && address.value.family !== vs.family && vs.forwarding.method !== 'tun') {
      ctx.report(address.node, address.path, `must be an ${familyName(vs.family)} address like the virtual server (only forwarding tun can mix families)`, address.value.text);
    }
    const weight = m.opt('weight', int(0, 65535)) ?? VS_DEFAULTS.weight;
    const upper = m.optAt('upper_threshold', int(0, 65535));
    const lower = m.opt('lower_threshold', int(0, 65535)) ?? 0;
    if (upper && upper.value > 0 && lower > upper.value) {
      ctx.report(m.nodeFor('lower_threshold'), m.sub('lower_threshold'), `must not exceed upper_threshold (${upper.value})`, String(lower));
    }
    const checkNode = m.valueNode('check');
    const check = checkNode === undefined ? vs.defaultCheck : readCheck(ctx, checkNode, m.sub('check'), { family: address?.value.family ?? vs.family, level: 'real_server' });
    if (check && check.type !== 'exec' && check.type !== 'icmp' && port === 0 && check.connectPort === null) {
      const at = checkNode ?? m.nodeFor('port');
      ctx.report(at, checkNode ? m.sub('check') : m.sub('port'), `a ${check.type} check needs a port to probe: the real server's port is 0, so set connect_port in the check`);
    }
    if (!address || port === undefined || check === undefined) return undefined;
    return { address: address.value, port, weight, upperThreshold: upper?.value ?? 0, lowerThreshold: lower, check };
  };
}

function checkRealServers(m: MapReader, vs: VirtualServerConfig, list: readonly Located<RealServerConfig>[]): void {
  const ctx = m.ctx;
  reportDuplicates(ctx, list, (r) => `${r.address.text} port ${r.port}`, 'real server');
  if (vs.key.kind === 'address') {
    const vip = vs.key.address.text;
    for (const r of list) if (r.value.address.text === vip) ctx.report(r.node, r.path, 'a real server cannot be the virtual server\'s own address', vip);
  }
  const sorry = vs.sorryServer;
  if (sorry && list.some((r) => r.value.address.text === sorry.address.text && r.value.port === sorry.port)) {
    ctx.report(m.nodeFor('sorry_server'), m.sub('sorry_server'), 'the sorry server must not be one of the real servers');
  }
  const quorum = m.valueNode('quorum') ? m.sub('quorum') : undefined;
  const { minUp, hysteresis } = vs.quorum;
  if (quorum !== undefined && list.length > 0 && minUp + hysteresis > list.length) {
    ctx.report(m.nodeFor('quorum'), quorum, `min_up + hysteresis (${minUp + hysteresis}) exceeds the ${list.length} real servers, so quorum could never be restored`);
  }
}

function readVirtualServer(ctx: Ctx, node: Node, path: string): VsRead | undefined {
  const m = map(KEYS.virtualServer)(ctx, node, path);
  if (!m) return undefined;
  const nameAt = m.reqAt('name', name);
  const { key, port, keyAt } = readKey(m);
  const family: AddressFamily = key?.kind === 'address' ? key.address.family : (key?.family ?? 'ipv4');
  const forwarding = readForwarding(m, key, family);
  const quorumMap = m.opt('quorum', map(KEYS.quorum));
  const minUp = quorumMap?.opt('min_up', int(1, 65535)) ?? VS_DEFAULTS.minUp;
  const hysteresis = quorumMap?.opt('hysteresis', int(0, 65535)) ?? VS_DEFAULTS.hysteresis;
  if (quorumMap && hysteresis >= minUp) {
    ctx.report(quorumMap.nodeFor('hysteresis'), quorumMap.sub('hysteresis'), `must be less than min_up (${minUp}), or quorum could never be lost`, String(hysteresis));
  }
  const checkNode = m.valueNode('check');
  const defaultCheck = checkNode === undefined ? null : (readCheck(ctx, checkNode, m.sub('check'), { family, level: 'virtual_server' }) ?? null);
  const rsNode = m.valueNode('real_servers');
  const realServers = m.req('real_servers', listOf(readRealServer({ family, port, forwarding, defaultCheck }))) ?? [];
  if (isEmptyList(rsNode)) ctx.report(m.nodeFor('real_servers'), m.sub('real_servers'), 'must list at least one real server', 'an empty list');
  const config: VirtualServerConfig = {
    name: nameAt?.value ?? '',
    key: key ?? { kind: 'fwmark', fwmark: 0, family },
    ...readScheduler(m),
    persistence: readPersistence(m.opt('persistence', map(KEYS.persistence)), family),
    forwarding,
    ops: readOps(m, key),
    onFailure: m.opt('on_failure', oneOf(['inhibit', 'remove'] as const)) ?? VS_DEFAULTS.onFailure,
    quorum: { minUp, hysteresis },
    sorryServer: readSorry(m.opt('sorry_server', map(KEYS.sorryServer)), family, port),
    realServers: realServers.map((r) => r.value),
  };
  checkRealServers(m, config, realServers);
  if (forwarding.method === 'fullnat') checkFullnatAgainstRealServers(m, forwarding, realServers);
  const mixedFamily = realServers.filter((r) => r.value.address.family !== family).map((r) => ({ ...r, value: r.value.address }));
  return { config, nameAt, keyAt, mixedFamily };
}

export function readVirtualServers(root: MapReader): VirtualServersSection {
  const reads = values(root.opt('virtual_servers', listOf(readVirtualServer)));
  const names = reads.flatMap((r) => (r.nameAt ? [r.nameAt] : []));
  reportDuplicates(root.ctx, names, (n) => n, 'virtual server name');
  reportDuplicates(root.ctx, reads.flatMap((r) => (r.keyAt ? [r.keyAt] : [])), (k) => k, 'virtual server');
  return {
    config: reads.map((r) => r.config),
    names: new Set(names.map((n) => n.value)),
    mixedFamily: reads.flatMap((r) => r.mixedFamily),
  };
}
