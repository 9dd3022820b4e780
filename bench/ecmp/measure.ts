// One silent director loss in the lab that is up (issue 14's benchmark), run INSIDE the lab VM by
// bench/ecmp/bench.ts after `lvs-ha lab up --local`:
//   node measure.js --dist DIR --connections N --window-ms MS
// The client holds N keep-alive connections through the VIP and opens a new connection every
// 50 ms (one at a time, 1 s connect timeout). Then one director's port in the switch namespace is
// set down: the director is cut off without a word (no TCP FIN or RST for its BGP session, no
// VRRP priority 0), the loss a crash of its host or a dead link looks like.
//  - ECMP lab: d1 is cut; detection = the cut until the router's FIB (`ip route show VIP`, polled
//    every 20 ms) no longer lists d1 (the BGP hold time, or BFD's detection time with --bfd).
//  - DR lab (the VRRP pair, connection sync on): the master is cut once the backup's kernel holds
//    the synced connections; detection = the cut until the VIP is on the backup (polled every 20 ms).
// Then the held connections ask again (kept = the same real server answers) and the probes run on
// until WINDOW after the cut, so every case counts new connections over the same time.
// Prints one `RESULT {json}` line.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

type State = typeof import('../../src/lab/state.js');
type Topo = typeof import('../../src/lab/topology.js');
type ClientRun = typeof import('../../src/lab/client-run.js');
type DrillCore = typeof import('../../src/lab/drill-core.js');
type EcmpRun = typeof import('../../src/lab/ecmp-run.js');
type Peek = typeof import('../../src/lab/peek.js');
type Procs = typeof import('../../src/lab/procs.js');
type LabHost = import('../../src/lab/topology.js').LabHost;

const { values } = parseArgs({
  options: {
    dist: { type: 'string' },
    connections: { type: 'string', default: '30' },
    'window-ms': { type: 'string', default: '15000' },
  },
});
const dist = resolve(values.dist ?? 'dist');
const connections = Number(values.connections);
const windowMs = Number(values['window-ms']);
if (!Number.isInteger(connections) || connections < 1 || connections > 200) throw new Error(`--connections '${values.connections}': expected 1..200`);
if (!Number.isInteger(windowMs) || windowMs < 2_000 || windowMs > 120_000) throw new Error(`--window-ms '${values['window-ms']}': expected 2000..120000`);

