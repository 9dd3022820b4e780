/**
 * The nftables table lvs-ha owns (`inet lvs_ha`), as a pure model: what the
 * config wants (chains contributed by features: fullnat's SNAT chain today, a
 * VIP filter chain later), what the kernel has (parsed from `nft -j list
 * table`), the difference, and the script that makes the kernel match.
 *
 * Ownership: only this one table is ever read or written; other tables
 * (firewalls, other programs) are never listed, changed or flushed. Inside it
 * everything is ours: a rule, chain, set or map not in the desired state is
 * drift and goes on the next apply.
 *
 * Identity: each rule carries a comment `<id> #<fingerprint>`, the
 * fingerprint a hash of the rule's text, so a live rule is matched to the
 * desired one without parsing nft's expression JSON back into rule text. A
 * rule deleted, added or replaced by hand (with another comment or none) is
 * found; a hand edit that keeps the comment verbatim is not (documented).
 *
 * Apply: the whole table in one `nft -f` transaction (add, delete, create),
 * so the kernel switches from the old rule set to the new one atomically and
 * never runs with a partial table. NAT bindings live in the connection
 * tracking entries, so established connections keep their translation.
 */
import { createHash } from 'node:crypto';

export const OWNED_FAMILY = 'inet';
export const OWNED_TABLE = 'lvs_ha';

export interface NftBaseChain {
  readonly type: 'nat' | 'filter';
  readonly hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  readonly priority: number;
  readonly policy: 'accept' | 'drop';
}

export interface NftRuleSpec {
  /** Stable identity within the chain, e.g. `fullnat web` (letters, digits, `_ .:-`). */
  readonly id: string;
  /** The rule in nft syntax, without a comment. */
  readonly text: string;
}

/** A chain, desired (rules as specs) or live (rules as read). */
export interface NftChainOf<R> {
  readonly name: string;
  /** A base chain's hook, or null for a regular chain (jumped to). */
  readonly base: NftBaseChain | null;
  readonly rules: readonly R[];
}

export type NftChainSpec = NftChainOf<NftRuleSpec>;

/** The desired table: no chains = the table should not exist. */
export interface NftTableSpec {
  readonly chains: readonly NftChainSpec[];
}

export interface LiveNftRule {
  readonly handle: number;
  readonly comment: string | null;
}

export type LiveNftChain = NftChainOf<LiveNftRule>;

export interface LiveNftTable {
  readonly chains: readonly LiveNftChain[];
  /** Sets, maps, counters, flowtables... found in the table (never ours: drift). */
  readonly otherObjects: readonly string[];
}

/** The comment that identifies a desired rule in the kernel. */
export function ruleComment(rule: NftRuleSpec): string {
  const fp = createHash('sha256').update(rule.text).digest('hex').slice(0, 12);
  return `${rule.id} #${fp}`;
}

const CHAIN_NAME = /^[a-z][a-z0-9_]{0,30}$/;
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_ .:-]{0,80}$/;

/** Refuses chain names and rule ids the renderer cannot write safely (a bug, not input). */
export function checkSpec(spec: NftTableSpec): void {
  const names = new Set<string>();
  for (const c of spec.chains) {
    if (!CHAIN_NAME.test(c.name)) throw new Error(`nft: bad chain name ${JSON.stringify(c.name)}`);
    if (names.has(c.name)) throw new Error(`nft: chain ${c.name} contributed twice`);
    names.add(c.name);
    const ids = new Set<string>();
    for (const r of c.rules) {
      if (!RULE_ID.test(r.id)) throw new Error(`nft: bad rule id ${JSON.stringify(r.id)}`);
      if (ids.has(r.id)) throw new Error(`nft: rule ${r.id} twice in chain ${c.name}`);
      if (/[\n;#]/.test(r.text)) throw new Error(`nft: rule ${r.id}: text must not contain newlines, ; or #`);
      ids.add(r.id);
    }
  }
}

// ---- reading `nft -j list table inet lvs_ha` ----

type Json = unknown;

function obj(x: Json): Record<string, Json> | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, Json>) : null;
}

const HOOKS = new Set(['prerouting', 'input', 'forward', 'output', 'postrouting']);

