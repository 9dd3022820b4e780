/**
 * `lvs-ha drill failover [--return] [--force]` and `lvs-ha maintenance on|off`.
 */
import { requestControl } from '../../control/client.js';
import type { JsonObject, JsonValue } from '../../control/protocol.js';
import { UsageError } from '../../core/errors.js';
import type { CliIo, Verb } from '../verb.js';
import { parseControlArgs } from './control-args.js';

const DRILL_HELP = `Usage: lvs-ha drill failover [--return] [--force] [--json] [--socket PATH]

A planned failover, run on the MASTER: every MASTER instance resigns (a
priority-0 advert; the VIPs stay until the peer is heard as master, so the
handover has no gap) and is held at priority 1; the daemon then watches for
the peer's adverts as master and reports the takeover time per instance and
whether the VIPs left. Refused on a director that is not MASTER
unless --force. The instances stay held (the peer stays master) until
'lvs-ha drill failover --return', which releases them and reports the time
until this director is MASTER again (it must preempt).

Exit status: 0 done, 1 refused or error, 3 the takeover was not seen in 15 s.
`;

const MAINT_HELP = `Usage: lvs-ha maintenance on|off [--json] [--socket PATH]

on: hold every VRRP instance at priority 1 so this director stays BACKUP while
its peer is alive (a MASTER resigns at once); shown as 'maintenance' in status.
off: release the hold (a preempting instance takes the VIPs back).
`;

function instancesOf(result: JsonObject): JsonObject[] {
  return Array.isArray(result.instances) ? (result.instances as readonly JsonValue[]).filter((v): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)) : [];
}

function text(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

function describeDrill(result: JsonObject): { text: string; complete: boolean } {
  const lines: string[] = [];
  let complete = true;
  for (const i of instancesOf(result)) {
    const ms = result.drill === 'return' ? i.master_again_ms : i.takeover_ms;
    if (typeof ms !== 'number') complete = false;
    const time = typeof ms === 'number' ? `${String(ms)} ms` : 'not seen within 15 s';
    lines.push(result.drill === 'return'
      ? `${text(i.name)}: MASTER again after ${time} (now ${text(i.state)})`
      : `${text(i.name)}: peer ${text(i.peer)} (priority ${text(i.peer_priority)}) master after ${time}; VIPs ${i.vips_left === true ? 'left' : 'still here'}`);
  }
  if (typeof result.hint === 'string') lines.push(result.hint);
  return { text: `${lines.join('\n')}\n`, complete };
}

async function send(io: CliIo, verb: string, socket: string, cmd: 'drill' | 'maintenance', args: JsonObject, json: boolean): Promise<JsonObject | null> {
  const reply = await requestControl(socket, cmd, { args, timeoutMs: 40_000 });
  if (!reply.ok) {
    if (json) io.stdout(`${JSON.stringify({ error: reply.error }, null, 2)}\n`);
    else io.stderr(`lvs-ha ${verb}: ${reply.error.message} (${reply.error.code})\n`);
    return null;
  }
  return reply.result;
}

export const drillVerb: Verb = {
  name: 'drill',
  summary: 'planned failover drill on the master (report the takeover time); --return takes it back',
  help: DRILL_HELP,
  async run(args, io) {
    const parsed = parseControlArgs(args.filter((a) => a !== '--return' && a !== '--force'));
    if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'failover') throw new UsageError("the drill is 'lvs-ha drill failover'");
    const result = await send(io, 'drill', parsed.socket, 'drill', { return: args.includes('--return'), force: args.includes('--force') }, parsed.json);
    if (result === null) return 1;
    const { text, complete } = describeDrill(result);
    io.stdout(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : text);
    return complete ? 0 : 3;
  },
};

export const maintenanceVerb: Verb = {
  name: 'maintenance',
  summary: 'maintenance on|off: stay BACKUP while the peer is alive',
  help: MAINT_HELP,
  async run(args, io) {
    const parsed = parseControlArgs(args);
    const mode = parsed.positionals[0];
    if (parsed.positionals.length !== 1 || (mode !== 'on' && mode !== 'off')) throw new UsageError("say 'lvs-ha maintenance on' or 'off'");
    const result = await send(io, 'maintenance', parsed.socket, 'maintenance', { on: mode === 'on' }, parsed.json);
    if (result === null) return 1;
    io.stdout(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : `maintenance ${mode}\n`);
    return 0;
  },
};

