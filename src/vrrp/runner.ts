/**
 * The instance runner: holds one instance's MachineState and executes the machine's actions in
 * ONE place (execute()). Sockets, addresses, frames and timers come in as ports, so unit tests
 * drive it with fakes and a FakeClock.
 *
 * Events never run here directly: timers and received adverts go to `ports.dispatch`, the
 * engine's serialised dispatcher, which calls apply() one event at a time (and feeds sync-group
 * siblings afterwards).
 */
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { VrrpInstanceConfig, Ipv4ChecksumMode, Ipv6AddressesMode } from '../config/types.js';
import type { AddressChange, AddressEvent, VipSpec } from '../os/addresses.js';
import { startAnnouncement, type Announcement, type FrameSender } from '../os/announce.js';
import type { ReceivedVrrpPacket, TransportDrop, VrrpTransport } from '../os/vrrp-socket.js';
import { step } from './machine.js';
import type { MachineCounter, MachineState, TimerKind, TransitionRecord, VrrpAction, VrrpEvent } from './machine-types.js';
import { encodeAdvert, VRRP_GROUP_IPV4, VRRP_GROUP_IPV6, type LocalVrid } from './packet.js';
import { decodeReceived } from './receive.js';
import { bump, LogLimiter, newCounters, type RunnerCounters } from './runner-counters.js';
import { vipChanges, vipsOf } from './reload.js';

/** What the runner needs from the address manager (src/os/addresses.ts). */
export interface VipPort {
  addAddress(vip: VipSpec): Promise<AddressChange>;
  removeAddress(vip: VipSpec): Promise<AddressChange>;
  onAddressEvent(listener: (event: AddressEvent) => void): () => void;
}

/** Facts resolved at start (interface index, addresses, frames): see instance-setup.ts. */
export interface RunnerSetup {
  readonly config: VrrpInstanceConfig;
  readonly ipv4Checksum: Ipv4ChecksumMode;
  /** IPv6 advert address lists: RFC 9568 (link-local first, checked) or as Keepalived sends them. */
  readonly ipv6Addresses: Ipv6AddressesMode;
  readonly ifindex: number;
  /** Tie-break and loop filter: the interface's primary IPv4 / IPv6 link-local (or unicast_source). */
  readonly primaryAddress: string;
  /** The addresses carried in adverts, in wire order (IPv6: the link-local first, unless ipv6Addresses is keepalived). */
  readonly advertAddresses: readonly string[];
  /** VRIDs of this family configured on this interface (RFC 9568 §7.1 checks 5 and 6). */
  readonly localVrids: ReadonlyMap<number, LocalVrid>;
  /** One gratuitous ARP / unsolicited NA frame per VIP. */
  readonly announceFrames: readonly Buffer[];
}

export interface TransitionNotice {
  readonly instance: string;
  readonly record: TransitionRecord;
  readonly priority: number;
  readonly at: Date;
}

export interface RunnerPorts {
  readonly clock: Clock;
  readonly log: Logger;
  readonly transport: VrrpTransport;
  readonly addresses: VipPort;
  /** AF_PACKET sender for announcements; null disables them (logged once). */
  readonly frames: FrameSender | null;
  /** The engine's serialised dispatcher for this instance. */
  readonly dispatch: (event: VrrpEvent) => void;
  /** Every transition, after it was logged and counted (notify, alerts, sync groups). */
  readonly onTransition: (notice: TransitionNotice) => void;
  /**
   * Runs fn after the I/O that is already waiting (production: setImmediate; default: at once).
   * A master-down timer goes through it: after a stall of this process, the timer and the
   * adverts that arrived meanwhile are due together, and libuv runs timers before reading
   * sockets. Deferring the expiry lets those adverts reset the deadline first, so our own stall
   * is never mistaken for a dead master.
   */
  readonly afterIo?: (fn: () => void) => void;
}

const DROP_LOG_WINDOW_MS = 10_000;

