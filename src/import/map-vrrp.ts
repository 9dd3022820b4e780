/** Finish VRRP: instances (with their tracked scripts), sync groups and the sync daemon into lvs-ha YAML. */
import { ipFamily, type FileDef, type InstanceAcc, type ProcessDef, type ScriptDef, type Tracked } from './map-instance.js';
import type { Globals, YamlMap } from './model.js';
import type { Loc, Stmt } from './types.js';
import { isIpv6LinkLocal } from '../config/values.js';
import { blockWords, type Collector, dispatch, durationText, toName } from './values.js';

const DEFAULT_PRIORITY = 100;
const DEFAULT_ADVERT_MS = 1000;
const MAX_BACKUP_PRIORITY = 254;

export interface NameMap {
  /** Keepalived instance name -> lvs-ha name. */
  readonly instances: Map<string, string>;
  /** Per instance (Keepalived name): the VMAC names the other instances' use_vmac take. */
  readonly vmacsBesides?: (instance: string) => ReadonlySet<string>;
}

/**
 * The VMAC names each instance's use_vmac takes in lvs-ha: its own NAME, else vrrp.VRID (an IPv6
 * instance takes that default only when no other instance does, see vmac() below).
 */
export function vmacNamesBesides(instances: readonly InstanceAcc[]): (instance: string) => ReadonlySet<string> {
  const taken = instances.flatMap((i) => (i.vmac ? [{ owner: i.name, name: i.vmac.name ?? `vrrp.${String(i.vrid ?? 0)}` }] : []));
  return (instance) => new Set(taken.filter((t) => t.owner !== instance).map((t) => t.name));
}

function advertInterval(cx: Collector, a: InstanceAcc): string {
  const ms = a.advertMs ?? DEFAULT_ADVERT_MS;
  const cs = Math.min(4095, Math.max(1, Math.round(ms / 10)));
  const converted = cs * 10;
  if (converted !== ms && a.advertLoc) {
    cx.warn(a.advertLoc, `advert_int ${a.advertText ?? ''}: VRRPv3 counts whole centiseconds (10ms..40950ms): ${durationText(converted)} instead of ${ms}ms`);
  }
  return durationText(converted);
}

/**
 * virtual_ipaddress into virtual_addresses, virtual_ipaddress_excluded into
 * virtual_addresses_excluded (managed the same, not in adverts: Keepalived's receive check counts
 * only the others). An instance with excluded addresses only keeps them as virtual addresses,
 * since an lvs-ha instance needs at least one (warned: the advert counts then differ).
 */
function addresses(cx: Collector, a: InstanceAcc): { family: 'ipv4' | 'ipv6'; list: string[]; excluded: string[] } {
  const family = ipFamily(a.vips[0]?.text ?? '') ?? 'ipv4';
  const list: string[] = [];
  const excluded: string[] = [];
  for (const v of a.vips) {
    if (list.includes(v.text) || excluded.includes(v.text)) {
      cx.warn(v.loc, `virtual address ${v.text} is listed twice in this instance; converted once`);
      continue;
    }
    const f = ipFamily(v.text);
    if (f !== null && f !== family) {
      cx.warn(v.loc, `virtual address ${v.text}: an lvs-ha instance has one address family (${family}, from its first address); put ${f} addresses in an instance of their own; dropped`);
      continue;
    }
    (v.excluded ? excluded : list).push(v.text);
  }
  const [first] = a.vips.filter((v) => v.excluded);
  if (list.length === 0 && first !== undefined) {
    cx.warn(first.loc, `vrrp_instance ${a.name}: only virtual_ipaddress_excluded addresses; an lvs-ha instance needs at least one virtual address, so they become virtual_addresses (carried in adverts: a Keepalived peer with none would drop them for the address count)`);
    return { family, list: excluded, excluded: [] };
  }
  return { family, list, excluded };
}

/** The vrrp_track_process and track_file blocks, by name. */
export interface TrackDefs {
  readonly processes: ReadonlyMap<string, ProcessDef>;
  readonly files: ReadonlyMap<string, FileDef>;
}

