/**
 * The Keepalived side of bench/vrrp/false-failover.ts: a Keepalived 2.2.7 pair on routers c
 * (priority 200) and d (priority 100) of the same lab as lvs-ha's a and b, with a VRID and VIP of
 * its own (61, 10.77.0.200), so both pairs run at the same time on the same machine. Its master
 * carries the same real servers as lvs-ha's master (test/helpers/loaded-pair.ts's layout) as
 * virtual_server blocks with TCP_CHECK / HTTP_GET, and gets a SIGHUP every `reloadEveryMs`.
 *
 * This host kernel has no IPVS, so Keepalived runs `--vrrp` only and its checkers (and its IPVS
 * side) do not run. What its master does carry is re-reading the whole config, virtual_server
 * blocks included, on every reload. Both run at their defaults (Keepalived: no vrrp_rt_priority).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keepalived, keepalivedConfig, type KeepalivedOptions } from '../../test/helpers/keepalived.js';
import { loadLayout, type LoadVirtualServer } from '../../test/helpers/loaded-pair.js';
import { sleep, type VrrpLab } from '../../test/helpers/vrrp-lab.js';

export const KA_VRID = 61;
export const KA_VIP = '10.77.0.200';

const CHECK_LINES: Readonly<Record<LoadVirtualServer['kind'], readonly string[]>> = {
  tcp: ['TCP_CHECK {', '  connect_timeout 0.9', '  retry 1', '}'],
  http: ['HTTP_GET {', '  url {', '    path /', '    status_code 200', '  }', '  connect_timeout 0.9', '  retry 1', '}'],
};

/** keepalived.conf virtual_server blocks for the load's real servers (checks every 1 s). */
export function keepalivedVirtualServers(tcp: number, http: number): string {
  const lines: string[] = [];
  for (const vs of loadLayout(tcp, http)) {
    lines.push(`virtual_server ${vs.address} ${String(vs.port)} {`, '  delay_loop 1', '  lb_algo wlc', '  lb_kind DR', '  protocol TCP');
    for (const rs of vs.realServers) {
      lines.push(`  real_server ${rs} ${String(vs.port)} {`, ...CHECK_LINES[vs.kind].map((l) => `    ${l}`), '  }');
    }
    lines.push('}');
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export interface KeepalivedPair {
  readonly master: Keepalived;
  readonly backup: Keepalived;
  readonly realServers: number;
  readonly configLines: number;
}

/** Refuse to measure with a config Keepalived would not load (`keepalived -t`, in c's namespace). */
function testConfig(lab: VrrpLab, options: KeepalivedOptions): void {
  const path = join(lab.dir, 'ka-check.conf');
  writeFileSync(path, keepalivedConfig('config-test', options));
  const r = lab.exec('c', ['keepalived', '-t', '-f', path, '-l'], 60_000);
  if (r.status !== 0) throw new Error(`keepalived -t refuses the generated config (exit ${String(r.status)}): ${`${r.stdout}${r.stderr}`.trim().slice(0, 500)}`);
}

/** Start c (MASTER, with the real servers) and d (BACKUP, VRRP only); resolves once elected. */
export async function startKeepalivedPair(lab: VrrpLab, o: { advertMs: number; tcp: number; http: number }): Promise<KeepalivedPair> {
  const common = { vrid: KA_VRID, advertInt: String(o.advertMs / 1000), vip: `${KA_VIP}/24` };
  const extraConfig = keepalivedVirtualServers(o.tcp, o.http);
  const masterOptions: KeepalivedOptions = { ...common, priority: 200, extraConfig };
  testConfig(lab, masterOptions);
  const master = new Keepalived(lab, 'c', masterOptions);
  const backup = new Keepalived(lab, 'd', { ...common, priority: 100 });
  master.start();
  backup.start();
  const limit = 4 * o.advertMs + 30_000;
  await master.waitForState('MASTER', limit);
  await backup.waitForState('BACKUP', limit);
  return { master, backup, realServers: o.tcp + o.http, configLines: extraConfig.split('\n').length };
}

export interface KeepalivedLoadResult {
  /** d entered MASTER while c ran: each one is a false failover. */
  readonly falseFailovers: number;
  /** c left MASTER (entered any other state) during the load. */
  readonly masterLosses: number;
  /** SIGHUPs sent to c. */
  readonly reloads: number;
  /** "Reloading ..." lines c logged during the load (one per reload it started). */
  readonly reloadsLogged: number;
  readonly realServers: number;
  readonly configLines: number;
  /** Both keepalived processes still ran at the end, and c held the VIP. */
  readonly running: boolean;
  readonly vipOnMaster: boolean;
  readonly failovers: readonly { readonly atMs: number; readonly sinceReloadMs: number | null }[];
}

/** ms after `startedAt` of each time, with the ms since the reload before it. */
export function sinceReloads(times: readonly number[], reloads: readonly number[], startedAt: number): { atMs: number; sinceReloadMs: number | null }[] {
  return times.map((at) => {
    const last = reloads.filter((r) => r <= at).at(-1);
    return { atMs: at - startedAt, sinceReloadMs: last === undefined ? null : at - last };
  });
}

/** SIGHUP c every reloadEveryMs for durationMs (the same schedule as lvs-ha's a) and count. */
export async function runKeepalivedLoad(lab: VrrpLab, pair: KeepalivedPair, o: { reloadEveryMs: number | null; durationMs: number }): Promise<KeepalivedLoadResult> {
  const startedAt = Date.now();
  const deadline = startedAt + o.durationMs;
  const loggedBefore = pair.master.reloadsLogged;
  const reloadTimes: number[] = [];
  const reloadLoop = async (): Promise<void> => {
    if (o.reloadEveryMs === null) return;
    while (Date.now() + o.reloadEveryMs < deadline) {
      await sleep(o.reloadEveryMs);
      pair.master.reload();
      reloadTimes.push(Date.now());
    }
  };
  await Promise.all([reloadLoop(), sleep(o.durationMs)]);
  const backupMaster = pair.backup.transitions.filter((t) => t.state === 'MASTER' && t.at >= startedAt).map((t) => t.at);
  return {
    falseFailovers: backupMaster.length,
    masterLosses: pair.master.transitions.filter((t) => t.state !== 'MASTER' && t.at >= startedAt).length,
    reloads: reloadTimes.length,
    reloadsLogged: pair.master.reloadsLogged - loggedBefore,
    realServers: pair.realServers,
    configLines: pair.configLines,
    running: pair.master.running && pair.backup.running,
    vipOnMaster: lab.hasAddress('c', KA_VIP),
    failovers: sinceReloads(backupMaster, reloadTimes, startedAt),
  };
}
