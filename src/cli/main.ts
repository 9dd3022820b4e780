import { describeError, UsageError } from '../core/errors.js';
import type { CliIo, Verb } from './verb.js';
import { runComplete } from './completion.js';
import { renderManPage } from './manpage.js';
import { schemaText } from '../config/schema.js';
import { verbs } from './verbs/index.js';

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** The version `--version` prints and the package carries (package.json's, checked by a unit test). */
export const LVS_HA_VERSION = '0.1.0';

export function topLevelHelp(all: readonly Verb[]): string {
  const width = Math.max(...all.map((v) => v.name.length));
  const lines = all.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`);
  return [
    'lvs-ha: VRRPv3 and IPVS high availability for Linux Virtual Server directors',
    '',
    'Usage: lvs-ha VERB [options]',
    '',
    'Verbs:',
    ...lines,
    '',
    'Run `lvs-ha VERB --help` for the options of one verb.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [verbName, ...rest] = argv;
  if (verbName === undefined || verbName === '--help' || verbName === '-h' || verbName === 'help') {
    io.stdout(topLevelHelp(verbs));
    return verbName === undefined ? 2 : 0;
  }
  if (verbName === '--version') {
    io.stdout(`lvs-ha ${LVS_HA_VERSION}\n`);
    return 0;
  }
  // Hidden verbs for the package build and the shell completion (not in --help):
  // `__complete bash|zsh|names KIND` (completion.ts), `__man DATE` (lvs-ha(8), manpage.ts) and
  // `__schema` (the config's JSON Schema, config/schema.ts).
  if (verbName === '__complete') return runComplete(rest, verbs, io);
  if (verbName === '__schema') {
    io.stdout(schemaText());
    return 0;
  }
  if (verbName === '__man') {
    io.stdout(renderManPage(verbs, LVS_HA_VERSION, rest[0] ?? new Date().toISOString().slice(0, 10)));
    return 0;
  }
  const verb = verbs.find((v) => v.name === verbName);
  if (!verb) {
    io.stderr(`lvs-ha: unknown verb '${verbName}'. Run 'lvs-ha --help' for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(verb.help.endsWith('\n') ? verb.help : `${verb.help}\n`);
    return 0;
  }
  try {
    return await verb.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`lvs-ha ${verb.name}: ${err.message}\nRun 'lvs-ha ${verb.name} --help'.\n`);
      return 2;
    }
    io.stderr(`lvs-ha ${verb.name}: ${describeError(err)}\n`);
    return 1;
  }
}
