/**
 * The human view of a `status` result: aligned `key: value` lines, then the
 * VRRP instances, the virtual servers and the ECMP announcements as tables
 * (./status-tables.ts).
 * Pure. Other sections are shown as compact JSON on their line.
 */
import type { JsonObject, JsonValue } from './protocol.js';
import { announceTable, instancesTable, virtualServersTable } from './status-tables.js';

/** Sections shown as tables after the key: value lines (instances first). */
const TABLE_SECTIONS = ['instances', 'virtual_servers', 'announce'] as const;

const CORE_LABELS: readonly (readonly [string, string])[] = [
  ['node', 'node'],
  ['config_path', 'config path'],
  ['loaded_at', 'loaded at'],
  ['started_at', 'started at'],
  ['uptime_s', 'uptime'],
  ['reload_count', 'reload count'],
  ['last_reload_error', 'last reload error'],
  ['pid', 'pid'],
  ['version', 'version'],
];

/** 3725.2 -> "1h 2m 5s" */
export function formatUptime(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [d > 0 ? `${d}d` : '', d + h > 0 ? `${h}h` : '', d + h + m > 0 ? `${m}m` : '', `${s}s`];
  return parts.filter((p) => p !== '').join(' ');
}

function scalar(value: JsonValue | undefined): string {
  if (value === undefined) return '-';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function isObject(value: JsonValue | undefined): value is Readonly<Record<string, JsonValue>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reloadErrorLines(value: JsonValue | undefined): { head: string; rest: string[] } {
  if (value === null || value === undefined) return { head: 'none', rest: [] };
  if (!isObject(value)) return { head: scalar(value), rest: [] };
  const head = `${scalar(value.at)} ${scalar(value.message)}`;
  const errors = Array.isArray(value.errors) ? value.errors : [];
  const rest = errors.map((e: JsonValue) => {
    if (!isObject(e)) return `  ${scalar(e)}`;
    const path = typeof e.path === 'string' && e.path !== '' ? ` ${e.path}:` : '';
    // Line 0: the issue is about the file as a whole (missing, unreadable).
    const where = e.line === 0 ? scalar(e.file) : `${scalar(e.file)}:${scalar(e.line)}:${scalar(e.column)}`;
    return `  ${where}:${path} ${scalar(e.message)}`;
  });
  return { head, rest };
}

export function renderStatus(result: JsonObject): string {
  const rows: [string, string][] = [];
  const trailing: string[] = [];
  for (const [key, label] of CORE_LABELS) {
    const value = result[key];
    if (key === 'uptime_s' && typeof value === 'number') {
      rows.push([label, `${formatUptime(value)} (${value} s)`]);
    } else if (key === 'last_reload_error') {
      const { head, rest } = reloadErrorLines(value);
      rows.push([label, head]);
      trailing.push(...rest);
    } else {
      rows.push([label, scalar(value)]);
    }
  }
  const skip = new Set<string>([...CORE_LABELS.map(([key]) => key), ...TABLE_SECTIONS]);
  for (const [key, value] of Object.entries(result)) {
    if (!skip.has(key)) rows.push([key.replaceAll('_', ' '), scalar(value)]);
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  const lines = rows.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`);
  if (trailing.length > 0) lines.push('reload errors:', ...trailing);
  if ('instances' in result) lines.push('', ...instancesTable(result.instances));
  if ('virtual_servers' in result) lines.push('', ...virtualServersTable(result.virtual_servers));
  const announce = announceTable(result.announce);
  if (announce.length > 0) lines.push('', ...announce);
  return `${lines.join('\n')}\n`;
}
