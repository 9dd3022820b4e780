/**
 * Plain-language meanings of the errnos the IPVS family returns, per command
 * (protocol-reference B5). Used as the `explain` hook of genl requests; a
 * command/errno pair not listed here falls back to the adapter's wording.
 */
import { IpvsCmd, ipvsCmdName } from './constants.js';

const ERRNO = { EPERM: 1, ENOENT: 2, ESRCH: 3, ENODEV: 19, EINVAL: 22, ERANGE: 34, EAFNOSUPPORT: 97, EEXIST: 17 } as const;

const SERVICE_CMDS: readonly number[] = [IpvsCmd.NEW_SERVICE, IpvsCmd.SET_SERVICE];
const DEST_CMDS: readonly number[] = [IpvsCmd.NEW_DEST, IpvsCmd.SET_DEST, IpvsCmd.DEL_DEST];

export function explainIpvsErrno(cmd: number, errno: number, errnoName: string): string | undefined {
  const tag = `(${errnoName})`;
  switch (errno) {
    case ERRNO.EPERM:
      return `operation not permitted ${tag}: IPVS needs CAP_NET_ADMIN (run as root or grant the capability)`;
    case ERRNO.ENOENT:
      if (SERVICE_CMDS.includes(cmd)) return `unknown scheduler or persistence engine ${tag}: its ip_vs_<name> module is not available`;
      if (DEST_CMDS.includes(cmd)) return `no such real server ${tag}`;
      return undefined;
    case ERRNO.ESRCH:
      if (cmd === IpvsCmd.DEL_DAEMON) return `that sync daemon is not running ${tag}`;
      return `no such virtual service ${tag}`;
    case ERRNO.EEXIST:
      if (cmd === IpvsCmd.NEW_SERVICE) return `the virtual service already exists ${tag}`;
      if (cmd === IpvsCmd.NEW_DEST) return `the real server already exists ${tag}`;
      if (cmd === IpvsCmd.NEW_DAEMON) return `a sync daemon in that state is already running ${tag}`;
      return undefined;
    case ERRNO.ERANGE:
      return `value out of range ${tag}: weight must be >= 0 and l_thresh <= u_thresh`;
    case ERRNO.ENODEV:
      return `unknown sync interface ${tag}`;
    case ERRNO.EAFNOSUPPORT:
      return `address family not supported ${tag}`;
    case ERRNO.EINVAL:
      if (cmd === IpvsCmd.NEW_DAEMON) {
        return `the kernel refused the sync daemon ${tag}: bad state or multicast group, or a service has a real server of another address family (sync cannot run then)`;
      }
      if (cmd === IpvsCmd.NEW_DEST || cmd === IpvsCmd.SET_DEST) {
        return `the kernel refused the real server ${tag}: address not unicast, GUE without a port, or another address family than the service without tunnel forwarding (or while sync runs)`;
      }
      return `the kernel refused the attributes of ${ipvsCmdName(cmd)} ${tag}`;
    default:
      return undefined;
  }
}