/** Where each counter the machine emits (Count actions) lands. */
const MACHINE_COUNTERS: Readonly<Record<MachineCounter, (c: RunnerCounters) => void>> = {
  replies_suppressed: (c) => {
    c.repliesSuppressed += 1;
  },
};

/** The only transport refusal is a read cut short by the receive buffer. */
function transportReason(_drop: TransportDrop): string {
  return 'truncated';
}

export class InstanceRunner {
  private machine: MachineState;
  readonly counters: RunnerCounters = newCounters();
  lastTransitionAt: Date | null = null;
  private readonly timers = new Map<TimerKind, () => void>();
  private announcement: Announcement | null = null;
  private addressChain: Promise<void> = Promise.resolve();
  private readonly pendingSends = new Set<Promise<void>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly limiter = new LogLimiter(DROP_LOG_WINDOW_MS);
  private closed = false;
  /** Replaced by reconfigure() only (a reload that keeps the socket). */
  private currentSetup: RunnerSetup;

  constructor(
    setup: RunnerSetup,
    initial: MachineState,
    private readonly ports: RunnerPorts,
  ) {
    this.currentSetup = setup;
    this.machine = initial;
    const { transport, addresses } = ports;
    this.unsubscribe.push(
      transport.onPacket((p) => {
        this.receive(p);
      }),
      transport.onDrop((d) => {
        this.countDrop(transportReason(d), d.detail);
      }),
      transport.onError((err) => {
        ports.log.error({ err: describeError(err) }, 'vrrp socket error');
      }),
      addresses.onAddressEvent((e) => {
        this.onAddressEvent(e);
      }),
    );
  }

  get state(): MachineState {
    return this.machine;
  }

  get setup(): RunnerSetup {
    return this.currentSetup;
  }

  get name(): string {
    return this.setup.config.name;
  }

  /** Run one event through the machine and execute its actions. Called by the engine only. */
  apply(event: VrrpEvent): TransitionRecord | null {
    if (this.closed) return null;
    const result = step(this.machine, event, this.ports.clock.nowMs());
    this.machine = result.state;
    let transition: TransitionRecord | null = null;
    for (const action of result.actions) {
      if (action.type === 'Transition') transition = result.state.lastTransition;
      this.execute(action);
    }
    return transition;
  }

  /**
   * The instance's own link came back. The machine decides (a MASTER announces its VIPs again,
   * rate-limited): see the LinkRestored event in docs/vrrp.md.
   */
  linkRestored(): void {
    if (this.closed) return;
    this.ports.dispatch({ type: 'LinkRestored' });
  }

  private execute(action: VrrpAction): void {
    switch (action.type) {
      case 'Transition':
        this.onTransition(action);
        return;
      case 'SendAdvert':
        this.sendAdvert(action.priority, action.maxAdverIntMs);
        return;
      case 'ArmTimer':
        this.armTimer(action.timer, action.atMs);
        return;
      case 'CancelTimer':
        this.cancelTimer(action.timer);
        return;
      case 'AddAddresses':
        this.changeAddresses('add');
        return;
      case 'RemoveAddresses':
        this.stopAnnouncing();
        this.changeAddresses('remove');
        return;
      case 'Announce':
        this.onAnnounce(action);
        return;
      case 'CountAdvert':
        this.countAdvert(action);
        return;
      case 'Drop':
        this.countDrop(action.reason, action.detail);
        return;
      case 'Count':
        MACHINE_COUNTERS[action.counter](this.counters);
        return;
    }
  }

  private onAnnounce(action: Extract<VrrpAction, { type: 'Announce' }>): void {
    if (action.reason !== 'became_master') {
      this.counters.reannounces += 1;
      const peer = action.peer ? { other: action.peer.address, other_priority: action.peer.priority } : {};
      this.ports.log.warn({ ...peer, reason: action.reason }, 'announcing the virtual addresses again (split brain may have healed)');
    }
    this.announce();
  }

