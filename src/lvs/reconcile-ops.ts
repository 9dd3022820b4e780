/**
 * Applying planned operations to IPVS without ever stopping at a failure: each
 * failure is recorded with its kind (errno name or error code) and the run
 * goes on. Destinations of a service whose AddService failed are skipped (they
 * would fail with ESRCH) and retried with it next run.
 *
 * The plan's phases (services, added destinations, edited destinations,
 * deleted destinations, deleted services) are applied one after the other;
 * the operations of one phase are independent, so they are issued together
 * (up to IN_FLIGHT at a time) and the generic netlink adapter pipelines them
 * (they still reach the kernel in plan order). A phase starts when the
 * previous one has fully answered.
 */
import { describeError } from '../core/errors.js';
import { NetlinkError } from '../os/genl.js';
import type { IpvsApi } from './ipvs/client.js';
import { serviceKeyText } from './model.js';
import type { Operation } from './plan.js';
import { renderOperation } from './render.js';

export type IpvsTableApi = Pick<IpvsApi, 'addService' | 'editService' | 'delService' | 'addDest' | 'editDest' | 'delDest'>;

export interface OperationFailure {
  readonly op: Operation;
  /** "EEXIST", "ENOENT", "LVSHA_IPVS_PROTOCOL", ... */
  readonly kind: string;
  readonly message: string;
}

export interface ApplyOutcome {
  readonly applied: number;
  readonly skipped: number;
  readonly failures: readonly OperationFailure[];
}

/** The kind of an error for counters: errno name, else error code, else "error". */
export function errorKind(err: unknown): string {
  if (err instanceof NetlinkError) return err.errnoName;
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return 'error';
}

export function applyOperation(ipvs: IpvsTableApi, o: Operation): Promise<void> {
  switch (o.op) {
    case 'AddService':
      return ipvs.addService(o.service);
    case 'EditService':
      return ipvs.editService(o.service);
    case 'DelService':
      return ipvs.delService(o.service.key);
    case 'AddDest':
      return ipvs.addDest(o.service, o.dest);
    case 'EditDest':
      return ipvs.editDest(o.service, o.dest);
    case 'DelDest':
      return ipvs.delDest(o.service, o.dest);
  }
}

/**
 * Operations of a phase in flight at once: far more than the adapter's window (so it always has
 * a full batch to send), few enough that a phase of ten thousand operations does not hold ten
 * thousand requests in memory at once (which costs garbage-collection time).
 */
const IN_FLIGHT = 512;

/**
 * Like Promise.allSettled(items.map(fn)), but with at most `limit` calls pending; calls start in
 * item order (each one as soon as one of the `limit` slots is free).
 */
export async function settleInOrder<T>(items: readonly T[], fn: (item: T) => Promise<void>, limit: number): Promise<PromiseSettledResult<void>[]> {
  const results = new Array<PromiseSettledResult<void>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next;
      next += 1;
      try {
        await fn(items[i] as T);
        results[i] = { status: 'fulfilled', value: undefined };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/** applyOperation with a synchronous throw (e.g. an encoder refusing an address) as a rejection. */
function settle(ipvs: IpvsTableApi, o: Operation): Promise<void> {
  try {
    return applyOperation(ipvs, o);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function serviceOf(o: Operation): string {
  return serviceKeyText(o.op === 'AddService' || o.op === 'EditService' || o.op === 'DelService' ? o.service.key : o.service);
}

const PHASE: Readonly<Record<Operation['op'], number>> = {
  AddService: 0, EditService: 0, AddDest: 1, EditDest: 2, DelDest: 3, DelService: 4,
};

/** Splits the operations into runs of consecutive operations of the same phase. */
export function phasesOf(ops: readonly Operation[]): Operation[][] {
  const out: Operation[][] = [];
  let current: Operation[] | undefined;
  let phase = -1;
  for (const o of ops) {
    if (current === undefined || PHASE[o.op] !== phase) {
      current = [];
      out.push(current);
      phase = PHASE[o.op];
    }
    current.push(o);
  }
  return out;
}

/** Applies the operations phase by phase (each phase concurrently); never throws for a kernel refusal. */
export async function applyOperations(ipvs: IpvsTableApi, ops: readonly Operation[]): Promise<ApplyOutcome> {
  const failedServices = new Set<string>();
  const failures: OperationFailure[] = [];
  let applied = 0;
  let skipped = 0;
  for (const phase of phasesOf(ops)) {
    const todo = phase.filter((o) => !((o.op === 'AddDest' || o.op === 'EditDest') && failedServices.has(serviceOf(o))));
    skipped += phase.length - todo.length;
    const results = await settleInOrder(todo, (o) => settle(ipvs, o), IN_FLIGHT);
    results.forEach((r, i) => {
      const o = todo[i];
      if (o === undefined) return;
      if (r.status === 'fulfilled') {
        applied += 1;
        return;
      }
      if (o.op === 'AddService') failedServices.add(serviceOf(o));
      failures.push({ op: o, kind: errorKind(r.reason), message: `${renderOperation(o)}: ${describeError(r.reason)}` });
    });
  }
  return { applied, skipped, failures };
}
