/**
 * What the kernel says about each configured virtual server and real server,
 * for `status --json` (issue 5, "status"): scheduler, kernel weight beside the
 * configured weight, forwarding method, connection counters and the rates of
 * the 64-bit stats. Pure: from the config and the reconciler's last live read.
 */
import type { Config, VirtualServerConfig } from '../config/types.js';
import { serviceKeyOf } from './desired.js';
import type { LiveEntry } from './ipvs/client.js';
import type { IpvsStats } from './ipvs/stats.js';
import { canonicalAddress, destinationKeyText, serviceKeyText, type FwdMethod } from './model.js';

export interface Rates {
  readonly cps: number;
  readonly in_pps: number;
  readonly out_pps: number;
  readonly in_bps: number;
  readonly out_bps: number;
}

export interface RealServerKernelStatus {
  readonly address: string;
  readonly port: number;
  readonly configured_weight: number;
  /** null: the kernel does not have this real server. */
  readonly weight: number | null;
  readonly forwarding: string | null;
  readonly active_conns: number | null;
  readonly inactive_conns: number | null;
  readonly persist_conns: number | null;
  readonly rates: Rates | null;
}

export interface VirtualServerKernelStatus {
  readonly name: string;
  readonly service: string;
  readonly in_kernel: boolean;
  readonly scheduler: string | null;
  readonly rates: Rates | null;
  readonly real_servers: readonly RealServerKernelStatus[];
}

const FWD_NAME: Readonly<Record<FwdMethod, string>> = { droute: 'dr', masq: 'nat', tunnel: 'tun', localnode: 'local', bypass: 'bypass' };

export function ratesOf(stats: IpvsStats | null): Rates | null {
  if (stats === null) return null;
  return {
    cps: Number(stats.cps),
    in_pps: Number(stats.inPps),
    out_pps: Number(stats.outPps),
    in_bps: Number(stats.inBps),
    out_bps: Number(stats.outBps),
  };
}

function virtualServerStatus(vs: VirtualServerConfig, live: LiveEntry | undefined): VirtualServerKernelStatus {
  const dests = new Map((live?.destinations ?? []).map((d) => [destinationKeyText(d.dest), d]));
  const realServers = vs.realServers.map((rs): RealServerKernelStatus => {
    const d = dests.get(destinationKeyText({ family: rs.address.family, address: canonicalAddress(rs.address.text), port: rs.port }));
    return {
      address: rs.address.text,
      port: rs.port,
      configured_weight: rs.weight,
      weight: d?.dest.weight ?? null,
      forwarding: d === undefined ? null : FWD_NAME[d.dest.fwd],
      active_conns: d?.dest.counters?.activeConns ?? null,
      inactive_conns: d?.dest.counters?.inactConns ?? null,
      persist_conns: d?.dest.counters?.persistConns ?? null,
      rates: ratesOf(d?.stats ?? null),
    };
  });
  return {
    name: vs.name,
    service: serviceKeyText(serviceKeyOf(vs)),
    in_kernel: live !== undefined,
    scheduler: live?.service.service.scheduler ?? null,
    rates: ratesOf(live?.service.stats ?? null),
    real_servers: realServers,
  };
}

/** One entry per configured virtual server, in config order; `live` null (no read yet) gives nulls. */
export function kernelStatus(config: Config, live: readonly LiveEntry[] | null): VirtualServerKernelStatus[] {
  const byKey = new Map((live ?? []).map((e) => [serviceKeyText(e.service.service.key), e]));
  return config.virtualServers.map((vs) => virtualServerStatus(vs, byKey.get(serviceKeyText(serviceKeyOf(vs)))));
}
