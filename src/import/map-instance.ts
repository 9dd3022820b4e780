/** `vrrp_instance` and `vrrp_script` blocks, read into accumulators (finished in map-vrrp.ts). */
import { isIP } from 'node:net';
import type { Loc, Stmt } from './types.js';
import { addressArg, arg, argLoc, blockWords, checkAddress, type Collector, commandArgv, dispatch, kaNumber, kaSeconds, parseInt10, secondsArg } from './values.js';

export interface ScriptDef {
  readonly name: string;
  readonly loc: Loc;
  command: string[] | null;
  /** A script line was read (its command may have been refused: an error already). */
  scriptSeen?: boolean;
  intervalMs: number;
  timeoutMs: number | null;
  weight: number;
  rise: number | undefined;
  fall: number | undefined;
}

/** A vrrp_track_process block. */
export interface ProcessDef {
  readonly name: string;
  readonly loc: Loc;
  process: string[] | null;
  processLoc?: Loc;
  paramMatch: 'exact' | 'initial' | 'partial';
  fullCommand: boolean;
  /** Keepalived's default weight of a tracked process is 1. */
  weight: number;
  quorum: number | undefined;
  quorumMax: number | undefined;
}

/** A track_file (vrrp_track_file) block. */
export interface FileDef {
  readonly name: string;
  readonly loc: Loc;
  file: string | null;
  /** Keepalived's default: 1. `reverse` negates it. */
  weight: number;
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
  vridSeen?: boolean;
  priority?: number | undefined;
  priorityLoc?: Loc | undefined;
  advertMs?: number | undefined;
  advertText?: string | undefined;
  advertLoc?: Loc | undefined;
  preempt: boolean;
  nopreemptLoc?: Loc | undefined;
  preemptDelayMs?: number | undefined;
  preemptDelayLoc?: Loc | undefined;
  accept?: boolean | undefined;
  unicastSource?: string | undefined;
  peers: string[];
  vips: { text: string; loc: Loc; excluded: boolean }[];
  trackIfs: Tracked[];
  trackScripts: Tracked[];
  trackProcesses: Tracked[];
  trackFiles: Tracked[];
  /** use_vmac [NAME] and vmac_xmit_base. */
  vmac?: { name: string | undefined; loc: Loc } | undefined;
  vmacXmitBase?: Loc | undefined;
  notify?: string[] | undefined;
  /** notify_master, notify_backup, notify_fault, notify_stop: run as written, as in Keepalived. */
  notifyState: { master?: string[]; backup?: string[]; fault?: string[]; stop?: string[] };
  announce: { repeat?: number; refreshMs?: number; intervalMs?: number };
  state?: string | undefined;
  stateLoc?: Loc | undefined;
  version?: string | undefined;
  syncInterface?: { iface: string; loc: Loc };
}

export const SCRIPT_DEFAULTS = { intervalMs: 1000, weight: 0 } as const;

type Handler<S> = (s: Stmt, state: S) => void;

export function scriptHandlers(cx: Collector): Readonly<Record<string, Handler<ScriptDef>>> {
  return {
    script: (s, d) => {
      d.scriptSeen = true;
      d.command = commandArgv(cx, s, `vrrp_script ${d.name} script`) ?? d.command;
    },
    // Keepalived: "vrrp script interval must be greater than 0, setting to 1" (timeout: the same).
    interval: (s, d) => {
      d.intervalMs = scriptSeconds(cx, s) ?? d.intervalMs;
    },
    timeout: (s, d) => {
      d.timeoutMs = scriptSeconds(cx, s) ?? d.timeoutMs;
    },
    // Keepalived: "vrrp_script X weight N must be in [-253, 253]".
    weight: (s, d) => {
      d.weight = kaNumber(cx, s, { min: -253, max: 253, invalid: { refuse: 'rejects it ("must be in [-253, 253]")' } }) ?? d.weight;
      if (s.args[1] === 'reverse') cx.error(argLoc(s, 1), `vrrp_script ${d.name}: weight ... reverse (priority raised on failure) is not supported by lvs-ha; write the weight without reverse, and check what the pair should do`);
    },
    // Keepalived: "vrrp script rise value '0' invalid, defaulting to 1" (fall: the same).
    rise: (s, d) => {
      d.rise = kaNumber(cx, s, { min: 1, max: 1000, invalid: { set: 1 } }) ?? d.rise;
    },
    fall: (s, d) => {
      d.fall = kaNumber(cx, s, { min: 1, max: 1000, invalid: { set: 1 } }) ?? d.fall;
    },
  };
}

