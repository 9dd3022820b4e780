/**
 * One failover measurement in a fresh namespace lab (prefix lvqb): routers a (priority 200) and
 * b (priority 100) on a bridge, plus a client (`obs`) that pings the VIP every 2 ms. The pair is
 * Keepalived 2.2.7 or lvs-ha (from dist/). The event is either a cut of the master's link at the
 * switch, or a graceful stop of the master (SIGTERM: priority 0). The figure is the longest gap
 * between two consecutive echo replies that spans the event (the client's ping -D timestamps).
 */
import type { ChildProcess } from 'node:child_process';
import { Keepalived } from '../../test/helpers/keepalived.js';
import { sleep, vrrpConfig, VrrpLab } from '../../test/helpers/vrrp-lab.js';

export const PREFIX = 'lvqb';
export const VIP = '10.77.0.100';
const PING_INTERVAL_S = 0.002;
/** Replies needed after the event before the ping is stopped: 200 ms of service again. */
const REPLIES_AFTER = 100;
/** A gap between replies longer than this (three probes) is an outage. */
const OUTAGE_MS = 6;

export type Impl = 'keepalived' | 'lvs-ha';
export type EventKind = 'cut' | 'sigterm';

export interface RunResult {
  readonly impl: Impl;
  readonly event: EventKind;
  readonly intervalMs: number;
  /** Longest reply gap spanning the event, ms; null if service never came back. */
  readonly gapMs: number | null;
  /**
   * Cut only: from the master's last advert before the cut to the end of the outage, ms.
   * Unlike the gap, this does not depend on where in the advert cycle the cut fell.
   */
  readonly sinceAdvertMs: number | null;
  /** Event to the backup's MASTER transition (its log line), ms. */
  readonly takeoverMs: number | null;
  /** From the event to the first gratuitous ARP for the VIP the client saw after it, ms. */
  readonly garpMs: number | null;
  /** From that gratuitous ARP to the end of the outage (restoredAt), ms. */
  readonly replyAfterGarpMs: number | null;
  /** The longest gap between two adverts of the master that the client saw before the event, ms. */
  readonly maxAdvertGapMs: number | null;
  /**
   * Why the run does not count, or null: the pair flapped before the event (a stall on the
   * loaded machine made the backup take over), or, for a cut, the backup took over sooner than
   * two intervals after it, so it was not the cut it reacted to.
   */
  readonly invalid: string | null;
  readonly sent: number;
  readonly received: number;
}

interface Pair {
  /** Resolves when the backup (b) reports MASTER; returns the wall time of that transition. */
  backupMasterAt(after: number): number | undefined;
  /** Transitions of either router between the election and `before` (a flap under load). */
  flapsBefore(before: number): number;
  stopMaster(): Promise<void>;
}

async function lvsHaPair(lab: VrrpLab, intervalMs: number): Promise<Pair> {
  for (const [name, priority] of [['a', 200], ['b', 100]] as const) {
    lab.writeConfig(name, vrrpConfig({
      node: `${PREFIX}-${name}`,
      socket: lab.socketPath(name),
      instances: [{ name: 'web', vrid: 51, priority, advertInterval: `${String(intervalMs)}ms`, virtualAddresses: [`${VIP}/24`] }],
    }));
  }
  lab.startDaemon('a', { LVS_HA_LOG_LEVEL: 'info' });
  lab.startDaemon('b', { LVS_HA_LOG_LEVEL: 'info' });
  const limit = 4 * intervalMs + 10_000;
  await lab.waitForState('a', 'web', 'MASTER', limit);
  await lab.waitForState('b', 'web', 'BACKUP', limit);
  await lab.until('b hears a', async () => ((await lab.instance('b', 'web')).master_address === lab.router('a').ipv4 ? true : undefined), limit);
  const electedAt = Date.now();
  return {
    backupMasterAt(after) {
      const line = lab.transitions('b', 'web').find((t) => t.to === 'MASTER' && Date.parse(String(t.time)) >= after);
      return line ? Date.parse(String(line.time)) : undefined;
    },
    flapsBefore(before) {
      const all = [...lab.transitions('a', 'web'), ...lab.transitions('b', 'web')].map((t) => Date.parse(String(t.time)));
      return all.filter((t) => t >= electedAt && t < before).length;
    },
    async stopMaster() {
      await lab.stopDaemon('a', 'SIGTERM');
    },
  };
}

