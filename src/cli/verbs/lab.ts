/**
 * `lvs-ha lab up|status|drill|down`: a complete director pair on one machine.
 * Runs on this kernel when it has IPVS; otherwise inside a throwaway qemu VM
 * with Debian's kernel, which it says (src/lab/vm.ts).
 */
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../config/values.js';
import { labChaosLocal } from '../../lab/chaos.js';
import { CHAOS_FAULT_KINDS, renderChaos } from '../../lab/chaos-core.js';
import { labDownLocal } from '../../lab/down.js';
import { labDrillLocal, renderDrill } from '../../lab/drill.js';
import { preflight, whereToRun } from '../../lab/preflight.js';
import { labStatusLocal, renderLabStatus } from '../../lab/status.js';
import { DEFAULT_LAB_OPTIONS, LAB_MODES, type LabMode, type LabOptions } from '../../lab/topology.js';
import { labUpLocal } from '../../lab/up.js';
import { ECMP_MAX_DIRECTORS, ECMP_SCHEDULERS, type EcmpScheduler } from '../../lab/ecmp.js';
import { labDrillEcmpLocal, renderEcmpDrill } from '../../lab/ecmp-drill.js';
import { labUpEcmpLocal, renderEcmpUp } from '../../lab/ecmp-run.js';
import { LAB_DIR, readState } from '../../lab/state.js';
import { labDownInVm, labInVm, labUpInVm } from '../../lab/vm.js';
import type { CliIo, Verb } from '../verb.js';

const HELP = `Usage: lvs-ha lab up     [--mode dr|nat|tun|fullnat|ecmp] [--no-sync] [--advert-interval DURATION]
                         [--directors N] [--scheduler mh|rr] [--bfd] [--vm] [--json]
       lvs-ha lab status [--json]
       lvs-ha lab drill  [--connections N] [--no-return] [--json]
       lvs-ha lab chaos  [--seed N] [--faults N] [--connections N] [--json]
       lvs-ha lab down   [--json]

A complete LVS director pair on this machine, as root: network namespaces for
two directors running 'lvs-ha run' on generated configs, three real servers
(prepared with 'lvs-ha real-server up', each a small HTTP server answering its
name) and a client, joined by a bridge in a namespace of its own. Nothing is
created in the host's own network namespace.

  up      build it and wait until one director is MASTER, the other BACKUP and
          every real server is up; then prove the VIP answers from the client.
          --mode: dr (default), nat (a second network; real servers route via
          the gateway VIP), tun (IPIP) or fullnat (real servers in a third
          subnet behind a router namespace, no route back through the
          directors, no VIP; they see the LIP) or ecmp (N active directors, no
          VRRP: a router namespace running FRR with multipath and L4 hashing,
          each director running lvs-ha plus its own routing daemon, FRR or, on
          d2, BIRD, announcing the VIP by BGP; IPVS mh with mh-port, DR).
          --no-sync: no connection sync (the drill then shows sessions
          breaking). --advert-interval: default 1s. ECMP only: --directors
          (default 3, up to 6), --scheduler (default mh; rr shows moved flows
          breaking), --bfd (BFD between the routing daemons and the router).
  status  both directors' 'lvs-ha status' and the lab's processes.
  drill   a planned failover with client traffic: N (default 10) keep-alive
          connections through the VIP and a new connection every 50 ms; the
          master runs 'drill failover'; reports the takeover time and how many
          established sessions were kept, then returns the VIP (--no-return
          leaves it on the peer). In ECMP mode (default 30 connections): kills
          d1 (SIGKILL of lvs-ha and its routing daemon), then drains d2
          ('maintenance on --wait', then stop), then starts both again
          (--no-return: not); reports for each step the connections held and
          kept, new connections failed and when the router changed.
  chaos   faults one at a time, from a seeded schedule (every kind once, then
          at random; the same --seed repeats the run; default: a random seed,
          printed): link flaps, SIGKILL of a daemon and restart, SIGHUP with
          and without a change, ip_vs unloaded and loaded (only inside the
          lab's VM), control-socket floods, a real server killed and revived.
          After each: exactly one MASTER, both kernels' IPVS tables as the
          config asks, every held connection (--connections, default 8) kept
          unless the fault itself must break it. --faults: default ${String(CHAOS_FAULT_KINDS.length)}.
          Exit 1 when an invariant broke. Needs a lab with sync.
  down    removes every namespace and process the lab created, and nothing else.

Where this kernel has no IPVS, the lab runs inside a throwaway qemu VM with
Debian's kernel (booted by 'up', powered off by 'down'); --vm forces that.
Files: /run/lvs-ha-lab (configs, logs, state), /run/lvs-ha-lab-vm (the VM).
See docs/operations.md.`;