/** A vrrp_script interval or timeout: 0 becomes 1 s, as in Keepalived. */
function scriptSeconds(cx: Collector, s: Stmt): number | undefined {
  const ms = kaSeconds(cx, s, { min: 0, max: 86_400, lvsHaLimit: true, invalid: { refuse: '(at most a day)' } });
  if (ms !== 0) return ms;
  cx.warn(argLoc(s), `vrrp_script ${s.keyword} 0: Keepalived uses 1 s instead ("must be greater than 0, setting to 1"), and so does the conversion; write 1 to say so`);
  return 1000;
}

export function processHandlers(cx: Collector): Readonly<Record<string, Handler<ProcessDef>>> {
  return {
    // `process NAME [PARAM ...]`: the name alone matches comm; with parameters the command line.
    process: (s, d) => {
      d.process = s.args.length > 0 ? [...s.args] : d.process;
      d.processLoc = s.loc;
    },
    param_match: (s, d) => {
      const v = s.args[0];
      if (v === 'partial' || v === 'initial') d.paramMatch = v;
      else cx.warn(argLoc(s), `vrrp_track_process ${d.name}: param_match '${v ?? ''}' is neither initial nor partial; ignored`);
    },
    full_command: (_s, d) => { d.fullCommand = true; },
    weight: (s, d) => {
      d.weight = kaNumber(cx, s, { min: -254, max: 254, invalid: { refuse: 'rejects it' } }) ?? d.weight;
      if (s.args[1] === 'reverse') cx.error(argLoc(s, 1), `vrrp_track_process ${d.name}: weight ... reverse is not supported by lvs-ha; write the weight without reverse, and check what the pair should do`);
    },
    quorum: (s, d) => { d.quorum = kaNumber(cx, s, { min: 0, max: 65535, invalid: { refuse: 'rejects it' } }) ?? d.quorum; },
    quorum_max: (s, d) => { d.quorumMax = kaNumber(cx, s, { min: 0, max: 65535, invalid: { refuse: 'rejects it' } }) ?? d.quorumMax; },
  };
}

export function readProcess(cx: Collector, s: Stmt): ProcessDef {
  const d: ProcessDef = { name: s.args[0] ?? '', loc: s.loc, process: null, paramMatch: 'exact', fullCommand: false, weight: 1, quorum: undefined, quorumMax: undefined };
  dispatch(cx, 'vrrp_track_process', s.block ?? [], processHandlers(cx), d);
  return d;
}

export function fileHandlers(cx: Collector): Readonly<Record<string, Handler<FileDef>>> {
  return {
    file: (s, d) => { d.file = arg(cx, s) ?? d.file; },
    weight: (s, d) => {
      const n = kaNumber(cx, s, { min: -254, max: 254, lvsHaLimit: true, invalid: { refuse: '(lvs-ha takes -254..254: a larger multiplier only ever means FAULT)' } });
      if (n !== undefined) d.weight = s.args[1] === 'reverse' ? -n : n;
    },
  };
}

export function readFileDef(cx: Collector, s: Stmt): FileDef {
  const d: FileDef = { name: s.args[0] ?? '', loc: s.loc, file: null, weight: 1 };
  dispatch(cx, 'track_file', s.block ?? [], fileHandlers(cx), d);
  return d;
}

export function readScript(cx: Collector, s: Stmt): ScriptDef {
  const d: ScriptDef = { name: s.args[0] ?? '', loc: s.loc, command: null, intervalMs: SCRIPT_DEFAULTS.intervalMs, timeoutMs: null, weight: SCRIPT_DEFAULTS.weight, rise: undefined, fall: undefined };
  dispatch(cx, 'vrrp_script', s.block ?? [], scriptHandlers(cx), d);
  return d;
}

/**
 * `NAME [weight N [reverse]]` entries of track_interface / track_script / track_process /
 * track_file. A track_file's weight is a multiplier, so `reverse` simply negates it there.
 */
