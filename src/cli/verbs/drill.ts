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

const MAINT_HELP = `Usage: lvs-ha maintenance on|off [--wait] [--json] [--socket PATH]

on: hold every VRRP instance at priority 1 so this director stays BACKUP while
its peer is alive (a MASTER resigns at once); shown as 'maintenance' in status.
On an ECMP director (ecmp section) it also withdraws every announced VIP, so the
router moves the flows to the other directors.
off: release the hold (a preempting instance takes the VIPs back); ECMP VIPs
are announced again where their virtual servers hold quorum.

Options:
  --wait   (ECMP, with on) wait until no packet reached this director's VIPs
           for ecmp.drain_quiet, i.e. the router moved the flows: then it is
           safe to stop. Exit 3 when ecmp.drain_timeout passed first, or when
           the kernel has no IPVS counters to tell.
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

const DRAIN_POLL_MS = 250;
/** Bound of the wait whatever the daemon says (drain_timeout is at most 1 h). */
const DRAIN_WAIT_MAX_MS = 3_700_000;

/** Poll status until the ECMP drain has settled (safe, timeout, no_counters). */
async function waitDrained(socket: string): Promise<JsonObject | null> {
  const t0 = Date.now();
  for (;;) {
    const reply = await requestControl(socket, 'status');
    if (!reply.ok) throw new UsageError(`status refused: ${reply.error.message}`);
    const announce = reply.result.announce as { maintenance?: { drain?: JsonObject | null } } | null | undefined;
    const drain = announce?.maintenance?.drain ?? null;
    if (drain?.state !== 'draining' || Date.now() - t0 > DRAIN_WAIT_MAX_MS) return drain;
    await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
  }
}

function describeDrain(drain: JsonObject | null): string {
  if (drain === null) return 'maintenance on; no drain running\n';
  const after = `${text(drain.elapsed_ms)} ms`;
  switch (drain.state) {
    case 'safe': return `maintenance on: VIPs withdrawn; no packet for ${text(drain.quiet_ms)} ms after ${after} (${text(drain.packets_since_withdrawal)} packets after the withdrawal): safe to stop\n`;
    case 'timeout': return `maintenance on: VIPs withdrawn, but packets still arrive after ${after}: the router has not moved every flow\n`;
    default: return 'maintenance on: VIPs withdrawn; this kernel has no IPVS counters to tell when the router moved the flows\n';
  }
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
    const wait = args.includes('--wait');
    const parsed = parseControlArgs(args.filter((a) => a !== '--wait'));
    const mode = parsed.positionals[0];
    if (parsed.positionals.length !== 1 || (mode !== 'on' && mode !== 'off')) throw new UsageError("say 'lvs-ha maintenance on' or 'off'");
    if (wait && mode !== 'on') throw new UsageError('--wait goes with maintenance on');
    const result = await send(io, 'maintenance', parsed.socket, 'maintenance', { on: mode === 'on' }, parsed.json);
    if (result === null) return 1;
    if (!wait || result.announce === undefined || result.announce === null) {
      io.stdout(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : `maintenance ${mode}\n`);
      return 0;
    }
    const drain = await waitDrained(parsed.socket);
    io.stdout(parsed.json ? `${JSON.stringify({ ...result, drain }, null, 2)}\n` : describeDrain(drain));
    return drain?.state === 'safe' ? 0 : 3;
  },
};

