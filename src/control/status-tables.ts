/**
 * The tables of the human `status` view (pure): VRRP instances first, then
 * each virtual server with its real servers like `ipvsadm -Ln`, with the
 * configured weight, health and drain beside the kernel's numbers.
 */
import type { JsonObject, JsonValue } from './protocol.js';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objects(value: JsonValue | undefined): JsonObject[] {
  return Array.isArray(value) ? (value as readonly JsonValue[]).filter(isObject) : [];
}

function cell(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Left-aligned columns separated by two spaces. */
export function columns(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((row) => indent + row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export function instancesTable(value: JsonValue | undefined): string[] {
  const list = objects(value);
  if (list.length === 0) return ['instances: none'];
  const rows = [['NAME', 'STATE', 'PRIO', 'EFFECTIVE', 'INTERFACE', 'VRID', 'MASTER', 'VIPS']];
  for (const i of list) {
    const vips = Array.isArray(i.virtual_addresses) ? (i.virtual_addresses as readonly JsonValue[]).map(cell).join(',') : '-';
    // virtual_addresses_excluded: managed like the VIPs, not in adverts.
    const excluded = Array.isArray(i.virtual_addresses_excluded) && i.virtual_addresses_excluded.length > 0 ? ` excluded:${(i.virtual_addresses_excluded as readonly JsonValue[]).map(cell).join(',')}` : '';
    rows.push([cell(i.name), cell(i.state), cell(i.priority), cell(i.effective_priority), cell(i.interface), cell(i.vrid), cell(i.master_address), vips + excluded]);
  }
  return ['instances:', ...columns(rows, '  ')];
}

const FWD: Readonly<Record<string, string>> = { dr: 'Route', nat: 'Masq', tun: 'Tunnel', local: 'Local', bypass: 'Bypass' };

function hostPort(address: JsonValue | undefined, port: JsonValue | undefined): string {
  const a = cell(address);
  return `${a.includes(':') ? `[${a}]` : a}:${cell(port)}`;
}

export function virtualServersTable(value: JsonValue | undefined): string[] {
  const list = objects(value);
  if (list.length === 0) return ['virtual servers: none'];
  // Real-server rows share one set of columns; each service line is printed as it is.
  const rows: string[][] = [['-> RemoteAddress:Port', 'Forward', 'Weight', 'Cfg', 'ActiveConn', 'InActConn', 'Health']];
  const serviceLines: { before: number; line: string }[] = [];
  for (const vs of list) {
    const quorum = isObject(vs.quorum) ? cell(vs.quorum.state) : '-';
    const kernel = vs.in_kernel === false ? ' (not in kernel)' : '';
    serviceLines.push({ before: rows.length, line: `  ${cell(vs.service)} ${cell(vs.scheduler)}${kernel}  (${cell(vs.name)}, quorum ${quorum})` });
    for (const rs of objects(vs.real_servers)) {
      const health = `${cell(rs.health)}${rs.drained === true ? ' drained' : ''}`;
      const fwd = typeof rs.forwarding === 'string' ? (FWD[rs.forwarding] ?? rs.forwarding) : '-';
      rows.push([`-> ${hostPort(rs.address, rs.port)}`, fwd, cell(rs.weight), cell(rs.configured_weight), cell(rs.active_conns), cell(rs.inactive_conns), health]);
    }
  }
  const aligned = columns(rows, '    ');
  const out = ['virtual servers:', '  Service Scheduler  (name, quorum)', ...aligned.slice(0, 1)];
  serviceLines.forEach((s, i) => {
    const end = serviceLines[i + 1]?.before ?? rows.length;
    out.push(s.line, ...aligned.slice(s.before, end));
  });
  return out;
}

/** The ECMP announcements: one row per VIP (announced or withdrawn, since, why); none without an ecmp section. */
export function announceTable(value: JsonValue | undefined): string[] {
  if (!isObject(value)) return [];
  const m = isObject(value.maintenance) ? value.maintenance : {};
  const drain = isObject(m.drain) ? `, drain ${cell(m.drain.state)}` : '';
  const head = `ECMP announcements (table ${cell(value.route_table)}, protocol ${cell(value.route_protocol)}, device ${cell(value.device)}; maintenance ${m.on === true ? 'on' : 'off'}${drain})`;
  const rows = [['VIP', 'STATE', 'SINCE', 'WHY'], ...objects(value.vips).map((v) => [cell(v.address), cell(v.state), cell(v.since), cell(v.reason)])];
  const errors = [value.last_error, value.conflict].filter((e): e is string => typeof e === 'string').map((e) => `  ! ${e}`);
  return [head, ...columns(rows, '  '), ...errors];
}