async function keepalivedPair(lab: VrrpLab, intervalMs: number): Promise<Pair> {
  const advertInt = String(intervalMs / 1000);
  const a = new Keepalived(lab, 'a', { priority: 200, advertInt, vip: `${VIP}/24` });
  const b = new Keepalived(lab, 'b', { priority: 100, advertInt, vip: `${VIP}/24` });
  a.start();
  b.start();
  const limit = 4 * intervalMs + 10_000;
  await a.waitForState('MASTER', limit);
  await b.waitForState('BACKUP', limit);
  await sleep(2 * intervalMs);
  if (b.state !== 'BACKUP') throw new Error(`keepalived b is ${b.state}, not BACKUP:\n${b.output}`);
  const electedAt = Date.now();
  return {
    backupMasterAt: (after) => b.enteredAt('MASTER', after),
    flapsBefore: (before) => [...a.transitions, ...b.transitions].filter((t) => t.at >= electedAt && t.at < before).length,
    stopMaster: () => a.stop(),
  };
}

/** Reply timestamps (ms, wall clock) from `ping -D` output. */
export function replyTimes(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from /gm)) out.push(Number(m[1]) * 1000);
  return out;
}

/** Longest gap between consecutive replies where the later one comes after `eventAt`. */
export function gapAcross(times: readonly number[], eventAt: number): number | null {
  let best: number | null = null;
  for (let i = 1; i < times.length; i++) {
    const t = times[i] ?? 0;
    const prev = times[i - 1] ?? 0;
    if (t > eventAt && (best === null || t - prev > best)) best = t - prev;
  }
  return best;
}

/**
 * The end of the outage the event caused: the first reply after the event that follows a gap of
 * more than OUTAGE_MS (three probes). The longest gap may come later (a stall of the client),
 * so the figures that compare with the adverts use this one.
 */
export function restoredAt(times: readonly number[], eventAt: number): number | undefined {
  for (let i = 1; i < times.length; i++) {
    const t = times[i] ?? 0;
    if (t > eventAt && t - (times[i - 1] ?? t) > OUTAGE_MS) return t;
  }
  return undefined;
}

/** Advert times (ms, wall clock) from `tcpdump -tt` lines. */
export function advertTimes(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/^(\d+\.\d+) IP .*VRRPv3, Advertisement/gm)) out.push(Number(m[1]) * 1000);
  return out;
}

/** Times (ms, wall clock) of gratuitous ARPs for the VIP from `tcpdump -tt` lines. */
export function garpTimes(text: string): number[] {
  const out: number[] = [];
  const vip = VIP.replaceAll('.', '\\.');
  // A request may show its target hardware address: "who-has VIP (ff:ff:ff:ff:ff:ff) tell VIP".
  const re = new RegExp(`^(\\d+\\.\\d+) ARP, (Request who-has ${vip}( \\([0-9a-f:]+\\))? tell ${vip}|Reply ${vip} is-at)`, 'gm');
  for (const m of text.matchAll(re)) out.push(Number(m[1]) * 1000);
  return out;
}

/**
 * tcpdump on the client: the master's adverts (to know the cut's phase) and gratuitous ARPs,
 * with wall-clock times.
 */
async function watchAdverts(lab: VrrpLab): Promise<{ proc: ChildProcess; text: () => string }> {
  const src = lab.router('a').ipv4;
  const proc = lab.spawn('obs', ['tcpdump', '-i', 'eth0', '-n', '-tt', '-l', `(proto 112 and src host ${src}) or arp`]);
  let text = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const deadline = performance.now() + 5000;
  while (!err.includes('listening on') && performance.now() < deadline) await sleep(20);
  if (!err.includes('listening on')) throw new Error(`tcpdump did not start: ${err}`);
  return { proc, text: () => text };
}

/**
 * The client's prober: bench/vrrp/pinger.c when built (a steady 2 ms schedule), else iputils
 * ping (which slows to about 10 ms per probe while no replies come, so gaps round up).
 */