interface TrackOut {
  interfaces: YamlMap[];
  scripts: YamlMap[];
  processes: YamlMap[];
  files: YamlMap[];
  /** Sum of the positive Keepalived weights, moved into the base priority. */
  raise: number;
}

function trackScript(cx: Collector, t: Tracked, def: ScriptDef | undefined, weight: number): YamlMap | null {
  if (def === undefined) {
    cx.warn(t.loc, `track_script ${t.name}: no vrrp_script of that name; dropped`);
    return null;
  }
  if (def.command === null && def.scriptSeen === true) return null; // refused at its line already
  if (def.command === null) {
    cx.warn(def.loc, `vrrp_script ${def.name}: no script line applies (check @conditional lines and --config-id); not tracked`);
    return null;
  }
  const out: YamlMap = cx.origin({ name: toName(def.name), command: def.command, interval: durationText(def.intervalMs) }, def.loc);
  if (def.timeoutMs !== null) {
    if (def.timeoutMs > def.intervalMs) {
      cx.warn(def.loc, `vrrp_script ${def.name}: timeout ${durationText(def.timeoutMs)} is longer than the interval ${durationText(def.intervalMs)}; lvs-ha never overlaps runs, so the timeout is cut to the interval`);
    }
    out.timeout = durationText(Math.min(def.timeoutMs, def.intervalMs));
  }
  if (def.rise !== undefined) out.rise = def.rise;
  if (def.fall !== undefined) out.fall = def.fall;
  out.weight = weight;
  return out;
}

const COMM_MAX = 15;

function trackProcess(cx: Collector, t: Tracked, def: ProcessDef | undefined, weight: number): YamlMap | null {
  if (def === undefined) {
    cx.warn(t.loc, `track_process ${t.name}: no vrrp_track_process of that name; dropped`);
    return null;
  }
  if (def.process === null) {
    cx.warn(def.loc, `vrrp_track_process ${def.name}: no process line; not tracked`);
    return null;
  }
  const [first = '', ...params] = def.process;
  const out: YamlMap = cx.origin({ name: toName(def.name) }, def.loc);
  if (params.length === 0 && !def.fullCommand && def.paramMatch === 'exact') {
    if (Buffer.byteLength(first) > COMM_MAX) {
      cx.warn(def.processLoc ?? def.loc, `vrrp_track_process ${def.name}: process '${first}' is longer than the ${String(COMM_MAX)} bytes the kernel keeps of a process name, so it can never match by name; matched as command_line [${first}] (the program path) instead`);
      out.command_line = [first];
      out.match = 'prefix';
    } else out.process = first;
  } else {
    // full_command: the process string is the whole command line (split at spaces here).
    out.command_line = def.fullCommand && params.length === 0 ? first.split(/\s+/).filter((w) => w !== '') : [first, ...params];
    if (def.paramMatch !== 'exact') {
      out.match = 'prefix';
      if (def.paramMatch === 'initial') cx.warn(def.loc, `vrrp_track_process ${def.name}: param_match initial (the last parameter may be longer) becomes match: prefix, where every given parameter must match whole`);
    }
  }
  if (def.quorum !== undefined) out.quorum = def.quorum;
  if (def.quorumMax !== undefined) out.quorum_max = def.quorumMax;
  out.weight = weight;
  return out;
}

function trackFile(cx: Collector, t: Tracked, def: FileDef | undefined, weight: number): YamlMap | null {
  if (def === undefined) {
    cx.warn(t.loc, `track_file ${t.name}: no track_file block of that name; dropped`);
    return null;
  }
  if (def.file === null) {
    cx.warn(def.loc, `track_file ${def.name}: no file line; not tracked`);
    return null;
  }
  return cx.origin({ name: toName(def.name), path: def.file, weight }, def.loc);
}

