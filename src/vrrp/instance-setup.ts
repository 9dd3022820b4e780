/**
 * Everything an instance needs from the OS before its runner can start: the interface index and
 * MAC, the source / tie-break address, the advert address list, the local VRIDs of the interface
 * and the announcement frames. The pure parts (advertAddresses, localVridsFor, machineConfigFor)
 * are unit-tested; resolveInstance() asks the address manager.
 */
import type { Config, Ipv6AddressesMode, VrrpInstanceConfig } from '../config/types.js';
import { managedAddresses } from '../config/values.js';
import { LvsHaError } from '../core/errors.js';
import type { AddressManager } from '../os/addresses.js';
import { buildAnnouncementFrames } from '../os/announce.js';
import { ipv6ToBytes, macToBytes } from '../os/inet.js';
import { formatAddress, isIpv6LinkLocal, parseAddress } from './address.js';
import type { MachineConfig } from './machine-types.js';
import type { LocalVrid } from './packet.js';
import type { RunnerSetup } from './runner.js';

export class InstanceSetupError extends LvsHaError {
  readonly code = 'LVSHA_VRRP_SETUP';
}

/**
 * The virtual link-local address used as the first advert address of an IPv6 instance that
 * configures none: the modified EUI-64 link-local of the IPv6 virtual MAC 00:00:5e:00:02:VRID,
 * fe80::200:5eff:fe00:2XX. Both routers derive the same one (RFC 9568 §5.2.9 wants the first
 * address to be the virtual router's link-local; erratum 8300 makes receivers check it).
 */
export function derivedLinkLocal(vrid: number): string {
  const bytes = new Uint8Array(16);
  bytes.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x02, vrid & 0xff]);
  return formatAddress(bytes);
}

/**
 * The advert's address list: the VIPs only, never virtual_addresses_excluded (Keepalived's
 * receive check wants the same count as its own virtual_ipaddress list). Order: IPv4 as configured; IPv6 with a link-local first (configured or
 * derived), or, with `vrrp.ipv6_addresses: keepalived`, as configured (what Keepalived sends and
 * expects: its receive check wants the same count and every one of its VIPs).
 */
export function advertAddresses(config: VrrpInstanceConfig, ipv6Addresses: Ipv6AddressesMode = 'rfc9568'): string[] {
  const texts = config.virtualAddresses.map((v) => v.text);
  if (config.family === 'ipv4' || ipv6Addresses === 'keepalived') return texts;
  const isLl = (t: string): boolean => {
    const b = parseAddress('ipv6', t);
    return b !== null && isIpv6LinkLocal(b);
  };
  const ll = texts.find(isLl);
  if (ll === undefined) return [derivedLinkLocal(config.vrid), ...texts];
  return [ll, ...texts.filter((t) => t !== ll)];
}

/** The instances of the same family on the same interface, by VRID. */
export function localVridsFor(config: Config, instance: VrrpInstanceConfig): Map<number, LocalVrid> {
  const out = new Map<number, LocalVrid>();
  for (const other of config.vrrp.instances) {
    if (other.interface !== instance.interface || other.family !== instance.family) continue;
    out.set(other.vrid, { owner: other.priority === 255, addresses: advertAddresses(other, config.vrrp.ipv6Addresses), advertIntervalMs: other.advertIntervalMs });
  }
  return out;
}

export function machineConfigFor(config: VrrpInstanceConfig, primaryAddress: string): MachineConfig {
  return {
    family: config.family,
    priority: config.priority,
    advertIntervalMs: config.advertIntervalMs,
    preempt: config.preempt,
    preemptDelayMs: config.preemptDelayMs,
    acceptMode: config.acceptMode,
    primaryAddress,
    vrid: config.vrid,
    // A unicast instance hears only its peers; a multicast one its allowed_peers, if set.
    allowedPeers: (config.unicastPeers.length > 0 ? config.unicastPeers : config.allowedPeers).map((p) => p.text),
  };
}

/** What an instance is bound to: fixed for the life of its runner (a reload keeps it). */
export interface BoundInterface {
  readonly ifname: string;
  readonly ifindex: number;
  /** The IP source of adverts (the transport's source), also the tie-break address. */
  readonly sourceAddress: string;
  /** The interface's MAC (announcement frames); undefined when the kernel gave none. */
  readonly mac: Uint8Array | undefined;
}

/** Where the VIPs live when not on the bound interface: the instance's VMAC. */
export interface VipLink {
  readonly ifindex: number;
  readonly mac: Uint8Array;
}

