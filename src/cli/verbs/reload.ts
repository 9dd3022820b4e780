import { requestControl } from '../../control/client.js';
import { DEFAULT_SOCKET_PATH } from '../../control/client.js';
import type { Verb } from '../verb.js';
import { parseControlArgs } from './control-args.js';

const help = `Usage: lvs-ha reload [--json] [--socket PATH]

Ask the running daemon to re-read, validate and apply its config file (the
same as SIGHUP), then print what the reload changed in IPVS, in the form of
'lvs-ha plan'. An invalid file is refused and the running config kept.

Options:
  --json          the daemon's JSON answer
  --socket PATH   control socket path (default ${DEFAULT_SOCKET_PATH})

Exit status: 0 applied, 1 refused (the running config kept), applied but not by
every engine (the reason is printed and kept in status as last_reload_error),
or the daemon cannot be reached.
`;

export const reloadVerb: Verb = {
  name: 'reload',
  summary: 'reload the daemon\'s config and print the IPVS changes',
  help,
  async run(args, io) {
    const parsed = parseControlArgs(args);
    const reply = await requestControl(parsed.socket, 'reload', { timeoutMs: 30_000 });
    if (parsed.json) {
      io.stdout(`${JSON.stringify(reply.ok ? reply.result : { error: reply.error }, null, 2)}\n`);
      return reply.ok ? 0 : 1;
    }
    if (!reply.ok) {
      io.stderr(`lvs-ha reload: ${reply.error.message} (${reply.error.code})\n`);
      return 1;
    }
    const changes = typeof reply.result.changes === 'string' ? reply.result.changes : '';
    io.stdout(`reloaded (reload ${JSON.stringify(reply.result.reload_count ?? null)})\n${changes === '' ? 'in sync: no changes\n' : changes}`);
    return 0;
  },
};
