import { LvsHaError } from '../core/errors.js';

/** Stable codes for everything that can go wrong around the control socket. */
export type ControlSocketErrorCode =
  /** Another live daemon answers on the socket path. */
  | 'LVSHA_CONTROL_IN_USE'
  /** The socket path exists and is not a socket (refusing to delete it). */
  | 'LVSHA_CONTROL_NOT_SOCKET'
  /** Creating the directory or the listening socket failed. */
  | 'LVSHA_CONTROL_SETUP'
  /** Client: nothing listens on the path. */
  | 'LVSHA_CONTROL_NO_DAEMON'
  /** Client: the socket (or its directory) is not accessible to this user. */
  | 'LVSHA_CONTROL_PERMISSION'
  /** Client: no reply within the timeout. */
  | 'LVSHA_CONTROL_TIMEOUT'
  /** Client: the reply was not a valid protocol reply. */
  | 'LVSHA_CONTROL_PROTOCOL'
  /** Client: any other socket error. */
  | 'LVSHA_CONTROL_IO';

export class ControlSocketError extends LvsHaError {
  constructor(
    readonly code: ControlSocketErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The errno-style code of a Node system error, if any. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
