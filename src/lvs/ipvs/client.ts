/**
 * IpvsClient: talks to the kernel's IPVS family through an injected
 * GenericNetlink (src/os/genl.ts), so it can be driven by a fake in tests.
 * Requests are labelled with the command name and what they are about, with
 * IPVS-specific errno wording; replies are decoded with the pure codec, and a
 * reply the codec refuses is an IpvsProtocolError (the kernel said something
 * we do not understand). Kernel errors are NetlinkErrors (errno, command).
 *
 * The first request after connecting is retried once when it fails with an
 * errno that is not an answer about the request itself (protocol-reference
 * D1: the first command right after ip_vs is loaded can fail).
 *
 * Methods may be called concurrently: the adapter pipelines concurrent doit
 * requests and runs concurrent dumps on separate sockets, in call order.
 */
import type { IpvsTimeouts } from '../../config/types.js';
import { LvsHaError, type DecodeResult } from '../../core/errors.js';
import { NetlinkError, type GenericNetlink, type GenlFamily, type GenlRequest } from '../../os/genl.js';
import type { Destination, Service, ServiceEntry, ServiceKey, Table } from '../model.js';
import type { DaemonParams, SyncDaemonState } from '../sync-policy.js';
import { IPVS_GENL_NAME, IPVS_GENL_VERSION, IPVS_MISSING_HINT, ipvsCmdName } from './constants.js';
import { decodeDaemonReply, delDaemonRequest, getDaemonsDumpRequest, newDaemonRequest } from './daemon.js';
import { decodeDestReplies, delDestRequest, getDestsDumpRequest, newDestRequest, setDestRequest, type LiveDestination } from './destination.js';
import { explainIpvsErrno } from './errors.js';
import { decodeInfoReply, getInfoRequest, type IpvsInfo } from './info.js';
import type { IpvsReply, IpvsRequest } from './message.js';
import {
  decodeServiceReply,
  delServiceRequest,
  flushRequest,
  getServiceRequest,
  getServicesDumpRequest,
  newServiceRequest,
  setServiceRequest,
  type LiveService,
} from './service.js';
import { decodeTimeoutsReply, getTimeoutsRequest, setTimeoutsRequest } from './timeouts.js';

export class IpvsProtocolError extends LvsHaError {
  readonly code = 'LVSHA_IPVS_PROTOCOL';
}

/** Errnos that answer the request itself: never worth a retry. */
const ANSWER_ERRNOS: ReadonlySet<number> = new Set([1, 2, 3, 17, 19, 22, 34, 97]);
const ESRCH = 3;

/** Adds the command label and IPVS errno wording to a request. */
export function toGenlRequest(request: IpvsRequest): GenlRequest {
  const name = ipvsCmdName(request.cmd);
  return {
    cmd: request.cmd,
    kind: request.kind,
    payload: request.payload,
    label: request.subject === undefined ? name : `${name} ${request.subject}`,
    explain: (errno, errnoName) => request.explain?.(errno, errnoName) ?? explainIpvsErrno(request.cmd, errno, errnoName),
  };
}

/** One service of the live table with its destinations, as the kernel reports them (with counters). */
export interface LiveEntry {
  readonly service: LiveService;
  readonly destinations: readonly LiveDestination[];
}

/** The model table of a live read (counters kept on destinations; stats dropped). */
export function liveTable(entries: readonly LiveEntry[]): Table {
  const services: ServiceEntry[] = entries.map((e) => ({ service: e.service.service, destinations: e.destinations.map((d) => d.dest) }));
  return { services };
}

/** What the reconciler, the plan verb and the sync-daemon control need of IPVS. */
export interface IpvsApi {
  readTable(): Promise<LiveEntry[]>;
  /** The services alone, with their stats (one GET_SERVICE dump, no destinations). */
  getServices(): Promise<LiveService[]>;
  addService(svc: Service): Promise<void>;
  editService(svc: Service): Promise<void>;
  delService(key: ServiceKey): Promise<void>;
  addDest(key: ServiceKey, dest: Destination): Promise<void>;
  editDest(key: ServiceKey, dest: Destination): Promise<void>;
  delDest(key: ServiceKey, dest: Destination): Promise<void>;
  getTimeouts(): Promise<IpvsTimeouts>;
  setTimeouts(t: IpvsTimeouts): Promise<void>;
  getDaemons(): Promise<DaemonParams[]>;
  startDaemon(p: DaemonParams): Promise<void>;
  stopDaemon(state: SyncDaemonState): Promise<void>;
}

function must<T>(what: string, r: DecodeResult<T>): T {
  if (!r.ok) throw new IpvsProtocolError(r.reason.startsWith(`${what} reply`) ? r.reason : `${what}: ${r.reason}`);
  return r.value;
}

const done = (): void => undefined;

export class IpvsClient implements IpvsApi {
  private firstRequest = true;

  private constructor(private readonly nl: GenericNetlink, readonly family: GenlFamily) {}

