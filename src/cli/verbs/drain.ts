/**
 * `lvs-ha drain ADDRESS:PORT [--virtual-server NAME] [--wait DURATION]` and
 * `lvs-ha undrain ADDRESS:PORT [--virtual-server NAME]`: a weight-0 override
 * for a real server that survives reloads (listed in status). With --wait,
 * drain polls `status` until the kernel shows no active connections to it,
 * or the deadline passes (exit 3).
 */
import { DEFAULT_SOCKET_PATH, requestControl } from '../../control/client.js';
import type { JsonObject, JsonValue } from '../../control/protocol.js';
import { UsageError } from '../../core/errors.js';
import type { CliIo, Verb } from '../verb.js';
import { parseControlArgs, parseDuration, parseHostPort } from './control-args.js';

const POLL_MS = 500;

function helpFor(verb: 'drain' | 'undrain'): string {
  const wait = verb === 'drain' ? ' [--wait DURATION]' : '';
  return `Usage: lvs-ha ${verb} ADDRESS:PORT [--virtual-server NAME]${wait} [--json] [--socket PATH]

${verb === 'drain'
    ? `Set the real server's weight to 0 (new connections go elsewhere; established
ones continue). The override survives reloads and is listed in 'lvs-ha status'.
With --wait (e.g. 30s, 2m), wait until the kernel shows no active connections to
it, or the deadline passes.`
    : 'Remove a drain set by \'lvs-ha drain\'; the real server gets its weight back.'}

Options:
  --virtual-server NAME   only in this virtual server (default: in every one)
${verb === 'drain' ? '  --wait DURATION         wait for active connections to reach 0\n' : ''}  --json                  JSON output
  --socket PATH           control socket path (default ${DEFAULT_SOCKET_PATH})

Exit status: 0 done, 1 error, ${verb === 'drain' ? '3 --wait deadline passed with connections left' : '1 also when it was not drained'}.
`;
}

/** Active connections the kernel shows for this real server across the matching virtual servers. */
export function activeConnsOf(status: JsonObject, address: string, port: number, vs: string | null): number {
  const list = Array.isArray(status.virtual_servers) ? (status.virtual_servers as readonly JsonValue[]) : [];
  let total = 0;
  for (const v of list) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const entry = v as JsonObject;
    if (vs !== null && entry.name !== vs) continue;
    const rss = Array.isArray(entry.real_servers) ? (entry.real_servers as readonly JsonObject[]) : [];
    for (const rs of rss) {
      if (rs.address === address && rs.port === port && typeof rs.active_conns === 'number') total += rs.active_conns;
    }
  }
  return total;
}

async function waitDrained(socket: string, target: { address: string; port: number; vs: string | null }, waitMs: number): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const reply = await requestControl(socket, 'status');
    if (!reply.ok) throw new UsageError(`status refused: ${reply.error.message}`);
    const active = activeConnsOf(reply.result, target.address, target.port, target.vs);
    if (active === 0 || Date.now() >= deadline) return active;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function makeVerb(verb: 'drain' | 'undrain'): Verb {
  return {
    name: verb,
    summary: verb === 'drain' ? 'weight 0 for a real server (survives reloads); --wait for its connections to end' : 'undo a drain',
    help: helpFor(verb),
    async run(args: readonly string[], io: CliIo): Promise<number> {
      const parsed = parseControlArgs(args, verb === 'drain' ? ['--wait', '--virtual-server'] : ['--virtual-server']);
      const [hostPort, ...extra] = parsed.positionals;
      if (hostPort === undefined || extra.length > 0) throw new UsageError(`${verb} takes exactly one ADDRESS:PORT`);
      const { address, port } = parseHostPort(hostPort);
      const vs = parsed.flags.get('--virtual-server') ?? null;
      const waitText = parsed.flags.get('--wait');
      const waitMs = waitText === undefined ? null : parseDuration(waitText);
      const reply = await requestControl(parsed.socket, verb, { args: { address, port, virtual_server: vs } });
      if (!reply.ok) {
        io.stderr(`lvs-ha ${verb}: ${reply.error.message} (${reply.error.code})\n`);
        return 1;
      }
      const active = waitMs === null ? null : await waitDrained(parsed.socket, { address, port, vs }, waitMs);
      if (parsed.json) {
        io.stdout(`${JSON.stringify({ ...reply.result, ...(active === null ? {} : { active_conns: active }) }, null, 2)}\n`);
      } else {
        const what = verb === 'drain' ? 'drained' : 'undrained';
        io.stdout(`${hostPort} ${what}${active === null ? '' : `; ${String(active)} active connections left`}\n`);
      }
      return active !== null && active > 0 ? 3 : 0;
    },
  };
}

export const drainVerb: Verb = makeVerb('drain');
export const undrainVerb: Verb = makeVerb('undrain');
