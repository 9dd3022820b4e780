import { DEFAULT_SOCKET_PATH, requestControl } from '../../control/client.js';
import { renderStatus } from '../../control/status-view.js';
import { UsageError } from '../../core/errors.js';
import { renderConnectionReply } from '../../control/connections-view.js';
import type { JsonObject } from '../../control/protocol.js';
import type { Verb } from '../verb.js';

const help = `Usage: lvs-ha status [--json] [--socket PATH]
       lvs-ha status --connections [--virtual-server NAME] [--state STATE] [--limit N] [--json] [--socket PATH]

Ask the running daemon for its status over the control socket.

Options:
  --connections   the kernel's IPVS connection table as the daemon sees it (the
                  columns of 'ipvsadm -Lnc'), instead of the status; the daemon
                  streams it in parts, so a large table never stalls it
  --virtual-server NAME  only connections to that virtual server (not fwmark ones)
  --state STATE   only connections in that state (ESTABLISHED, SYN_RECV, ...)
  --limit N       at most N connections (default: all)
  --json          print the raw JSON result (stable keys, for scripts)
  --socket PATH   control socket path (default ${DEFAULT_SOCKET_PATH})

Exit status: 0 on success, 1 when the daemon cannot be reached or answers with an error.
`;

interface StatusArgs {
  readonly json: boolean;
  readonly connections: boolean;
  readonly socket: string;
  /** The `connections` command's arguments. */
  readonly filter: JsonObject;
}

function valueOf(args: readonly string[], i: number, flag: string): string {
  const v = args[i];
  if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
  return v;
}

function parseStatusArgs(args: readonly string[]): StatusArgs {
  let json = false;
  let connections = false;
  let socket: string | undefined;
  const filter: Record<string, string | number> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--virtual-server') {
      filter.virtual_server = valueOf(args, ++i, arg);
    } else if (arg === '--state') {
      filter.state = valueOf(args, ++i, arg);
    } else if (arg === '--limit') {
      const text = valueOf(args, ++i, arg);
      if (!/^\d{1,9}$/.test(text)) throw new UsageError(`--limit must be a whole number (0 = all), not '${text}'`);
      filter.limit = Number(text);
    } else if (arg === '--json') {
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
  if (!connections && Object.keys(filter).length > 0) throw new UsageError('--virtual-server, --state and --limit go with --connections');
  return { json, connections, socket: socket ?? DEFAULT_SOCKET_PATH, filter };
}

export const statusVerb: Verb = {
  name: 'status',
  summary: 'show the running daemon\'s status (--json for machines)',
  help,
  async run(args, io) {
    const parsed = parseStatusArgs(args);
    const reply = parsed.connections
      ? await requestControl(parsed.socket, 'connections', { timeoutMs: 30_000, args: parsed.filter })
      : await requestControl(parsed.socket, 'status', { timeoutMs: 30_000 });
    if (!reply.ok) {
      io.stderr(`lvs-ha status: the daemon refused: ${reply.error.message} (${reply.error.code})\n`);
      return 1;
    }
    if (parsed.json) io.stdout(`${JSON.stringify(reply.result, null, 2)}\n`);
    else io.stdout(parsed.connections ? renderConnectionReply(reply.result) : renderStatus(reply.result));
    return 0;
  },
};
