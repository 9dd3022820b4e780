import { DEFAULT_SOCKET_PATH, requestControl } from '../../control/client.js';
import { renderStatus } from '../../control/status-view.js';
import { UsageError } from '../../core/errors.js';
import { renderConnectionReply } from '../../control/connections-view.js';
import type { Verb } from '../verb.js';

const help = `Usage: lvs-ha status [--connections] [--json] [--socket PATH]

Ask the running daemon for its status over the control socket.

Options:
  --connections   the kernel's IPVS connection table as the daemon sees it (the
                  columns of 'ipvsadm -Lnc'), instead of the status
  --json          print the raw JSON result (stable keys, for scripts)
  --socket PATH   control socket path (default ${DEFAULT_SOCKET_PATH})

Exit status: 0 on success, 1 when the daemon cannot be reached or answers with an error.
`;

interface StatusArgs {
  readonly json: boolean;
  readonly connections: boolean;
  readonly socket: string;
}

function parseStatusArgs(args: readonly string[]): StatusArgs {
  let json = false;
  let connections = false;
  let socket: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--json') {
      json = true;
    } else if (arg === '--connections') {
      connections = true;
    } else if (arg === '--socket' || arg.startsWith('--socket=')) {
      if (socket !== undefined) throw new UsageError('--socket given twice');
      socket = arg === '--socket' ? args[++i] : arg.slice('--socket='.length);
      if (socket === undefined || socket === '') throw new UsageError('--socket needs a value');
    } else {
      throw new UsageError(`unknown option '${arg}'`);
    }
  }
  return { json, connections, socket: socket ?? DEFAULT_SOCKET_PATH };
}

export const statusVerb: Verb = {
  name: 'status',
  summary: 'show the running daemon\'s status (--json for machines)',
  help,
  async run(args, io) {
    const parsed = parseStatusArgs(args);
    const reply = await requestControl(parsed.socket, parsed.connections ? 'connections' : 'status', { timeoutMs: 30_000 });
    if (!reply.ok) {
      io.stderr(`lvs-ha status: the daemon refused: ${reply.error.message} (${reply.error.code})\n`);
      return 1;
    }
    if (parsed.json) io.stdout(`${JSON.stringify(reply.result, null, 2)}\n`);
    else io.stdout(parsed.connections ? renderConnectionReply(reply.result) : renderStatus(reply.result));
    return 0;
  },
};
