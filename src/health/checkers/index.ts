/** Build the checker for one target and check configuration. */
import type { CheckConfig } from '../../config/types.js';
import type { CheckTarget } from '../key.js';
import { execChecker } from './exec.js';
import { httpChecker } from './http.js';
import { tcpChecker } from './tcp.js';
import type { Checker, NowMs } from './types.js';
import type { UserIds } from './user.js';

export type { Checker, NowMs } from './types.js';

export interface CheckerDeps {
  readonly now: NowMs;
  /** The scripts user for exec checks (null: the daemon's own user, tests only). */
  readonly scriptUser: UserIds | null;
}

export function buildChecker(target: CheckTarget, check: CheckConfig, deps: CheckerDeps): Checker {
  switch (check.type) {
    case 'tcp':
      return tcpChecker(
        {
          host: check.connectAddress?.text ?? target.address.text,
          port: check.connectPort ?? target.port,
          bindAddress: check.bindAddress,
        },
        deps.now,
      );
    case 'http':
    case 'https':
      return httpChecker(
        {
          scheme: check.type,
          host: check.connectAddress?.text ?? target.address.text,
          port: check.connectPort ?? target.port,
          bindAddress: check.bindAddress,
          method: check.method,
          path: check.path,
          hostHeader: check.host,
          expectStatus: check.expectStatus,
          expectBody: check.expectBody,
          expectDigest: check.expectDigest,
          expectDigestMd5: check.expectDigestMd5 ?? null,
          tlsVerify: check.tlsVerify,
          tlsServerName: check.tlsServerName,
          caFile: check.caFile,
          maxBodyBytes: check.maxBodyBytes,
        },
        deps.now,
      );
    case 'exec':
      return execChecker(
        {
          command: check.command,
          user: deps.scriptUser,
          dynamicWeight: check.dynamicWeight,
          env: { LVS_HA_RS_ADDRESS: target.address.text, LVS_HA_RS_PORT: String(target.port) },
        },
        deps.now,
      );
  }
}
