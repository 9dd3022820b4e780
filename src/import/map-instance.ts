/** `vrrp_instance` and `vrrp_script` blocks, read into accumulators (finished in map-vrrp.ts). */
import { isIP } from 'node:net';
import type { Loc, Stmt } from './types.js';
import { arg, blockWords, type Collector, dispatch, intArg, parseInt10, secondsArg, splitArgv } from './values.js';

export interface ScriptDef {
  readonly name: string;
  readonly loc: Loc;
  command: string[] | null;
  intervalMs: number;
  timeoutMs: number | null;
  weight: number;
  rise: number | undefined;
  fall: number | undefined;
}

export interface Tracked {
  readonly name: string;
  readonly loc: Loc;
  readonly weight: number | undefined;
}

export interface InstanceAcc {
  readonly name: string;
  readonly loc: Loc;
  iface?: string | undefined;
  vrid?: number | undefined;
  priority?: number | undefined;
  priorityLoc?: Loc | undefined;
  advertMs?: number | undefined;
  advertText?: string | undefined;
  advertLoc?: Loc | undefined;
  preempt: boolean;
  preemptDelayMs?: number | undefined;
  preemptDelayLoc?: Loc | undefined;
  accept?: boolean | undefined;
  unicastSource?: string | undefined;
  peers: string[];
  vips: { text: string; loc: Loc; excluded: boolean }[];
  trackIfs: Tracked[];
  trackScripts: Tracked[];
  notify?: string[] | undefined;
  announce: { repeat?: number; refreshMs?: number; intervalMs?: number };
  state?: string | undefined;
  version?: string | undefined;
  syncInterface?: { iface: string; loc: Loc };
}

export const SCRIPT_DEFAULTS = { intervalMs: 1000, weight: 0 } as const;

type Handler<S> = (s: Stmt, state: S) => void;

export function scriptHandlers(cx: Collector): Readonly<Record<string, Handler<ScriptDef>>> {
  return {
    script: (s, d) => {
      const line = s.args.join(' ');
      if (line === '') {
        cx.warn(s.loc, "vrrp_script 'script' needs a command; ignored");
        return;
      }
      const { argv, shell } = splitArgv(line);
      if (shell) cx.warn(s.loc, `vrrp_script ${d.name}: '${line}' uses shell syntax, but lvs-ha runs commands without a shell; write a small script instead`);
      d.command = argv;
    },
    interval: (s, d) => {
      d.intervalMs = secondsArg(cx, s) ?? d.intervalMs;
    },
    timeout: (s, d) => {
      d.timeoutMs = secondsArg(cx, s) ?? d.timeoutMs;
    },
    weight: (s, d) => {
      d.weight = intArg(cx, s, -254, 254) ?? d.weight;
      if (s.args[1] === 'reverse') cx.warn(s.loc, `vrrp_script ${d.name}: weight ... reverse is not supported; the weight is used as written`);
    },
    rise: (s, d) => {
      d.rise = intArg(cx, s, 1, 1000);
    },
    fall: (s, d) => {
      d.fall = intArg(cx, s, 1, 1000);
    },
  };
}

export function readScript(cx: Collector, s: Stmt): ScriptDef {
  const d: ScriptDef = { name: s.args[0] ?? '', loc: s.loc, command: null, intervalMs: SCRIPT_DEFAULTS.intervalMs, timeoutMs: null, weight: SCRIPT_DEFAULTS.weight, rise: undefined, fall: undefined };
  dispatch(cx, 'vrrp_script', s.block ?? [], scriptHandlers(cx), d);
  return d;
}

/** `NAME [weight N [reverse]]` entries of track_interface / track_script. */
function trackedList(cx: Collector, s: Stmt): Tracked[] {
  return blockWords(s).map(({ words, loc }) => {
    const [name = '', kw, value, rev] = words;
    let weight: number | undefined;
    if (kw === 'weight') {
      const n = parseInt10(value);
      if (n === null || n < -254 || n > 254) cx.warn(loc, `${s.keyword} ${name}: weight '${value ?? ''}' is not an integer -254..254; ignored`);
      else weight = n;
      if (rev === 'reverse') cx.warn(loc, `${s.keyword} ${name}: 'reverse' is not supported; the weight is used as written`);
    } else if (kw !== undefined) {
      cx.warn(loc, `${s.keyword} ${name}: unknown option '${kw}'; ignored`);
    }
    return { name, loc, weight };
  });
}

