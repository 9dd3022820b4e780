/**
 * The VMACs of the engine's instances (docs/configuration.md `vmac`): made (or taken over from a
 * previous run) before an instance's runner starts, removed when it stops. The parent
 * interface's ARP sysctls are set with the first IPv4 VMAC on it and restored when its last VMAC goes
 * (an IPv6 VMAC changes nothing on the parent).
 *
 * An IPv6 VMAC's MLD reports are dropped (src/lvs/nft/vmac-guard.ts: a backup must not teach the
 * switches the virtual MAC), so a snooping switch (RFC 4541 §3: every link-scope group but
 * ff02::1 is constrained) would learn no port for ff02::12 or the VIPs' solicited-node groups:
 * the backup would stop hearing adverts and NSs for a VIP would miss the master. While the
 * VMAC exists, those groups are joined on the parent (vmacParentGroups), which reports them from
 * its own MAC; frames for them reach the VMAC through the parent. This is what Keepalived's
 * nftables rule achieves by re-sending the VMAC's reports from the parent (`dup ... device`).
 * The rtnetlink socket is opened on first need, so a director without VMACs opens nothing.
 */
import type { VrrpInstanceConfig } from '../config/types.js';
import type { Logger } from '../core/log.js';
import type { GroupMembership, VmacManager } from '../os/vmac.js';
import { virtualMac } from '../os/vmac.js';
import { macToBytes } from '../os/inet.js';
import { solicitedNodeGroup } from '../core/ip.js';
import { managedAddresses } from '../config/values.js';
import { VRRP_GROUP_IPV6 } from '../os/vrrp-socket.js';

/**
 * The IPv6 groups an instance's VMAC needs joined on its parent: ff02::12 when the adverts are
 * multicast and received on the VMAC (with xmit_base the advert socket joins it on the parent),
 * and the solicited-node group of every VIP and excluded address (both live on the VMAC), on master and backup alike (the config decides, not
 * the state). None for IPv4 (IGMP snooping floods 224.0.0.0/24, RFC 4541 §2.1.2). Pure.
 */
export function vmacParentGroups(instance: VrrpInstanceConfig): string[] {
  if (instance.family !== 'ipv6' || !instance.vmac) return [];
  const groups = new Set<string>();
  if (instance.unicastPeers.length === 0 && !instance.vmac.xmitBase) groups.add(VRRP_GROUP_IPV6);
  for (const vip of managedAddresses(instance)) {
    const group = solicitedNodeGroup(vip.text);
    if (group !== null) groups.add(group);
  }
  return [...groups];
}

export interface VmacLink {
  readonly ifname: string;
  readonly ifindex: number;
  readonly mac: Uint8Array;
}

export class VmacHost {
  private manager: VmacManager | null = null;
  /** Per parent: the sysctls as they were before the first VMAC, and the instances using it. */
  private readonly parents = new Map<string, { before: Record<string, string>; users: Set<string> }>();
  /** Per instance: its VMAC name and parent. */
  private readonly owned = new Map<string, { name: string; parent: string; parentIfindex: number }>();
  /** Per instance: the groups joined on its VMAC's parent (see vmacParentGroups). */
  private readonly memberships = new Map<string, GroupMembership>();

  constructor(
    private readonly open: () => VmacManager,
    private readonly log: Logger,
  ) {}

  private get m(): VmacManager {
    this.manager ??= this.open();
    return this.manager;
  }

