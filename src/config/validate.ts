/**
 * Text in, typed immutable Config (or every located issue) out. Pure: no
 * file system, no clock, no logging.
 */
import { isMap, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { readAlerts } from './alerts.js';
import { deepFreeze } from './freeze.js';
import { KEYS } from './keys.js';
import { map, name } from './read.js';
import { Ctx, MapReader } from './reader.js';
import { readEcmp } from './ecmp.js';
import { readControl, readIpvs, readIpvsSync, readScripts } from './sections.js';
import { closestMatch } from './suggest.js';
import type { Config, ConfigIssue, ConfigLoadResult } from './types.js';
import { readVirtualServers, type VirtualServersSection } from './virtual-servers.js';
import { readVrrp, type VrrpSection } from './vrrp.js';

/** YAML problems that leave a usable tree: validation goes on after them. */
const RECOVERABLE = new Set(['DUPLICATE_KEY']);

function yamlIssue(ctx: Ctx, text: string, e: YAMLError): void {
  const at = ctx.locOfOffset(e.pos[0]);
  if (e.code === 'DUPLICATE_KEY') {
    const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*?)\s*:/.exec(text.slice(e.pos[0]))?.[1] ?? text.slice(e.pos[0], e.pos[1]);
    ctx.report(at, '', `duplicate key '${key}' (each key may appear once in a mapping)`, `'${key}'`);
    return;
  }
  ctx.report(at, '', `YAML ${e.name === 'YAMLWarning' ? 'problem' : 'syntax error'}: ${e.message}`);
}

function checkTrackedVirtualServers(ctx: Ctx, vrrp: VrrpSection, vs: VirtualServersSection): void {
  const known = [...vs.names];
  for (const ref of vrrp.trackedVirtualServers) {
    if (vs.names.has(ref.value)) continue;
    const guess = closestMatch(ref.value, known);
    const hint = guess === null ? ` (virtual servers: ${known.join(', ') || 'none'})` : `; did you mean '${guess}'?`;
    ctx.report(ref.node, ref.path, `unknown virtual server '${ref.value}'${hint}`, `'${ref.value}'`, 'the name of a virtual server');
  }
}

function checkSyncAgainstServices(ctx: Ctx, vs: VirtualServersSection): void {
  for (const rs of vs.mixedFamily) {
    ctx.report(rs.node, rs.path, `the kernel refuses a real server of another family than its service while connection sync runs (ipvs_sync is set); use a ${rs.value.family === 'ipv4' ? 'IPv6' : 'IPv4'} real server or remove ipvs_sync`, rs.value.text);
  }
}

function readRoot(ctx: Ctx, root: MapReader): Config {
  const node = root.req('node', name);
  const vrrp = readVrrp(root.opt('vrrp', map(KEYS.vrrp)));
  const ipvsSync = readIpvsSync(root.opt('ipvs_sync', map(KEYS.ipvsSync)), vrrp);
  const vs = readVirtualServers(root);
  checkTrackedVirtualServers(ctx, vrrp, vs);
  if (ipvsSync) checkSyncAgainstServices(ctx, vs);
  return {
    node: node ?? '',
    control: readControl(root.opt('control', map(KEYS.control))),
    vrrp: vrrp.config,
    ipvsSync,
    ipvs: readIpvs(root.opt('ipvs', map(KEYS.ipvs))),
    virtualServers: vs.config,
    scripts: readScripts(root.opt('scripts', map(KEYS.scripts))),
    alerts: readAlerts(root),
    ecmp: readEcmp(root.opt('ecmp', map(KEYS.ecmp)), vs.config, vrrp.config),
  };
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.column - b.column;
}

/**
 * Parse and validate config text. `fileName` is only used in the issues.
 * Every problem is reported, each with its line and column (1-based).
 */
export function validateConfigText(text: string, fileName: string): ConfigLoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true });
  const ctx = new Ctx(fileName, text, doc, lineCounter);
  for (const e of [...doc.errors, ...doc.warnings]) yamlIssue(ctx, text, e);
  const fatal = doc.errors.some((e) => !RECOVERABLE.has(e.code));
  let config: Config | undefined;
  if (!fatal) {
    const contents = ctx.resolve(doc.contents);
    if (contents === undefined) {
      ctx.report({ line: 1, column: 1 }, '', "the file is empty; expected a mapping with at least 'node'");
    } else if (!isMap(contents)) {
      ctx.mismatch(contents, '', "a mapping of top-level keys (node, vrrp, virtual_servers, ...)");
    } else {
      config = readRoot(ctx, new MapReader(ctx, contents, '', KEYS.top));
    }
  }
  if (ctx.issues.length > 0 || config === undefined) {
    return { ok: false, file: fileName, errors: [...ctx.issues].sort(byPosition) };
  }
  return { ok: true, file: fileName, config: deepFreeze(config) };
}