/** `ADDRESS[/PREFIX] [dev X] [label X] [scope X] [brd X] ...`: the address, the rest warned. */
function readVips(cx: Collector, s: Stmt, acc: InstanceAcc, excluded: boolean): void {
  for (const { words, loc } of blockWords(s)) {
    const [addr = '', ...opts] = words;
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i] ?? '';
      if (o === 'dev' && opts[i + 1] === acc.iface) {
        i++;
        continue;
      }
      const takesValue = ['dev', 'label', 'scope', 'brd', 'broadcast', 'preferred_lft', 'track_group'].includes(o);
      const shown = takesValue ? `${o} ${opts[i + 1] ?? ''}` : o;
      if (takesValue) i++;
      const why = o === 'dev' ? '; lvs-ha adds every virtual address on the instance interface' : '';
      cx.warn(loc, `virtual address ${addr}: '${shown}' has no lvs-ha equivalent${why}; dropped`);
    }
    acc.vips.push({ text: addr, loc, excluded });
  }
}

function unicastPeers(cx: Collector, s: Stmt, acc: InstanceAcc): void {
  for (const { words, loc } of blockWords(s)) {
    const [addr = '', ...opts] = words;
    if (opts.length > 0) cx.warn(loc, `unicast_peer ${addr}: '${opts.join(' ')}' has no lvs-ha equivalent; dropped`);
    acc.peers.push(addr);
  }
}

function announceSetter(key: 'repeat' | 'refreshMs' | 'intervalMs', cx: Collector): Handler<InstanceAcc> {
  return (s, a) => {
    const v = key === 'repeat' ? intArg(cx, s, 1, 100) : secondsArg(cx, s);
    if (v !== undefined) a.announce[key] = v;
  };
}

function notify(cx: Collector, s: Stmt, a: InstanceAcc): void {
  const line = s.args.join(' ');
  const { argv, shell } = splitArgv(line);
  if (argv.length === 0) return;
  if (shell) cx.warn(s.loc, `notify '${line}' uses shell syntax, but lvs-ha runs commands without a shell`);
  cx.warn(s.loc, `notify: lvs-ha runs ${argv[0] ?? ''} with its own arguments after yours (see docs/configuration.md), not Keepalived's "INSTANCE name state priority"; check the script`);
  a.notify = argv;
}

export function instanceHandlers(cx: Collector): Readonly<Record<string, Handler<InstanceAcc>>> {
  return {
    interface: (s, a) => { a.iface = arg(cx, s) ?? a.iface; },
    state: (s, a) => { a.state = s.args[0]; },
    virtual_router_id: (s, a) => { a.vrid = intArg(cx, s, 1, 255) ?? a.vrid; },
    priority: (s, a) => {
      a.priority = intArg(cx, s, 1, 255) ?? a.priority;
      a.priorityLoc = s.loc;
    },
    advert_int: (s, a) => {
      a.advertMs = secondsArg(cx, s) ?? a.advertMs;
      a.advertText = s.args[0];
      a.advertLoc = s.loc;
    },
    nopreempt: (_s, a) => { a.preempt = false; },
    no_preempt: (_s, a) => { a.preempt = false; },
    preempt: (_s, a) => { a.preempt = true; },
    preempt_delay: (s, a) => {
      a.preemptDelayMs = secondsArg(cx, s) ?? a.preemptDelayMs;
      a.preemptDelayLoc = s.loc;
    },
    accept: (_s, a) => { a.accept = true; },
    no_accept: (_s, a) => { a.accept = false; },
    unicast_src_ip: (s, a) => { a.unicastSource = arg(cx, s) ?? a.unicastSource; },
    unicast_peer: (s, a) => { unicastPeers(cx, s, a); },
    virtual_ipaddress: (s, a) => { readVips(cx, s, a, false); },
    virtual_ipaddress_excluded: (s, a) => { readVips(cx, s, a, true); },
    track_interface: (s, a) => { a.trackIfs.push(...trackedList(cx, s)); },
    track_script: (s, a) => { a.trackScripts.push(...trackedList(cx, s)); },
    notify: (s, a) => { notify(cx, s, a); },
    lvs_sync_daemon_interface: (s, a) => {
      const iface = arg(cx, s);
      if (iface !== undefined) a.syncInterface = { iface, loc: s.loc };
    },
    garp_master_repeat: announceSetter('repeat', cx),
    garp_master_refresh: announceSetter('refreshMs', cx),
    garp_interval: announceSetter('intervalMs', cx),
    gna_interval: announceSetter('intervalMs', cx),
    version: (s, a) => { a.version = arg(cx, s) ?? a.version; },
  };
}

export function readInstance(cx: Collector, s: Stmt): InstanceAcc {
  const acc: InstanceAcc = { name: s.args[0] ?? '', loc: s.loc, preempt: true, peers: [], vips: [], trackIfs: [], trackScripts: [], announce: {} };
  const block = s.block ?? [];
  // The interface first, so that `dev IFACE` on a virtual address can be recognised wherever it is written.
  const ifaceStmt = block.find((c) => c.keyword === 'interface');
  if (ifaceStmt) acc.iface = ifaceStmt.args[0];
  dispatch(cx, 'vrrp_instance', block, instanceHandlers(cx), acc);
  return acc;
}

export function ipFamily(text: string): 'ipv4' | 'ipv6' | null {
  const v = isIP(text.split('/')[0] ?? '');
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : null;
}
