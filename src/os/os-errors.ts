/** Errors of the OS adapters (sockets, rtnetlink), with the errno name when the kernel gave one. */
import { LvsHaError } from '../core/errors.js';

/** A system call or netlink request failed. `errno` is the name (EPERM, ENODEV, ...) when known. */
export class OsError extends LvsHaError {
  readonly code = 'LVSHA_OS';
  constructor(
    message: string,
    readonly operation: string,
    readonly errno: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Wrap anything a syscall wrapper threw into an OsError that keeps the errno name. */
export function osError(operation: string, err: unknown): OsError {
  const errno = errnoOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new OsError(`${operation}: ${detail}`, operation, errno, { cause: err });
}

/** The errno name carried by a Node, addon or netlink error, if any. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  const errno = (err as { errno?: unknown }).errno;
  if (typeof errno === 'number') return errnoName(Math.abs(errno));
  // The netlink package rejects requests with Error('Request rejected: EEXIST').
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string') return /\b(E[A-Z0-9]{2,})\b/.exec(message)?.[1];
  return undefined;
}

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  13: 'EACCES',
  17: 'EEXIST',
  19: 'ENODEV',
  22: 'EINVAL',
  95: 'EOPNOTSUPP',
  99: 'EADDRNOTAVAIL',
};

function errnoName(n: number): string | undefined {
  return ERRNO_NAMES[n];
}
