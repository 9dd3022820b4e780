/**
 * The IPVS sysctls lvs-ha owns (net.ipv4.vs.*, one set per network namespace,
 * present once ip_vs is loaded): what the config asks for, and the adapter
 * that reads and writes them under /proc/sys. The reconciler sets a value only
 * when the kernel's differs, so a restart or a reload changes nothing that is
 * already right.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { IpvsSysctls } from '../config/types.js';

/** The names under net/ipv4/vs that lvs-ha may write. */
export type IpvsSysctlName = 'sloppy_tcp' | 'sloppy_sctp' | 'conntrack';

export interface IpvsSysctlSetting {
  readonly name: IpvsSysctlName;
  readonly value: number;
}

export interface IpvsSysctlApi {
  read(name: IpvsSysctlName): Promise<number>;
  write(name: IpvsSysctlName, value: number): Promise<void>;
}

/**
 * The settings a config asks for (keys not set are left out: the kernel's value stands).
 * `conntrack`: a fullnat service needs IPVS to keep conntrack entries (its SNAT is
 * nftables'); without one the kernel's value is left alone (another user may need it).
 */
export function wantedSysctls(s: IpvsSysctls, needs: { readonly conntrack?: boolean } = {}): IpvsSysctlSetting[] {
  const out: IpvsSysctlSetting[] = [];
  if (needs.conntrack === true) out.push({ name: 'conntrack', value: 1 });
  if (s.sloppyTcp !== null) out.push({ name: 'sloppy_tcp', value: s.sloppyTcp ? 1 : 0 });
  if (s.sloppySctp !== null) out.push({ name: 'sloppy_sctp', value: s.sloppySctp ? 1 : 0 });
  return out;
}

/** Parses a /proc/sys integer file; throws with the path on anything else. */
export function parseSysctlInt(path: string, text: string): number {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) throw new Error(`${path}: expected an integer, read ${JSON.stringify(t.slice(0, 40))}`);
  return Number(t);
}

/** The adapter on this process's network namespace. */
export function procIpvsSysctls(root = '/proc/sys/net/ipv4/vs'): IpvsSysctlApi {
  const path = (name: IpvsSysctlName): string => `${root}/${name}`;
  return {
    async read(name) {
      return parseSysctlInt(path(name), await readFile(path(name), 'utf8'));
    },
    async write(name, value) {
      await writeFile(path(name), `${String(value)}\n`);
    },
  };
}
