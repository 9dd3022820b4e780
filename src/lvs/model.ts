/**
 * The IPVS table as plain, readonly data (pure), and its canonical form.
 *
 * Two tables mean the same thing exactly when their canonical forms are equal:
 * one read back from the kernel (through the codec in ./ipvs/) and one computed
 * from the config (./desired.ts) are both passed through `canonicalService` and
 * `canonicalDestination` before they are compared (./plan.ts). The rules, and
 * which defaults the kernel reports back, are in docs/ipvs.md.
 */
import type { AddressFamily, Protocol } from '../config/types.js';
import { parseIp } from '../config/values.js';

/** Service flag bits (ip_vs_flags.flags; uapi ip_vs.h, protocol-reference B4). */
export const SvcFlag = {
  PERSISTENT: 0x1,
  /** Set by the kernel on every reply; never part of the model. */
  HASHED: 0x2,
  ONEPACKET: 0x4,
  /** sh-fallback / mh-fallback */
  SCHED1: 0x8,
  /** sh-port / mh-port */
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

/** Every flag bit the model keeps (HASHED is dropped). */
const KEPT_FLAGS = SvcFlag.PERSISTENT | SvcFlag.ONEPACKET | SvcFlag.SCHED1 | SvcFlag.SCHED2 | SvcFlag.SCHED3;

export type FwdMethod = 'masq' | 'localnode' | 'tunnel' | 'droute' | 'bypass';
/** IPVS_DEST_ATTR_FWD_METHOD values (IP_VS_CONN_F_*; B4). */
export const FWD_METHOD_CODE: Readonly<Record<FwdMethod, number>> = { masq: 0, localnode: 1, tunnel: 2, droute: 3, bypass: 4 };

export type TunType = 'ipip' | 'gue' | 'gre';
/** IPVS_DEST_ATTR_TUN_TYPE values (B4). */
export const TUN_TYPE_CODE: Readonly<Record<TunType, number>> = { ipip: 0, gue: 1, gre: 2 };
export const TunFlag = { CSUM: 0x1, REMCSUM: 0x2 } as const;

export const PROTOCOL_NUMBER: Readonly<Record<Protocol, number>> = { tcp: 6, udp: 17, sctp: 132 };

function reverse<K extends string>(table: Readonly<Record<K, number>>): (code: number) => K | null {
  const byCode = new Map(Object.entries(table).map(([k, v]) => [v as number, k as K]));
  return (code) => byCode.get(code) ?? null;
}

/** Kernel codes back to model names (null for a code the model does not know). */
export const fwdMethodFromCode = reverse(FWD_METHOD_CODE);
export const tunTypeFromCode = reverse(TUN_TYPE_CODE);
export const protocolFromNumber = reverse(PROTOCOL_NUMBER);
export const familyFromAf = (af: number): AddressFamily | null => (af === 2 ? 'ipv4' : af === 10 ? 'ipv6' : null);
export const AF_NUMBER: Readonly<Record<AddressFamily, number>> = { ipv4: 2, ipv6: 10 };

export type ServiceKey =
  | { readonly kind: 'address'; readonly family: AddressFamily; readonly protocol: Protocol; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly family: AddressFamily; readonly fwmark: number };

export interface Service {
  readonly key: ServiceKey;
  /** Kernel scheduler name ("wrr", "none", ...): a string, the kernel may report any module. */
  readonly scheduler: string;
  /** SvcFlag bits, HASHED excluded after canonicalisation. */
  readonly flags: number;
  /** Persistence timeout in seconds (0 when not persistent). */
  readonly timeoutS: number;
  /** IPv4: dotted mask ("255.255.255.255"); IPv6: prefix length as text ("128"). */
  readonly netmask: string;
  /** Persistence engine ("sip") or null. */
  readonly peName: string | null;
}

export interface TunnelParams {
  readonly type: TunType;
  /** GUE destination port; 0 for ipip and gre. */
  readonly port: number;
  /** TunFlag bits. */
  readonly flags: number;
}

/** Live counters of a destination, as the kernel reports them; never compared. */
export interface DestinationCounters {
  readonly activeConns: number;
  readonly inactConns: number;
  readonly persistConns: number;
}

export interface Destination {
  readonly family: AddressFamily;
  readonly address: string;
  readonly port: number;
  readonly fwd: FwdMethod;
  /** 0 = quiesced (no new connections). */
  readonly weight: number;
  /** 0 = no limit. */
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  /** Only for fwd "tunnel"; null otherwise. */
  readonly tunnel: TunnelParams | null;
  readonly counters?: DestinationCounters;
}

export interface ServiceEntry {
  readonly service: Service;
  readonly destinations: readonly Destination[];
}

/** An IPVS table (or the part of one that matters): services with their destinations. */
export interface Table {
  readonly services: readonly ServiceEntry[];
}

export const EMPTY_TABLE: Table = { services: [] };

/** The netmask the kernel keeps for a service that has no persistence netmask (one client address). */
export function fullNetmask(family: AddressFamily): string {
  return family === 'ipv4' ? '255.255.255.255' : '128';
}

/** An IPv4 netmask attribute (read as a big-endian u32) as dotted text. */
export function v4NetmaskText(mask: number): string {
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join('.');
}

/** Canonical address text (lowercase, compressed IPv6); unparsable text is returned unchanged. */
export function canonicalAddress(text: string): string {
  if (isCanonicalIpv4(text)) return text; // the common case, without parsing
  const parsed = parseIp(text);
  return parsed.ok ? parsed.value.text : text;
}

/** True for dotted-quad IPv4 text already in canonical form (octets 0-255, no leading zeros). */
function isCanonicalIpv4(text: string): boolean {
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return false;
      octet = 0;
      digits = 0;
      dots += 1;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return false;
      octet = octet * 10 + (c - 48);
      digits += 1;
      if (octet > 255) return false;
    } else {
      return false;
    }
  }
  return dots === 3 && digits > 0;
}

