/**
 * Concurrency on the IPVS path: readTable issues every GET_DEST dump at once and
 * keeps the service order; applyOperations issues each plan phase at once,
 * waits for a phase before the next, skips destinations of a service whose
 * AddService failed, and reports failures in plan order.
 */
import { describe, expect, test } from 'vitest';
import { IpvsClient, liveTable } from '../../../../src/lvs/ipvs/client.js';
import { IpvsCmd } from '../../../../src/lvs/ipvs/constants.js';
import { destNest } from '../../../../src/lvs/ipvs/destination.js';
import { serviceNest } from '../../../../src/lvs/ipvs/service.js';
import type { Destination, Service } from '../../../../src/lvs/model.js';
import { plan } from '../../../../src/lvs/plan.js';
import { applyOperations, phasesOf } from '../../../../src/lvs/reconcile-ops.js';
import { NetlinkError, type GenericNetlink, type GenlFamily, type GenlMessage, type GenlRequest, type ResolveOptions } from '../../../../src/os/genl.js';

interface Pending { request: GenlRequest; resolve: (m: GenlMessage[]) => void; reject: (e: Error) => void }

/** A GenericNetlink whose answers the test gives by hand, in any order. */
class ManualGenl implements GenericNetlink {
  readonly pending: Pending[] = [];
  readonly log: string[] = [];
  resolveFamily(name: string, options: ResolveOptions): Promise<GenlFamily> {
    return Promise.resolve({ id: 0x21, name, version: options.version });
  }
  request(_family: GenlFamily, request: GenlRequest): Promise<GenlMessage[]> {
    this.log.push(request.label ?? '');
    return new Promise((resolve, reject) => this.pending.push({ request, resolve, reject }));
  }
  close(): void {
    // nothing
  }
  /** Answers every pending request (errors for labels in `fail`) and returns how many there were. */
  answerAll(fail: ReadonlyMap<string, number> = new Map()): number {
    const all = this.pending.splice(0);
    for (const p of all) {
      const errno = fail.get(p.request.label ?? '');
      if (errno === undefined) p.resolve([]);
      else p.reject(new NetlinkError({ errno, command: `IPVS ${p.request.label ?? ''}` }));
    }
    return all.length;
  }
}
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const msg = (cmd: number, payload: Buffer): GenlMessage => ({ cmd, version: 1, flags: 2, payload });
const svc = (i: number): Service => ({
  key: { kind: 'address', family: 'ipv4', protocol: 'tcp', address: `10.0.0.${i}`, port: 80 },
  scheduler: 'wrr', flags: 0, timeoutS: 0, netmask: '255.255.255.255', peName: null,
});
const dest = (j: number, weight = 1): Destination => ({
  family: 'ipv4', address: `10.0.1.${j}`, port: 80, fwd: 'droute', weight, upperThreshold: 0, lowerThreshold: 0, tunnel: null,
});

describe('IpvsClient.readTable with concurrent dumps', () => {
  test('every GET_DEST dump is issued before any answers; answers out of order keep the service order', async () => {
    const nl = new ManualGenl();
    const ipvs = await IpvsClient.connect(nl);
    const read = ipvs.readTable();
    expect(nl.pending).toHaveLength(1);
    nl.pending.splice(0)[0]?.resolve([1, 2, 3].map((i) => msg(IpvsCmd.NEW_SERVICE, serviceNest(svc(i)))));
    await settle();
    expect(nl.pending.map((p) => p.request.label)).toEqual(['GET_DEST tcp 10.0.0.1:80', 'GET_DEST tcp 10.0.0.2:80', 'GET_DEST tcp 10.0.0.3:80']);
    const [p1, p2, p3] = nl.pending.splice(0);
    p3?.resolve([msg(IpvsCmd.NEW_DEST, destNest(dest(3)))]);
    p1?.resolve([msg(IpvsCmd.NEW_DEST, destNest(dest(1)))]);
    p2?.resolve([]);
    const table = liveTable(await read);
    expect(table.services.map((e) => [e.service.key, e.destinations.map((d) => d.address)])).toEqual([
      [svc(1).key, ['10.0.1.1']],
      [svc(2).key, []],
      [svc(3).key, ['10.0.1.3']],
    ]);
  });
});

describe('applyOperations by phases', () => {
  const desired = { services: [1, 2].map((i) => ({ service: svc(i), destinations: [dest(1), dest(2)] })) };
  const live = { services: [{ service: svc(9), destinations: [] }] };

  test('phasesOf groups the plan: services, added dests, edited dests, deleted dests, deleted services', () => {
    const ops = plan(live, desired, () => true);
    expect(phasesOf(ops).map((p) => [p[0]?.op, p.length])).toEqual([['AddService', 2], ['AddDest', 4], ['DelService', 1]]);
    expect(phasesOf([])).toEqual([]);
  });

  test('a phase is issued at once; the next waits for all its answers; a failed AddService skips its destinations', async () => {
    const nl = new ManualGenl();
    const ipvs = await IpvsClient.connect(nl);
    await Promise.all([ipvs.getTimeouts().catch(() => undefined), settle().then(() => nl.answerAll())]); // use up the first-request retry
    nl.log.length = 0;
    const ops = plan(live, desired, () => true);
    const outcome = applyOperations(ipvs, ops);
    await settle();
    expect(nl.log).toEqual(['NEW_SERVICE tcp 10.0.0.1:80', 'NEW_SERVICE tcp 10.0.0.2:80']);
    expect(nl.answerAll(new Map([['NEW_SERVICE tcp 10.0.0.1:80', 22]]))).toBe(2);
    await settle();
    // only the destinations of the service that exists, both at once
    expect(nl.log.slice(2)).toEqual(['NEW_DEST tcp 10.0.0.2:80 -> 10.0.1.1:80', 'NEW_DEST tcp 10.0.0.2:80 -> 10.0.1.2:80']);
    expect(nl.answerAll(new Map([['NEW_DEST tcp 10.0.0.2:80 -> 10.0.1.2:80', 2]]))).toBe(2);
    await settle();
    expect(nl.log.slice(4)).toEqual(['DEL_SERVICE tcp 10.0.0.9:80']);
    expect(nl.answerAll()).toBe(1);
    const result = await outcome;
    expect(result).toMatchObject({ applied: 3, skipped: 2 });
    expect(result.failures.map((f) => [f.op.op, f.kind])).toEqual([['AddService', 'EINVAL'], ['AddDest', 'ENOENT']]);
  });
});
