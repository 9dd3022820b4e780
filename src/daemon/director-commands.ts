/**
 * The director's control commands: `drain` and `undrain`.
 *
 *   {"cmd":"drain","args":{"address":"10.0.0.11","port":80,"virtual_server":null}}
 *
 * A drain is a weight-0 override for that real server (in one virtual server,
 * or in every one when virtual_server is null); it survives reloads and is
 * listed in `status` under `drains`. Waiting for connections to end is the
 * CLI's job (it polls `status`).
 */
import { errorReply, successReply, type ControlReply, type ControlRequest, type JsonObject } from '../control/protocol.js';
import type { VirtualServerConfig } from '../config/types.js';
import type { DrainOverride } from '../lvs/desired.js';
import { canonicalAddress } from '../lvs/model.js';
import type { ExtraCommands } from './commands.js';
import type { Director } from '../director/engine.js';
import { DrillRefused, type Operator } from './operator.js';
import type { AnnounceEngine } from '../announce/engine.js';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The drain target of a request, or a reason why not. */
export function parseDrainArgs(args: JsonObject): DrainOverride | string {
  const { address, port } = args;
  const vs = args.virtual_server ?? null;
  if (typeof address !== 'string' || !(IPV4.test(address) || address.includes(':'))) return 'address must be an IPv4 or IPv6 address';
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return 'port must be an integer 0..65535';
  if (vs !== null && typeof vs !== 'string') return 'virtual_server must be a name or null';
  return { address: canonicalAddress(address), port, virtualServer: vs };
}

/**
 * Why a drain target names nothing in the running config (an unknown virtual
 * server, or no real server with that address and port), or null when it
 * names at least one real server. A drain of nothing would answer `drained`
 * and change nothing: an operator's typo must not look like success.
 */
export function drainTargetProblem(virtualServers: readonly VirtualServerConfig[], target: DrainOverride): string | null {
  const scope = target.virtualServer === null ? virtualServers : virtualServers.filter((v) => v.name === target.virtualServer);
  if (target.virtualServer !== null && scope.length === 0) {
    const names = virtualServers.map((v) => v.name);
    return `no virtual server '${target.virtualServer}' in the running config${names.length > 0 ? ` (there are: ${names.join(', ')})` : ''}`;
  }
  const hit = scope.some((v) => v.realServers.some((r) => canonicalAddress(r.address.text) === target.address && r.port === target.port));
  if (hit) return null;
  const where = target.virtualServer === null ? 'any virtual server' : `virtual server '${target.virtualServer}'`;
  return `no real server ${target.address}:${String(target.port)} in ${where} of the running config`;
}

export function directorCommands(director: Director, operator: Operator | null, announce: AnnounceEngine | null = null): ExtraCommands {
  const noVrrp = (request: ControlRequest): ControlReply => errorReply(request.id, { code: 'refused', message: 'this daemon runs no VRRP engine' });
  const parse = (request: ControlRequest): DrainOverride | ControlReply => {
    const target = parseDrainArgs(request.args);
    return typeof target === 'string' ? errorReply(request.id, { code: 'bad_request', message: target }) : target;
  };
  return {
    async drain(request) {
      const target = parse(request);
      if ('v' in target) return target;
      const problem = drainTargetProblem(director.virtualServers(), target);
      if (problem !== null) return errorReply(request.id, { code: 'not_found', message: problem });
      await director.drain(target);
      return successReply(request.id, { drained: true, drains: director.drainList() });
    },
    async undrain(request) {
      const target = parse(request);
      if ('v' in target) return target;
      if (!(await director.undrain(target))) {
        return errorReply(request.id, { code: 'not_found', message: `${target.address}:${String(target.port)} was not drained` });
      }
      return successReply(request.id, { drained: false, drains: director.drainList() });
    },
    async drill(request) {
      if (!operator) return noVrrp(request);
      try {
        const result = request.args.return === true ? await operator.drillReturn() : await operator.drill(request.args.force === true);
        return successReply(request.id, result);
      } catch (err) {
        if (err instanceof DrillRefused) return errorReply(request.id, { code: 'refused', message: err.message });
        throw err;
      }
    },
    async maintenance(request) {
      const ecmp = announce?.enabled() === true ? announce : null;
      if (!operator && !ecmp) return noVrrp(request);
      const on = request.args.on;
      if (typeof on !== 'boolean') return errorReply(request.id, { code: 'bad_request', message: 'args.on must be true or false' });
      // ECMP: withdraw every VIP (the drain watch starts); VRRP: hold the instances at priority 1.
      if (ecmp) await ecmp.setMaintenance(on);
      const vrrp = operator ? await operator.maintenance(on) : {};
      return successReply(request.id, { ...vrrp, ...(ecmp ? { announce: ecmp.snapshot() } : {}) });
    },
    reloadChanges() {
      const c = director.reloadChanges();
      return { changes: c.text, operations: c.json };
    },
  };
}

