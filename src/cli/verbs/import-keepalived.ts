import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { formatIssue } from '../../config/format.js';
import { describeError, UsageError } from '../../core/errors.js';
import { importKeepalived } from '../../import/convert.js';
import { nodeSourceFs, whichOnPath } from '../../import/source.js';
import { formatLoc } from '../../import/types.js';
import type { CliIo, Verb } from '../verb.js';

const HELP = `Usage: lvs-ha import-keepalived [-o OUT.yaml] [--config-id ID] FILE

Convert a Keepalived configuration (keepalived.conf, with its includes) into
an lvs-ha configuration, and check the result like check-config does.

  FILE may be gzip-compressed (.gz). Includes are resolved relative to the
  directory of the file that includes them; globs are expanded.

  Output: the YAML on stdout, or in OUT.yaml with -o. It starts with a comment
  block listing every WARNING (a Keepalived setting without an lvs-ha
  equivalent, or converted with a changed meaning) with its file and line;
  the same warnings go to stderr.

  Exit status:
    0  converted, and the result passes check-config (warnings may exist)
    1  FILE cannot be read or parsed, or something it asks for cannot be
       converted: a value Keepalived would not accept there, a template
       placeholder ({{ VIP }}, \${vip}, $LAN_IP, <ip>, __VIP__, or a bare word
       where an address or number belongs: render the template first), a
       program not found on this host's PATH, or a result check-config
       refuses. Every error names the input FILE:LINE:COLUMN. The output is
       still written, with the errors listed in its header.

Options:
  -o, --output OUT.yaml  write the YAML there instead of stdout
  --config-id ID         the Keepalived config id for '@ID' lines (keepalived -i);
                         default: the router_id of the unconditional lines
  --node NAME            the node name when FILE has no router_id
                         (default: this machine's hostname, like Keepalived)

See docs/migration.md for the key-by-key mapping.`;

interface Args {
  file: string;
  out: string | null;
  configId: string | undefined;
  node: string | undefined;
}

function parseArgs(args: readonly string[]): Args {
  const files: string[] = [];
  const parsed: Args = { file: '', out: null, configId: undefined, node: undefined };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '-o' || a === '--output') parsed.out = value();
    else if (a === '--config-id') parsed.configId = value();
    else if (a === '--node') parsed.node = value();
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else files.push(a);
  }
  const [file, extra] = files;
  if (file === undefined) throw new UsageError('missing FILE');
  if (extra !== undefined) throw new UsageError(`expected one FILE, got ${files.length}`);
  parsed.file = file;
  return parsed;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  const outputName = args.out ?? '<stdout>';
  const result = importKeepalived(resolve(args.file), nodeSourceFs, {
    configId: args.configId,
    defaultNode: args.node ?? (hostname().split('.')[0] ?? 'director'),
    outputName,
    resolveProgram: (name) => whichOnPath(name),
  });
  if (!result.ok) {
    io.stderr(`${formatLoc(result.error.loc)}: error: ${result.error.message}\n`);
    return 1;
  }
  for (const w of result.warnings) io.stderr(`${formatLoc(w.loc)}: warning: ${w.message}\n`);
  if (args.out === null) {
    io.stdout(result.yaml);
  } else {
    try {
      await writeFile(args.out, result.yaml, { mode: 0o644 });
    } catch (err) {
      io.stderr(`${args.out}: cannot write: ${describeError(err)}\n`);
      return 1;
    }
  }
  const n = result.warnings.length;
  if (result.errors.length > 0) {
    for (const e of result.errors) io.stderr(`${formatLoc(e.loc)}: error: ${e.message}\n`);
    const also = result.validation.ok ? '' : ` (check-config on ${outputName}: ${result.validation.errors.length} problem(s): ${result.validation.errors.map((issue) => formatIssue(issue)).join('; ')})`;
    io.stderr(`${args.file}: not converted: ${result.errors.length} error(s) above, each at its input line${also}\n`);
    return 1;
  }
  io.stderr(`${args.file}: converted with ${n} ${n === 1 ? 'warning' : 'warnings'}; the result passes check-config\n`);
  return 0;
}

export const importKeepalivedVerb: Verb = {
  name: 'import-keepalived',
  summary: 'convert a keepalived.conf into an lvs-ha configuration, listing what does not map',
  help: HELP,
  run,
};
