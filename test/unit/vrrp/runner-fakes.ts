/** Fakes of the OS side for runner and engine unit tests. */
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { ipv4ToBytes } from '../../../src/os/inet.js';
import { buildIpv4Header } from '../../../src/os/vrrp-socket.js';
import { VrrpEngine, type VrrpEngineOptions } from '../../../src/vrrp/engine.js';
import { machineConfigFor } from '../../../src/vrrp/instance-setup.js';
import { initialState } from '../../../src/vrrp/machine.js';
import type { VrrpEvent } from '../../../src/vrrp/machine-types.js';
import { encodeAdvert } from '../../../src/vrrp/packet.js';
import { InstanceRunner, type TransitionNotice } from '../../../src/vrrp/runner.js';
import type { Config, VrrpInstanceConfig } from '../../../src/config/types.js';
import type { AddressEvent, AddressManager, InterfaceAddress, VipSpec } from '../../../src/os/addresses.js';
import type { LinkEvent, LinkState, LinkWatcher } from '../../../src/os/links.js';
import type { ReceivedVrrpPacket, TransportDrop, VrrpTransport, VrrpTransportOptions } from '../../../src/os/vrrp-socket.js';
import type { RunnerOs } from '../../../src/vrrp/runner-os.js';

export class FakeTransport implements VrrpTransport {
  readonly family: 4 | 6;
  readonly sent: { payload: Buffer; dest: string }[] = [];
  private readonly packetListeners = new Set<(p: ReceivedVrrpPacket) => void>();
  private readonly dropListeners = new Set<(d: TransportDrop) => void>();
  closed = false;
  constructor(readonly options: VrrpTransportOptions, family: 4 | 6 = 4) {
    this.family = family;
  }
  get ifname(): string {
    return this.options.ifname;
  }
  get ifindex(): number {
    return this.options.ifindex;
  }
  send(payload: Buffer, dest: string): Promise<void> {
    this.sent.push({ payload, dest });
    return Promise.resolve();
  }
  onPacket(l: (p: ReceivedVrrpPacket) => void): () => void {
    this.packetListeners.add(l);
    return () => this.packetListeners.delete(l);
  }
  onDrop(l: (d: TransportDrop) => void): () => void {
    this.dropListeners.add(l);
    return () => this.dropListeners.delete(l);
  }
  onError(): () => void {
    return () => undefined;
  }
  deliver(p: ReceivedVrrpPacket): void {
    for (const l of this.packetListeners) l(p);
  }
  close(): void {
    this.closed = true;
  }
}