const SUBS = ['up', 'status', 'drill', 'chaos', 'down'] as const;
type Sub = (typeof SUBS)[number];

interface LabArgs {
  readonly sub: Sub;
  readonly json: boolean;
  readonly local: boolean;
  readonly vm: boolean;
  readonly options: LabOptions;
  /** null: not given (the drill's default: 10 for a pair, 30 for ECMP; chaos 8). */
  readonly connections: number | null;
  readonly returnAfter: boolean;
  readonly seed: number;
  readonly faults: number;
  /** The arguments to pass on when the lab runs in the VM. */
  readonly passOn: string[];
}

function valueOf(args: readonly string[], i: number, name: string): string {
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return v;
}

function parseMode(text: string): LabMode {
  if (!(LAB_MODES as readonly string[]).includes(text)) throw new UsageError(`--mode '${text}': expected one of ${LAB_MODES.join(', ')}`);
  return text as LabMode;
}

function parseAdvert(text: string): number {
  const r = parseDuration(text);
  if (!r.ok || r.value % 10 !== 0 || r.value < 10 || r.value > 40_950) {
    throw new UsageError(`--advert-interval '${text}': expected a duration of whole centiseconds from 10ms to 40.95s`);
  }
  return r.value;
}

function parseWhole(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} '${text}': expected a whole number from ${String(min)} to ${String(max)}`);
  return n;
}

function parseScheduler(text: string): EcmpScheduler {
  if (!(ECMP_SCHEDULERS as readonly string[]).includes(text)) throw new UsageError(`--scheduler '${text}': expected one of ${ECMP_SCHEDULERS.join(', ')}`);
  return text as EcmpScheduler;
}

function parseConnections(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new UsageError(`--connections '${text}': expected a whole number from 1 to 200`);
  return n;
}

export function parseLabArgs(args: readonly string[]): LabArgs {
  const sub = args[0];
  if (sub === undefined || !(SUBS as readonly string[]).includes(sub)) throw new UsageError(`expected one of: ${SUBS.map((s) => `lab ${s}`).join(', ')}`);
  let options = DEFAULT_LAB_OPTIONS;
  let json = false, local = false, vm = false, returnAfter = true, connections: number | null = null;
  let seed: number | null = null, faults: number = CHAOS_FAULT_KINDS.length;
  const allowed: Record<Sub, readonly string[]> = {
    up: ['--mode', '--no-sync', '--advert-interval', '--directors', '--scheduler', '--bfd', '--vm', '--json', '--local'],
    status: ['--json', '--local'],
    drill: ['--connections', '--no-return', '--json', '--local'],
    chaos: ['--seed', '--faults', '--connections', '--json', '--local'],
    down: ['--json', '--local'],
  };
  for (let i = 1; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!allowed[sub as Sub].includes(a)) throw new UsageError(`lab ${sub}: unknown option '${a}'`);
    if (a === '--json') json = true;
    else if (a === '--local') local = true;
    else if (a === '--vm') vm = true;
    else if (a === '--no-sync') options = { ...options, sync: false };
    else if (a === '--no-return') returnAfter = false;
    else if (a === '--mode') options = { ...options, mode: parseMode(valueOf(args, i++, a)) };
    else if (a === '--advert-interval') options = { ...options, advertIntervalMs: parseAdvert(valueOf(args, i++, a)) };
    else if (a === '--directors') options = { ...options, directors: parseWhole(valueOf(args, i++, a), a, 3, ECMP_MAX_DIRECTORS) };
    else if (a === '--scheduler') options = { ...options, scheduler: parseScheduler(valueOf(args, i++, a)) };
    else if (a === '--bfd') options = { ...options, bfd: true };
    else if (a === '--seed') seed = parseWhole(valueOf(args, i++, a), a, 0, 0xffffffff);
    else if (a === '--faults') faults = parseWhole(valueOf(args, i++, a), a, 1, 1000);
    else connections = parseConnections(valueOf(args, i++, a));
  }
  const ecmpOnly = ['directors', 'scheduler', 'bfd'].filter((k) => k in options);
  if (options.mode !== 'ecmp' && ecmpOnly.length > 0) throw new UsageError(`lab up: --${ecmpOnly.join(', --')} go with --mode ecmp`);
  // A random seed is chosen here, so that the VM run and its report use the same one.
  const chosenSeed = seed ?? Math.floor(Math.random() * 0xffffffff);
  let passOn = args.slice(1).filter((x) => x !== '--local' && x !== '--vm');
  if (sub === 'chaos' && seed === null) passOn = [...passOn, '--seed', String(chosenSeed)];
  return { sub: sub as Sub, json, local, vm, options, connections, returnAfter, seed: chosenSeed, faults, passOn };
}

function print(io: CliIo, json: boolean, value: unknown, text: string): void {
  io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : text);
}

async function runLocal(a: LabArgs, io: CliIo): Promise<number> {
  const say = (line: string): void => {
    (a.json ? io.stderr : io.stdout)(`lab: ${line}\n`);
  };
  switch (a.sub) {
    case 'up': {
      try {
        if (a.options.mode === 'ecmp') {
          const e = await labUpEcmpLocal(a.options, say);
          print(io, a.json, e, renderEcmpUp(e));
          return 0;
        }
        const r = await labUpLocal(a.options, say);
        print(io, a.json, r, `lab is up (${String(r.seconds)} s): ${r.mode.toUpperCase()}, VIP ${r.vip}, ${r.master} MASTER, ${r.backup} BACKUP; ${String(Object.values(r.answeredBy).reduce((a, b) => a + b, 0))} new connections answered by ${JSON.stringify(r.answeredBy)}\nnext: lvs-ha lab status | lvs-ha lab drill | lvs-ha lab down\n`);
        return 0;
      } catch (err) {
        say('up failed; removing what it created');
        await labDownLocal().catch(() => undefined);
        throw err;
      }
    }
    case 'status': {
      const s = await labStatusLocal();
      print(io, a.json, s, renderLabStatus(s));
      return s.processes.every((p) => p.alive) ? 0 : 1;
    }
    case 'drill': {
      if (readState(LAB_DIR)?.options.mode === 'ecmp') {
        const e = await labDrillEcmpLocal({ connections: a.connections ?? 30, returnAfter: a.returnAfter });
        print(io, a.json, e, renderEcmpDrill(e));
        return 0;
      }
      const r = await labDrillLocal({ connections: a.connections ?? 10, returnAfter: a.returnAfter });
      print(io, a.json, r, renderDrill(r));
      return 0;
    }
    case 'chaos': {
      if (readState(LAB_DIR)?.options.mode === 'ecmp') throw new UsageError("lab chaos drives a VRRP pair; this lab is --mode ecmp (use 'lab drill')");
      const r = await labChaosLocal({ seed: a.seed, faults: a.faults, connections: a.connections ?? 8, say });
      print(io, a.json, r, renderChaos(r));
      return r.ok ? 0 : 1;
    }
    case 'down': {
      const r = await labDownLocal();
      const left = [...r.leftBehind.namespaces, ...r.leftBehind.processes];
      print(io, a.json, r, !r.wasUp ? 'no lab was up\n'
        : `lab down: stopped ${String(r.stopped.length)} processes, removed ${String(r.removedNamespaces.length)} namespaces; left behind: ${left.length === 0 && !r.leftBehind.dir ? 'nothing' : left.join(', ')}\n`);
      return left.length === 0 ? 0 : 1;
    }
  }
}

export const labVerb: Verb = {
  name: 'lab',
  summary: 'a whole director pair on this machine: lab up | status | drill | chaos | down',
  help: HELP,
  async run(args, io) {
    const a = parseLabArgs(args);
    await preflight(a.sub);
    if (a.local) return runLocal(a, io);
    const where = await whereToRun(a.sub, a.vm, a.options.mode);
    if (where.kind === 'local') return runLocal(a, io);
    if (a.sub === 'up') return labUpInVm(a.passOn, a.options.mode, where.reason, io, a.json);
    if (a.sub === 'down') return labDownInVm(a.json, io);
    // A chaos run may take a while: about half a minute per fault under emulation, 2 min allowed.
    const timeoutMs = a.sub === 'chaos' ? (5 + 2 * a.faults) * 60_000 : undefined;
    return labInVm([a.sub, ...a.passOn], io, timeoutMs);
  },
};
