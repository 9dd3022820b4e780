/** TCP connect check: up when a connection is established before the signal aborts. */
import { Socket } from 'node:net';
import type { IpAddress } from '../../config/types.js';
import type { CheckResult } from '../hysteresis.js';
import { abortText, type Checker, type NowMs } from './types.js';

export interface TcpCheckTarget {
  readonly host: string;
  readonly port: number;
  readonly bindAddress: IpAddress | null;
}

export function tcpChecker(target: TcpCheckTarget, now: NowMs): Checker {
  return (signal) => tcpConnect(target, now, signal);
}

function tcpConnect(target: TcpCheckTarget, now: NowMs, signal: AbortSignal): Promise<CheckResult> {
  const start = now();
  return new Promise<CheckResult>((resolve) => {
    if (signal.aborted) {
      resolve({ ok: false, latencyMs: 0, reason: abortText(signal) });
      return;
    }
    const socket = new Socket();
    const finish = (result: CheckResult): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => {
      finish({ ok: false, latencyMs: now() - start, reason: abortText(signal) });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      finish({ ok: true, latencyMs: now() - start });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, latencyMs: now() - start, reason: `connect: ${err.code ?? err.message}` });
    });
    socket.connect({
      host: target.host,
      port: target.port,
      ...(target.bindAddress ? { localAddress: target.bindAddress.text } : {}),
    });
  });
}
