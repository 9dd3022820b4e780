/**
 * Repetition of announcement frames (gratuitous ARP / unsolicited NA) on the
 * injected Clock: `repeat` bursts `intervalMs` apart, the first at once, then
 * an optional periodic refresh. Which frames to send is decided by the caller
 * (src/os/frames.ts builds them); how they leave is a FrameSender.
 */
import type { Clock } from '../core/clock.js';
import { buildGratuitousArp, buildUnsolicitedNa } from './frames.js';
import { ipv4ToBytes, ipv6ToBytes, virtualMac, type IpFamily } from './inet.js';

/** Sends one whole Ethernet frame out of an interface (AF_PACKET in production, a fake in tests). */
export interface FrameSender {
  send(ifindex: number, frame: Buffer): void;
}

export interface AnnouncementPlan {
  readonly ifindex: number;
  /** One burst = every frame once, in order (one per VIP). */
  readonly frames: readonly Buffer[];
  /** Bursts sent on becoming master, >= 1. */
  readonly repeat: number;
  readonly intervalMs: number;
  /** After the initial bursts, one burst every refreshMs; 0 = none. */
  readonly refreshMs: number;
}

export interface AnnouncementFramesSpec {
  readonly family: IpFamily;
  readonly vrid: number;
  /** The virtual addresses, text, all of `family`; others are skipped. */
  readonly addresses: readonly string[];
  /** The interface's own MAC (6 bytes). */
  readonly interfaceMac: Uint8Array;
  /** Announce the VMAC 00:00:5e:00:0{1,2}:VRID instead of the interface MAC (default false, as keepalived without use_vmac). */
  readonly useVirtualMac: boolean;
  /** IPv6 only: the NA source address; the interface's link-local address. */
  readonly ipv6Source?: Uint8Array;
  /** IPv6 only: R flag (default true, RFC 9568 §6.4.2; keepalived 2.2.7 sends false). */
  readonly ipv6RouterFlag?: boolean;
}

/** One frame per virtual address: gratuitous ARP (IPv4) or unsolicited NA (IPv6). Pure. */
export function buildAnnouncementFrames(spec: AnnouncementFramesSpec): Buffer[] {
  const mac = spec.useVirtualMac ? virtualMac(spec.vrid, spec.family) : spec.interfaceMac;
  const frames: Buffer[] = [];
  for (const text of spec.addresses) {
    if (spec.family === 4) {
      const address = ipv4ToBytes(text);
      if (address) frames.push(buildGratuitousArp({ sourceMac: mac, address }));
      continue;
    }
    const target = ipv6ToBytes(text);
    if (!target) continue;
    frames.push(
      buildUnsolicitedNa({
        sourceMac: mac,
        sourceAddress: spec.ipv6Source ?? target,
        target,
        router: spec.ipv6RouterFlag ?? true,
      }),
    );
  }
  return frames;
}

/** Offsets (ms from start) of the initial bursts: 0, interval, 2 x interval, ... */
export function initialBurstOffsetsMs(repeat: number, intervalMs: number): number[] {
  const count = Math.max(1, Math.floor(repeat));
  return Array.from({ length: count }, (_, i) => i * intervalMs);
}

export interface Announcement {
  /** Stop every pending burst (on leaving master). Idempotent. */
  cancel(): void;
  /** Bursts sent so far. */
  bursts(): number;
}

/**
 * Start announcing. Send errors go to onError and never stop the schedule
 * (the next burst may succeed once the link is back).
 */
export function startAnnouncement(
  clock: Clock,
  plan: AnnouncementPlan,
  sender: FrameSender,
  onError: (err: unknown) => void,
): Announcement {
  const count = initialBurstOffsetsMs(plan.repeat, plan.intervalMs).length;
  let sent = 0;
  let cancelTimer: (() => void) | undefined;
  let cancelled = false;

  const burst = (): void => {
    for (const frame of plan.frames) {
      try {
        sender.send(plan.ifindex, frame);
      } catch (err) {
        onError(err);
      }
    }
    sent++;
  };
  const next = (): void => {
    cancelTimer = undefined;
    if (cancelled) return;
    burst();
    if (sent < count) cancelTimer = clock.setTimer(plan.intervalMs, next);
    else if (plan.refreshMs > 0) cancelTimer = clock.setTimer(plan.refreshMs, next);
  };
  next();

  return {
    cancel() {
      cancelled = true;
      cancelTimer?.();
      cancelTimer = undefined;
    },
    bursts: () => sent,
  };
}