  /** Resolves the IPVS family (NetlinkError ENOENT "this kernel has no IPVS" if absent). */
  static async connect(nl: GenericNetlink): Promise<IpvsClient> {
    const family = await nl.resolveFamily(IPVS_GENL_NAME, { version: IPVS_GENL_VERSION, missingHint: IPVS_MISSING_HINT });
    return new IpvsClient(nl, family);
  }

  /** Sends one request; returns the reply messages (none for a plain ACK). */
  send(request: IpvsRequest): Promise<IpvsReply[]> {
    const genlRequest = toGenlRequest(request);
    // GenlMessage is an IpvsReply (cmd, payload). No async frame: this runs once per operation.
    if (!this.firstRequest) return this.nl.request(this.family, genlRequest);
    this.firstRequest = false;
    return this.nl.request(this.family, genlRequest).catch((err: unknown) => {
      if (!(err instanceof NetlinkError) || ANSWER_ERRNOS.has(err.errno)) throw err;
      return this.nl.request(this.family, genlRequest);
    });
  }

  private async one(request: IpvsRequest): Promise<IpvsReply> {
    const replies = await this.send(request);
    const first = replies[0];
    if (replies.length !== 1 || first === undefined) {
      throw new IpvsProtocolError(`${ipvsCmdName(request.cmd)}: expected one reply, got ${replies.length}`);
    }
    return first;
  }

  /** IPVS_CMD_GET_INFO: version and connection table size. */
  async info(): Promise<IpvsInfo> {
    const reply = await this.one(getInfoRequest());
    const info = decodeInfoReply(reply);
    if (!info.ok) throw new IpvsProtocolError(info.reason);
    return info.value;
  }

  /** The raw replies of a GET_SERVICE dump (one NEW_SERVICE message per service). */
  async dumpServices(): Promise<IpvsReply[]> {
    return this.send(getServicesDumpRequest());
  }

  /** Every virtual service (GET_SERVICE dump). */
  async getServices(): Promise<LiveService[]> {
    const replies = await this.dumpServices();
    return replies.map((r) => must('GET_SERVICE', decodeServiceReply(r)));
  }

  /** One service by key, or null when it does not exist. */
  async getService(key: ServiceKey): Promise<LiveService | null> {
    try {
      return must('GET_SERVICE', decodeServiceReply(await this.one(getServiceRequest(key))));
    } catch (err) {
      if (err instanceof NetlinkError && err.errno === ESRCH) return null;
      throw err;
    }
  }

  /**
   * The destinations of a service (GET_DEST dump); empty for a service that
   * does not exist. Stats are decoded when first read (planning never does).
   */
  async getDestinations(key: ServiceKey): Promise<LiveDestination[]> {
    const replies = await this.send(getDestsDumpRequest(key));
    return must('GET_DEST', decodeDestReplies(replies, key.family));
  }

  /**
   * The whole live table: every service, then each one's destinations (the
   * destination dumps are issued together; the adapter runs them on a few
   * sockets at once). Entries keep the service dump's order.
   */
  async readTable(): Promise<LiveEntry[]> {
    const services = await this.getServices();
    return Promise.all(services.map(async (service) => ({ service, destinations: await this.getDestinations(service.service.key) })));
  }

  addService(svc: Service): Promise<void> {
    return this.send(newServiceRequest(svc)).then(done);
  }

  editService(svc: Service): Promise<void> {
    return this.send(setServiceRequest(svc)).then(done);
  }

  delService(key: ServiceKey): Promise<void> {
    return this.send(delServiceRequest(key)).then(done);
  }

  addDest(key: ServiceKey, dest: Destination): Promise<void> {
    return this.send(newDestRequest(key, dest)).then(done);
  }

  editDest(key: ServiceKey, dest: Destination): Promise<void> {
    return this.send(setDestRequest(key, dest)).then(done);
  }

  delDest(key: ServiceKey, dest: Destination): Promise<void> {
    return this.send(delDestRequest(key, dest)).then(done);
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    return must('GET_CONFIG', decodeTimeoutsReply(await this.one(getTimeoutsRequest())));
  }

  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    await this.send(setTimeoutsRequest(t));
  }

  /** The running sync daemons (GET_DAEMON dump: at most a master and a backup). */
  async getDaemons(): Promise<DaemonParams[]> {
    const replies = await this.send(getDaemonsDumpRequest());
    return replies.map((r) => must('GET_DAEMON', decodeDaemonReply(r)));
  }

  async startDaemon(p: DaemonParams): Promise<void> {
    await this.send(newDaemonRequest(p));
  }

  async stopDaemon(state: SyncDaemonState): Promise<void> {
    await this.send(delDaemonRequest(state));
  }

  /** Deletes every service. Tests and benchmarks only: the reconciler never flushes. */
  async flush(): Promise<void> {
    await this.send(flushRequest());
  }
}
