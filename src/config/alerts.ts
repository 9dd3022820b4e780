/**
 * The `alerts` section: webhook and exec sinks for operator events.
 */
import { isMap, type Node } from 'yaml';
import { argv, duration, int, isEmptyList, listOf, map, name, oneOf, parsed, reportDuplicates, str, values } from './read.js';
import type { Ctx, Located, MapReader } from './reader.js';
import { KEYS } from './keys.js';
import type { AlertEvent, AlertSinkConfig } from './types.js';
import { parseHttpUrl } from './values.js';

export const ALERT_EVENTS: readonly AlertEvent[] = [
  'vrrp_transition',
  'real_server_down',
  'real_server_up',
  'quorum_lost',
  'quorum_restored',
  'sync_daemon_error',
  'reconcile_error',
  'vip_announced',
  'vip_withdrawn',
];

export const ALERT_DEFAULTS = { minIntervalMs: 0, timeoutMs: 5000, retries: 3 } as const;

const ONLY: Readonly<Record<string, 'webhook' | 'exec'>> = { url: 'webhook', headers: 'webhook', retries: 'webhook', command: 'exec' };

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function readHeaders(m: MapReader): Readonly<Record<string, string>> {
  const node = m.valueNode('headers');
  if (node === undefined) return {};
  const path = m.sub('headers');
  if (!isMap(node)) {
    m.ctx.mismatch(node, path, 'a mapping of header names to string values');
    return {};
  }
  const out: Record<string, string> = {};
  for (const pair of node.items) {
    const key = m.ctx.resolve(pair.key);
    const keyText = key === undefined ? undefined : str(m.ctx, key, path);
    if (key === undefined || keyText === undefined) continue;
    if (!HEADER_NAME.test(keyText)) {
      m.ctx.mismatch(key, `${path}.${keyText}`, 'an HTTP header name (letters, digits and - _ . etc.)');
      continue;
    }
    const value = m.ctx.resolve(pair.value);
    const v = value === undefined ? undefined : str(m.ctx, value, `${path}.${keyText}`);
    if (value === undefined) m.ctx.report(key, `${path}.${keyText}`, 'a header needs a value', 'nothing');
    if (v !== undefined) out[keyText] = v;
  }
  return out;
}

function readEvents(m: MapReader): AlertEvent[] {
  const list = m.opt('events', listOf(oneOf(ALERT_EVENTS)));
  if (list === undefined) return [...ALERT_EVENTS];
  reportDuplicates(m.ctx, list, (e) => e, 'event');
  if (isEmptyList(m.valueNode('events'))) {
    m.ctx.report(m.nodeFor('events'), m.sub('events'), 'must list at least one event (leave it out for all events)', 'an empty list');
  }
  return [...new Set(values(list))];
}

function readSink(ctx: Ctx, node: Node, path: string): Located<AlertSinkConfig> | undefined {
  const m = map(KEYS.alert)(ctx, node, path);
  if (!m) return undefined;
  const nameAt = m.reqAt('name', name);
  const type = m.req('type', oneOf(['webhook', 'exec'] as const));
  if (type !== undefined) {
    for (const [key, owner] of Object.entries(ONLY)) if (owner !== type) m.forbid(key, `for alert type ${type} (only for ${owner})`);
  }
  const events = readEvents(m);
  const minIntervalMs = m.opt('min_interval', duration({ min: 0, max: 86_400_000 })) ?? ALERT_DEFAULTS.minIntervalMs;
  const timeoutMs = m.opt('timeout', duration({ min: 100, max: 300_000 })) ?? ALERT_DEFAULTS.timeoutMs;
  if (type === undefined || nameAt === undefined) return undefined;
  const common = { name: nameAt.value, events, minIntervalMs, timeoutMs };
  if (type === 'webhook') {
    const url = m.req('url', parsed(parseHttpUrl));
    const retries = m.opt('retries', int(0, 20)) ?? ALERT_DEFAULTS.retries;
    const headers = readHeaders(m);
    if (url === undefined) return undefined;
    return { value: { ...common, type, url, retries, headers }, node: nameAt.node, path: nameAt.path };
  }
  const command = m.req('command', argv);
  if (command === undefined) return undefined;
  return { value: { ...common, type, command }, node: nameAt.node, path: nameAt.path };
}

export function readAlerts(root: MapReader): readonly AlertSinkConfig[] {
  const sinks = values(root.opt('alerts', listOf(readSink)));
  reportDuplicates(root.ctx, sinks, (s) => s.name, 'alert name');
  return values(sinks);
}
