/**
 * The small top-level sections: control, ipvs_sync, ipvs, scripts.
 */
import { absolutePath, bool, duration, int, interfaceName, ip, map, matching, name, parsed } from './read.js';
import { KEYS } from './keys.js';
import type { Located, MapReader } from './reader.js';
import { closestMatch } from './suggest.js';
import { MAX_KERNEL_TIMEOUT_MS } from './virtual-servers.js';
import type { VrrpSection } from './vrrp.js';
import type { ControlConfig, IpAddress, IpvsConfig, IpvsSyncConfig, IpvsSysctls, IpvsTimeouts } from './types.js';
import { isMulticast, parseHostPort } from './values.js';

export const CONTROL_DEFAULTS = { socketPath: '/run/lvs-ha/control.sock', metricsListen: null, readonlyGroup: null } as const;
export const IPVS_TIMEOUT_DEFAULTS: IpvsTimeouts = { tcpS: 900, tcpFinS: 120, udpS: 300 };
export const SCRIPT_USER_DEFAULT = 'lvs-ha-script';
export const IPVS_SYNC_DEFAULTS = { group: '224.0.0.81', port: 8848, ttl: 1, maxLenV4: 1472, maxLenV6: 1452 } as const;

/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
/** IP + UDP headers the kernel subtracts from 65535 when clamping max_len. */
const SYNC_HEADERS: Readonly<Record<IpAddress['family'], number>> = { ipv4: 28, ipv6: 48 };

export function readControl(m: MapReader | undefined): ControlConfig {
  if (!m) return CONTROL_DEFAULTS;
  const socket = m.optAt('socket', absolutePath);
  if (socket && Buffer.byteLength(socket.value) > MAX_SOCKET_PATH_BYTES) {
    m.ctx.report(socket.node, socket.path, `a Unix socket path must be at most ${MAX_SOCKET_PATH_BYTES} bytes`, `${Buffer.byteLength(socket.value)} bytes`);
  }
  const listen = m.opt('metrics_listen', parsed(parseHostPort));
  const group = m.optAt('readonly_group', matching(/^[a-z_][a-z0-9_-]{0,31}$/, 'a system group name (lowercase letters, digits, _ and -)'));
  if (group?.value === 'root') {
    m.ctx.report(group.node, group.path, 'root is not a read-only group (its members may already do everything); name a group of operators');
  }
  return {
    socketPath: socket?.value ?? CONTROL_DEFAULTS.socketPath,
    metricsListen: listen ? { host: listen.host.text, port: listen.port } : null,
    readonlyGroup: group?.value ?? null,
  };
}

export function readScripts(m: MapReader | undefined): { user: string } {
  const user = m?.optAt('user', matching(/^[a-z_][a-z0-9_-]{0,31}$/, 'a system user name (lowercase letters, digits, _ and -)'));
  if (user?.value === 'root') {
    m?.ctx.report(user.node, user.path, 'scripts must run as an unprivileged user, not root');
  }
  return { user: user?.value ?? SCRIPT_USER_DEFAULT };
}

export function readIpvs(m: MapReader | undefined): IpvsConfig {
  const sysctls: IpvsSysctls = {
    sloppyTcp: m?.opt('sloppy_tcp', bool) ?? null,
    sloppySctp: m?.opt('sloppy_sctp', bool) ?? null,
  };
  const t = m?.opt('timeouts', map(KEYS.ipvsTimeouts));
  if (!t) return { timeouts: IPVS_TIMEOUT_DEFAULTS, sysctls };
  const seconds = duration({ min: 1000, max: MAX_KERNEL_TIMEOUT_MS, step: 1000 });
  const get = (key: string, fallback: number): number => {
    const ms = t.opt(key, seconds);
    return ms === undefined ? fallback : ms / 1000;
  };
  return {
    timeouts: {
      tcpS: get('tcp', IPVS_TIMEOUT_DEFAULTS.tcpS),
      tcpFinS: get('tcp_fin', IPVS_TIMEOUT_DEFAULTS.tcpFinS),
      udpS: get('udp', IPVS_TIMEOUT_DEFAULTS.udpS),
    },
    sysctls,
  };
}

/** The VRID that `follow` stands for: the instance's, or the first member's of a sync group. */
function followedVrid(vrrp: VrrpSection, follow: string): number | undefined {
  const group = vrrp.config.syncGroups.find((g) => g.name === follow);
  const instanceName = group ? group.instances[0] : follow;
  return vrrp.config.instances.find((i) => i.name === instanceName)?.vrid;
}

function checkFollow(m: MapReader, follow: Located<string> | undefined, vrrp: VrrpSection): void {
  if (!follow || vrrp.instanceNames.has(follow.value) || vrrp.groupNames.has(follow.value)) return;
  const known = [...vrrp.instanceNames, ...vrrp.groupNames];
  const guess = closestMatch(follow.value, known);
  const hint = guess === null ? ` (known: ${known.join(', ') || 'none'})` : `; did you mean '${guess}'?`;
  m.ctx.report(follow.node, follow.path, `unknown VRRP instance or sync group '${follow.value}'${hint}`, `'${follow.value}'`, 'the name of a VRRP instance or sync group');
}

export function readIpvsSync(m: MapReader | undefined, vrrp: VrrpSection): IpvsSyncConfig | null {
  if (!m) return null;
  const ctx = m.ctx;
  const iface = m.req('interface', interfaceName);
  const follow = m.reqAt('follow', name);
  checkFollow(m, follow, vrrp);
  const syncIdAt = m.optAt('sync_id', int(0, 255));
  const groupAt = m.optAt('group', ip);
  const group: IpAddress = groupAt?.value ?? { text: IPVS_SYNC_DEFAULTS.group, family: 'ipv4' };
  if (groupAt && !isMulticast(groupAt.value)) {
    ctx.report(groupAt.node, groupAt.path, 'must be a multicast group address (224.0.0.0/4 or ff00::/8)', groupAt.value.text);
  }
  const port = m.opt('port', int(1, 65535)) ?? IPVS_SYNC_DEFAULTS.port;
  const ttl = m.opt('ttl', int(1, 255)) ?? IPVS_SYNC_DEFAULTS.ttl;
  const maxHeaders = SYNC_HEADERS[group.family];
  const maxLen =
    m.opt('max_len', int(1024, 65535 - maxHeaders)) ??
    (group.family === 'ipv4' ? IPVS_SYNC_DEFAULTS.maxLenV4 : IPVS_SYNC_DEFAULTS.maxLenV6);
  const backupWhileMaster = m.opt('backup_while_master', bool) ?? false;
  const vrid = follow ? followedVrid(vrrp, follow.value) : undefined;
  return {
    interface: iface ?? '',
    syncId: syncIdAt?.value ?? vrid ?? 0,
    follow: follow?.value ?? '',
    group,
    port,
    ttl,
    maxLen,
    backupWhileMaster,
  };
}