export class FakeAddresses implements AddressManager {
  readonly present = new Set<string>();
  readonly log: string[] = [];
  /** The ifindex each present VIP was added on. */
  readonly ifindexOf = new Map<string, number>();
  private readonly listeners = new Set<(e: AddressEvent) => void>();
  constructor(private readonly ifaces: Record<string, { ifindex: number; ipv4?: string; ll?: string }> = { eth0: { ifindex: 2, ipv4: '10.0.0.1', ll: 'fe80::1' } }) {}
  addAddress(vip: VipSpec): Promise<'added' | 'already-present'> {
    this.log.push(`add ${vip.address}`);
    if (this.present.has(vip.address)) return Promise.resolve('already-present');
    this.present.add(vip.address);
    this.ifindexOf.set(vip.address, vip.ifindex);
    return Promise.resolve('added');
  }
  removeAddress(vip: VipSpec): Promise<'removed' | 'already-absent'> {
    this.log.push(`remove ${vip.address}`);
    return Promise.resolve(this.present.delete(vip.address) ? 'removed' : 'already-absent');
  }
  listAddresses(ifindex: number, family?: 4 | 6): Promise<InterfaceAddress[]> {
    const out: InterfaceAddress[] = [];
    // VIPs first: the worst case for choosing a source address.
    for (const a of this.present) {
      if (family !== 6 && !a.includes(':')) out.push({ ifindex, family: 4, address: a, prefixLength: 32, secondary: false, scope: 0 });
    }
    for (const i of Object.values(this.ifaces).filter((x) => x.ifindex === ifindex)) {
      if (i.ipv4 !== undefined && family !== 6) out.push({ ifindex, family: 4, address: i.ipv4, prefixLength: 24, secondary: false, scope: 0 });
      if (i.ll !== undefined && family !== 4) out.push({ ifindex, family: 6, address: i.ll, prefixLength: 64, secondary: false, scope: 253 });
    }
    return Promise.resolve(out);
  }
  /** An interface appears, changes or (undefined) disappears. */
  setInterface(name: string, spec: { ifindex: number; ipv4?: string; ll?: string } | undefined): void {
    if (spec) this.ifaces[name] = spec;
    else Reflect.deleteProperty(this.ifaces, name);
  }
  interfaceByName(name: string) {
    const i = this.ifaces[name];
    return Promise.resolve(i ? { ifindex: i.ifindex, name, mac: '02:00:00:00:00:01', up: true, running: true, lowerUp: true } : undefined);
  }
  primaryIpv4(ifindex: number): Promise<string | undefined> {
    return Promise.resolve(Object.values(this.ifaces).find((i) => i.ifindex === ifindex)?.ipv4);
  }
  linkLocalIpv6(ifindex: number): Promise<string | undefined> {
    return Promise.resolve(Object.values(this.ifaces).find((i) => i.ifindex === ifindex)?.ll);
  }
  onAddressEvent(l: (e: AddressEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onError(): () => void {
    return () => undefined;
  }
  /** Someone else removed an address. */
  externalRemove(address: string, ifindex = 2): void {
    this.present.delete(address);
    for (const l of this.listeners) l({ kind: 'removed', address: { ifindex, family: 4, address, prefixLength: 24, secondary: false, scope: 0 } });
  }
  close(): void {
    /* nothing */
  }
}

export class FakeLinks implements LinkWatcher {
  readonly states = new Map<string, LinkState>([['eth0', { name: 'eth0', ifindex: 2, up: true }]]);
  private readonly listeners = new Set<(e: LinkEvent) => void>();
  current(): ReadonlyMap<string, LinkState> {
    return this.states;
  }
  onChange(l: (e: LinkEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onError(): () => void {
    return () => undefined;
  }
  set(name: string, up: boolean, ifindex = this.states.get(name)?.ifindex ?? 9): void {
    const s = { name, ifindex, up };
    this.states.set(name, s);
    for (const l of this.listeners) l({ kind: 'changed', ...s });
  }
  /** The interface is deleted (reported as down). */
  remove(name: string): void {
    const s = { name, ifindex: this.states.get(name)?.ifindex ?? 9, up: false };
    this.states.delete(name);
    for (const l of this.listeners) l({ kind: 'removed', ...s });
  }
  close(): void {
    /* nothing */
  }
}

export class FakeFrames {
  readonly sent: { ifindex: number; frame: Buffer }[] = [];
  send(ifindex: number, frame: Buffer): void {
    this.sent.push({ ifindex, frame });
  }
}

export interface FakeOs extends RunnerOs {
  readonly transports: FakeTransport[];
  readonly fakeAddresses: FakeAddresses;
  readonly fakeLinks: FakeLinks;
  readonly fakeFrames: FakeFrames;
}

export function fakeOs(addresses = new FakeAddresses()): FakeOs {
  const transports: FakeTransport[] = [];
  const links = new FakeLinks();
  const frames = new FakeFrames();
  return {
    addresses,
    links,
    frames,
    transports,
    fakeAddresses: addresses,
    fakeLinks: links,
    fakeFrames: frames,
    openTransport(family, options) {
      const t = new FakeTransport(options, family === 'ipv4' ? 4 : 6);
      transports.push(t);
      return t;
    },
    close() {
      /* nothing */
    },
  };
}

export function instanceConfig(over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig {
  return {
    name: 'web',
    interface: 'eth0',
    vrid: 51,
    family: 'ipv4',
    priority: 150,
    advertIntervalMs: 100,
    preempt: true,
    preemptDelayMs: 0,
    acceptMode: false,
    unicastPeers: [],
    unicastSource: null,
    allowedPeers: [],
    virtualAddresses: [{ text: '10.0.0.100', family: 'ipv4', prefixLength: 24 }],
    track: { interfaces: [], scripts: [], virtualServers: [], routes: [], processes: [], files: [] },
    announce: { repeat: 2, intervalMs: 10, refreshMs: 0 },
    notify: null,
    vmac: null,
    ...over,
  };
}

export function configWith(instances: readonly VrrpInstanceConfig[], syncGroups: Config['vrrp']['syncGroups'] = []): Config {
  return {
    node: 'n',
    control: { socketPath: '/tmp/x.sock', metricsListen: null, readonlyGroup: null },
    vrrp: { ipv4Checksum: 'rfc5798', ipv6Addresses: 'rfc9568', realtimePriority: 0, instances, syncGroups },
    ipvsSync: null,
    ecmp: null,
    ipvs: { timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 }, sysctls: { sloppyTcp: null, sloppySctp: null } },
    virtualServers: [],
    scripts: { user: 'nobody' },
    alerts: [],
  };
}

export const quietLogger = silentLogger;

/** Let promise chains (address changes, announcements) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export const SELF = '10.0.0.1';

/** One runner on fakes, with a minimal serialised dispatcher like the engine's. */
export function setupRunner(over: Partial<VrrpInstanceConfig> = {}, siblingVrids: readonly number[] = []) {
  const config = instanceConfig(over);
  const clock = new FakeClock(1000);
  const transport = new FakeTransport({ ifname: 'eth0', ifindex: 2, sourceAddress: SELF, joinGroup: true });
  const addresses = new FakeAddresses();
  const frames = new FakeFrames();
  const notices: TransitionNotice[] = [];
  const queue: VrrpEvent[] = [];
  const runner = new InstanceRunner(
    {
      config,
      ipv4Checksum: 'rfc5798',
      ipv6Addresses: 'rfc9568',
      ifindex: 2,
      primaryAddress: SELF,
      advertAddresses: config.virtualAddresses.map((v) => v.text),
      localVrids: new Map([51, ...siblingVrids].map((v) => [v, { owner: false, addresses: ['10.0.0.100'], advertIntervalMs: 100 }])),
      announceFrames: [Buffer.from('garp-frame')],
    },
    initialState(machineConfigFor(config, SELF)),
    {
      clock,
      log: silentLogger(),
      transport,
      addresses,
      frames,
      // A minimal serialised dispatcher, like the engine's.
      dispatch: (event) => {
        queue.push(event);
        for (let e = queue.shift(); e !== undefined; e = queue.shift()) runner.apply(e);
      },
      onTransition: (n) => notices.push(n),
    },
  );
  return { runner, clock, transport, addresses, frames, notices };
}

/** A whole IPv4 packet, as the raw socket hands it up (the runner decodes the header too). */
export function packetFrom(src: string, priority: number, ttl = 255, vrid = 51): ReceivedVrrpPacket {
  const payload = Buffer.from(encodeAdvert({ family: 'ipv4', vrid, priority, maxAdverIntMs: 100, addresses: ['10.0.0.100'] }, { src, dst: '224.0.0.18', ipv4Checksum: 'rfc5798' }));
  const header = buildIpv4Header(ipv4ToBytes(src) ?? Buffer.alloc(4), Buffer.from([224, 0, 0, 18]), payload.length);
  header[8] = ttl;
  return { family: 4, packet: Buffer.concat([header, payload]), ifindex: 2 };
}

/** A VrrpEngine on fakes and a FakeClock, with its transitions recorded (engine tests). */
export function engineHarness(extra: Partial<VrrpEngineOptions> = {}, os: FakeOs = fakeOs()) {
  const clock = new FakeClock(0);
  const notices: TransitionNotice[] = [];
  const engine = new VrrpEngine({
    clock,
    logger: silentLogger(),
    openOs: () => Promise.resolve(os),
    resolveScriptUser: () => Promise.resolve(null),
    onTransition: (n) => notices.push(n),
    ...extra,
  });
  const row = (name: string): Record<string, unknown> =>
    (engine.snapshot() as Record<string, unknown>[]).find((r) => r.name === name) ?? {};
  return { engine, clock, os, notices, row };
}
