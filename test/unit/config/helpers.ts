/** Shared helpers for the config unit tests. */
import { expect } from 'vitest';
import type { CliIo } from '../../../src/cli/verb.js';
import { validateConfigText } from '../../../src/config/validate.js';
import type { Config, ConfigIssue } from '../../../src/config/types.js';

/** Strip the common indentation of a template literal (first line break dropped). */
export function yaml(strings: TemplateStringsArray, ...subs: unknown[]): string {
  const raw = strings.reduce((acc, s, i) => acc + s + (i < subs.length ? String(subs[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join('\n');
}

/** A minimal valid file, to which a test adds the part it exercises. */
export const BASE = 'node: director-a\n';

export function valid(text: string): Config {
  const r = validateConfigText(text, 'test.yaml');
  if (!r.ok) expect.fail(`expected a valid config, got:\n${r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`);
  return r.config;
}

export function invalid(text: string): readonly ConfigIssue[] {
  const r = validateConfigText(text, 'test.yaml');
  if (r.ok) expect.fail('expected the config to be refused');
  return r.errors;
}

/** The single issue a text produces (fails when there are zero or several). */
export function oneIssue(text: string): ConfigIssue {
  const errors = invalid(text);
  if (errors.length !== 1) expect.fail(`expected one issue, got:\n${errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`);
  const [first] = errors;
  if (!first) throw new Error('unreachable');
  return first;
}

export class FakeIo implements CliIo {
  out = '';
  err = '';
  readonly stdout = (text: string): void => {
    this.out += text;
  };
  readonly stderr = (text: string): void => {
    this.err += text;
  };
}

/** 1-based line and column where `needle` first occurs in `text` (its first character). */
export function locate(text: string, needle: string, from = 0): { line: number; column: number } {
  const at = text.indexOf(needle, from);
  if (at < 0) throw new Error(`'${needle}' not in the text`);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

/** A config with one VRRP instance; `extra` is appended to the instance mapping. */
export function withInstance(extra = '', top = ''): string {
  return `node: director-a
vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 51
      virtual_addresses: [10.0.0.100/24]
${extra.replace(/^/gm, '      ')}
${top}`;
}

/** A config with one virtual server; `extra` is appended to the virtual-server mapping. */
export function withVirtualServer(extra = '', realServers = '- { address: 10.0.0.11 }', top = ''): string {
  return `node: director-a
virtual_servers:
  - name: http
${extra.replace(/^/gm, '    ')}
    real_servers:
${realServers.replace(/^/gm, '      ')}
${top}`;
}
