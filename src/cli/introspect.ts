/**
 * What the verb table says about the command line, read from each verb's own
 * help text: its flags and its subcommands. The man page (manpage.ts) and the
 * shell completion (completion.ts) are built from this, so neither can drift
 * from what `lvs-ha VERB --help` prints.
 */
import type { Verb } from './verb.js';

/** The lines of a verb's help that describe its command line: Usage lines and option lines. */
function synopsisLines(help: string): string[] {
  const out: string[] = [];
  for (const line of help.split('\n')) {
    if (line.startsWith('Usage: ') || /^\s+lvs-ha /.test(line)) out.push(line);
    // An option line: "  -o, --output OUT.yaml  description": only the part before the description.
    else if (/^\s{1,4}(-[a-zA-Z], )?--?[a-zA-Z]/.test(line)) out.push(line.trim().split(/\s{2,}/)[0] ?? '');
  }
  return out;
}

/** Every flag the verb takes (`--json`, `-o`, ...), in the order its help first names them. */
export function verbFlags(verb: Verb): string[] {
  const seen = new Set<string>();
  for (const line of synopsisLines(verb.help)) {
    for (const m of line.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])/g)) seen.add(m[1] ?? '');
  }
  return [...seen];
}

/** The verb's subcommands (`lab up`, `maintenance on`), from Usage lines such as `lvs-ha lab up ...` or `lvs-ha maintenance on|off`. */
export function verbSubcommands(verb: Verb): string[] {
  const seen = new Set<string>();
  for (const line of synopsisLines(verb.help)) {
    const m = new RegExp(`lvs-ha ${verb.name} ([a-z][a-z-]*(?:\\|[a-z][a-z-]*)*)(?:\\s|$)`).exec(line);
    for (const word of m?.[1]?.split('|') ?? []) seen.add(word);
  }
  return [...seen];
}

/** What the value of a flag is, from the help: a placeholder (FILE, PATH, NAME, ...) and the choices when it lists them (`--mode dr|nat|tun`). */
export interface FlagValue {
  readonly placeholders: readonly string[];
  readonly choices: readonly string[];
}

/** The flags that take a value (the next word), e.g. `--socket PATH`, `-o OUT.yaml`, `--mode dr|tun`. */
export function flagValues(verb: Verb): Map<string, FlagValue> {
  const values = new Map<string, { placeholders: Set<string>; choices: Set<string> }>();
  for (const line of synopsisLines(verb.help)) {
    for (const m of line.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])[ =]([A-Z][A-Z0-9_.:a-z]*|[a-z]+(?:\|[a-z]+)+)/g)) {
      const flag = m[1] ?? '';
      const value = m[2] ?? '';
      const entry = values.get(flag) ?? { placeholders: new Set<string>(), choices: new Set<string>() };
      if (value.includes('|')) for (const c of value.split('|')) entry.choices.add(c);
      else entry.placeholders.add(value);
      values.set(flag, entry);
    }
  }
  return new Map([...values].map(([flag, e]) => [flag, { placeholders: [...e.placeholders], choices: [...e.choices] }]));
}
