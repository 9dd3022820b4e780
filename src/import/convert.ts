/**
 * keepalived.conf -> lvs-ha YAML. Parses (with includes, conditionals and
 * definitions), maps every block, emits commented YAML with a warning block,
 * and validates the result with the lvs-ha validator. Never throws.
 */
import { validateConfigText } from '../config/validate.js';
import type { ConfigLoadResult } from '../config/types.js';
import { emitYaml } from './emit.js';
import { readGlobals } from './map-global.js';
import { type FileDef, type InstanceAcc, type ProcessDef, readFileDef, readInstance, readProcess, readScript, type ScriptDef } from './map-instance.js';
import { finishInstance, finishSyncDaemon, finishSyncGroup, ipv6AddressesMode, type NameMap, readSyncGroup, vmacNamesBesides, warnVersion } from './map-vrrp.js';
import { expandGroup, vsKeys } from './map-vs-group.js';
import { finishVirtualServer, readVirtualServer, vsName, vsProtocol } from './map-vs.js';
import { emptyGlobals, type Globals, type YamlMap } from './model.js';
import { parseKeepalived, type ParseResult } from './parser.js';
import type { SourceFs } from './source.js';
import { type Finding, formatLoc, type Loc, type Stmt } from './types.js';
import { Collector, dispatch, placeholderKind, RENDER_FIRST, toName } from './values.js';

export interface ImportOptions {
  /** The Keepalived config id for `@id` lines; undefined: the router_id (see docs/migration.md). */
  readonly configId?: string | undefined;
  /** The node name when the file has no router_id (the CLI passes the hostname, Keepalived's default). */
  readonly defaultNode: string;
  /** The file name the validation issues name (the -o file, or "<stdout>"). */
  readonly outputName: string;
  /** Finds a bare program name of a script on the importing host's PATH; default: no lookup (every bare name is refused). */
  readonly resolveProgram?: ((name: string) => string | null) | undefined;
}

export type ImportResult =
  | { readonly ok: false; readonly error: Finding }
  | {
      readonly ok: true;
      readonly yaml: string;
      readonly warnings: readonly Finding[];
      /**
       * What cannot be converted, at the input line: values that are not what
       * Keepalived accepts there (placeholders of a template among them), and
       * check-config's complaints about the result, traced back to the input
       * statement they came from. Not empty: the import fails (exit 1).
       */
      readonly errors: readonly Finding[];
      readonly validation: ConfigLoadResult;
      readonly configId: string | null;
    };

interface Collected {
  readonly globals: Globals;
  readonly scripts: Map<string, ScriptDef>;
  readonly processes: Map<string, ProcessDef>;
  readonly files: Map<string, FileDef>;
  readonly instances: InstanceAcc[];
  readonly groups: ReturnType<typeof readSyncGroup>[];
  readonly virtualServers: { stmt: Stmt; acc: ReturnType<typeof readVirtualServer> }[];
  readonly vsGroups: Map<string, Stmt>;
}

function topHandlers(cx: Collector): Readonly<Record<string, (s: Stmt, c: Collected) => void>> {
  return {
    global_defs: (s, c) => { readGlobals(cx, s, c.globals); },
    vrrp_script: (s, c) => { c.scripts.set(s.args[0] ?? '', readScript(cx, s)); },
    vrrp_track_process: (s, c) => { c.processes.set(s.args[0] ?? '', readProcess(cx, s)); },
    track_file: (s, c) => { c.files.set(s.args[0] ?? '', readFileDef(cx, s)); },
    vrrp_track_file: (s, c) => { c.files.set(s.args[0] ?? '', readFileDef(cx, s)); },
    vrrp_instance: (s, c) => { c.instances.push(readInstance(cx, s)); },
    vrrp_sync_group: (s, c) => { c.groups.push(readSyncGroup(cx, s)); },
    virtual_server: (s, c) => { c.virtualServers.push({ stmt: s, acc: readVirtualServer(cx, s) }); },
    virtual_server_group: (s, c) => { c.vsGroups.set(s.args[0] ?? '', s); },
  };
}