  /**
   * Make the instance's VMAC (its config has one) on the parent it is bound to. IPv6: the
   * advert source (the parent's link-local) goes on it too, unless the adverts use the parent.
   */
  async ensure(instance: VrrpInstanceConfig, parent: { readonly ifindex: number; readonly sourceAddress: string }): Promise<VmacLink> {
    const vmac = instance.vmac;
    if (!vmac) throw new Error('instance has no vmac');
    const mac = virtualMac(instance.family, instance.vrid);
    const linkLocal = instance.family === 'ipv6' && !vmac.xmitBase ? parent.sourceAddress : undefined;
    const result = await this.m.reconcile({ name: vmac.interface, parentIfindex: parent.ifindex, mac, family: instance.family, linkLocal }, instance.interface);
    const users = this.parents.get(instance.interface);
    if (users) {
      users.users.add(instance.name);
      // An IPv6 VMAC changes nothing on the parent: an IPv4 one after it records what it changes.
      for (const [key, value] of Object.entries(result.parentBefore)) if (!(key in users.before)) users.before[key] = value;
    } else {
      this.parents.set(instance.interface, { before: { ...result.parentBefore }, users: new Set([instance.name]) });
    }
    this.owned.set(instance.name, { name: vmac.interface, parent: instance.interface, parentIfindex: parent.ifindex });
    this.log.info({ instance: instance.name, vmac: vmac.interface, mac, ifindex: result.ifindex, created: result.created }, result.created ? 'VMAC created' : 'VMAC taken over from a previous run');
    this.update(instance);
    if (result.allRpFilter) {
      this.log.warn({ vmac: vmac.interface }, 'net.ipv4.conf.all.rp_filter is set: the kernel applies it to the VMAC too, so adverts arriving on it may be dropped (set it to 0, or use vmac.xmit_base)');
    }
    return { ifname: vmac.interface, ifindex: result.ifindex, mac: macToBytes(mac) ?? new Uint8Array(6) };
  }

  /**
   * Join on the parent the groups the instance's VMAC needs now, leave those it no longer needs
   * (at start and on a reload that keeps the VMAC: the VIP list may have changed). A failure is
   * logged and the instance runs on (a switch that floods unregistered multicast does not need
   * them); a failed join is tried again on the next reload.
   */
  update(instance: VrrpInstanceConfig): void {
    const own = this.owned.get(instance.name);
    if (!own) return;
    const groups = vmacParentGroups(instance);
    let membership = this.memberships.get(instance.name);
    if (!membership) {
      if (groups.length === 0) return;
      try {
        membership = this.m.parentGroups(own.parentIfindex);
      } catch (err) {
        this.log.error({ instance: instance.name, interface: own.parent, err: err instanceof Error ? err.message : String(err) }, 'cannot open the socket for the VMAC\'s multicast groups on its parent: an MLD-snooping switch may not forward adverts or neighbour solicitations to this router');
        return;
      }
      this.memberships.set(instance.name, membership);
    }
    const before = membership.joined.join(' ');
    for (const f of membership.set(groups)) {
      const what = f.action === 'join' ? 'cannot join a multicast group of the VMAC on its parent: an MLD-snooping switch may not forward it to this router' : 'cannot leave a multicast group of the VMAC on its parent';
      this.log.error({ instance: instance.name, interface: own.parent, group: f.group, err: f.err }, what);
    }
    if (membership.joined.join(' ') !== before) this.log.info({ instance: instance.name, interface: own.parent, groups: membership.joined }, 'multicast groups of the VMAC joined on its parent');
  }

  /** Remove the instance's VMAC; restore its parent's sysctls when no VMAC is left on it. */
  async release(instance: string): Promise<void> {
    const own = this.owned.get(instance);
    if (!own) return;
    this.owned.delete(instance);
    this.memberships.get(instance)?.close();
    this.memberships.delete(instance);
    try {
      await this.m.remove(own.name);
      this.log.info({ instance, vmac: own.name }, 'VMAC removed');
    } catch (err) {
      this.log.error({ instance, vmac: own.name, err: err instanceof Error ? err.message : String(err) }, 'cannot remove the VMAC');
    }
    const parent = this.parents.get(own.parent);
    if (!parent) return;
    parent.users.delete(instance);
    if (parent.users.size > 0) return;
    this.parents.delete(own.parent);
    try {
      await this.m.restoreParent(own.parent, parent.before);
    } catch (err) {
      this.log.error({ interface: own.parent, err: err instanceof Error ? err.message : String(err) }, 'cannot restore the ARP sysctls of the VMAC parent');
    }
  }

  close(): void {
    for (const membership of this.memberships.values()) membership.close();
    this.memberships.clear();
    this.manager?.close();
    this.manager = null;
  }
}
