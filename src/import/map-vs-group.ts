/** Virtual-server keys: `IP [PORT]`, `fwmark N`, and the entries of a virtual_server_group (with address ranges). */
import { isIPv4, isIPv6 } from 'node:net';
import type { VsKey } from './map-vs.js';
import type { Loc, Stmt } from './types.js';
import { badValue, blockWords, type Collector, parseUint } from './values.js';

/** Most addresses one range entry may expand to. */
const MAX_RANGE = 256;

/** Keepalived skips such a virtual server ("Invalid virtual server IP address/port ... - skipping"): the conversion refuses it. */
const SKIPPED = 'Keepalived skips this virtual server ("Invalid virtual server IP address/port")';

function addressKey(cx: Collector, loc: Loc, address: string, portText: string | undefined, portLoc: Loc = loc): VsKey[] {
  if (!isIPv4(address) && !isIPv6(address)) {
    badValue(cx, 'virtual_server', address, 'an IP address', loc, SKIPPED);
    return [];
  }
  const port = portText === undefined ? 0 : parseUint(portText);
  if (port === null || port > 65535) {
    badValue(cx, `virtual_server ${address}`, portText ?? '', 'a port 0..65535', portLoc, SKIPPED);
    return [];
  }
  return [{ kind: 'address', address, port }];
}

function fwmarkKey(cx: Collector, loc: Loc, text: string | undefined): VsKey[] {
  const fwmark = parseUint(text);
  if (fwmark === null || fwmark < 1) {
    badValue(cx, 'fwmark', text ?? '', 'a mark 1..4294967295', loc, SKIPPED);
    return [];
  }
  return [{ kind: 'fwmark', fwmark }];
}

/** The key of `virtual_server IP [PORT] {` or `virtual_server fwmark N {`. */
export function vsKeys(cx: Collector, s: Stmt): VsKey[] {
  const [a, b] = s.args;
  if (a === undefined) {
    cx.error(s.loc, 'virtual_server without an address, fwmark or group');
    return [];
  }
  return a === 'fwmark' ? fwmarkKey(cx, s.argLocs[1] ?? s.loc, b) : addressKey(cx, s.argLocs[0] ?? s.loc, a, b, s.argLocs[1]);
}

/** `A.B.C.D-E` or `X::Y-Z` (the last part is the range end, in hex for IPv6). */
function expandRange(cx: Collector, loc: Loc, text: string): string[] {
  const dash = text.lastIndexOf('-');
  if (dash < 0) return [text];
  const start = text.slice(0, dash);
  const endText = text.slice(dash + 1);
  if (isIPv4(start)) {
    const parts = start.split('.');
    const from = Number(parts[3]);
    const to = parseUint(endText);
    if (to === null || to < from || to > 255) return bad(cx, loc, text);
    return Array.from({ length: to - from + 1 }, (_, i) => [...parts.slice(0, 3), String(from + i)].join('.'));
  }
  if (isIPv6(start) && /^[0-9a-fA-F]{1,4}$/.test(endText)) {
    const cut = start.lastIndexOf(':');
    const from = parseInt(start.slice(cut + 1) || '0', 16);
    const to = parseInt(endText, 16);
    if (to < from || to - from >= MAX_RANGE) return bad(cx, loc, text);
    return Array.from({ length: to - from + 1 }, (_, i) => `${start.slice(0, cut + 1)}${(from + i).toString(16)}`);
  }
  return bad(cx, loc, text);
}

function bad(cx: Collector, loc: Loc, text: string): string[] {
  badValue(cx, 'virtual_server_group entry', text, 'an address or address range', loc);
  return [];
}

/** The keys of `virtual_server group NAME`: one per address (ranges expanded), port and fwmark. */
export function expandGroup(cx: Collector, s: Stmt, groups: ReadonlyMap<string, Stmt>): VsKey[] {
  const name = s.args[1] ?? '';
  const g = groups.get(name);
  if (g === undefined) {
    cx.warn(s.loc, `virtual_server group ${name}: no virtual_server_group of that name; skipped`);
    return [];
  }
  cx.warn(s.loc, `virtual_server group ${name}: lvs-ha has no virtual-server groups; each entry becomes its own virtual server with the same settings and real servers`);
  const keys: VsKey[] = [];
  for (const { words, loc } of blockWords(g)) {
    const [a = '', b] = words;
    if (a === 'fwmark') {
      keys.push(...fwmarkKey(cx, loc, b));
      continue;
    }
    for (const address of expandRange(cx, loc, a)) keys.push(...addressKey(cx, loc, address, b));
  }
  return keys;
}
