import { formatIssue, summarizeConfig } from '../../config/format.js';
import { ecmpWarnings } from '../../config/ecmp.js';
import { loadConfigFile } from '../../config/load.js';
import { UsageError } from '../../core/errors.js';
import type { CliIo, Verb } from '../verb.js';

const HELP = `Usage: lvs-ha check-config [--json] FILE

Validate an lvs-ha configuration file without running anything.

  Valid:   prints one summary line on stdout and exits 0; warnings (an ECMP
           director whose scheduler differs between directors, no sloppy_tcp)
           go to stderr as FILE: warning: ... and do not change the exit code.
  Invalid: prints every problem on stderr, one per line, as
             FILE:LINE:COLUMN: KEY.PATH: what is wrong (found ...)
           then a count line, and exits 1. A missing or unreadable file
           is reported the same way (exit 1).

Options:
  --json   print the result as one JSON object on stdout instead:
           { "file", "ok", "summary", "warnings"? } or { "file", "ok": false, "errors": [ {
           "file", "line", "column", "path", "message", "found"?, "expected"? } ] }
           (exit codes unchanged)

See docs/configuration.md for every key, its default and the errors it can raise.`;

function parseArgs(args: readonly string[]): { file: string; json: boolean } {
  let json = false;
  const files: string[] = [];
  for (const arg of args) {
    if (arg === '--json') json = true;
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
    else files.push(arg);
  }
  const [file, extra] = files;
  if (file === undefined) throw new UsageError('missing FILE');
  if (extra !== undefined) throw new UsageError(`expected one FILE, got ${files.length}`);
  return { file, json };
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { file, json } = parseArgs(args);
  const result = await loadConfigFile(file);
  if (json) {
    const warnings = result.ok ? ecmpWarnings(result.config) : [];
    const body = result.ok
      ? { file, ok: true, summary: summarizeConfig(result.config), ...(warnings.length > 0 ? { warnings } : {}) }
      : { file, ok: false, errors: result.errors };
    io.stdout(`${JSON.stringify(body, null, 2)}\n`);
    return result.ok ? 0 : 1;
  }
  if (result.ok) {
    io.stdout(`${file}: ok: ${summarizeConfig(result.config)}\n`);
    for (const w of ecmpWarnings(result.config)) io.stderr(`${file}: warning: ${w}\n`);
    return 0;
  }
  const n = result.errors.length;
  const lines = result.errors.map((issue) => `${formatIssue(issue)}\n`).join('');
  io.stderr(`${lines}${file}: ${n} ${n === 1 ? 'error' : 'errors'}, configuration refused\n`);
  return 1;
}

export const checkConfigVerb: Verb = {
  name: 'check-config',
  summary: 'validate a configuration file and report every problem with its line',
  help: HELP,
  run,
};