function startPing(lab: VrrpLab, maxSeconds: number, pinger: string | undefined): { proc: ChildProcess; text: () => string } {
  const argv = pinger === undefined
    ? ['ping', '-D', '-n', '-i', String(PING_INTERVAL_S), '-c', String(Math.ceil(maxSeconds / PING_INTERVAL_S)), '-W', '1', VIP]
    : [pinger, VIP, String(PING_INTERVAL_S * 1e6), String(maxSeconds)];
  const proc = lab.spawn('obs', argv);
  let text = '';
  proc.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  return { proc, text: () => text };
}

async function waitExit(proc: ChildProcess, timeoutMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(timeoutMs)]);
}

function summary(text: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(text);
  return { sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0) };
}

function garpFigures(garps: readonly number[], eventAt: number, replyAt: number | undefined): { garpMs: number | null; replyAfterGarpMs: number | null } {
  const first = garps.find((t) => t > eventAt);
  if (first === undefined) return { garpMs: null, replyAfterGarpMs: null };
  return { garpMs: first - eventAt, replyAfterGarpMs: replyAt === undefined ? null : replyAt - first };
}

/** One measurement; the lab is built and destroyed here (also on failure). */
export async function runOnce(impl: Impl, event: EventKind, intervalMs: number, pinger?: string): Promise<RunResult> {
  const lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
  try {
    // Same client for both: a gratuitous ARP may replace a fresh neighbour entry at once.
    lab.exec('obs', ['sysctl', '-qw', 'net.ipv4.neigh.eth0.locktime=0']);
    const pair = impl === 'lvs-ha' ? await lvsHaPair(lab, intervalMs) : await keepalivedPair(lab, intervalMs);
    if (lab.exec('obs', ['ping', '-c1', '-W1', VIP]).status !== 0) throw new Error('VIP does not answer before the event');
    const budgetS = 5 + (5 * intervalMs) / 1000;
    const adverts = await watchAdverts(lab);
    const ping = startPing(lab, budgetS, pinger);
    // At least one advert before the event, so the client has seen where the cycle is.
    await sleep(Math.max(300, intervalMs + 200));
    const eventAt = Date.now();
    if (event === 'cut') lab.setSwitchPort('a', false);
    else pair.stopMaster().catch((err: unknown) => {
      console.error(`graceful stop of the master: ${String(err)}`);
    });
    const deadline = performance.now() + budgetS * 1000 - 500;
    while (performance.now() < deadline) {
      const after = replyTimes(ping.text()).filter((t) => t > eventAt + 20);
      if (after.length >= REPLIES_AFTER && pair.backupMasterAt(eventAt) !== undefined) break;
      await sleep(20);
    }
    ping.proc.kill('SIGINT');
    adverts.proc.kill('SIGINT');
    await waitExit(ping.proc, 2000);
    await waitExit(adverts.proc, 2000);
    const text = ping.text();
    const master = pair.backupMasterAt(eventAt);
    const flaps = pair.flapsBefore(eventAt);
    const early = event === 'cut' && master !== undefined && master - eventAt < 2 * intervalMs;
    const invalid = flaps > 0 ? `${String(flaps)} transition(s) before the event` : early ? 'takeover too soon after the cut' : null;
    const recovered = replyTimes(text).some((t) => t > eventAt + 20);
    const gap = recovered ? gapAcross(replyTimes(text), eventAt) : null;
    // After the cut the client hears nothing more from a, so its last advert is the last one heard.
    const restored = restoredAt(replyTimes(text), eventAt);
    const advertList = advertTimes(adverts.text());
    const lastAdvert = advertList.at(-1);
    const before = advertList.filter((t) => t < eventAt);
    const advertGaps = before.slice(1).map((t, i) => t - (before[i] ?? t));
    return {
      impl, event, intervalMs,
      gapMs: gap,
      sinceAdvertMs: event === 'cut' && restored !== undefined && lastAdvert !== undefined ? restored - lastAdvert : null,
      takeoverMs: master === undefined ? null : master - eventAt,
      ...garpFigures(garpTimes(adverts.text()), eventAt, restored),
      maxAdvertGapMs: advertGaps.length === 0 ? null : Math.max(...advertGaps),
      invalid,
      ...summary(text),
    };
  } finally {
    lab.destroy();
  }
}