function virtualServers(cx: Collector, c: Collected): YamlMap[] {
  const out: YamlMap[] = [];
  const usedGroups = new Set(c.virtualServers.filter((v) => v.stmt.args[0] === 'group').map((v) => v.stmt.args[1]));
  for (const [name, g] of c.vsGroups) {
    if (!usedGroups.has(name)) cx.warn(g.loc, `virtual_server_group ${name} is not used by any virtual_server; not converted`);
  }
  const used = new Map<string, number>();
  for (const { stmt, acc } of c.virtualServers) {
    const keys = stmt.args[0] === 'group' ? expandGroup(cx, stmt, c.vsGroups) : vsKeys(cx, stmt);
    if (acc.realServers.length === 0) {
      cx.warn(stmt.loc, 'virtual_server without real servers: Keepalived ignores it ("has no real servers - ignoring"), and so does the conversion');
      continue;
    }
    for (const key of keys) {
      const base = vsName(key, vsProtocol(acc));
      const n = (used.get(base) ?? 0) + 1;
      used.set(base, n);
      const vs = finishVirtualServer(cx, acc, key, n === 1 ? base : `${base}-${n}`);
      if (stmt.args[0] === 'group') cx.note(vs, `from virtual_server group ${stmt.args[1] ?? ''}`);
      out.push(vs);
    }
  }
  return out;
}

function buildRoot(cx: Collector, c: Collected, opts: ImportOptions, file: string): YamlMap {
  const names: NameMap = { instances: new Map(), vmacsBesides: vmacNamesBesides(c.instances) };
  const rid = c.globals.routerId;
  const node = toName(rid?.value ?? opts.defaultNode);
  if (rid === null) cx.warn({ file, line: 0, column: 0 }, `no router_id: node is '${node}' (this machine's hostname, Keepalived's default); set node to the director's name`);
  else if (node !== rid.value) cx.warn(rid.loc, `router_id '${rid.value}' is written as node '${node}' (lvs-ha names use letters, digits, _ . -)`);
  warnVersion(cx, c.globals, c.instances);
  const ipv6Addresses = ipv6AddressesMode(cx, c.instances);
  const instances = c.instances.map((i) => finishInstance(cx, i, c.scripts, c.globals, names, { processes: c.processes, files: c.files }));
  const groups = c.groups.map((g) => finishSyncGroup(cx, g, names)).filter((g): g is YamlMap => g !== null);
  const root: YamlMap = { node };
  if (instances.length > 0) {
    root.vrrp = {
      ...(c.globals.rtPriority === null ? {} : { realtime_priority: c.globals.rtPriority }),
      ...(ipv6Addresses === null ? {} : { ipv6_addresses: ipv6Addresses }),
      instances,
      ...(groups.length > 0 ? { sync_groups: groups } : {}),
    };
    if (ipv6Addresses !== null) cx.noteKey(root.vrrp, 'ipv6_addresses', 'for the Keepalived peer during the migration; rfc9568 (the default) once both directors run lvs-ha');
  }
  root.ipvs_sync = finishSyncDaemon(cx, c.globals, c.instances, names);
  if (c.globals.timeouts) root.ipvs = { timeouts: c.globals.timeouts };
  const vs = virtualServers(cx, c);
  if (vs.length > 0) root.virtual_servers = vs;
  if (c.globals.scriptUser !== null) root.scripts = { user: c.globals.scriptUser };
  if (instances.length === 0 && vs.length === 0) {
    cx.warn({ file, line: 0, column: 0 }, 'nothing was converted: no vrrp_instance and no virtual_server (is this the right file? its includes may not match)');
  }
  return root;
}

/**
 * Every word that is a template placeholder ({{ VIP }}, ${vip}, $LAN_IP, <ip>,
 * __VIP__) is an error at its place, whatever keyword it belongs to; bare
 * words (VIP) are found where an address or a number is read.
 */
const NOT_SCANNED = new Set(['authentication', 'auth_pass', 'notification_email', 'notification_email_from', 'smtp_helo_name', 'helo_name']);

function findPlaceholders(cx: Collector, stmts: readonly Stmt[], parent: string | null): void {
  for (const s of stmts) {
    // A url regex may well contain <tags> or $ (a pattern, not a value); a password or an e-mail address may
    // contain $ or <>, and neither is converted.
    if (NOT_SCANNED.has(s.keyword)) continue;
    const args = s.keyword.startsWith('regex') ? [] : s.args;
    const words = [{ text: s.keyword, loc: s.loc }, ...args.map((text, i) => ({ text, loc: s.argLocs[i] ?? s.loc }))];
    for (const w of words) {
      const kind = placeholderKind(w.text);
      if (kind === null) continue;
      const where = w.text === s.keyword ? (parent === null ? 'keyword' : `${parent} entry`) : s.keyword;
      cx.error(w.loc, `${where} '${w.text}': ${kind}: ${RENDER_FIRST}`);
    }
    if (s.block) findPlaceholders(cx, s.block, s.keyword);
  }
}

