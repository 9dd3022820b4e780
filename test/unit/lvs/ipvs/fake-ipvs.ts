/**
 * An in-memory IPVS with the kernel's answers (EEXIST, ESRCH, ENOENT for an
 * unknown scheduler or real server, empty GET_DEST for an unknown service),
 * for unit tests of the reconciler, the plan verb and sync-daemon control.
 */
import type { IpvsTimeouts } from '../../../../src/config/types.js';
import type { IpvsApi, LiveEntry } from '../../../../src/lvs/ipvs/client.js';
import type { LiveService } from '../../../../src/lvs/ipvs/service.js';
import { canonicalDestination, canonicalService, destinationKeyText, serviceKeyText, type Destination, type Service, type ServiceKey, type Table } from '../../../../src/lvs/model.js';
import type { DaemonParams, SyncDaemonState } from '../../../../src/lvs/sync-policy.js';
import { NetlinkError } from '../../../../src/os/genl.js';

const KNOWN_SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'fo', 'ovf', 'sed', 'nq', 'none']);

export type FakeMethod = keyof IpvsApi;

export class FakeIpvs implements IpvsApi {
  readonly services = new Map<string, { service: Service; dests: Map<string, Destination> }>();
  readonly calls: string[] = [];
  timeouts: IpvsTimeouts = { tcpS: 900, tcpFinS: 120, udpS: 300 };
  daemons: DaemonParams[] = [];
  /** Return an error to make that call fail (checked before the call does anything). */
  failWhen: (method: FakeMethod, subject: string) => Error | undefined = () => undefined;
  /** When set, readTable waits for it (to hold a run in progress). */
  gate: Promise<void> | null = null;

  static err(errno: number, command: string): NetlinkError {
    return new NetlinkError({ errno, command: `IPVS ${command}` });
  }

  load(table: Table): this {
    for (const e of table.services) {
      this.services.set(serviceKeyText(e.service.key), {
        service: canonicalService(e.service),
        dests: new Map(e.destinations.map((d) => [destinationKeyText(d), canonicalDestination(d)])),
      });
    }
    return this;
  }

  table(): Table {
    return { services: [...this.services.values()].map((s) => ({ service: s.service, destinations: [...s.dests.values()] })) };
  }

  private check(method: FakeMethod, subject: string): void {
    this.calls.push(subject === '' ? method : `${method} ${subject}`);
    const e = this.failWhen(method, subject);
    if (e !== undefined) throw e;
  }

  private svc(key: ServiceKey, cmd: string): { service: Service; dests: Map<string, Destination> } {
    const s = this.services.get(serviceKeyText(key));
    if (s === undefined) throw FakeIpvs.err(3, cmd);
    return s;
  }

  async readTable(): Promise<LiveEntry[]> {
    this.check('readTable', '');
    if (this.gate !== null) await this.gate;
    return [...this.services.values()].map((s) => ({
      service: { service: s.service, stats: null },
      destinations: [...s.dests.values()].map((d) => ({ dest: { ...d, counters: { activeConns: 0, inactConns: 0, persistConns: 0 } }, stats: null })),
    }));
  }

  getServices(): Promise<LiveService[]> {
    this.check('getServices', '');
    return Promise.resolve([...this.services.values()].map((s) => ({ service: s.service, stats: null })));
  }

  addService(svc: Service): Promise<void> {
    const k = serviceKeyText(svc.key);
    this.check('addService', k);
    if (!KNOWN_SCHEDULERS.has(svc.scheduler)) return Promise.reject(FakeIpvs.err(2, 'NEW_SERVICE'));
    if (this.services.has(k)) return Promise.reject(FakeIpvs.err(17, 'NEW_SERVICE'));
    this.services.set(k, { service: canonicalService(svc), dests: new Map() });
    return Promise.resolve();
  }

  async editService(svc: Service): Promise<void> {
    this.check('editService', serviceKeyText(svc.key));
    const s = this.svc(svc.key, 'SET_SERVICE');
    s.service = canonicalService(svc);
    return Promise.resolve();
  }

  async delService(key: ServiceKey): Promise<void> {
    this.check('delService', serviceKeyText(key));
    this.svc(key, 'DEL_SERVICE');
    this.services.delete(serviceKeyText(key));
    return Promise.resolve();
  }

  async addDest(key: ServiceKey, dest: Destination): Promise<void> {
    const d = destinationKeyText(dest);
    this.check('addDest', `${serviceKeyText(key)} -> ${d}`);
    const s = this.svc(key, 'NEW_DEST');
    if (s.dests.has(d)) throw FakeIpvs.err(17, 'NEW_DEST');
    s.dests.set(d, canonicalDestination(dest));
    return Promise.resolve();
  }

  async editDest(key: ServiceKey, dest: Destination): Promise<void> {
    const d = destinationKeyText(dest);
    this.check('editDest', `${serviceKeyText(key)} -> ${d}`);
    const s = this.svc(key, 'SET_DEST');
    if (!s.dests.has(d)) throw FakeIpvs.err(2, 'SET_DEST');
    s.dests.set(d, canonicalDestination(dest));
    return Promise.resolve();
  }

  async delDest(key: ServiceKey, dest: Destination): Promise<void> {
    const d = destinationKeyText(dest);
    this.check('delDest', `${serviceKeyText(key)} -> ${d}`);
    const s = this.svc(key, 'DEL_DEST');
    if (!s.dests.delete(d)) throw FakeIpvs.err(2, 'DEL_DEST');
    return Promise.resolve();
  }

  getTimeouts(): Promise<IpvsTimeouts> {
    this.check('getTimeouts', '');
    return Promise.resolve(this.timeouts);
  }

  setTimeouts(t: IpvsTimeouts): Promise<void> {
    this.check('setTimeouts', `${t.tcpS}/${t.tcpFinS}/${t.udpS}`);
    this.timeouts = {
      tcpS: t.tcpS === 0 ? this.timeouts.tcpS : t.tcpS,
      tcpFinS: t.tcpFinS === 0 ? this.timeouts.tcpFinS : t.tcpFinS,
      udpS: t.udpS === 0 ? this.timeouts.udpS : t.udpS,
    };
    return Promise.resolve();
  }

  getDaemons(): Promise<DaemonParams[]> {
    this.check('getDaemons', '');
    return Promise.resolve([...this.daemons]);
  }

  startDaemon(p: DaemonParams): Promise<void> {
    this.check('startDaemon', p.state);
    if (this.daemons.some((d) => d.state === p.state)) return Promise.reject(FakeIpvs.err(17, 'NEW_DAEMON'));
    this.daemons.push(p);
    return Promise.resolve();
  }

  stopDaemon(state: SyncDaemonState): Promise<void> {
    this.check('stopDaemon', state);
    if (!this.daemons.some((d) => d.state === state)) return Promise.reject(FakeIpvs.err(3, 'DEL_DAEMON'));
    this.daemons = this.daemons.filter((d) => d.state !== state);
    return Promise.resolve();
  }
}
