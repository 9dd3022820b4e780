/**
 * The state file: what `up` changed (previous value of every sysctl it wrote,
 * every address it added, every device it raised, every GUE port it opened),
 * so `down` can undo exactly that. Decoding never throws.
 */
import { refused, decoded, type DecodeResult } from '../core/errors.js';
import type { Action, AddressRecord } from './plan.js';

export const DEFAULT_STATE_FILE = '/var/lib/lvs-ha/real-server.json';

export interface SysctlChange {
  readonly key: string;
  /** The value before the first `up` that changed it. */
  readonly previous: number;
  /** The value `up` wrote. */
  readonly value: number;
}

export interface RealServerState {
  readonly version: 1;
  readonly sysctls: readonly SysctlChange[];
  readonly addresses: readonly AddressRecord[];
  readonly linksUp: readonly string[];
  readonly fouPorts: readonly number[];
}

export const EMPTY_STATE: RealServerState = { version: 1, sysctls: [], addresses: [], linksUp: [], fouPorts: [] };

/** The state after `applied` ran on top of `state`: a key changed twice keeps its first previous value. */
export function recordApplied(state: RealServerState, applied: readonly Action[]): RealServerState {
  const sysctls = [...state.sysctls];
  const addresses = [...state.addresses];
  const linksUp = [...state.linksUp];
  const fouPorts = [...state.fouPorts];
  for (const a of applied) {
    if (a.kind === 'set-sysctl') {
      const i = sysctls.findIndex((s) => s.key === a.key);
      const earlier = sysctls[i];
      if (earlier === undefined) sysctls.push({ key: a.key, previous: a.previous, value: a.value });
      else sysctls[i] = { ...earlier, value: a.value };
    } else if (a.kind === 'add-address') {
      if (!addresses.some((x) => x.ifname === a.address.ifname && x.address === a.address.address)) addresses.push(a.address);
    } else if (a.kind === 'link-up') {
      if (!linksUp.includes(a.ifname)) linksUp.push(a.ifname);
    } else if (a.kind === 'fou-add') {
      if (!fouPorts.includes(a.port)) fouPorts.push(a.port);
    }
  }
  return { version: 1, sysctls, addresses, linksUp, fouPorts };
}

export function encodeState(state: RealServerState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSysctlChange(v: unknown): v is SysctlChange {
  return isRecord(v) && typeof v.key === 'string' && /^net\/[\w./-]+$/.test(v.key) && !v.key.includes('..')
    && Number.isInteger(v.previous) && Number.isInteger(v.value);
}

function isAddressRecord(v: unknown): v is AddressRecord {
  return isRecord(v) && typeof v.ifname === 'string' && typeof v.address === 'string'
    && (v.family === 4 || v.family === 6) && Number.isInteger(v.prefixLength);
}

function arrayOf<T>(v: unknown, check: (x: unknown) => x is T): T[] | undefined {
  return Array.isArray(v) && v.every(check) ? v : undefined;
}

const isString = (x: unknown): x is string => typeof x === 'string';
const isPort = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0 && (x as number) < 65536;

export function decodeState(text: string): DecodeResult<RealServerState> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return refused(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isRecord(raw) || raw.version !== 1) return refused('not a version 1 real-server state');
  const sysctls = arrayOf(raw.sysctls, isSysctlChange);
  const addresses = arrayOf(raw.addresses, isAddressRecord);
  const linksUp = arrayOf(raw.linksUp, isString);
  const fouPorts = arrayOf(raw.fouPorts, isPort);
  if (!sysctls) return refused("'sysctls' must be a list of { key, previous, value }");
  if (!addresses) return refused("'addresses' must be a list of { ifname, address, family, prefixLength }");
  if (!linksUp || !fouPorts) return refused("'linksUp' and 'fouPorts' must be lists");
  return decoded({ version: 1, sysctls, addresses, linksUp, fouPorts });
}