  private countAdvert(action: Extract<VrrpAction, { type: 'CountAdvert' }>): void {
    this.counters.advertsReceived += 1;
    if (action.checksum !== null) bump(this.counters.checksumSeen, action.checksum);
    for (const note of action.notes) {
      bump(this.counters.notes, note);
      if (this.limiter.admit(`note:${note}`, this.ports.clock.nowMs()) !== null) {
        this.ports.log.info({ note, src: action.srcAddress, priority: action.priority }, 'advert accepted with a note');
      }
    }
  }

  private onTransition(action: Extract<VrrpAction, { type: 'Transition' }>): void {
    const record = this.machine.lastTransition;
    this.counters.transitions += 1;
    const at = this.ports.clock.wallNow();
    this.lastTransitionAt = at;
    this.ports.log.info(
      { from: action.from, to: action.to, reason: action.reason, priority: action.priority },
      `${action.from} -> ${action.to}`,
    );
    if (record) this.ports.onTransition({ instance: this.name, record, priority: action.priority, at });
  }

  private destinations(): string[] {
    const { config } = this.setup;
    if (config.unicastPeers.length > 0) return config.unicastPeers.map((p) => p.text);
    return [config.family === 'ipv4' ? VRRP_GROUP_IPV4 : VRRP_GROUP_IPV6];
  }

  private sendAdvert(priority: number, maxAdverIntMs: number): void {
    const { config, advertAddresses, ipv4Checksum, primaryAddress } = this.setup;
    for (const dst of this.destinations()) {
      let bytes: Uint8Array;
      try {
        bytes = encodeAdvert(
          { family: config.family, vrid: config.vrid, priority, maxAdverIntMs, addresses: advertAddresses },
          { src: primaryAddress, dst, ipv4Checksum },
        );
      } catch (err) {
        this.counters.sendErrors += 1;
        this.ports.log.error({ err: describeError(err) }, 'cannot encode advert');
        return;
      }
      const sending = this.ports.transport.send(Buffer.from(bytes), dst).then(
        () => {
          this.counters.advertsSent += 1;
        },
        (err: unknown) => {
          this.counters.sendErrors += 1;
          if (this.limiter.admit('send_error', this.ports.clock.nowMs()) !== null) {
            this.ports.log.warn({ err: describeError(err), dst }, 'advert not sent');
          }
        },
      );
      this.pendingSends.add(sending);
      void sending.finally(() => this.pendingSends.delete(sending));
    }
  }

  private armTimer(kind: TimerKind, atMs: number): void {
    this.cancelTimer(kind);
    const event: VrrpEvent = kind === 'adver' ? { type: 'AdverTimerFired' } : { type: 'MasterDownTimerFired' };
    const delay = Math.max(0, atMs - this.ports.clock.nowMs());
    this.timers.set(
      kind,
      this.ports.clock.setTimer(delay, () => {
        this.timers.delete(kind);
        const { afterIo } = this.ports;
        if (kind === 'masterDown' && afterIo) {
          afterIo(() => { this.ports.dispatch(event); });
          return;
        }
        this.ports.dispatch(event);
      }),
    );
  }

  private cancelTimer(kind: TimerKind): void {
    this.timers.get(kind)?.();
    this.timers.delete(kind);
  }

  private vips(): VipSpec[] {
    return vipsOf(this.setup);
  }

  /** Address changes run in order on one chain, so an add never overtakes the remove before it. */
  private chainAddress(work: () => Promise<void>): void {
    this.addressChain = this.addressChain.then(work).catch((err: unknown) => {
      this.counters.addressErrors += 1;
      this.ports.log.error({ err: describeError(err) }, 'virtual address change failed');
    });
  }

  private changeAddresses(op: 'add' | 'remove', vips: readonly VipSpec[] = this.vips()): void {
    const { addresses, log } = this.ports;
    for (const vip of vips) {
      this.chainAddress(async () => {
        const change = op === 'add' ? await addresses.addAddress(vip) : await addresses.removeAddress(vip);
        log.debug({ address: vip.address, change }, 'virtual address');
      });
    }
  }

