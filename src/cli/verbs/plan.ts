/**
 * `lvs-ha plan --config FILE [--json]`: what the daemon would change in the
 * live IPVS table for this config, without changing anything (dry run).
 * Health is taken as unknown (no checks run): real servers with a check keep
 * the weight the kernel has, or 0 if the kernel lacks them (docs/ipvs.md).
 * Exit 0 in sync, 2 changes pending, 1 error.
 */
import { formatIssue } from '../../config/format.js';
import { loadConfigFile } from '../../config/load.js';
import type { Config, IpvsTimeouts } from '../../config/types.js';
import { describeError, UsageError } from '../../core/errors.js';
import { IpvsClient, liveTable, type IpvsApi } from '../../lvs/ipvs/client.js';
import { timeoutsDiffer } from '../../lvs/ipvs/timeouts.js';
import { plan } from '../../lvs/plan.js';
import { desiredStateFor, unmanagedServices } from '../../lvs/reconcile-desired.js';
import { planJson, renderPlan } from '../../lvs/render.js';
import { openGenericNetlink } from '../../os/genl.js';
import { nftables, type NftablesApi } from '../../os/nftables.js';
import { planOwnedTable } from '../../lvs/nft/owner.js';
import { VIP_FILTER_CHAIN } from '../../lvs/nft/vip-filter.js';
import { nftChangesJson, OWNED_FAMILY, OWNED_TABLE, renderNftChanges } from '../../lvs/nft/table.js';
import type { CliIo, Verb } from '../verb.js';

const HELP = `Usage: lvs-ha plan --config FILE [--json]

Show what lvs-ha would change in the live IPVS table for this configuration,
and change nothing (a dry run; the running daemon is what applies).

It reads the kernel's table, computes the desired one from FILE with health
unknown (a checked real server keeps the weight the kernel has, or weight 0
if the kernel lacks it; unchecked ones get their configured weight), and
prints the ordered operations, one per line:
  + service / dest   to add      ~ service / dest   to change
  - service / dest   to delete
Services in the kernel that FILE does not describe are left alone (listed
after '#'). Differences in ipvs.timeouts are shown as '~ timeouts'.
lvs-ha's own nftables table (inet lvs_ha: the SNAT rules of fullnat
services) is compared too: '+ nft ...' / '- nft ...' / '~ nft ...' lines;
its chain vip_filter (accept_mode) follows the VRRP role and is not compared.

Options:
  --config FILE   the configuration (required)
  --json          one JSON object: { in_sync, operations, sync_daemons,
                  timeouts: { live, wanted, change }, unmanaged,
                  nftables: { table, changes } }

Exit status: 0 in sync, 2 changes pending, 1 error (bad config, no IPVS in
this kernel, no CAP_NET_ADMIN).`;

export interface PlanDeps {
  /** Opens IPVS; the result is closed after use. */
  connect(): Promise<{ ipvs: Pick<IpvsApi, 'readTable' | 'getTimeouts'>; nft?: NftablesApi; close(): void }>;
}

async function connectKernel(): Promise<{ ipvs: IpvsClient; nft: NftablesApi; close(): void }> {
  const nl = openGenericNetlink();
  try {
    return { ipvs: await IpvsClient.connect(nl), nft: nftables(), close: () => { nl.close(); } };
  } catch (err) {
    nl.close();
    throw err;
  }
}

function parseArgs(args: readonly string[]): { file: string; json: boolean } {
  let json = false;
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--json') json = true;
    else if (arg === '--config') {
      file = args[i + 1];
      if (file === undefined) throw new UsageError("'--config' needs a FILE");
      i += 1;
    } else if (arg.startsWith('--config=')) file = arg.slice('--config='.length);
    else throw new UsageError(`unknown argument '${arg}'`);
  }
  if (file === undefined) throw new UsageError('missing --config FILE');
  return { file, json };
}

function timeoutsText(live: IpvsTimeouts, wanted: IpvsTimeouts): string {
  const t = (x: IpvsTimeouts): string => `tcp ${x.tcpS} tcpfin ${x.tcpFinS} udp ${x.udpS}`;
  return `~ timeouts ${t(live)} -> ${t(wanted)}\n`;
}

async function planAgainstKernel(config: Config, json: boolean, deps: PlanDeps, io: CliIo): Promise<number> {
  const conn = await deps.connect();
  const { ipvs } = conn;
  try {
    const live = liveTable(await ipvs.readTable());
    const liveTimeouts = await ipvs.getTimeouts();
    const state = desiredStateFor({ config }, live);
    const ops = plan(live, state.table, state.owned);
    const wanted = config.ipvs.timeouts;
    const timeoutChange = timeoutsDiffer(liveTimeouts, wanted);
    const unmanaged = unmanagedServices(live, state);
    const nftChanges = conn.nft && state.nft ? await planOwnedTable(conn.nft, state.nft, new Set([VIP_FILTER_CHAIN])) : [];
    const pending = ops.length > 0 || timeoutChange || nftChanges.length > 0;
    if (json) {
      const nftables = { table: `${OWNED_FAMILY} ${OWNED_TABLE}`, changes: nftChangesJson(nftChanges) };
      const body = { ...planJson(ops), in_sync: !pending, timeouts: { live: liveTimeouts, wanted, change: timeoutChange }, unmanaged, nftables };
      io.stdout(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      let text = ops.length === 0 && (timeoutChange || nftChanges.length > 0) ? '' : renderPlan(ops);
      if (timeoutChange) text += timeoutsText(liveTimeouts, wanted);
      text += renderNftChanges(nftChanges);
      for (const key of unmanaged) text += `# left alone (not in the config): ${key}\n`;
      io.stdout(text);
    }
    return pending ? 2 : 0;
  } finally {
    conn.close();
  }
}

/** The verb with its kernel access injected (tests pass a fake). */
export function makePlanVerb(deps: PlanDeps = { connect: connectKernel }): Verb {
  return {
    name: 'plan',
    summary: 'show what would change in the live IPVS table (dry run); exit 2 when changes are pending',
    help: HELP,
    async run(args: readonly string[], io: CliIo): Promise<number> {
      const { file, json } = parseArgs(args);
      const loaded = await loadConfigFile(file);
      if (!loaded.ok) {
        io.stderr(loaded.errors.map((e) => `${formatIssue(e)}\n`).join('') + `${file}: configuration refused\n`);
        return 1;
      }
      try {
        return await planAgainstKernel(loaded.config, json, deps, io);
      } catch (err) {
        io.stderr(`lvs-ha plan: ${describeError(err)}\n`);
        return 1;
      }
    },
  };
}

export const planVerb: Verb = makePlanVerb();
