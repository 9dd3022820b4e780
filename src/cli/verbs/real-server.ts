import { formatIssue } from '../../config/format.js';
import { parseIp } from '../../config/values.js';
import { UsageError } from '../../core/errors.js';
import { loadRealServerConfig, toVip, type RealServerFileConfig } from '../../realserver/config.js';
import { describeAction, type Action } from '../../realserver/plan.js';
import { fileStateStore, realServerCheck, realServerDown, realServerUp } from '../../realserver/run.js';
import { DEFAULT_STATE_FILE } from '../../realserver/state.js';
import { openRealServerSystem, type RealServerSystem } from '../../realserver/system.js';
import { RS_MODES, TUN_TYPES, hostPrefix, type Problem, type RealServerSpec, type RsMode, type TunType, type Vip } from '../../realserver/types.js';
import type { CliIo, Verb } from '../verb.js';

const HELP = `Usage: lvs-ha real-server up    (--config FILE | --vip ADDR... --mode dr|tun) [options]
       lvs-ha real-server down  [--state-file PATH | --config FILE]
       lvs-ha real-server check (--config FILE | --mode dr|tun|nat ...) [--json]

Prepare (up), undo (down) or verify (check) a Linux Virtual Server real server.

  up     DR: each VIP as a host address (/32, /128; IPv6 with nodad) on lo.
         TUN: loads the tunnel module and puts each VIP on its device (tunl0 for
         ipip, gre0 for gre, tunl0 plus a GUE port for gue; ip6tnl0/ip6gre0 for
         IPv6). Both: arp_ignore=1 and arp_announce=2 on all and on every traffic
         interface; rp_filter=2 where strict filtering would drop (the tunnel
         device; in DR a traffic interface other than the default route's).
         Changes only what is not already right, records every change with its
         previous value in the state file, then checks; exit 1 if a problem is
         left (warnings, such as the tunnel MTU, are printed but do not fail up).
  down   Undoes exactly what up recorded (a sysctl only if it still holds the
         value up wrote; an address only if up added it), removes the state file.
  check  Lists every problem with the command that fixes it; exit 0 only when
         all is right. NAT mode checks that the default gateway is --gateway.

Options:
  --vip ADDR         a VIP (repeatable); ADDR, ADDR/32 or ADDR/128
  --mode MODE        dr, tun or nat (nat: check only)
  --tun-type TYPE    ipip (default), gre or gue (tun only)
  --gue-port PORT    UDP port of GUE (the director's --tun-port)
  --interface IF     a traffic interface (repeatable; default: every interface
                     that is up, does ARP and is not lo or a tunnel)
  --gateway ADDR     nat: the director's internal VIP
  --state-file PATH  default ${DEFAULT_STATE_FILE}
  --config FILE      a YAML file with a real_server section (flags override it)
  --json             print the result as one JSON object

See docs/real-server.md.`;

interface Args {
  readonly sub: 'up' | 'down' | 'check';
  readonly vips: Vip[];
  readonly interfaces: string[];
  readonly options: Map<string, string>;
  readonly json: boolean;
}

const VALUED = ['--mode', '--tun-type', '--gue-port', '--gateway', '--state-file', '--config'];

function parseVip(text: string): Vip {
  const slash = text.indexOf('/');
  const r = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!r.ok) throw new UsageError(`--vip '${text}': ${r.expected}`);
  const vip = toVip(r.value);
  if (slash >= 0 && text.slice(slash + 1) !== String(hostPrefix(vip.family))) {
    throw new UsageError(`--vip '${text}': a VIP is a host address (/${hostPrefix(vip.family)})`);
  }
  return vip;
}

function parseArgs(args: readonly string[]): Args {
  const [sub, ...rest] = args;
  if (sub !== 'up' && sub !== 'down' && sub !== 'check') throw new UsageError(`expected up, down or check (found ${sub ?? 'nothing'})`);
  const vips: Vip[] = [];
  const interfaces: string[] = [];
  const options = new Map<string, string>();
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--json') {
      json = true;
      continue;
    }
    const value = rest[i + 1];
    if (arg !== '--vip' && arg !== '--interface' && !VALUED.includes(arg)) throw new UsageError(`unknown option '${arg}'`);
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    i++;
    if (arg === '--vip') vips.push(parseVip(value));
    else if (arg === '--interface') interfaces.push(value);
    else options.set(arg, value);
  }
  return { sub, vips, interfaces, options, json };
}

