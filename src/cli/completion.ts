/**
 * Shell completion, generated from the verb table (introspect.ts) so it covers
 * every verb and flag `--help` shows: `lvs-ha __complete bash` prints the bash
 * script the package installs, `lvs-ha __complete zsh` the same run by zsh's bashcompinit.
 * `lvs-ha __complete names KIND` asks the running daemon for names to complete
 * (virtual servers, real servers, VRRP instances) and prints nothing when it
 * does not answer (no daemon, not root).
 */
import { DEFAULT_SOCKET_PATH, requestControl } from '../control/client.js';
import type { JsonObject, JsonValue } from '../control/protocol.js';
import { flagValues, verbFlags, verbSubcommands } from './introspect.js';
import type { CliIo, Verb } from './verb.js';

const NAME_KINDS = ['virtual-servers', 'real-servers', 'instances'] as const;
type NameKind = (typeof NAME_KINDS)[number];

function objects(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? (v as readonly JsonValue[]).filter((x): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];
}

function text(v: JsonValue | undefined): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** Names of one kind in a `status` result. */
export function namesFromStatus(status: JsonObject, kind: NameKind): string[] {
  if (kind === 'instances') return objects(status.instances).map((i) => text(i.name));
  const vss = objects(status.virtual_servers);
  if (kind === 'virtual-servers') return vss.map((vs) => text(vs.name));
  const out = new Set<string>();
  for (const vs of vss) {
    for (const rs of objects(vs.real_servers)) {
      const address = text(rs.address);
      out.add(address.includes(':') ? `[${address}]:${text(rs.port)}` : `${address}:${text(rs.port)}`);
    }
  }
  return [...out];
}

/** A bash word list, quoted for a double-quoted string. */
function words(list: readonly string[]): string {
  return list.join(' ');
}

/** How bash completes the value of a flag. */
function valueAction(flag: string, placeholders: readonly string[], choices: readonly string[]): string {
  if (choices.length > 0) return `COMPREPLY=($(compgen -W "${words(choices)}" -- "$cur"))`;
  if (flag === '--virtual-server') return 'COMPREPLY=($(compgen -W "$(lvs-ha __complete names virtual-servers 2>/dev/null)" -- "$cur"))';
  if (flag === '--interface') return 'COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))';
  if (placeholders.some((p) => /FILE|PATH|\.yaml/.test(p))) return '_lvs_ha_files';
  return 'COMPREPLY=()';
}

/** Positional arguments (not a flag, not a flag's value) by verb. */
function positionalAction(verb: Verb): string | null {
  if (/Usage: lvs-ha \S+ .*\bFILE\b\s*$/m.test(verb.help)) return '_lvs_ha_files';
  if (/Usage: lvs-ha \S+ ADDRESS:PORT/.test(verb.help)) return 'COMPREPLY=($(compgen -W "$(lvs-ha __complete names real-servers 2>/dev/null)" -- "$cur"))';
  return null;
}

export function bashCompletion(verbs: readonly Verb[]): string {
  const cases = verbs.map((verb) => {
    const values = flagValues(verb);
    const valueCases = [...values].map(([flag, v]) => `        ${flag}) ${valueAction(flag, v.placeholders, v.choices)}; return ;;`);
    const positional = positionalAction(verb);
    return [
      `    ${verb.name})`,
      `      flags="${words([...verbFlags(verb), '--help'])}"`,
      `      subs="${words(verbSubcommands(verb))}"`,
      ...(valueCases.length > 0 ? ['      case $prev in', ...valueCases, '      esac'] : []),
      ...(positional === null ? [] : [`      positional='${positional.replace(/'/g, `'\\''`)}'`]),
      '      ;;',
    ].join('\n');
  });
  return `# bash completion for lvs-ha(8)
# Generated from the CLI's verb table by 'lvs-ha __complete bash': do not edit.
# Names of virtual servers and real servers come from the running daemon
# ('lvs-ha __complete names KIND'; nothing when it does not answer).

_lvs_ha_files() {
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -f -- "$cur"))
}

_lvs_ha() {
  local cur prev verb flags="" subs="" positional=""
  COMPREPLY=()
  cur=\${COMP_WORDS[COMP_CWORD]}
  prev=\${COMP_WORDS[COMP_CWORD-1]}
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${words(verbs.map((v) => v.name))} --help --version" -- "$cur"))
    return
  fi
  verb=\${COMP_WORDS[1]}
  case $verb in
${cases.join('\n')}
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ $COMP_CWORD -eq 2 && -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  elif [[ -n $positional ]]; then
    eval "$positional"
  fi
}

complete -F _lvs_ha lvs-ha
`;
}

/**
 * zsh: the bash completion through zsh's bashcompinit, embedded (no `lvs-ha` run to load it).
 * zsh autoloads this file as the function `_lvs-ha` and runs it on the first TAB: it defines
 * the bash functions, `complete` re-points lvs-ha at them for the next TABs, and the last line
 * completes this first one (without it the first TAB completed nothing).
 */
export function zshCompletion(verbs: readonly Verb[]): string {
  const bash = bashCompletion(verbs).replace(/^# bash completion for lvs-ha\(8\)\n# Generated[^\n]*\n/, '');
  return `#compdef lvs-ha
# zsh completion for lvs-ha(8): the bash completion run by zsh's bashcompinit.
# Generated from the CLI's verb table by 'lvs-ha __complete zsh': do not edit.
autoload -U +X bashcompinit && bashcompinit
${bash}
_bash_complete -F _lvs_ha "$@"
`;
}

const USAGE = 'usage: lvs-ha __complete bash | zsh | names virtual-servers|real-servers|instances [--socket PATH]\n';

/** The hidden `__complete` verb (not in `--help`, not in the man page). */
export async function runComplete(args: readonly string[], verbs: readonly Verb[], io: CliIo): Promise<number> {
  const [what, kind, ...rest] = args;
  if (what === 'bash') {
    io.stdout(bashCompletion(verbs));
    return 0;
  }
  if (what === 'zsh') {
    io.stdout(zshCompletion(verbs));
    return 0;
  }
  if (what === 'names' && (NAME_KINDS as readonly string[]).includes(kind ?? '')) {
    const socket = rest[0] === '--socket' && rest[1] !== undefined ? rest[1] : DEFAULT_SOCKET_PATH;
    try {
      const reply = await requestControl(socket, 'status', { timeoutMs: 2_000 });
      if (reply.ok) {
        const names = namesFromStatus(reply.result, kind as NameKind);
        if (names.length > 0) io.stdout(`${names.join('\n')}\n`);
      }
    } catch {
      // No daemon, or not allowed to reach it: no names.
    }
    return 0;
  }
  io.stderr(USAGE);
  return 2;
}