function hostPort(family: AddressFamily, address: string, port: number): string {
  return family === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A stable, human-readable identity of a service: "tcp 10.0.0.100:80", "fwmark 5 ipv6". */
export function serviceKeyText(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `fwmark ${key.fwmark} ${key.family}`;
  return `${key.protocol} ${hostPort(key.family, canonicalAddress(key.address), key.port)}`;
}

/** The identity of a destination within its service: "10.0.0.1:80", "[2001:db8::1]:80". */
export function destinationKeyText(dest: Pick<Destination, 'family' | 'address' | 'port'>): string {
  return hostPort(dest.family, canonicalAddress(dest.address), dest.port);
}

export function sameServiceKey(a: ServiceKey, b: ServiceKey): boolean {
  return serviceKeyText(a) === serviceKeyText(b);
}

function canonicalKey(key: ServiceKey): ServiceKey {
  if (key.kind === 'fwmark') return { kind: 'fwmark', family: key.family, fwmark: key.fwmark };
  return { kind: 'address', family: key.family, protocol: key.protocol, address: canonicalAddress(key.address), port: key.port };
}

/**
 * Canonical service: HASHED dropped; scheduler lowercased; an empty PE name is
 * null; IPv4 netmasks as dotted text; and for a service without PERSISTENT,
 * timeout 0 and the full netmask (the kernel keeps and reports whatever was
 * sent, but neither has any effect without persistence).
 */
export function canonicalService(svc: Service): Service {
  const flags = svc.flags & KEPT_FLAGS;
  const persistent = (flags & SvcFlag.PERSISTENT) !== 0;
  return {
    key: canonicalKey(svc.key),
    scheduler: svc.scheduler.toLowerCase(),
    flags,
    timeoutS: persistent ? svc.timeoutS : 0,
    netmask: persistent ? canonicalNetmask(svc.key.family, svc.netmask) : fullNetmask(svc.key.family),
    peName: svc.peName === null || svc.peName === '' ? null : svc.peName,
  };
}

function canonicalNetmask(family: AddressFamily, netmask: string): string {
  if (family === 'ipv6') return String(Number(netmask));
  return canonicalAddress(netmask);
}

/**
 * Canonical destination: address canonicalised; tunnel parameters only for the
 * tunnel method, with the port kept only for GUE; counters dropped.
 */
export function canonicalDestination(dest: Destination): Destination {
  let tunnel: TunnelParams | null = null;
  if (dest.fwd === 'tunnel') {
    const t = dest.tunnel ?? { type: 'ipip', port: 0, flags: 0 };
    tunnel = { type: t.type, port: t.type === 'gue' ? t.port : 0, flags: t.flags };
  }
  return {
    family: dest.family,
    address: canonicalAddress(dest.address),
    port: dest.port,
    fwd: dest.fwd,
    weight: dest.weight,
    upperThreshold: dest.upperThreshold,
    lowerThreshold: dest.lowerThreshold,
    tunnel,
  };
}

/** The attributes of two canonical services that differ (empty: equal). */
export function serviceDifferences(a: Service, b: Service): readonly (keyof Service)[] {
  const out: (keyof Service)[] = [];
  if (a.scheduler !== b.scheduler) out.push('scheduler');
  if (a.flags !== b.flags) out.push('flags');
  if (a.timeoutS !== b.timeoutS) out.push('timeoutS');
  if (a.netmask !== b.netmask) out.push('netmask');
  if (a.peName !== b.peName) out.push('peName');
  return out;
}

/** The attributes of two canonical destinations (same key) that differ. */
export function destinationDifferences(a: Destination, b: Destination): readonly (keyof Destination)[] {
  const out: (keyof Destination)[] = [];
  if (a.fwd !== b.fwd) out.push('fwd');
  if (a.weight !== b.weight) out.push('weight');
  if (a.upperThreshold !== b.upperThreshold) out.push('upperThreshold');
  if (a.lowerThreshold !== b.lowerThreshold) out.push('lowerThreshold');
  const ta = a.tunnel;
  const tb = b.tunnel;
  if (ta?.type !== tb?.type || ta?.port !== tb?.port || ta?.flags !== tb?.flags) out.push('tunnel');
  return out;
}

/**
 * True when two destinations with the same key mean the same (what
 * destinationDifferences of their canonical forms calls equal), without
 * building the canonical forms.
 */
export function destinationsEquivalent(a: Destination, b: Destination): boolean {
  if (a.fwd !== b.fwd || a.weight !== b.weight || a.upperThreshold !== b.upperThreshold || a.lowerThreshold !== b.lowerThreshold) return false;
  if (a.fwd !== 'tunnel') return true;
  const ta = a.tunnel ?? { type: 'ipip', port: 0, flags: 0 };
  const tb = b.tunnel ?? { type: 'ipip', port: 0, flags: 0 };
  return ta.type === tb.type && ta.flags === tb.flags && (ta.type !== 'gue' || ta.port === tb.port);
}

/** The canonical table: every service and destination canonical, in a stable order. */
export function canonicalTable(table: Table): Table {
  const services = table.services.map((e) => ({
    service: canonicalService(e.service),
    destinations: e.destinations.map(canonicalDestination).sort(byDestKey),
  }));
  return { services: services.sort((a, b) => compareText(serviceKeyText(a.service.key), serviceKeyText(b.service.key))) };
}

function byDestKey(a: Destination, b: Destination): number {
  return compareText(destinationKeyText(a), destinationKeyText(b));
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when the two tables mean the same (canonical forms equal, order ignored). */
export function tablesEqual(a: Table, b: Table): boolean {
  return JSON.stringify(canonicalTable(a)) === JSON.stringify(canonicalTable(b));
}

/** Index a table's services by key text. */
export function indexServices(table: Table): ReadonlyMap<string, ServiceEntry> {
  return new Map(table.services.map((e) => [serviceKeyText(e.service.key), e]));
}

/** Find a destination of a service by key text. */
export function findDestination(entry: ServiceEntry | undefined, key: string): Destination | undefined {
  return entry?.destinations.find((d) => destinationKeyText(d) === key);
}
