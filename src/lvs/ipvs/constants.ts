/**
 * The IPVS generic netlink family: name, version, commands and attribute
 * numbers (Linux uapi ip_vs.h; see docs protocol-reference section B).
 */

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** Commands (B2). GET_* replies use the NEW_ or SET_ command noted in the reply decoders. */
export const IpvsCmd = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;
export type IpvsCmdValue = (typeof IpvsCmd)[keyof typeof IpvsCmd];

/** The command's name for messages ("GET_INFO"), or "command <n>". */
const CMD_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(IpvsCmd).map(([name, value]) => [value, name]));

export function ipvsCmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `command ${cmd}`;
}

/** Top-level attributes of commands (IPVS_CMD_ATTR_*). */
export const IpvsCmdAttr = {
  SERVICE: 1,
  DEST: 2,
  DAEMON: 3,
  TIMEOUT_TCP: 4,
  TIMEOUT_TCP_FIN: 5,
  TIMEOUT_UDP: 6,
} as const;

/** Top-level attributes of the GET_INFO reply (IPVS_INFO_ATTR_*). */
export const IpvsInfoAttr = {
  VERSION: 1,
  CONN_TAB_SIZE: 2,
} as const;

/** Attributes inside the SERVICE nest (IPVS_SVC_ATTR_*). */
export const IpvsSvcAttr = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  STATS: 10,
  PE_NAME: 11,
  STATS64: 12,
} as const;

/** Attributes inside the DEST nest (IPVS_DEST_ATTR_*). */
export const IpvsDestAttr = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  PERSIST_CONNS: 9,
  STATS: 10,
  ADDR_FAMILY: 11,
  STATS64: 12,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
} as const;

/** Attributes inside the DAEMON nest (IPVS_DAEMON_ATTR_*). */
export const IpvsDaemonAttr = {
  STATE: 1,
  MCAST_IFN: 2,
  SYNC_ID: 3,
  SYNC_MAXLEN: 4,
  MCAST_GROUP: 5,
  MCAST_GROUP6: 6,
  MCAST_PORT: 7,
  MCAST_TTL: 8,
} as const;

/** Attributes inside STATS and STATS64 nests (IPVS_STATS_ATTR_*). */
export const IpvsStatsAttr = {
  CONNS: 1,
  INPKTS: 2,
  OUTPKTS: 3,
  INBYTES: 4,
  OUTBYTES: 5,
  CPS: 6,
  INPPS: 7,
  OUTPPS: 8,
  INBPS: 9,
  OUTBPS: 10,
  PAD: 11,
} as const;

/** Appended to "family IPVS not found" errors. */
export const IPVS_MISSING_HINT = 'this kernel has no IPVS (ip_vs module not loaded/available)';