/** Positive Keepalived weights (added while up) become a raised base and a negative weight (taken away on failure). */
function tracks(cx: Collector, a: InstanceAcc, scripts: ReadonlyMap<string, ScriptDef>, defs: TrackDefs, owner: boolean): TrackOut {
  const out: TrackOut = { interfaces: [], scripts: [], processes: [], files: [], raise: 0 };
  const lvsWeight = (w: number, t: Tracked): number | null => {
    if (owner && w !== 0) {
      cx.warn(t.loc, `track ${t.name} weight ${w}: Keepalived never changes the priority of an address owner (priority 255); dropped`);
      return null;
    }
    if (w > 0) out.raise += w;
    return w > 0 ? -w : w;
  };
  for (const t of a.trackIfs) {
    if (t.name === a.iface) {
      cx.warn(t.loc, `track_interface ${t.name}: the instance's own interface: Keepalived ignores this entry, so its weight never counts; dropped`);
      continue;
    }
    const w = lvsWeight(t.weight ?? 0, t);
    if (w !== null) out.interfaces.push({ name: t.name, weight: w });
  }
  for (const t of a.trackScripts) {
    const def = scripts.get(t.name);
    const w = lvsWeight(t.weight ?? def?.weight ?? 0, t);
    const s = w === null ? null : trackScript(cx, t, def, w);
    if (s) out.scripts.push(s);
  }
  for (const t of a.trackProcesses) {
    const def = defs.processes.get(t.name);
    const w = lvsWeight(t.weight ?? def?.weight ?? 1, t);
    const p = w === null ? null : trackProcess(cx, t, def, w);
    if (p) out.processes.push(p);
  }
  for (const t of a.trackFiles) {
    // A file's weight multiplies its value (the same in lvs-ha): no base-priority conversion.
    const def = defs.files.get(t.name);
    const w = t.weight ?? def?.weight ?? 1;
    if (owner && w !== 0) {
      cx.warn(t.loc, `track_file ${t.name} weight ${String(w)}: Keepalived never changes the priority of an address owner (priority 255); dropped`);
      continue;
    }
    const f = trackFile(cx, t, def, w);
    if (f) out.files.push(f);
  }
  return out;
}

function priority(cx: Collector, a: InstanceAcc, raise: number, target: YamlMap): number {
  const base = a.priority ?? DEFAULT_PRIORITY;
  if (raise === 0 || base === 255) return base;
  const raised = base + raise;
  if (raised > MAX_BACKUP_PRIORITY) {
    cx.warn(a.priorityLoc ?? a.loc, `priority ${base} plus the positive tracking weights (${raise}) exceeds ${MAX_BACKUP_PRIORITY}; cut to ${MAX_BACKUP_PRIORITY}, so a fully healthy director runs at ${MAX_BACKUP_PRIORITY} instead of ${raised}`);
  }
  cx.noteKey(target, 'priority', `Keepalived priority ${base} + ${raise} from positive tracking weights (each now subtracted on failure instead)`);
  return Math.min(raised, MAX_BACKUP_PRIORITY);
}