function baseOf(c: Record<string, Json>): NftBaseChain | null {
  if (typeof c.hook !== 'string') return null;
  const type = c.type === 'nat' || c.type === 'filter' ? c.type : null;
  const hook = HOOKS.has(c.hook) ? (c.hook as NftBaseChain['hook']) : null;
  const policy = c.policy === 'drop' ? 'drop' : 'accept';
  if (type === null || hook === null || typeof c.prio !== 'number') {
    // A kind of base chain we never create: keep it distinguishable so it is replaced.
    return { type: 'filter', hook: 'prerouting', priority: Number.NaN, policy };
  }
  return { type, hook, priority: c.prio, policy };
}

/**
 * Parses nft's JSON listing of the owned table. Throws on output that is not
 * nft's JSON schema (the run fails and nothing is applied).
 */
export function parseNftJson(text: string): LiveNftTable {
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`nft -j: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const items = obj(doc)?.nftables;
  if (!Array.isArray(items)) throw new Error('nft -j: no "nftables" array');
  const chains = new Map<string, { base: NftBaseChain | null; rules: LiveNftRule[] }>();
  const rules: { chain: string; rule: LiveNftRule }[] = [];
  const otherObjects: string[] = [];
  for (const item of items) {
    const o = obj(item);
    if (!o) throw new Error('nft -j: an item is not an object');
    const [kind] = Object.keys(o);
    const body = kind === undefined ? null : obj(o[kind]);
    if (kind === 'metainfo' || kind === 'table') continue;
    if (body === null) throw new Error(`nft -j: item ${String(kind)} is not an object`);
    if (kind === 'chain') {
      if (typeof body.name !== 'string') throw new Error('nft -j: a chain without a name');
      chains.set(body.name, { base: baseOf(body), rules: [] });
    } else if (kind === 'rule') {
      if (typeof body.chain !== 'string' || typeof body.handle !== 'number') throw new Error('nft -j: a rule without chain or handle');
      rules.push({ chain: body.chain, rule: { handle: body.handle, comment: typeof body.comment === 'string' ? body.comment : null } });
    } else {
      otherObjects.push(`${kind} ${typeof body.name === 'string' ? body.name : '?'}`);
    }
  }
  for (const { chain, rule } of rules) chains.get(chain)?.rules.push(rule);
  return { chains: [...chains].map(([name, c]) => ({ name, base: c.base, rules: c.rules })), otherObjects };
}

// ---- the difference ----

export type NftChange =
  | { readonly kind: 'add-table' }
  | { readonly kind: 'delete-table' }
  | { readonly kind: 'add-chain'; readonly chain: string }
  | { readonly kind: 'delete-chain'; readonly chain: string }
  | { readonly kind: 'change-chain'; readonly chain: string; readonly from: NftBaseChain | null; readonly to: NftBaseChain | null }
  | { readonly kind: 'add-rule'; readonly chain: string; readonly id: string; readonly text: string }
  | { readonly kind: 'delete-rule'; readonly chain: string; readonly comment: string | null; readonly handle: number }
  | { readonly kind: 'reorder'; readonly chain: string }
  | { readonly kind: 'delete-object'; readonly what: string };

function sameBase(a: NftBaseChain | null, b: NftBaseChain | null): boolean {
  if (a === null || b === null) return a === b;
  return a.type === b.type && a.hook === b.hook && a.priority === b.priority && a.policy === b.policy;
}

/** What differs between the live table (null = absent) and the desired one; empty = in sync. */
export function diffNftTable(live: LiveNftTable | null, desired: NftTableSpec): NftChange[] {
  if (desired.chains.length === 0) return live === null ? [] : [{ kind: 'delete-table' }];
  const out: NftChange[] = [];
  if (live === null) out.push({ kind: 'add-table' });
  const liveChains = new Map((live?.chains ?? []).map((c) => [c.name, c]));
  for (const want of desired.chains) {
    const have = liveChains.get(want.name);
    if (!have) {
      out.push({ kind: 'add-chain', chain: want.name });
      for (const r of want.rules) out.push({ kind: 'add-rule', chain: want.name, id: r.id, text: r.text });
      continue;
    }
    if (!sameBase(have.base, want.base)) out.push({ kind: 'change-chain', chain: want.name, from: have.base, to: want.base });
    const wanted = want.rules.map(ruleComment);
    const present = new Set(have.rules.map((r) => r.comment));
    want.rules.forEach((r, i) => {
      if (!present.has(wanted[i] ?? '')) out.push({ kind: 'add-rule', chain: want.name, id: r.id, text: r.text });
    });
    const wantedSet = new Set(wanted);
    const seen = new Set<string>();
    for (const r of have.rules) {
      // A rule not wanted, or a second copy of a wanted one, goes.
      if (r.comment === null || !wantedSet.has(r.comment) || seen.has(r.comment)) {
        out.push({ kind: 'delete-rule', chain: want.name, comment: r.comment, handle: r.handle });
      } else {
        seen.add(r.comment);
      }
    }
    const kept = have.rules.map((r) => r.comment).filter((c): c is string => c !== null && wantedSet.has(c));
    const order = wanted.filter((c) => kept.includes(c));
    if (kept.length === order.length && kept.some((c, i) => c !== order[i])) out.push({ kind: 'reorder', chain: want.name });
  }
  const desiredNames = new Set(desired.chains.map((c) => c.name));
  for (const c of live?.chains ?? []) if (!desiredNames.has(c.name)) out.push({ kind: 'delete-chain', chain: c.name });
  for (const what of live?.otherObjects ?? []) out.push({ kind: 'delete-object', what });
  return out;
}

// ---- rendering ----

function baseText(b: NftBaseChain): string {
  return `type ${b.type} hook ${b.hook} priority ${String(b.priority)}; policy ${b.policy};`;
}

/** The table in nft syntax (rules with their identifying comments). */
export function renderNftTable(desired: NftTableSpec): string {
  const lines = [`table ${OWNED_FAMILY} ${OWNED_TABLE} {`];
  for (const c of desired.chains) {
    lines.push(`\tchain ${c.name} {`);
    if (c.base) lines.push(`\t\t${baseText(c.base)}`);
    for (const r of c.rules) lines.push(`\t\t${r.text} comment "${ruleComment(r)}"`);
    lines.push('\t}');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * One nft transaction that replaces the owned table whole (or removes it when
 * nothing is desired). `add table` first makes `delete table` valid whether
 * the table exists or not; nft applies the file atomically.
 */
export function nftApplyScript(desired: NftTableSpec): string {
  checkSpec(desired);
  const reset = `add table ${OWNED_FAMILY} ${OWNED_TABLE}\ndelete table ${OWNED_FAMILY} ${OWNED_TABLE}\n`;
  return desired.chains.length === 0 ? reset : reset + renderNftTable(desired);
}

/** One line per change, in the style of the IPVS plan (+ add, - delete, ~ change). */
export function renderNftChanges(changes: readonly NftChange[]): string {
  const t = `${OWNED_FAMILY} ${OWNED_TABLE}`;
  return changes.map((c) => {
    switch (c.kind) {
      case 'add-table': return `+ nft table ${t}\n`;
      case 'delete-table': return `- nft table ${t}\n`;
      case 'add-chain': return `+ nft chain ${c.chain}\n`;
      case 'delete-chain': return `- nft chain ${c.chain} (not lvs-ha's)\n`;
      case 'change-chain': return `~ nft chain ${c.chain}: ${c.from ? baseText(c.from) : 'regular'} -> ${c.to ? baseText(c.to) : 'regular'}\n`;
      case 'add-rule': return `+ nft rule ${c.chain} ${c.id}: ${c.text}\n`;
      case 'delete-rule': return `- nft rule ${c.chain} handle ${String(c.handle)}${c.comment === null ? ' (no comment: not lvs-ha\'s)' : ` (${c.comment})`}\n`;
      case 'reorder': return `~ nft chain ${c.chain}: rule order\n`;
      case 'delete-object': return `- nft ${c.what} (not lvs-ha's)\n`;
    }
  }).join('');
}

export function nftChangesJson(changes: readonly NftChange[]): Record<string, unknown>[] {
  return changes.map((c) => ({ ...c }));
}
