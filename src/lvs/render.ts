/**
 * Rendering of IPVS tables and plans (pure): text in the shape of
 * `ipvsadm -Ln` and plan lines (`+`, `~`, `-`), and JSON forms with
 * snake_case keys for `--json` output.
 */
import type { DaemonOperation, DaemonParams } from './sync-policy.js';
import {
  destinationKeyText,
  fullNetmask,
  serviceKeyText,
  SvcFlag,
  type Destination,
  type FwdMethod,
  type Service,
  type ServiceKey,
  type Table,
} from './model.js';
import type { Operation } from './plan.js';

const FWD_LABEL: Readonly<Record<FwdMethod, string>> = {
  masq: 'Masq',
  localnode: 'Local',
  tunnel: 'Tunnel',
  droute: 'Route',
  bypass: 'Bypass',
};

/** The names of a service's flags: persistent, ops, and scheduler flags named after the scheduler. */
export function flagNames(svc: Pick<Service, 'flags' | 'scheduler'>): string[] {
  const names: string[] = [];
  if ((svc.flags & SvcFlag.PERSISTENT) !== 0) names.push('persistent');
  if ((svc.flags & SvcFlag.ONEPACKET) !== 0) names.push('ops');
  const hashed = svc.scheduler === 'sh' || svc.scheduler === 'mh';
  if ((svc.flags & SvcFlag.SCHED1) !== 0) names.push(hashed ? `${svc.scheduler}-fallback` : 'flag-1');
  if ((svc.flags & SvcFlag.SCHED2) !== 0) names.push(hashed ? `${svc.scheduler}-port` : 'flag-2');
  if ((svc.flags & SvcFlag.SCHED3) !== 0) names.push('flag-3');
  return names;
}

function keyLabel(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `FWM  ${key.fwmark}${key.family === 'ipv6' ? ' IPv6' : ''}`;
  const host = key.family === 'ipv6' ? `[${key.address}]` : key.address;
  return `${key.protocol.toUpperCase().padEnd(4)} ${host}:${key.port}`;
}

/** The scheduler and flag words of a service line: "wrr (sh-port) persistent 300 mask 255.255.255.0". */
function serviceWords(svc: Service): string {
  const words = [svc.scheduler];
  const sched = flagNames(svc).filter((n) => n !== 'persistent' && n !== 'ops');
  if (sched.length > 0) words.push(`(${sched.join(',')})`);
  if ((svc.flags & SvcFlag.PERSISTENT) !== 0) {
    words.push(`persistent ${svc.timeoutS}`);
    if (svc.netmask !== fullNetmask(svc.key.family)) words.push(`mask ${svc.netmask}`);
  }
  if ((svc.flags & SvcFlag.ONEPACKET) !== 0) words.push('ops');
  if (svc.peName !== null) words.push(`pe ${svc.peName}`);
  return words.join(' ');
}

function destLine(d: Destination): string {
  const c = d.counters;
  const cols = [
    `  -> ${destinationKeyText(d).padEnd(28)}`,
    FWD_LABEL[d.fwd].padEnd(7),
    String(d.weight).padEnd(6),
    String(c?.activeConns ?? 0).padEnd(10),
    String(c?.inactConns ?? 0),
  ];
  return cols.join(' ');
}

/** The table as `ipvsadm -Ln` shows it (services in the table's order). */
export function renderTable(table: Table): string {
  const lines = [
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
  ];
  for (const e of table.services) {
    lines.push(`${keyLabel(e.service.key)} ${serviceWords(e.service)}`);
    for (const d of e.destinations) lines.push(destLine(d));
  }
  return lines.join('\n') + '\n';
}

function destWords(d: Destination): string {
  const words = [FWD_LABEL[d.fwd].toLowerCase(), `weight ${d.weight}`];
  if (d.upperThreshold !== 0) words.push(`u_thresh ${d.upperThreshold}`);
  if (d.lowerThreshold !== 0) words.push(`l_thresh ${d.lowerThreshold}`);
  if (d.tunnel !== null) words.push(`tun ${d.tunnel.type}${d.tunnel.type === 'gue' ? ` port ${d.tunnel.port}` : ''}`);
  return words.join(' ');
}

function tunnelText(d: Destination): string {
  return d.tunnel === null ? 'none' : `${d.tunnel.type}/${d.tunnel.port}/${d.tunnel.flags}`;
}

const SERVICE_FIELD_TEXT: Readonly<Record<keyof Service, (s: Service) => string>> = {
  key: (s) => serviceKeyText(s.key),
  scheduler: (s) => s.scheduler,
  flags: (s) => flagNames(s).join(',') || 'none',
  timeoutS: (s) => `${s.timeoutS}s`,
  netmask: (s) => s.netmask,
  peName: (s) => s.peName ?? 'none',
};

const DEST_FIELD_TEXT: Readonly<Record<keyof Destination, (d: Destination) => string>> = {
  family: (d) => d.family,
  address: (d) => d.address,
  port: (d) => String(d.port),
  fwd: (d) => FWD_LABEL[d.fwd].toLowerCase(),
  weight: (d) => String(d.weight),
  upperThreshold: (d) => String(d.upperThreshold),
  lowerThreshold: (d) => String(d.lowerThreshold),
  tunnel: tunnelText,
  counters: () => '',
};

const FIELD_LABEL: Readonly<Record<string, string>> = {
  timeoutS: 'timeout',
  peName: 'pe',
  fwd: 'forward',
  upperThreshold: 'u_thresh',
  lowerThreshold: 'l_thresh',
};

