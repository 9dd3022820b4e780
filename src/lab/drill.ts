/**
 * `lvs-ha lab drill` on this kernel: a planned failover with client traffic.
 * The client holds keep-alive connections through the VIP and opens a new
 * connection every 50 ms; once the backup's kernel shows the held connections
 * (synced), the master runs `drill failover`; then every held connection asks
 * again. Kept = answered by the same real server as before. Unless told not
 * to, the drill then returns the VIP (`drill failover --return`) and asks once
 * more.
 */
import { requestControl } from '../control/client.js';
import type { JsonObject, JsonValue } from '../control/protocol.js';
import { sessionsKept, type SessionVerdict } from './drill-core.js';
import { LabClient, type ProbeSummary } from './client-run.js';
import { establishedTo, isBackup, isMaster, peekDirector, type DirectorView } from './peek.js';
import { LabError, waitFor } from './procs.js';
import { LAB_DIR, readState } from './state.js';
import { hostsOf, labPaths, labTopology, type LabHost } from './topology.js';

export interface DrillOptions {
  readonly connections: number;
  readonly returnAfter: boolean;
}

export interface DrillReport {
  readonly from: string;
  readonly to: string;
  readonly sync: boolean;
  /** The old master's report: resignation until the peer's first advert as master. */
  readonly takeover_ms: number | null;
  readonly vips_left: boolean;
  /** Established connections to the VIP in the peer's kernel table before the failover. */
  readonly synced_connections: number;
  readonly sessions: SessionVerdict;
  readonly returned: { readonly master_again_ms: number | null; readonly sessions: SessionVerdict } | null;
  readonly new_connections: ProbeSummary;
}

function firstInstance(result: JsonObject): JsonObject {
  const list = Array.isArray(result.instances) ? (result.instances as readonly JsonValue[]) : [];
  const first = list[0];
  return typeof first === 'object' && first !== null && !Array.isArray(first) ? (first as JsonObject) : {};
}

async function drillCommand(socket: string, returning: boolean): Promise<JsonObject> {
  const reply = await requestControl(socket, 'drill', { args: { return: returning, force: false }, timeoutMs: 40_000 });
  if (!reply.ok) throw new LabError('LVSHA_LAB_DRILL', `drill failover${returning ? ' --return' : ''} refused: ${reply.error.message}`);
  return reply.result;
}

async function waitMaster(h: LabHost, socket: string): Promise<DirectorView | null> {
  return waitFor(async () => {
    const v = await peekDirector(h.name, socket, 5_000);
    return isMaster(v) ? v : null;
  }, 20_000, 100);
}

export async function labDrillLocal(options: DrillOptions, dir = LAB_DIR): Promise<DrillReport> {
  const state = readState(dir);
  if (state === null) throw new LabError('LVSHA_LAB_NONE', "no lab is up; run 'lvs-ha lab up' first");
  const t = labTopology(state.options);
  const paths = labPaths(dir);
  const directors = hostsOf(t, 'director');
  const views = await Promise.all(directors.map((d) => peekDirector(d.name, paths.socket(d.name))));
  const masterView = views.find(isMaster);
  const backupView = views.find(isBackup);
  const master = directors.find((d) => d.name === masterView?.name);
  const backup = directors.find((d) => d.name === backupView?.name);
  if (master === undefined || backup === undefined) {
    throw new LabError('LVSHA_LAB_PAIR', `the pair is not MASTER/BACKUP now (${views.map((v) => `${v.name}: ${v.states.join(',')}`).join('; ')}); see 'lvs-ha lab status'`);
  }
  const clientHost = hostsOf(t, 'client')[0];
  if (clientHost === undefined) throw new LabError('LVSHA_LAB_TOPOLOGY', 'no client in the topology');
  const client = LabClient.start(clientHost.netns, t, options.connections, 50);
  try {
    const first = await client.round('first');
    const held = first.filter((a) => a !== null).length;
    if (held === 0) throw new LabError('LVSHA_LAB_NO_SERVICE', `the client could not reach ${t.vip}:${String(t.port)}`);
    // The master's sync daemon sends a buffer when it is full or at least every 2 s (kernel behaviour).
    const synced = state.options.sync
      ? (await waitFor(async () => {
        const n = await establishedTo(backup.netns, t.vip, t.port);
        return n >= held ? n : null;
      }, 15_000, 250)) ?? await establishedTo(backup.netns, t.vip, t.port)
      : await new Promise<void>((r) => setTimeout(r, 3_000)).then(() => establishedTo(backup.netns, t.vip, t.port));
    const drill = firstInstance(await drillCommand(paths.socket(master.name), false));
    if ((await waitMaster(backup, paths.socket(backup.name))) === null) throw new LabError('LVSHA_LAB_DRILL', `${backup.name} did not become MASTER within 20 s`);
    const after = await client.round('after');
    let returned: DrillReport['returned'] = null;
    if (options.returnAfter) {
      const back = firstInstance(await drillCommand(paths.socket(master.name), true));
      if ((await waitMaster(master, paths.socket(master.name))) === null) throw new LabError('LVSHA_LAB_DRILL', `${master.name} did not become MASTER again within 20 s`);
      const again = await client.round('back');
      returned = { master_again_ms: typeof back.master_again_ms === 'number' ? back.master_again_ms : null, sessions: sessionsKept(first, again) };
    }
    return {
      from: master.name, to: backup.name, sync: state.options.sync,
      takeover_ms: typeof drill.takeover_ms === 'number' ? drill.takeover_ms : null,
      vips_left: drill.vips_left === true,
      synced_connections: synced,
      sessions: sessionsKept(first, after),
      returned,
      new_connections: await client.stop(),
    };
  } finally {
    client.kill();
  }
}

export function renderDrill(r: DrillReport): string {
  const pct = (v: SessionVerdict): string => `${String(v.kept)} of ${String(v.held)} established sessions kept (${String(v.percentKept)}%)`;
  const lines = [
    `failover drill: ${r.from} -> ${r.to} (connection sync ${r.sync ? 'on' : 'off'})`,
    `  takeover: ${r.takeover_ms === null ? 'not seen' : `${String(r.takeover_ms)} ms`} (resignation to the peer's first advert as master); VIPs ${r.vips_left ? 'left' : 'did NOT leave'} ${r.from}`,
    `  synced to ${r.to} before the failover: ${String(r.synced_connections)} connections`,
    `  ${pct(r.sessions)}`,
  ];
  if (r.returned !== null) {
    lines.push(`  return: ${r.from} MASTER again after ${r.returned.master_again_ms === null ? '?' : `${String(r.returned.master_again_ms)} ms`}; ${pct(r.returned.sessions)}`);
  }
  const n = r.new_connections;
  lines.push(`  new connections (one every 50 ms): ${String(n.ok)} ok, ${String(n.failed)} failed, longest gap ${String(n.longest_gap_ms)} ms`);
  return `${lines.join('\n')}\n`;
}
