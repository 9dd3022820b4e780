import { loadConfigFile } from '../../config/load.js';
import { UsageError } from '../../core/errors.js';
import { runDaemon } from '../../daemon/run.js';
import type { Verb } from '../verb.js';

const help = `Usage: lvs-ha run --config FILE [--socket PATH]

Run the lvs-ha daemon in the foreground (systemd runs it this way).

Options:
  --config FILE   the YAML config (required); refused with its errors if invalid (exit 1)
  --socket PATH   control socket path, overriding control.socket from the config

Logs are JSON lines on stdout. Signals: SIGHUP re-reads and validates the config
file (an invalid file is logged and the running config kept), SIGTERM or SIGINT
stop gracefully (exit 0).
`;

interface RunArgs {
  readonly config: string;
  readonly socket?: string;
}

/** Parse `--name VALUE` / `--name=VALUE` options; every option here takes a value. */
function parseValueOptions(args: readonly string[], allowed: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!allowed.includes(name)) throw new UsageError(`unknown option '${arg}'`);
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
    if (values.has(name)) throw new UsageError(`${name} given twice`);
    values.set(name, value);
  }
  return values;
}

function parseRunArgs(args: readonly string[]): RunArgs {
  const values = parseValueOptions(args, ['--config', '--socket']);
  const config = values.get('--config');
  if (config === undefined) throw new UsageError('--config FILE is required');
  const socket = values.get('--socket');
  return socket === undefined ? { config } : { config, socket };
}

export const runVerb: Verb = {
  name: 'run',
  summary: 'run the daemon in the foreground (--config FILE)',
  help,
  run(args, io) {
    const parsed = parseRunArgs(args);
    return runDaemon({
      configPath: parsed.config,
      ...(parsed.socket === undefined ? {} : { socketPath: parsed.socket }),
      loadConfig: loadConfigFile,
      stderr: io.stderr,
    });
  },
};
