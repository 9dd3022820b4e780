/**
 * The real-server edge: reads a Snapshot of the live settings (rtnetlink for
 * links, addresses and default routes; /proc/sys for sysctls; `ip fou` for GUE
 * ports) and executes plan actions. Works in the network namespace of the
 * process. All decisions live in the pure modules.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createRtNetlink, rt, type RtNetlinkSocket } from 'netlink';
import { openAddressManager, toInterfaceAddress } from '../os/addresses.js';
import { bytesToIpv4, bytesToIpv6 } from '../os/inet.js';
import { osError } from '../os/os-errors.js';
import type { Action } from './plan.js';
import { sysctlKey, type SysctlName } from './settings.js';
import type { AddressFacts, DefaultRoute, Family, LinkFacts, Snapshot } from './types.js';

const run = promisify(execFile);
const AF_INET = 2;
const AF_INET6 = 10;
const MAIN_TABLE = 254;
const SYSCTL_NAMES: readonly SysctlName[] = ['arp_ignore', 'arp_announce', 'rp_filter'];
const PROC_SYS = '/proc/sys';
const COMMAND_TIMEOUT_MS = 10_000;

export interface RealServerSystem {
  loadModules(modules: readonly string[]): Promise<void>;
  snapshot(options: { readonly fou: boolean }): Promise<Snapshot>;
  apply(action: Action, snap: Snapshot): Promise<void>;
  close(): void;
}

async function readSysctl(key: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(`${PROC_SYS}/${key}`, 'utf8')).trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

async function readSysctls(ifnames: readonly string[]): Promise<Record<string, number>> {
  const keys = ['all', 'default', ...ifnames].flatMap((i) => SYSCTL_NAMES.map((n) => sysctlKey(i, n)));
  const values = await Promise.all(keys.map(readSysctl));
  const out: Record<string, number> = {};
  keys.forEach((k, i) => {
    const v = values[i];
    if (v !== undefined) out[k] = v;
  });
  return out;
}

function toLink(msg: rt.LinkMessage): LinkFacts | undefined {
  const { data, attrs } = msg;
  if (data.index === undefined || attrs.ifname === undefined) return undefined;
  return {
    name: attrs.ifname,
    ifindex: data.index,
    up: data.flags?.up === true,
    loopback: data.flags?.loopback === true,
    noarp: data.flags?.noarp === true,
    mtu: attrs.mtu ?? 0,
  };
}

function u32(buf: Buffer | undefined): number | null {
  return buf !== undefined && buf.length >= 4 ? buf.readUInt32LE(0) : null;
}

function toDefaultRoute(msg: rt.RouteMessage, names: ReadonlyMap<number, string>): DefaultRoute | undefined {
  const { data, attrs } = msg;
  if (data.dstLen !== 0 || (attrs.table ?? data.table) !== MAIN_TABLE) return undefined;
  if (data.family !== AF_INET && data.family !== AF_INET6) return undefined;
  const family: Family = data.family === AF_INET ? 4 : 6;
  const gw = attrs.gateway;
  return {
    family,
    ifname: attrs.oif === undefined ? null : (names.get(attrs.oif) ?? null),
    gateway: gw === undefined ? null : family === 4 ? bytesToIpv4(gw) : bytesToIpv6(gw),
    mtu: u32(attrs.metrics?.mtu),
    advmss: u32(attrs.metrics?.advmss),
  };
}

async function readFouPorts(): Promise<number[]> {
  try {
    const { stdout } = await run('ip', ['fou', 'show'], { timeout: COMMAND_TIMEOUT_MS });
    return [...stdout.matchAll(/port (\d+)/g)].map((m) => Number(m[1]));
  } catch {
    return [];
  }
}

async function readSnapshot(sock: RtNetlinkSocket, fou: boolean): Promise<Snapshot> {
  const links = (await sock.getLinks()).map(toLink).filter((l): l is LinkFacts => l !== undefined);
  const names = new Map(links.map((l) => [l.ifindex, l.name]));
  const addresses: AddressFacts[] = [];
  for (const msg of await sock.getAddresses()) {
    const a = toInterfaceAddress(msg);
    const ifname = a === undefined ? undefined : names.get(a.ifindex);
    if (a === undefined || ifname === undefined) continue;
    const dadFailed = msg.data.flags?.dadfailed === true || msg.attrs.flags?.dadfailed === true;
    addresses.push({ ifname, address: a.address, family: a.family, prefixLength: a.prefixLength, dadFailed });
  }
  const routes = [...(await sock.getRoutes({ family: AF_INET })), ...(await sock.getRoutes({ family: AF_INET6 }))];
  const defaultRoutes = routes.map((r) => toDefaultRoute(r, names)).filter((r): r is DefaultRoute => r !== undefined);
  return {
    links,
    addresses,
    defaultRoutes,
    sysctls: await readSysctls(links.map((l) => l.name)),
    fouPorts: fou ? await readFouPorts() : [],
  };
}

async function command(argv: readonly string[]): Promise<void> {
  const [cmd = '', ...args] = argv;
  try {
    await run(cmd, args, { timeout: COMMAND_TIMEOUT_MS });
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    throw osError(argv.join(' '), new Error(typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String(err)));
  }
}

function ifindexOf(snap: Snapshot, ifname: string): number {
  const link = snap.links.find((l) => l.name === ifname);
  if (link === undefined) throw osError(`find ${ifname}`, new Error(`no interface ${ifname}`));
  return link.ifindex;
}

export function openRealServerSystem(): RealServerSystem {
  const sock = createRtNetlink();
  const addresses = openAddressManager();
  const setLink = async (ifname: string, up: boolean, snap: Snapshot): Promise<void> => {
    try {
      await sock.setLink({ index: ifindexOf(snap, ifname), flags: up ? { up: true } : {}, change: { up: true } });
    } catch (err) {
      throw osError(`set ${ifname} ${up ? 'up' : 'down'}`, err);
    }
  };
  return {
    async loadModules(modules) {
      if (modules.length > 0) await command(['modprobe', '-a', ...modules]);
    },
    snapshot: (options) => readSnapshot(sock, options.fou),
    async apply(action, snap) {
      switch (action.kind) {
        case 'set-sysctl':
          try {
            await writeFile(`${PROC_SYS}/${action.key}`, `${action.value}\n`);
          } catch (err) {
            throw osError(`write ${action.key}`, err);
          }
          return;
        case 'add-address':
        case 'remove-address': {
          const a = action.address;
          const spec = { ifindex: ifindexOf(snap, a.ifname), address: a.address, prefixLength: a.prefixLength };
          await (action.kind === 'add-address' ? addresses.addAddress(spec) : addresses.removeAddress(spec));
          return;
        }
        case 'link-up':
        case 'link-down':
          await setLink(action.ifname, action.kind === 'link-up', snap);
          return;
        case 'fou-add':
        case 'fou-del':
          await command(['ip', 'fou', action.kind === 'fou-add' ? 'add' : 'del', 'port', String(action.port), ...(action.kind === 'fou-add' ? ['gue'] : [])]);
          return;
      }
    },
    close() {
      sock.socket.close();
      addresses.close();
    },
  };
}
