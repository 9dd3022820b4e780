/** Build the checker for one target and check configuration. */
import type { CheckConfig } from '../../config/types.js';
import type { CheckTarget } from '../key.js';
import { dnsChecker } from './dns.js';
import { execChecker } from './exec.js';
import { httpChecker } from './http.js';
import { icmpChecker } from './icmp.js';
import { smtpChecker } from './smtp.js';
import { tcpChecker } from './tcp.js';
import { udpChecker } from './udp.js';
import type { Checker, NowMs } from './types.js';
import type { UserIds } from '../../os/accounts.js';

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
    case 'dns':
      return dnsChecker(
        {
          host: check.connectAddress?.text ?? target.address.text,
          port: check.connectPort ?? target.port,
          bindAddress: check.bindAddress,
          queryName: check.queryName,
          queryType: check.queryType,
          expectRcode: check.expectRcode,
          expectAnswer: check.expectAnswer,
          timeoutMs: check.timeoutMs,
        },
        deps.now,
      );
    case 'udp':
      return udpChecker(
        {
          host: check.connectAddress?.text ?? target.address.text,
          family: check.connectAddress?.family ?? target.address.family,
          port: check.connectPort ?? target.port,
          bindAddress: check.bindAddress,
          payload: Buffer.from(check.payloadHex, 'hex'),
          requireReply: check.requireReply,
          expectReply: check.expectReply,
          expectReplyHex: check.expectReplyHex,
          timeoutMs: check.timeoutMs,
        },
        deps.now,
      );
    case 'icmp':
      return icmpChecker(
        { address: check.connectAddress ?? target.address, count: check.count, minReplies: check.minReplies, timeoutMs: check.timeoutMs },
        deps.now,
      );
    case 'smtp':
      return smtpChecker(
        {
          host: check.connectAddress?.text ?? target.address.text,
          port: check.connectPort ?? target.port,
          bindAddress: check.bindAddress,
          heloName: check.heloName,
          starttls: check.starttls,
          tlsVerify: check.tlsVerify,
          tlsServerName: check.tlsServerName,
          caFile: check.caFile,
        },
        deps.now,
      );
  }
}