async function load<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(resolve(dist, path)).href)) as T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { LAB_DIR, readState } = await load<State>('lab/state.js');
  const { labTopology, labPaths, hostsOf, addressOf, switchPort } = await load<Topo>('lab/topology.js');
  const { LabClient } = await load<ClientRun>('lab/client-run.js');
  const { sessionsKept } = await load<DrillCore>('lab/drill-core.js');
  const { nextHops, heldOn, routerOf, waitForEcmp } = await load<EcmpRun>('lab/ecmp-run.js');
  const { peekDirector, isMaster, isBackup, establishedTo } = await load<Peek>('lab/peek.js');
  const { inNetns, sh, waitFor } = await load<Procs>('lab/procs.js');

  const state = readState(LAB_DIR);
  if (state === null) throw new Error('no lab is up');
  const t = labTopology(state.options);
  const paths = labPaths(LAB_DIR);
  const directors = hostsOf(t, 'director');
  const ecmp = state.options.mode === 'ecmp';
  const client = hostsOf(t, 'client')[0];
  if (client === undefined) throw new Error('no client in the topology');

  // Which director is cut, who must notice, and the routing/VRRP settings that decide how fast.
  let victim: LabHost | undefined = directors[0];
  let survivor: LabHost | undefined = directors[1];
  const info: Record<string, unknown> = {};
  if (ecmp) {
    await waitForEcmp(t, paths, state, directors, 60_000);
    const g = routerOf(t);
    const vty = async (cmd: string): Promise<unknown> => JSON.parse(await inNetns(g.netns, 'vtysh', ['-N', g.netns, '-c', cmd], 30_000)) as unknown;
    const neighbors = await vty('show bgp neighbors json') as Record<string, { bgpState?: string; bgpTimerHoldTimeMsecs?: number; bgpTimerKeepAliveIntervalMsecs?: number }>;
    info.bgp = Object.fromEntries(Object.entries(neighbors).map(([peer, n]) => [peer, { state: n.bgpState, hold_ms: n.bgpTimerHoldTimeMsecs, keepalive_ms: n.bgpTimerKeepAliveIntervalMsecs }]));
    if (state.options.bfd === true) {
      const peers = await vty('show bfd peers json') as { peer?: string; status?: string; 'detect-multiplier'?: number; 'receive-interval'?: number; 'transmit-interval'?: number }[];
      info.bfd = Object.fromEntries(peers.map((p) => [p.peer ?? '?', { status: p.status, multiplier: p['detect-multiplier'], rx_ms: p['receive-interval'], tx_ms: p['transmit-interval'] }]));
    }
  } else {
    const views = await Promise.all(directors.map((d) => peekDirector(d.name, paths.socket(d.name))));
    victim = directors.find((d) => d.name === views.find(isMaster)?.name);
    survivor = directors.find((d) => d.name === views.find(isBackup)?.name);
    info.vrrp = { advert_interval_ms: state.options.advertIntervalMs, sync: state.options.sync };
  }
  if (victim === undefined || survivor === undefined) throw new Error('no director to cut (the pair is not MASTER/BACKUP, or the lab has no directors)');
  const port = victim.links[0];
  if (port === undefined) throw new Error(`${victim.name} has no link`);

  const lab = LabClient.start(client.netns, t, connections, 50);
  try {
    const first = await lab.round('first');
    const held = first.filter((a) => a !== null).length;
    if (held === 0) throw new Error(`the client could not reach ${t.vip}:${String(t.port)}`);
    const heldBy = ecmp ? await heldOn(t, directors, lab.ports) : {};
    // The pair keeps connections only once the backup holds them (the sync daemon sends at least every 2 s).
    const synced = ecmp ? null : (await waitFor(async () => {
      const n = await establishedTo(survivor.netns, t.vip, t.port);
      return n >= held ? n : null;
    }, 15_000, 250)) ?? await establishedTo(survivor.netns, t.vip, t.port);

    const gone = ecmp
      ? async (): Promise<boolean> => !(await nextHops(t)).includes(addressOf(victim))
      : async (): Promise<boolean> => (await sh('ip', ['-n', survivor.netns, '-o', '-4', 'address', 'show'])).includes(` ${t.vip}/`);
    const t0 = performance.now();
    await sh('ip', ['-n', t.switchNetns, 'link', 'set', switchPort(victim, port), 'down']);
    const seen = await waitFor(async () => ((await gone()) ? performance.now() : null), 60_000, 20);
    const detectMs = seen === null ? null : Math.round(seen - t0);
    // The router (or the backup's ARP announcements) has moved the traffic; let it settle briefly.
    await sleep(500);
    const after = await lab.round('after');
    const rest = windowMs - (performance.now() - t0);
    if (rest > 0) await sleep(rest);
    const probes = await lab.stop();
    const result = {
      lab: ecmp ? `ecmp${state.options.bfd === true ? '+bfd' : ''}` : 'vrrp-pair',
      cut: `${t.switchNetns} ${switchPort(victim, port)} down (${victim.name})`,
      detect: ecmp ? `router FIB no longer lists ${victim.name}` : `VIP on ${survivor.name}`,
      detect_ms: detectMs,
      held_by: heldBy,
      synced,
      sessions: sessionsKept(first, after),
      new_connections: probes,
      window_ms: Math.round(Math.max(windowMs, performance.now() - t0)),
      ...info,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    lab.kill();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ecmp measure: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