function trackedList(cx: Collector, s: Stmt): Tracked[] {
  const isFile = s.keyword === 'track_file';
  return blockWords(s).map(({ words, loc }) => {
    const [name = '', kw, value, rev] = words;
    let weight: number | undefined;
    if (kw === 'weight') {
      const n = parseInt10(value);
      const max = isFile ? 254 : 253;
      // Keepalived: "weight must be between [-253..253] inclusive, ignoring..."
      if (n === null || n < -max || n > max) cx.error(loc, `${s.keyword} ${name}: weight '${value ?? ''}' is not an integer -${String(max)}..${String(max)}: Keepalived rejects it ("weight must be between [-${String(max)}..${String(max)}] inclusive"); write a weight in that range`);
      else weight = isFile && rev === 'reverse' ? -n : n;
      if (rev === 'reverse' && !isFile) cx.error(loc, `${s.keyword} ${name}: 'reverse' (priority raised on failure) is not supported by lvs-ha; write the weight without reverse, and check what the pair should do`);
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
    const text = vipPrefix(cx, addr, loc);
    if (text !== null) acc.vips.push({ text, loc, excluded });
  }
}

/**
 * A virtual address, checked: not an address is an error (Keepalived skips it:
 * "VRRP parsed invalid IP"); a prefix longer than the family allows is cut to
 * the full length, as Keepalived does ("Invalid address prefix len 33 ... - using 32").
 */
function vipPrefix(cx: Collector, text: string, loc: Loc): string | null {
  const [addr = '', len] = text.split('/');
  const family = isIP(addr);
  if (family === 0 || (len !== undefined && !/^\d{1,3}$/.test(len))) {
    checkAddress(cx, 'virtual_ipaddress', text, loc, true, 'Keepalived skips it ("VRRP parsed invalid IP")');
    return null;
  }
  const max = family === 4 ? 32 : 128;
  if (len !== undefined && Number(len) > max) {
    cx.warn(loc, `virtual address ${text}: prefix length ${len} is longer than ${max}; Keepalived uses ${max} ("Invalid address prefix len"), and so does the conversion`);
    return `${addr}/${max}`;
  }
  return text;
}

function unicastPeers(cx: Collector, s: Stmt, acc: InstanceAcc): void {
  for (const { words, loc } of blockWords(s)) {
    const [addr = '', ...opts] = words;
    if (!checkAddress(cx, 'unicast_peer', addr, loc, false)) continue;
    if (opts.length > 0) cx.warn(loc, `unicast_peer ${addr}: '${opts.join(' ')}' has no lvs-ha equivalent; dropped`);
    acc.peers.push(addr);
  }
}

/** garp_master_repeat / vrrp_garp_master_repeat: Keepalived turns 0 into 1 ("must be greater than 0, setting to 1"); lvs-ha takes at most 100. */
export function garpRepeat(cx: Collector, s: Stmt): number | undefined {
  const n = kaNumber(cx, s, { min: 0, max: 100, lvsHaLimit: true, invalid: { refuse: '(announce.repeat 1..100; 0 is taken as 1, as Keepalived does)' } });
  if (n !== 0) return n;
  cx.warn(argLoc(s), `${s.keyword} 0: Keepalived uses 1 instead ("must be greater than 0, setting to 1"), and so does the conversion; write 1 to say so`);
  return 1;
}

function announceSetter(key: 'repeat' | 'refreshMs' | 'intervalMs', cx: Collector): Handler<InstanceAcc> {
  return (s, a) => {
    const v = key === 'repeat' ? garpRepeat(cx, s) : secondsArg(cx, s);
    if (v !== undefined) a.announce[key] = v;
  };
}

function notify(cx: Collector, s: Stmt, a: InstanceAcc): void {
  const argv = commandArgv(cx, s, 'notify');
  if (argv === undefined) return;
  cx.warn(s.loc, `notify: lvs-ha runs ${argv[0] ?? ''} with its own arguments after yours (see docs/configuration.md), not Keepalived's "INSTANCE name state priority"; check the script`);
  a.notify = argv;
}

/** notify_<state>: Keepalived runs it with no arguments of its own, and so does lvs-ha's notify.<state>. */
function notifyState(cx: Collector, s: Stmt, a: InstanceAcc, state: 'master' | 'backup' | 'fault' | 'stop'): void {
  const argv = commandArgv(cx, s, s.keyword);
  if (argv !== undefined) a.notifyState[state] = argv;
}

export function instanceHandlers(cx: Collector): Readonly<Record<string, Handler<InstanceAcc>>> {
  return {
    interface: (s, a) => { a.iface = arg(cx, s) ?? a.iface; },
    state: (s, a) => {
      a.state = s.args[0];
      a.stateLoc = s.argLocs[0] ?? s.loc;
    },
    // Keepalived: "VRID not valid - must be between 1 & 255", and the instance is refused ("the virtual router id must be set").
    virtual_router_id: (s, a) => { a.vridSeen = true; a.vrid = kaNumber(cx, s, { min: 1, max: 255, invalid: { refuse: 'refuses the whole instance ("the virtual router id must be set")' } }) ?? a.vrid; },
    // Keepalived: "Priority not valid! must be between 1 & 255. Using default 100".
    priority: (s, a) => {
      const p = kaNumber(cx, s, { min: 1, max: 255, invalid: { ignore: 'the default priority 100 applies' } });
      if (p !== undefined) {
        a.priority = p;
        a.priorityLoc = s.loc;
      }
    },
    // Keepalived: "Advert interval (X) not valid! Must be > 0 - ignoring" outside 0.01..255 s.
    advert_int: (s, a) => {
      const ms = kaSeconds(cx, s, { min: 0.01, max: 255, invalid: { ignore: 'the default 1 s applies' } });
      if (ms === undefined) return;
      a.advertMs = ms;
      a.advertText = s.args[0];
      a.advertLoc = s.loc;
    },
    nopreempt: (s, a) => {
      a.preempt = false;
      a.nopreemptLoc = s.loc;
    },
    preempt: (_s, a) => { a.preempt = true; },
    // Keepalived: "Preempt_delay not valid! must be between 0-1000", and the line is ignored.
    preempt_delay: (s, a) => {
      a.preemptDelayMs = kaSeconds(cx, s, { min: 0, max: 1000, invalid: { ignore: 'no preempt delay' } }) ?? a.preemptDelayMs;
      a.preemptDelayLoc = s.loc;
    },
    accept: (_s, a) => { a.accept = true; },
    no_accept: (_s, a) => { a.accept = false; },
    unicast_src_ip: (s, a) => { a.unicastSource = addressArg(cx, s) ?? a.unicastSource; },
    unicast_peer: (s, a) => { unicastPeers(cx, s, a); },
    virtual_ipaddress: (s, a) => { readVips(cx, s, a, false); },
    virtual_ipaddress_excluded: (s, a) => { readVips(cx, s, a, true); },
    track_interface: (s, a) => { a.trackIfs.push(...trackedList(cx, s)); },
    track_script: (s, a) => { a.trackScripts.push(...trackedList(cx, s)); },
    track_process: (s, a) => { a.trackProcesses.push(...trackedList(cx, s)); },
    track_file: (s, a) => { a.trackFiles.push(...trackedList(cx, s)); },
    // use_vmac [NAME] [MAC]: the name is kept; a MAC other than the RFC one is not possible in lvs-ha.
    use_vmac: (s, a) => {
      const isMac = (w: string | undefined): boolean => w !== undefined && /^[0-9a-f]{2}(:[0-9a-f]{2}){4,5}$/i.test(w);
      const name = isMac(s.args[0]) ? undefined : s.args[0];
      const mac = s.args.find(isMac);
      if (mac !== undefined) cx.warn(s.loc, `use_vmac: lvs-ha always uses the RFC virtual MAC (00:00:5e:00:01:VRID, IPv6 00:00:5e:00:02:VRID); the MAC ${mac} is dropped`);
      a.vmac = { name, loc: s.loc };
    },
    vmac_xmit_base: (s, a) => { a.vmacXmitBase = s.loc; },
    notify: (s, a) => { notify(cx, s, a); },
    notify_master: (s, a) => { notifyState(cx, s, a, 'master'); },
    notify_backup: (s, a) => { notifyState(cx, s, a, 'backup'); },
    notify_fault: (s, a) => { notifyState(cx, s, a, 'fault'); },
    notify_stop: (s, a) => { notifyState(cx, s, a, 'stop'); },
    lvs_sync_daemon_interface: (s, a) => {
      const iface = arg(cx, s);
      if (iface !== undefined) a.syncInterface = { iface, loc: s.loc };
    },
    garp_master_repeat: announceSetter('repeat', cx),
    garp_master_refresh: announceSetter('refreshMs', cx),
    version: (s, a) => { a.version = arg(cx, s) ?? a.version; },
  };
}

export function readInstance(cx: Collector, s: Stmt): InstanceAcc {
  const acc: InstanceAcc = { name: s.args[0] ?? '', loc: s.loc, preempt: true, peers: [], vips: [], trackIfs: [], trackScripts: [], trackProcesses: [], trackFiles: [], announce: {}, notifyState: {} };
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