function changes<T>(fields: readonly (keyof T)[], text: Readonly<Record<keyof T, (v: T) => string>>, from: T, to: T): string {
  return fields.map((f) => `${FIELD_LABEL[String(f)] ?? String(f)} ${text[f](from)} -> ${text[f](to)}`).join(', ');
}

/** One plan line: "+ service tcp 10.0.0.100:80 wrr", "~ dest tcp 10.0.0.100:80 -> 10.0.0.1:80 weight 2 -> 0". */
export function renderOperation(o: Operation): string {
  switch (o.op) {
    case 'AddService':
      return `+ service ${serviceKeyText(o.service.key)} ${serviceWords(o.service)}`;
    case 'EditService':
      return `~ service ${serviceKeyText(o.service.key)} ${changes(o.changed, SERVICE_FIELD_TEXT, o.previous, o.service)}`;
    case 'DelService':
      return `- service ${serviceKeyText(o.service.key)}`;
    case 'AddDest':
      return `+ dest ${serviceKeyText(o.service)} -> ${destinationKeyText(o.dest)} ${destWords(o.dest)}`;
    case 'EditDest':
      return `~ dest ${serviceKeyText(o.service)} -> ${destinationKeyText(o.dest)} ${changes(o.changed, DEST_FIELD_TEXT, o.previous, o.dest)}`;
    case 'DelDest':
      return `- dest ${serviceKeyText(o.service)} -> ${destinationKeyText(o.dest)}`;
  }
}

function daemonWords(p: DaemonParams): string {
  const group = p.groupFamily === 'ipv6' ? `[${p.group}]` : p.group;
  return `${p.interface} syncid ${p.syncId} ${group}:${p.port} ttl ${p.ttl} maxlen ${p.maxLen}`;
}

export function renderDaemonOperation(o: DaemonOperation): string {
  return o.op === 'StartDaemon' ? `+ sync ${o.params.state} ${daemonWords(o.params)}` : `- sync ${o.state} ${daemonWords(o.previous)}`;
}

/** A plan as text, one operation per line; "in sync" when empty. */
export function renderPlan(ops: readonly Operation[], daemonOps: readonly DaemonOperation[] = []): string {
  const lines = [...ops.map(renderOperation), ...daemonOps.map(renderDaemonOperation)];
  return lines.length === 0 ? 'in sync: no changes\n' : lines.join('\n') + '\n';
}

export function serviceKeyJson(key: ServiceKey): Record<string, unknown> {
  if (key.kind === 'fwmark') return { family: key.family, fwmark: key.fwmark };
  return { family: key.family, protocol: key.protocol, address: key.address, port: key.port };
}

export function serviceJson(s: Service): Record<string, unknown> {
  return {
    key: serviceKeyText(s.key),
    ...serviceKeyJson(s.key),
    scheduler: s.scheduler,
    flags: flagNames(s),
    persistence: (s.flags & SvcFlag.PERSISTENT) !== 0 ? { timeout_s: s.timeoutS, netmask: s.netmask } : null,
    pe_name: s.peName,
  };
}

export function destinationJson(d: Destination): Record<string, unknown> {
  return {
    key: destinationKeyText(d),
    family: d.family,
    address: d.address,
    port: d.port,
    forwarding: d.fwd,
    weight: d.weight,
    upper_threshold: d.upperThreshold,
    lower_threshold: d.lowerThreshold,
    tunnel: d.tunnel,
    ...(d.counters ? { active_conns: d.counters.activeConns, inactive_conns: d.counters.inactConns, persist_conns: d.counters.persistConns } : {}),
  };
}

export function tableJson(table: Table): { services: Record<string, unknown>[] } {
  return {
    services: table.services.map((e) => ({ ...serviceJson(e.service), destinations: e.destinations.map(destinationJson) })),
  };
}

const OP_JSON_NAME: Readonly<Record<Operation['op'], string>> = {
  AddService: 'add_service',
  EditService: 'edit_service',
  DelService: 'del_service',
  AddDest: 'add_dest',
  EditDest: 'edit_dest',
  DelDest: 'del_dest',
};

export function operationJson(o: Operation): Record<string, unknown> {
  const base = { op: OP_JSON_NAME[o.op], text: renderOperation(o) };
  switch (o.op) {
    case 'AddService':
    case 'DelService':
      return { ...base, service: serviceJson(o.service) };
    case 'EditService':
      return { ...base, service: serviceJson(o.service), previous: serviceJson(o.previous), changed: o.changed };
    case 'AddDest':
    case 'DelDest':
      return { ...base, service: serviceKeyText(o.service), dest: destinationJson(o.dest) };
    case 'EditDest':
      return { ...base, service: serviceKeyText(o.service), dest: destinationJson(o.dest), previous: destinationJson(o.previous), changed: o.changed };
  }
}

export function daemonOperationJson(o: DaemonOperation): Record<string, unknown> {
  return o.op === 'StartDaemon'
    ? { op: 'start_daemon', text: renderDaemonOperation(o), state: o.params.state, params: o.params }
    : { op: 'stop_daemon', text: renderDaemonOperation(o), state: o.state, previous: o.previous };
}

/** The `plan --json` body: in_sync, operations, daemon operations. */
export function planJson(ops: readonly Operation[], daemonOps: readonly DaemonOperation[] = []): Record<string, unknown> {
  return {
    in_sync: ops.length === 0 && daemonOps.length === 0,
    operations: ops.map(operationJson),
    sync_daemons: daemonOps.map(daemonOperationJson),
  };
}
