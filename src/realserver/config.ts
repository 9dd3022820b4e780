/**
 * The real-server config file (e.g. /etc/lvs-ha/real-server.yaml):
 *
 *   real_server:
 *     mode: dr                 # dr | tun | nat
 *     vips: [10.0.0.100, 2001:db8::100]
 *     interfaces: [eth0]       # optional; default: every up, ARP-doing, non-loopback interface
 *     tun_type: ipip           # tun only: ipip | gre | gue
 *     gue_port: 6080           # tun with gue only
 *     gateway: 10.0.1.1        # nat only: the director's internal VIP
 *     state_file: /var/lib/lvs-ha/real-server.json
 *
 * Validated with the same located-issue machinery as the main config
 * (file:line:col, key path, did-you-mean). Pure apart from loadRealServerConfig.
 */
import { readFile } from 'node:fs/promises';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { describeError } from '../core/errors.js';
import { absolutePath, int, interfaceName, ip, listOf, map, oneOf, reportDuplicates, values } from '../config/read.js';
import { Ctx, MapReader } from '../config/reader.js';
import type { ConfigIssue, IpAddress } from '../config/types.js';
import { RS_MODES, TUN_TYPES, type RealServerSpec, type Vip } from './types.js';

export const REAL_SERVER_KEYS = ['mode', 'vips', 'interfaces', 'tun_type', 'gue_port', 'gateway', 'state_file'] as const;

export interface RealServerFileConfig {
  readonly spec: RealServerSpec;
  readonly stateFile: string | null;
}

export type RealServerConfigResult =
  | { readonly ok: true; readonly config: RealServerFileConfig }
  | { readonly ok: false; readonly errors: readonly ConfigIssue[] };

export function toVip(a: IpAddress): Vip {
  return { address: a.text, family: a.family === 'ipv4' ? 4 : 6 };
}

function readSection(ctx: Ctx, rs: MapReader): RealServerFileConfig | undefined {
  const mode = rs.req('mode', oneOf(RS_MODES));
  const vipList = rs.optAt('vips', listOf(ip));
  if (vipList) reportDuplicates(ctx, vipList.value, (v) => v.text, 'VIP');
  const ifList = rs.opt('interfaces', listOf(interfaceName));
  const tunType = rs.opt('tun_type', oneOf(TUN_TYPES));
  const guePort = rs.opt('gue_port', int(1, 65535));
  const gateway = rs.opt('gateway', ip);
  const stateFile = rs.opt('state_file', absolutePath);
  if (mode === undefined) return undefined;
  if (mode !== 'nat' && (vipList === undefined || vipList.value.length === 0)) rs.missing('vips', `mode ${mode} needs at least one VIP`);
  if (mode === 'nat' && gateway === undefined && !rs.has('gateway')) rs.missing('gateway', "mode nat checks that the default gateway is the director's internal VIP");
  if (mode !== 'tun') {
    rs.forbid('tun_type', `with mode ${mode} (only with tun)`);
    rs.forbid('gue_port', `with mode ${mode} (only with tun)`);
  } else if (tunType !== 'gue') {
    rs.forbid('gue_port', `with tun_type ${tunType ?? 'ipip'} (only with gue)`);
  } else if (guePort === undefined && !rs.has('gue_port')) {
    rs.missing('gue_port', 'tun_type gue needs the UDP port the director sends to');
  }
  if (mode !== 'nat') rs.forbid('gateway', `with mode ${mode} (only with nat)`);
  return {
    spec: {
      mode,
      vips: values(vipList?.value).map(toVip),
      tunType: tunType ?? 'ipip',
      guePort: guePort ?? null,
      interfaces: ifList === undefined ? null : values(ifList),
      gateway: gateway === undefined ? null : toVip(gateway),
    },
    stateFile: stateFile ?? null,
  };
}

/** Parse and validate the text of a real-server config file. */
export function validateRealServerConfigText(text: string, file: string): RealServerConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const ctx = new Ctx(file, text, doc, lineCounter);
  for (const e of doc.errors) ctx.report(ctx.locOfOffset(e.pos[0]), '', `YAML syntax error: ${e.message}`);
  let config: RealServerFileConfig | undefined;
  if (doc.errors.length === 0) {
    const contents = ctx.resolve(doc.contents);
    if (contents === undefined) {
      ctx.report({ line: 1, column: 1 }, '', "the file is empty; expected a mapping with 'real_server'");
    } else if (!isMap(contents)) {
      ctx.mismatch(contents, '', "a mapping with the key 'real_server'");
    } else {
      const root = new MapReader(ctx, contents, '', ['real_server']);
      const section = root.req('real_server', map(REAL_SERVER_KEYS));
      if (section) config = readSection(ctx, section);
    }
  }
  if (ctx.issues.length > 0 || config === undefined) {
    return { ok: false, errors: [...ctx.issues].sort((a, b) => a.line - b.line || a.column - b.column) };
  }
  return { ok: true, config };
}

/** Read and validate a file; never throws (an unreadable file is one issue at line 0). */
export async function loadRealServerConfig(path: string): Promise<RealServerConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : `cannot read the file: ${describeError(err)}`;
    return { ok: false, errors: [{ file: path, line: 0, column: 0, path: '', message }] };
  }
  return validateRealServerConfigText(text, path);
}