function announce(g: Globals, a: InstanceAcc, family: 'ipv4' | 'ipv6'): YamlMap | undefined {
  const repeat = a.announce.repeat ?? g.announce.repeat;
  const refreshMs = a.announce.refreshMs ?? g.announce.refreshMs;
  const intervalMs = a.announce.intervalMs ?? (family === 'ipv6' ? g.announce.gnaIntervalMs : g.announce.intervalMs);
  const out: YamlMap = {};
  if (repeat !== undefined) out.repeat = repeat;
  if (intervalMs !== undefined) out.interval = durationText(intervalMs);
  if (refreshMs !== undefined) out.refresh = durationText(refreshMs);
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * nopreempt, as Keepalived 2.2.7 applies it: cleared with state MASTER ("nopreempt
 * will not work with initial state MASTER - clearing") and with priority 255
 * ("nopreempt is incompatible with priority 255. resetting nopreempt").
 */
function preempt(cx: Collector, a: InstanceAcc): boolean {
  if (a.preempt || a.nopreemptLoc === undefined) return a.preempt;
  const why = a.state === 'MASTER' ? ['with state MASTER', 'nopreempt will not work with initial state MASTER - clearing'] : a.priority === 255 ? ['with priority 255', 'nopreempt is incompatible with priority 255. resetting nopreempt'] : null;
  if (why === null) return false;
  cx.warn(a.nopreemptLoc, `nopreempt ${why[0]}: Keepalived clears nopreempt ("${why[1]}"), so the instance preempts; so does the conversion (preempt: true). For a non-preempting pair, write state BACKUP (and a priority below 255) on both directors`);
  return true;
}

function stateNote(cx: Collector, a: InstanceAcc, out: YamlMap): void {
  if (a.state === undefined) return;
  if (!['MASTER', 'BACKUP'].includes(a.state)) {
    cx.warn(a.stateLoc ?? a.loc, `vrrp_instance ${a.name}: state ${a.state}: Keepalived does not know it ("unknown state, defaulting to BACKUP"); lvs-ha has no initial state and starts every instance as BACKUP anyway`);
    return;
  }
  cx.note(out, `Keepalived initial state ${a.state}: lvs-ha has no initial state; it starts as BACKUP and the highest priority becomes master`);
  if (a.state === 'MASTER' && (a.priority ?? DEFAULT_PRIORITY) < 255) {
    cx.warn(a.loc, `vrrp_instance ${a.name}: state MASTER has no lvs-ha equivalent; the instance starts as BACKUP and becomes master by priority (${a.priority ?? DEFAULT_PRIORITY}) after the master-down interval`);
  }
}

/**
 * Keepalived 2.2.7 (vrrp_complete_instance): unset accept is true for the address
 * owner (priority 255), else true unless vrrp_strict; with vrrp_strict, an explicit
 * `accept` on a non-owner VRRPv2 instance is reset to false ("does not comply with
 * RFC3768"). An owner accepts whatever accept says (in lvs-ha too).
 */
function acceptMode(cx: Collector, a: InstanceAcc, g: Globals, out: YamlMap): boolean {
  const owner = a.priority === 255;
  if (a.accept === undefined) {
    const value = owner || !g.strict;
    cx.noteKey(out, 'accept_mode', owner ? "Keepalived's default for the address owner (priority 255)" : g.strict ? 'vrrp_strict' : "Keepalived's default without vrrp_strict");
    return value;
  }
  if (!a.accept && owner) {
    cx.warn(a.loc, `vrrp_instance ${a.name}: no_accept has no effect on the address owner (priority 255), which always accepts, in Keepalived as in lvs-ha; converted to accept_mode: true`);
    return true;
  }
  if (a.accept && !owner && g.strict && (a.version ?? g.vrrpVersion ?? '2') !== '3') {
    cx.warn(a.loc, `vrrp_instance ${a.name}: accept with vrrp_strict on a VRRPv2 instance: Keepalived resets it ("accept mode for VRRP version 2 does not comply with RFC3768"); converted to accept_mode: false`);
    return false;
  }
  return a.accept;
}

/**
 * `vrrp.ipv6_addresses: keepalived` when an IPv6 instance's first advertised address is not
 * link-local (Keepalived sends its virtual_ipaddress list as written, excluded ones left out).
 * lvs-ha's RFC mode would drop those adverts and send a derived link-local first, which
 * Keepalived drops for the count: a mixed pair would run two masters. One warning names them.
 */
export function ipv6AddressesMode(cx: Collector, instances: readonly InstanceAcc[]): 'keepalived' | null {
  const global = instances.flatMap((i) => {
    const first = i.vips.find((v) => !v.excluded);
    if (first === undefined || ipFamily(first.text) !== 'ipv6') return [];
    const text = first.text.split('/')[0] ?? '';
    return isIpv6LinkLocal({ family: 'ipv6', text }) ? [] : [{ instance: i, text }];
  });
  const [head] = global;
  if (head === undefined) return null;
  const list = global.map((g) => `${g.instance.name} (${g.text})`).join(', ');
  cx.warn(
    head.instance.vips.find((v) => !v.excluded)?.loc ?? head.instance.loc,
    `IPv6 instances whose first virtual address is not link-local: ${list}. Keepalived sends such lists as written and drops adverts with another address count; lvs-ha by default (RFC 9568) sends a link-local first and drops adverts without one, so a mixed pair would run two masters. Converted with vrrp.ipv6_addresses: keepalived (send the list as written, accept such adverts); once both directors run lvs-ha, switch both back to rfc9568 (remove the line), the master first (docs/migration.md)`,
  );
  return 'keepalived';
}

/** One warning for every instance that Keepalived runs as VRRPv2 (its default). */
export function warnVersion(cx: Collector, g: Globals, instances: readonly InstanceAcc[]): void {
  const v2 = instances.filter((i) => (i.version ?? g.vrrpVersion ?? '2') !== '3');
  const [first] = v2;
  if (first === undefined) return;
  const names = v2.map((i) => i.name).join(', ');
  const why = g.vrrpVersion === null && first.version === undefined ? 'Keepalived speaks VRRPv2 unless vrrp_version 3 is set' : 'vrrp_version/version is not 3';
  cx.warn(first.loc, `VRRP version: ${why} (${names}); lvs-ha speaks VRRPv3 only, so a Keepalived peer still speaking VRRPv2 will not interoperate: migrate both directors together`);
}

export function finishInstance(cx: Collector, a: InstanceAcc, scripts: ReadonlyMap<string, ScriptDef>, g: Globals, names: NameMap, defs: TrackDefs = { processes: new Map(), files: new Map() }): YamlMap {
  const name = toName(a.name);
  if (name !== a.name) cx.warn(a.loc, `vrrp_instance '${a.name}' is named '${name}' (lvs-ha names use letters, digits, _ . -)`);
  names.instances.set(a.name, name);
  if (a.iface === undefined) cx.warn(a.loc, `vrrp_instance ${a.name}: no interface; lvs-ha needs one`);
  if (a.vrid === undefined && a.vridSeen !== true) cx.error(a.loc, `vrrp_instance ${a.name}: no virtual_router_id: Keepalived refuses such an instance ("the virtual router id must be set"); write virtual_router_id 1..255`);
  const out: YamlMap = cx.origin({ name, interface: a.iface, vrid: a.vrid }, a.loc);
  stateNote(cx, a, out);
  const { family, list, excluded } = addresses(cx, a);
  const t = tracks(cx, a, scripts, defs, a.priority === 255);
  out.priority = priority(cx, a, t.raise, out);
  out.advert_interval = advertInterval(cx, a);
  const preempts = preempt(cx, a);
  out.preempt = preempts;
  if (a.preemptDelayMs !== undefined) {
    if (preempts) out.preempt_delay = durationText(a.preemptDelayMs);
    else cx.warn(a.preemptDelayLoc ?? a.loc, 'preempt_delay has no effect with nopreempt; dropped');
  }
  out.accept_mode = acceptMode(cx, a, g, out);
  if (a.unicastSource !== undefined) out.unicast_source = a.unicastSource;
  if (a.peers.length > 0) out.unicast_peers = a.peers;
  out.virtual_addresses = list;
  if (excluded.length > 0) out.virtual_addresses_excluded = excluded;
  const track: YamlMap = {};
  if (t.interfaces.length > 0) track.interfaces = t.interfaces;
  if (t.scripts.length > 0) track.scripts = t.scripts;
  if (t.processes.length > 0) track.processes = t.processes;
  if (t.files.length > 0) track.files = t.files;
  if (Object.keys(track).length > 0) out.track = track;
  out.announce = announce(g, a, family);
  const notifyOut: YamlMap = {};
  if (a.notify) notifyOut.command = a.notify;
  for (const state of ['master', 'backup', 'fault', 'stop'] as const) {
    const argv = a.notifyState[state];
    if (argv !== undefined) notifyOut[state] = argv;
  }
  if (Object.keys(notifyOut).length > 0) out.notify = notifyOut;
  vmac(cx, a, family, out, names.vmacsBesides?.(a.name) ?? new Set());
  return out;
}

/**
 * use_vmac / vmac_xmit_base into vmac. An unnamed IPv6 VMAC: Keepalived 2.2.7 names it vrrp.VRID
 * when no other VMAC has that name, else vrrp6.VRID (create_vmac_name); lvs-ha's default is
 * vrrp6.VRID, so the first case is written out.
 */
function vmac(cx: Collector, a: InstanceAcc, family: 'ipv4' | 'ipv6', out: YamlMap, others: ReadonlySet<string>): void {
  if (!a.vmac) {
    if (a.vmacXmitBase) cx.warn(a.vmacXmitBase, 'vmac_xmit_base without use_vmac has no effect; dropped');
    return;
  }
  const v: YamlMap = {};
  if (a.vmac.name !== undefined) v.interface = a.vmac.name;
  else if (family === 'ipv6' && a.vrid !== undefined) {
    const keepalivedName = `vrrp.${String(a.vrid)}`;
    if (!others.has(keepalivedName)) v.interface = keepalivedName;
    else cx.warn(a.vmac.loc, `use_vmac: another VMAC is named ${keepalivedName}; Keepalived names this one by the order of the instances (${keepalivedName} or vrrpN.${String(a.vrid)}), lvs-ha vrrp6.${String(a.vrid)}: set vmac.interface if scripts or firewall rules use the name`);
  }
  if (a.vmacXmitBase) v.xmit_base = true;
  out.vmac = Object.keys(v).length > 0 ? v : true;
}

interface GroupAcc {
  readonly name: string;
  readonly loc: Loc;
  readonly members: { name: string; loc: Loc }[];
}

export function readSyncGroup(cx: Collector, s: Stmt): GroupAcc {
  const acc: GroupAcc = { name: s.args[0] ?? '', loc: s.loc, members: [] };
  dispatch(cx, 'vrrp_sync_group', s.block ?? [], syncGroupHandlers(), acc);
  return acc;
}

export function syncGroupHandlers(): Readonly<Record<string, (s: Stmt, g: GroupAcc) => void>> {
  return {
    group: (s, g) => {
      for (const { words, loc } of blockWords(s)) for (const w of words) g.members.push({ name: w, loc });
    },
  };
}

export function finishSyncGroup(cx: Collector, g: GroupAcc, names: NameMap): YamlMap | null {
  const members: string[] = [];
  for (const m of g.members) {
    const n = names.instances.get(m.name);
    if (n === undefined) cx.warn(m.loc, `vrrp_sync_group ${g.name}: no vrrp_instance '${m.name}'; member dropped`);
    else members.push(n);
  }
  if (members.length === 0) {
    cx.warn(g.loc, `vrrp_sync_group ${g.name}: no members (members go inside group { }); dropped`);
    return null;
  }
  return cx.origin({ name: toName(g.name), instances: members }, g.loc);
}

/** ipvs_sync from `lvs_sync_daemon` (global_defs) or the old per-instance `lvs_sync_daemon_interface`. */
export function finishSyncDaemon(cx: Collector, g: Globals, instances: readonly InstanceAcc[], names: NameMap): YamlMap | undefined {
  const old = instances.filter((i) => i.syncInterface !== undefined);
  if (g.sync === null && old.length === 0) return undefined;
  if (g.sync !== null) {
    for (const i of old) cx.warn(i.syncInterface?.loc ?? i.loc, 'lvs_sync_daemon_interface: global_defs lvs_sync_daemon takes precedence; dropped');
    let follow = g.sync.instance;
    if (follow === null && instances.length === 1) {
      follow = instances[0]?.name ?? null;
      cx.warn(g.sync.loc, `lvs_sync_daemon names no VRRP instance; following the only one, ${follow ?? ''}`);
    } else if (follow === null) {
      cx.warn(g.sync.loc, 'lvs_sync_daemon names no VRRP instance; lvs-ha needs ipvs_sync.follow: add it by hand');
    }
    const out: YamlMap = { interface: g.sync.iface };
    if (follow !== null) out.follow = names.instances.get(follow) ?? follow;
    return cx.origin({ ...out, ...g.sync.extra }, g.sync.loc);
  }
  const [first] = old;
  if (first === undefined) return undefined;
  for (const i of old.slice(1)) cx.warn(i.syncInterface?.loc ?? i.loc, 'lvs_sync_daemon_interface: lvs-ha runs one sync daemon pair; only the first one is converted');
  cx.warn(first.syncInterface?.loc ?? first.loc, `lvs_sync_daemon_interface (old per-instance form): converted to ipvs_sync following ${first.name}`);
  return { interface: first.syncInterface?.iface ?? '', follow: names.instances.get(first.name) ?? first.name };
}