  /** Something removed one of our VIPs while we are MASTER: put it back. */
  private onAddressEvent(event: AddressEvent): void {
    if (event.kind !== 'removed' || this.machine.name !== 'MASTER' || this.closed) return;
    if (event.address.ifindex !== this.setup.ifindex) return;
    const vip = this.vips().find((v) => v.address === event.address.address);
    if (!vip) return;
    this.counters.vipsRestored += 1;
    this.ports.log.warn({ address: vip.address }, 'virtual address removed by someone else while MASTER; putting it back');
    this.chainAddress(async () => {
      if (this.machine.name === 'MASTER') await this.ports.addresses.addAddress(vip);
    });
  }

  private announce(): void {
    const { frames, clock, log } = this.ports;
    this.stopAnnouncing();
    if (!frames || this.setup.announceFrames.length === 0) return;
    const { announce } = this.setup.config;
    // After the addresses are in place, so neighbours that follow the announcement find them.
    this.addressChain = this.addressChain.then(() => {
      if (this.machine.name !== 'MASTER' || this.closed) return;
      this.announcement = startAnnouncement(
        clock,
        { ifindex: this.setup.ifindex, frames: this.setup.announceFrames, repeat: announce.repeat, intervalMs: announce.intervalMs, refreshMs: announce.refreshMs },
        frames,
        (err) => {
          this.counters.announceErrors += 1;
          if (this.limiter.admit('announce', clock.nowMs()) !== null) log.warn({ err: describeError(err) }, 'announcement frame not sent');
        },
      );
    });
  }

  private stopAnnouncing(): void {
    this.announcement?.cancel();
    this.announcement = null;
  }

  private countDrop(reason: string, detail: string | undefined): void {
    bump(this.counters.drops, reason);
    const suppressed = this.limiter.admit(`drop:${reason}`, this.ports.clock.nowMs());
    if (suppressed !== null) this.ports.log.warn({ reason, detail, suppressed }, 'vrrp packet dropped');
  }

  /** Decode (one path for both families); the machine decides what an advert means. */
  private receive(packet: ReceivedVrrpPacket): void {
    if (this.closed) return;
    const { config, localVrids, ipv6Addresses } = this.setup;
    const result = decodeReceived(packet, { family: config.family, localVrids, ipv6Addresses });
    if (!result.ok) {
      this.countDrop(result.reason, result.detail);
      return;
    }
    const { advert, checksum, notes, src } = result.value;
    this.ports.dispatch({
      type: 'AdvertReceived',
      vrid: advert.vrid,
      priority: advert.priority,
      maxAdverIntMs: advert.maxAdverIntMs,
      srcAddress: src,
      checksum,
      notes,
    });
  }

  /**
   * A reload kept the socket (same interface, family, VRID, unicast source and peers): take the
   * new setup. As MASTER the VIP set is brought in line at once (dropped ones removed, new ones
   * added) and, when the VIPs or the announce settings changed, the announcement starts again
   * with the new ones; in any other state the new list is simply used at the next MASTER.
   * The machine's own settings arrive separately, as ConfigChanged.
   */
  reconfigure(next: RunnerSetup): void {
    const changes = vipChanges(this.currentSetup, next);
    this.currentSetup = next;
    if (this.closed || this.machine.name !== 'MASTER') return;
    this.changeAddresses('remove', changes.removed);
    this.changeAddresses('add', changes.added);
    if (changes.reannounce) this.announce();
  }

  /** Wait for sends and address changes in flight (graceful stop). */
  async settle(): Promise<void> {
    await Promise.all([...this.pendingSends]);
    await this.addressChain;
  }

  /** Release everything; the machine must have been shut down (and settled) first. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopAnnouncing();
    for (const kind of [...this.timers.keys()]) this.cancelTimer(kind);
    for (const off of this.unsubscribe.splice(0)) off();
    this.ports.transport.close();
  }
}
