/**
 * The VMACs of the engine's instances (docs/configuration.md `vmac`): made (or taken over from a
 * previous run) before an instance's runner starts, removed when it stops. The parent
 * interface's ARP sysctls are set with the first IPv4 VMAC on it and restored when its last VMAC goes
 * (an IPv6 VMAC changes nothing on the parent).
 * The rtnetlink socket is opened on first need, so a director without VMACs opens nothing.
 */
import type { VrrpInstanceConfig } from '../config/types.js';
import type { Logger } from '../core/log.js';
import type { VmacManager } from '../os/vmac.js';
import { virtualMac } from '../os/vmac.js';
import { macToBytes } from '../os/inet.js';

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
  private readonly owned = new Map<string, { name: string; parent: string }>();

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
    this.owned.set(instance.name, { name: vmac.interface, parent: instance.interface });
    this.log.info({ instance: instance.name, vmac: vmac.interface, mac, ifindex: result.ifindex, created: result.created }, result.created ? 'VMAC created' : 'VMAC taken over from a previous run');
    if (result.allRpFilter) {
      this.log.warn({ vmac: vmac.interface }, 'net.ipv4.conf.all.rp_filter is set: the kernel applies it to the VMAC too, so adverts arriving on it may be dropped (set it to 0, or use vmac.xmit_base)');
    }
    return { ifname: vmac.interface, ifindex: result.ifindex, mac: macToBytes(mac) ?? new Uint8Array(6) };
  }

  /** Remove the instance's VMAC; restore its parent's sysctls when no VMAC is left on it. */
  async release(instance: string): Promise<void> {
    const own = this.owned.get(instance);
    if (!own) return;
    this.owned.delete(instance);
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
    this.manager?.close();
    this.manager = null;
  }
}