export interface ResolvedInstance {
  readonly setup: RunnerSetup;
  readonly bound: BoundInterface;
}

/**
 * The runner's setup from the config and the bound interface (pure). A reload that keeps the
 * instance's socket builds a new one with this: VIPs, advert addresses, local VRIDs, the
 * checksum mode and the announcement frames follow the new config.
 */
export function setupFor(config: Config, instance: VrrpInstanceConfig, bound: BoundInterface, vipLink?: VipLink): RunnerSetup {
  const family = instance.family === 'ipv4' ? 4 : 6;
  const ipv6Source = family === 6 ? ipv6ToBytes(bound.sourceAddress) : undefined;
  const mac = vipLink ? vipLink.mac : bound.mac;
  const announceFrames = mac
    ? buildAnnouncementFrames({
        family,
        vrid: instance.vrid,
        addresses: managedAddresses(instance).map((v) => v.text),
        interfaceMac: mac,
        useVirtualMac: false,
        ...(ipv6Source ? { ipv6Source } : {}),
      })
    : [];
  return {
    config: instance,
    ipv4Checksum: config.vrrp.ipv4Checksum,
    ipv6Addresses: config.vrrp.ipv6Addresses,
    ifindex: vipLink ? vipLink.ifindex : bound.ifindex,
    primaryAddress: bound.sourceAddress,
    advertAddresses: advertAddresses(instance, config.vrrp.ipv6Addresses),
    localVrids: localVridsFor(config, instance),
    announceFrames,
  };
}

/**
 * Socket identity of an instance: a reload restarts an instance only when this changes. Every
 * other setting changes in place (docs/vrrp.md "Reload"). The IPv4 checksum mode is not part of
 * it: the socket does not depend on it and receive accepts both modes, so it only changes how
 * the next adverts are encoded. Nor is the IPv6 address mode: it changes the next adverts'
 * address list and the receive check, both read from the setup.
 */
export function instanceKey(instance: VrrpInstanceConfig): string {
  return JSON.stringify({
    interface: instance.interface,
    family: instance.family,
    vrid: instance.vrid,
    unicastSource: instance.unicastSource?.text ?? null,
    unicastPeers: instance.unicastPeers.map((p) => p.text).sort(),
    vmac: instance.vmac,
  });
}

/**
 * The interface's own source address: IPv4, the first primary (non-secondary) address; IPv6,
 * the first link-local. Virtual addresses of any instance are skipped, so a VIP left on the
 * interface (a crash) or added before this one never becomes the source.
 */
export async function ownSourceAddress(addresses: AddressManager, config: Config, family: 'ipv4' | 'ipv6', ifindex: number): Promise<string | undefined> {
  const vips = new Set(config.vrrp.instances.flatMap((i) => managedAddresses(i).map((v) => v.text)));
  const list = (await addresses.listAddresses(ifindex, family === 'ipv4' ? 4 : 6)).filter((a) => !vips.has(a.address));
  if (family === 'ipv4') return list.find((a) => !a.secondary)?.address ?? list[0]?.address;
  return list.find((a) => {
    const b = parseAddress('ipv6', a.address);
    return b !== null && isIpv6LinkLocal(b);
  })?.address;
}

async function sourceAddressFor(addresses: AddressManager, config: Config, instance: VrrpInstanceConfig, ifindex: number): Promise<string> {
  if (instance.unicastSource) return instance.unicastSource.text;
  const found = await ownSourceAddress(addresses, config, instance.family, ifindex);
  if (found === undefined) {
    const what = instance.family === 'ipv4' ? 'IPv4 address' : 'IPv6 link-local address';
    throw new InstanceSetupError(`interface ${instance.interface} has no ${what} to send adverts from`);
  }
  return found;
}

/** Resolve the OS facts of one instance. Throws InstanceSetupError when it cannot run yet. */
export async function resolveInstance(config: Config, instance: VrrpInstanceConfig, addresses: AddressManager): Promise<ResolvedInstance> {
  const info = await addresses.interfaceByName(instance.interface);
  if (!info) throw new InstanceSetupError(`interface ${instance.interface} does not exist`);
  const sourceAddress = await sourceAddressFor(addresses, config, instance, info.ifindex);
  const bound: BoundInterface = {
    ifname: info.name,
    ifindex: info.ifindex,
    sourceAddress,
    mac: info.mac === null ? undefined : macToBytes(info.mac),
  };
  return { bound, setup: setupFor(config, instance, bound) };
}
