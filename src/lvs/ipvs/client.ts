/**
 * IpvsClient: talks to the kernel's IPVS family through an injected
 * GenericNetlink (src/os/genl.ts), so it can be driven by a fake in tests.
 * Requests are labelled with the command name and IPVS-specific errno wording;
 * replies are decoded with the pure codec, and a reply the codec refuses is an
 * IpvsProtocolError (the kernel said something we do not understand).
 */
import { LvsHaError } from '../../core/errors.js';
import type { GenericNetlink, GenlFamily, GenlRequest } from '../../os/genl.js';
import { IPVS_GENL_NAME, IPVS_GENL_VERSION, IPVS_MISSING_HINT, ipvsCmdName } from './constants.js';
import { explainIpvsErrno } from './errors.js';
import { decodeInfoReply, getInfoRequest, type IpvsInfo } from './info.js';
import type { IpvsReply, IpvsRequest } from './message.js';
import { getServicesDumpRequest } from './service.js';

export class IpvsProtocolError extends LvsHaError {
  readonly code = 'LVSHA_IPVS_PROTOCOL';
}

/** Adds the command label and IPVS errno wording to a request. */
export function toGenlRequest(request: IpvsRequest): GenlRequest {
  return {
    cmd: request.cmd,
    kind: request.kind,
    payload: request.payload,
    label: ipvsCmdName(request.cmd),
    explain: (errno, errnoName) => explainIpvsErrno(request.cmd, errno, errnoName),
  };
}

export class IpvsClient {
  private constructor(private readonly nl: GenericNetlink, readonly family: GenlFamily) {}

  /** Resolves the IPVS family (NetlinkError ENOENT "this kernel has no IPVS" if absent). */
  static async connect(nl: GenericNetlink): Promise<IpvsClient> {
    const family = await nl.resolveFamily(IPVS_GENL_NAME, { version: IPVS_GENL_VERSION, missingHint: IPVS_MISSING_HINT });
    return new IpvsClient(nl, family);
  }

  /** Sends one request; returns the reply messages (none for a plain ACK). */
  async send(request: IpvsRequest): Promise<IpvsReply[]> {
    const replies = await this.nl.request(this.family, toGenlRequest(request));
    return replies.map((r) => ({ cmd: r.cmd, payload: r.payload }));
  }

  /** IPVS_CMD_GET_INFO: version and connection table size. */
  async info(): Promise<IpvsInfo> {
    const replies = await this.send(getInfoRequest());
    const first = replies[0];
    if (replies.length !== 1 || first === undefined) {
      throw new IpvsProtocolError(`GET_INFO: expected one reply, got ${replies.length}`);
    }
    const info = decodeInfoReply(first);
    if (!info.ok) throw new IpvsProtocolError(info.reason);
    return info.value;
  }

  /** The raw replies of a GET_SERVICE dump (one NEW_SERVICE message per service). */
  async dumpServices(): Promise<IpvsReply[]> {
    return this.send(getServicesDumpRequest());
  }
}