/** The router_id of unconditional lines, used as the default config id. */
function routerIdOf(parsed: ParseResult): string | null {
  if (!parsed.ok) return null;
  const g = parsed.stmts.find((s) => s.keyword === 'global_defs');
  return g?.block?.find((s) => s.keyword === 'router_id')?.args[0] ?? null;
}

function parseWithConfigId(path: string, fs: SourceFs, opts: ImportOptions): { parsed: ParseResult; configId: string | null } {
  if (opts.configId !== undefined) return { parsed: parseKeepalived(path, fs, { configId: opts.configId }), configId: opts.configId };
  const first = parseKeepalived(path, fs, { configId: null });
  const rid = routerIdOf(first);
  if (!first.ok || first.droppedConditionals === 0 || rid === null) return { parsed: first, configId: null };
  return { parsed: parseKeepalived(path, fs, { configId: rid }), configId: rid };
}

/** The input statement of the deepest object on a YAML path such as `virtual_servers[0].real_servers[1].address`. */
function traceToInput(cx: Collector, root: YamlMap, yamlPath: string, file: string): Loc {
  let node: unknown = root;
  let loc: Loc = cx.origins.get(root) ?? { file, line: 0, column: 0 };
  for (const part of yamlPath.split(/\.|\[(\d+)\]/).filter((p): p is string => typeof p === 'string' && p !== '')) {
    if (typeof node !== 'object' || node === null) break;
    node = (node as Record<string, unknown>)[part];
    if (typeof node === 'object' && node !== null) loc = cx.origins.get(node) ?? loc;
  }
  return loc;
}

/** Unique findings, in file and line order (whole-file findings first). */
function dedupe(list: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const sorted = [...list].sort((a, b) => a.loc.file.localeCompare(b.loc.file) || a.loc.line - b.loc.line || a.loc.column - b.loc.column);
  return sorted.filter((f) => {
    const k = `${formatLoc(f.loc)} ${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function header(path: string, warnings: readonly Finding[]): string[] {
  const lines = [`Converted from ${path} by lvs-ha import-keepalived.`, 'Review every WARNING below before use; see docs/migration.md.'];
  if (warnings.length === 0) return [...lines, 'No warnings: everything was converted.'];
  lines.push(`${warnings.length} warning${warnings.length === 1 ? '' : 's'}:`);
  for (const w of warnings) lines.push(`WARNING ${formatLoc(w.loc)}: ${w.message}`);
  return lines;
}

/** Convert a Keepalived configuration file (read through `fs`) into lvs-ha YAML. */
export function importKeepalived(path: string, fs: SourceFs, opts: ImportOptions): ImportResult {
  const { parsed, configId } = parseWithConfigId(path, fs, opts);
  if (!parsed.ok) return parsed;
  const cx = new Collector(opts.resolveProgram);
  cx.warnings.push(...parsed.warnings);
  if (parsed.droppedConditionals > 0 && configId === null) {
    cx.warn({ file: path, line: 0, column: 0 }, `${parsed.droppedConditionals} conditional line(s) (@id) do not apply with no config id (there is no unconditional router_id; pass --config-id) and were skipped`);
  }
  const c: Collected = { globals: emptyGlobals(), scripts: new Map(), processes: new Map(), files: new Map(), instances: [], groups: [], virtualServers: [], vsGroups: new Map() };
  findPlaceholders(cx, parsed.stmts, null);
  dispatch(cx, 'top', parsed.stmts, topHandlers(cx), c);
  const root = buildRoot(cx, c, opts, path);
  const warnings = dedupe(cx.warnings);
  const head = header(path, warnings);
  if (configId !== null) head.splice(1, 0, `Keepalived config id '${configId}': lines '@${configId} ...' and '@^other ...' applied.`);
  const yaml = emitYaml(root, cx, head);
  const validation = validateConfigText(yaml, opts.outputName);
  // check-config is never the first to complain: every issue it still finds is reported at the input statement the YAML came from.
  const traced = validation.ok ? [] : validation.errors.map((e) => ({ loc: traceToInput(cx, root, e.path, path), message: `${e.message}${e.found === undefined ? '' : ` (found ${e.found})`} [converted as ${e.path}]` }));
  const errors = dedupe([...cx.errors, ...(cx.errors.length > 0 ? [] : traced)]);
  if (errors.length > 0) {
    const text = emitYaml(root, cx, [...head, `${errors.length} error${errors.length === 1 ? '' : 's'} (not converted; this file does not mean what the Keepalived file meant):`, ...errors.map((e) => `ERROR ${formatLoc(e.loc)}: ${e.message}`)]);
    return { ok: true, yaml: text, warnings, errors, validation, configId };
  }
  return { ok: true, yaml, warnings, errors, validation, configId };
}

export { topHandlers };
