/** `global_defs`: the node name, script user, strict mode, sync daemon, IPVS timeouts. */
import { garpRepeat } from './map-instance.js';
import type { Globals, YamlMap } from './model.js';
import type { Stmt } from './types.js';
import { arg, badValue, type Collector, dispatch, nameArg, parseInt10, parseUint, secondsArg } from './values.js';

type Handler = (s: Stmt, g: Globals) => void;

/** `lvs_sync_daemon INTERFACE [[inst] INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP]`. */
export function parseSyncDaemon(cx: Collector, s: Stmt): Globals['sync'] {
  const iface = arg(cx, s);
  if (iface === undefined) return null;
  const rest = s.args.slice(1);
  let instance: string | null = null;
  const extra: YamlMap = {};
  const keys: Readonly<Record<string, string>> = { id: 'sync_id', maxlen: 'max_len', port: 'port', ttl: 'ttl', group: 'group' };
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] ?? '';
    const key = keys[word];
    if (word === 'inst') {
      instance = rest[++i] ?? null;
    } else if (key !== undefined) {
      const v = rest[++i];
      const n = parseUint(v);
      if (v === undefined) cx.warn(s.loc, `lvs_sync_daemon '${word}' needs a value; ignored`);
      else if (key === 'sync_id' && n !== null && n > 255) {
        // Keepalived: "Invalid syncid (300) - defaulting to vrid"; lvs-ha's sync_id defaults to the followed instance's vrid too.
        cx.warn(s.argLocs[i] ?? s.loc, `lvs_sync_daemon id ${v}: Keepalived accepts 0..255 only and uses the instance's virtual_router_id instead ("Invalid syncid - defaulting to vrid"), and so does the conversion (no sync_id)`);
      } else if (key !== 'group' && n === null) badValue(cx, `lvs_sync_daemon ${word}`, v, 'a number', s.argLocs[i] ?? s.loc);
      else extra[key] = key === 'group' ? v : (n ?? v);
    } else if (instance === null && i === 0) {
      instance = word;
    } else {
      cx.warn(s.loc, `lvs_sync_daemon: unknown option '${word}'; ignored`);
    }
  }
  return { loc: s.loc, iface, instance, extra };
}

function timeouts(cx: Collector, s: Stmt, g: Globals): void {
  const keys: Readonly<Record<string, string>> = { tcp: 'tcp', tcpfin: 'tcp_fin', udp: 'udp' };
  const out: YamlMap = {};
  for (let i = 0; i < s.args.length; i += 2) {
    const key = keys[s.args[i] ?? ''];
    const v = parseUint(s.args[i + 1]);
    if (key === undefined || v === null) {
      cx.warn(s.loc, `lvs_timeouts: expected tcp/tcpfin/udp SECONDS, found '${s.args.slice(i, i + 2).join(' ')}'; ignored`);
      continue;
    }
    out[key] = `${v}s`;
  }
  if (Object.keys(out).length > 0) g.timeouts = out;
}

export function globalHandlers(cx: Collector): Readonly<Record<string, Handler>> {
  return {
    router_id: (s, g) => {
      const v = nameArg(cx, s);
      if (v !== undefined) g.routerId = { value: v, loc: s.loc };
    },
    vrrp_version: (s, g) => {
      g.vrrpVersion = arg(cx, s) ?? g.vrrpVersion;
    },
    script_user: (s, g) => {
      const user = arg(cx, s);
      if (user === undefined) return;
      if (s.args.length > 1) cx.warn(s.loc, `script_user group '${s.args[1] ?? ''}': lvs-ha uses the user's own group; dropped`);
      if (user === 'root') {
        cx.warn(s.loc, 'script_user root: lvs-ha never runs scripts as root; scripts.user is left at its default');
        return;
      }
      g.scriptUser = user;
    },
    vrrp_rt_priority: (s, g) => {
      const raw = arg(cx, s);
      if (raw === undefined) return;
      const n = parseInt10(raw);
      if (n === null) {
        cx.warn(s.loc, `'vrrp_rt_priority ${raw}': expected an integer 1..99; ignored`);
        return;
      }
      // Keepalived clamps (and says so): below 1 is 1, above 99 is 99.
      const clamped = Math.min(99, Math.max(1, n));
      if (clamped !== n) cx.warn(s.loc, `vrrp_rt_priority ${raw} is out of 1..99: Keepalived uses ${String(clamped)}, and so does vrrp.realtime_priority`);
      g.rtPriority = clamped;
    },
    vrrp_strict: (s, g) => {
      g.strict = true;
      cx.warn(s.loc, 'vrrp_strict: converted to accept_mode: false on every instance that does not set accept and is not the address owner (priority 255); the other strict-mode checks are always on in lvs-ha');
    },
    lvs_sync_daemon: (s, g) => {
      g.sync = parseSyncDaemon(cx, s);
    },
    lvs_timeouts: (s, g) => {
      timeouts(cx, s, g);
    },
    vrrp_garp_master_repeat: (s, g) => {
      const v = garpRepeat(cx, s);
      if (v !== undefined) g.announce.repeat = v;
    },
    vrrp_garp_master_refresh: (s, g) => {
      const v = secondsArg(cx, s);
      if (v !== undefined) g.announce.refreshMs = v;
    },
    vrrp_garp_interval: (s, g) => {
      const v = secondsArg(cx, s);
      if (v !== undefined) g.announce.intervalMs = v;
    },
    vrrp_gna_interval: (s, g) => {
      const v = secondsArg(cx, s);
      if (v !== undefined) g.announce.gnaIntervalMs = v;
    },
  };
}

export function readGlobals(cx: Collector, s: Stmt, g: Globals): void {
  dispatch(cx, 'global_defs', s.block ?? [], globalHandlers(cx), g);
}
