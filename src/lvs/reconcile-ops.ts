/**
 * Applying planned operations to IPVS, one by one, without ever stopping at a
 * failure: each failure is recorded with its kind (errno name or error code)
 * and the run goes on. Destinations of a service whose AddService failed are
 * skipped (they would fail with ESRCH) and retried with it next run.
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

export async function applyOperation(ipvs: IpvsTableApi, o: Operation): Promise<void> {
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

function serviceOf(o: Operation): string {
  return serviceKeyText(o.op === 'AddService' || o.op === 'EditService' || o.op === 'DelService' ? o.service.key : o.service);
}

/** Applies the operations in order; never throws for a kernel refusal. */
export async function applyOperations(ipvs: IpvsTableApi, ops: readonly Operation[]): Promise<ApplyOutcome> {
  const failedServices = new Set<string>();
  const failures: OperationFailure[] = [];
  let applied = 0;
  let skipped = 0;
  for (const o of ops) {
    const skey = serviceOf(o);
    if ((o.op === 'AddDest' || o.op === 'EditDest') && failedServices.has(skey)) {
      skipped += 1;
      continue;
    }
    try {
      await applyOperation(ipvs, o);
      applied += 1;
    } catch (err) {
      if (o.op === 'AddService') failedServices.add(skey);
      failures.push({ op: o, kind: errorKind(err), message: `${renderOperation(o)}: ${describeError(err)}` });
    }
  }
  return { applied, skipped, failures };
}
