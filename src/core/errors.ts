/**
 * Typed errors with stable codes. Never throw strings; decoders of wire input
 * never throw at all (they return a DecodeResult).
 */
export abstract class LvsHaError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A usage error of the command line (unknown verb or flag, missing argument). */
export class UsageError extends LvsHaError {
  readonly code = 'LVSHA_USAGE';
}

/** The result of decoding untrusted input: a value, or a reason it was refused. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export function decoded<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function refused<T>(reason: string): DecodeResult<T> {
  return { ok: false, reason };
}

/** A readable one-line message for anything caught. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