function choice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const hit = allowed.find((a) => a === value);
  if (hit === undefined) throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (found '${value}')`);
  return hit;
}

function buildSpec(a: Args, file: RealServerFileConfig | undefined): RealServerSpec {
  const base = file?.spec;
  const mode: RsMode | undefined = choice('--mode', a.options.get('--mode'), RS_MODES) ?? base?.mode;
  if (mode === undefined) throw new UsageError('missing --mode (or --config)');
  const tunType: TunType = choice('--tun-type', a.options.get('--tun-type'), TUN_TYPES) ?? base?.tunType ?? 'ipip';
  const portText = a.options.get('--gue-port');
  const guePort = portText === undefined ? (base?.guePort ?? null) : Number(portText);
  if (guePort !== null && !(Number.isInteger(guePort) && guePort > 0 && guePort < 65536)) throw new UsageError(`--gue-port must be 1..65535 (found '${portText ?? ''}')`);
  const gwText = a.options.get('--gateway');
  const gateway = gwText === undefined ? (base?.gateway ?? null) : parseVip(gwText);
  const vips = a.vips.length > 0 ? a.vips : [...(base?.vips ?? [])];
  if (mode !== 'nat' && vips.length === 0) throw new UsageError(`mode ${mode} needs at least one --vip`);
  if (mode === 'nat' && gateway === null) throw new UsageError('mode nat needs --gateway (the director\'s internal VIP)');
  const interfaces = a.interfaces.length > 0 ? a.interfaces : (base?.interfaces ?? null);
  return { mode, vips, tunType, guePort, interfaces, gateway };
}

function renderActions(actions: readonly Action[]): string {
  return actions.map((x) => `  ${describeAction(x)}\n`).join('');
}

function renderProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.severity === 'error' ? 'problem' : 'warning'} [${p.code}] ${p.message}\n  fix: ${p.fix}\n`).join('');
}

async function withSystem<T>(body: (sys: RealServerSystem) => Promise<T>): Promise<T> {
  const sys = openRealServerSystem();
  try {
    return await body(sys);
  } finally {
    sys.close();
  }
}

async function loadFile(a: Args, io: CliIo): Promise<RealServerFileConfig | undefined | null> {
  const path = a.options.get('--config');
  if (path === undefined) return undefined;
  const r = await loadRealServerConfig(path);
  if (r.ok) return r.config;
  io.stderr(r.errors.map((e) => `${formatIssue(e)}\n`).join(''));
  return null;
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const a = parseArgs(args);
  const file = await loadFile(a, io);
  if (file === null) return 1;
  const store = fileStateStore(a.options.get('--state-file') ?? file?.stateFile ?? DEFAULT_STATE_FILE);
  const out = (human: string, body: object): void => {
    io.stdout(a.json ? `${JSON.stringify(body, null, 2)}\n` : human);
  };
  if (a.sub === 'down') {
    const r = await withSystem((sys) => realServerDown(sys, store));
    const skipped = r.skipped.map((s) => `  left: ${s}\n`).join('');
    out(r.found ? `undone (${store.path}):\n${renderActions(r.applied)}${skipped}` : `nothing to undo: no state file ${store.path}\n`, r);
    return 0;
  }
  const spec = buildSpec(a, file);
  if (a.sub === 'check') {
    const problems = await withSystem((sys) => realServerCheck(sys, spec));
    out(problems.length === 0 ? `real server ok (mode ${spec.mode})\n` : renderProblems(problems), { ok: problems.length === 0, mode: spec.mode, problems });
    return problems.length === 0 ? 0 : 1;
  }
  if (spec.mode === 'nat') throw new UsageError('up has nothing to do in mode nat (a NAT real server needs only its default route via the director); use check --mode nat --gateway ADDR');
  const r = await withSystem((sys) => realServerUp(sys, store, spec));
  const changed = r.applied.length === 0 ? 'nothing to change: already set up\n' : `changed (recorded in ${store.path}):\n${renderActions(r.applied)}`;
  const ok = r.problems.every((p) => p.severity === 'warning');
  out(`${changed}${renderProblems(r.problems)}`, { ok, applied: r.applied, problems: r.problems, stateFile: store.path });
  return ok ? 0 : 1;
}

export const realServerVerb: Verb = {
  name: 'real-server',
  summary: 'prepare (up), undo (down) or verify (check) a DR/TUN/NAT real server',
  help: HELP,
  run,
};
