/** TCP connect check: up when a connection is established before the run is cancelled. */
import { Socket, type TcpSocketConnectOpts } from 'node:net';
import type { IpAddress } from '../../config/types.js';
import { withSignal, type Checker, type NowMs, type StartRun } from './types.js';

export interface TcpCheckTarget {
  readonly host: string;
  readonly port: number;
  readonly bindAddress: IpAddress | null;
}

export function tcpChecker(target: TcpCheckTarget, now: NowMs): Checker {
  const options: TcpSocketConnectOpts = {
    host: target.host,
    port: target.port,
    ...(target.bindAddress ? { localAddress: target.bindAddress.text } : {}),
  };
  const start: StartRun = (done) => tcpConnect(options, now, done);
  return withSignal(start);
}

/** Connect, then close at once (or at the first error, or when cancelled); done is called once. */
function tcpConnect(options: TcpSocketConnectOpts, now: NowMs, done: Parameters<StartRun>[0]): (reason: Error) => void {
  const start = now();
  const socket = new Socket();
  // Paused: Node then never starts reading the connection (no readStart, no
  // read path at connect); measured about 20% less CPU per check (docs/health-checks.md).
  socket.pause();
  let finished = false;
  const finish = (reason: string | null): void => {
    if (finished) return;
    finished = true;
    socket.destroy();
    const latencyMs = now() - start;
    done(reason === null ? { ok: true, latencyMs } : { ok: false, latencyMs, reason });
  };
  // `on`, not `once`: the socket is destroyed in finish anyway, and an error listener must stay
  socket.on('connect', () => { finish(null); });
  socket.on('error', (err: NodeJS.ErrnoException) => { finish(`connect: ${err.code ?? err.message}`); });
  socket.connect(options);
  return (reason) => { finish(reason.message); };
}
