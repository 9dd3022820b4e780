/**
 * SMTP check (Keepalived's SMTP_CHECK, plus STARTTLS): a fresh connection,
 * the 220 banner, EHLO (HELO when EHLO gets a 5xx), optionally STARTTLS (220,
 * then the socket upgraded with node:tls and EHLO again over TLS), then QUIT
 * (221). Up when the whole dialogue went as RFC 5321 says; down with the step
 * and the server's reply otherwise. The connection is closed when the run
 * ends, whatever ends it.
 *
 * Bounded: a reply may have at most 64 lines and 16 KiB; a longer one is a
 * failure and closes the connection.
 */
import { readFile } from 'node:fs/promises';
import { Socket, type TcpSocketConnectOpts } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { IpAddress } from '../../config/types.js';
import { errorCode, withSignal, type Checker, type NowMs, type StartRun } from './types.js';

export interface SmtpCheckSpec {
  readonly host: string;
  readonly port: number;
  readonly bindAddress: IpAddress | null;
  readonly heloName: string | null;
  readonly starttls: boolean;
  readonly tlsVerify: boolean;
  readonly tlsServerName: string | null;
  readonly caFile: string | null;
}

export const SMTP_REPLY_MAX_BYTES = 16_384;
const SMTP_REPLY_MAX_LINES = 64;

export interface SmtpReply {
  readonly code: number;
  /** The text of each line, without the code and separator. */
  readonly lines: readonly string[];
}

/**
 * Take one complete reply from the front of `buffer` (RFC 5321 4.2: lines
 * `ddd-text`, the last `ddd text`, CRLF; a bare LF is tolerated). Returns the
 * reply and the bytes after it, `null` when more bytes are needed, or an
 * error text for a malformed or oversized reply.
 */
export function takeSmtpReply(buffer: string): { reply: SmtpReply; rest: string } | null | { error: string } {
  const lines: string[] = [];
  let at = 0;
  let code = -1;
  for (;;) {
    const nl = buffer.indexOf('\n', at);
    if (nl < 0) return buffer.length > SMTP_REPLY_MAX_BYTES ? { error: `reply longer than ${String(SMTP_REPLY_MAX_BYTES)} bytes` } : null;
    const line = buffer.slice(at, nl).replace(/\r$/, '');
    at = nl + 1;
    const m = /^(\d{3})([ -]|$)(.*)$/.exec(line);
    if (!m) return { error: `malformed reply line '${line.slice(0, 80)}'` };
    const lineCode = Number(m[1]);
    if (code >= 0 && lineCode !== code) return { error: `reply code changes within a reply (${String(code)}, then ${String(lineCode)})` };
    code = lineCode;
    lines.push(m[3] ?? '');
    if (m[2] !== '-') return { reply: { code, lines }, rest: buffer.slice(at) };
    if (lines.length >= SMTP_REPLY_MAX_LINES || at > SMTP_REPLY_MAX_BYTES) return { error: `reply longer than ${String(SMTP_REPLY_MAX_LINES)} lines or ${String(SMTP_REPLY_MAX_BYTES)} bytes` };
  }
}

/** Does an EHLO reply announce STARTTLS (one of the lines after the greeting)? */
export function offersStarttls(ehlo: SmtpReply): boolean {
  return ehlo.lines.slice(1).some((l) => /^STARTTLS\b/i.test(l.trim()));
}

function show(reply: SmtpReply): string {
  return `${String(reply.code)} ${(reply.lines[0] ?? '').slice(0, 120)}`.trim();
}

export type SmtpStep = 'banner' | 'EHLO' | 'HELO' | 'STARTTLS' | 'EHLO after STARTTLS' | 'QUIT';
type Step = SmtpStep;

export type SmtpAction =
  | { readonly kind: 'send'; readonly step: SmtpStep; readonly line: string }
  | { readonly kind: 'upgrade' }
  | { readonly kind: 'finish'; readonly reason: string | null };

/** What to do after `reply` to the command of `step`: the dialogue as a pure function. */
export function smtpNext(step: SmtpStep, reply: SmtpReply, starttls: boolean, helo: string): SmtpAction {
  const fail = (reason: string): SmtpAction => ({ kind: 'finish', reason });
  const quit: SmtpAction = { kind: 'send', step: 'QUIT', line: 'QUIT' };
  switch (step) {
    case 'banner':
      return reply.code === 220 ? { kind: 'send', step: 'EHLO', line: `EHLO ${helo}` } : fail(`banner: ${show(reply)}`);
    case 'EHLO':
      if (reply.code >= 500 && reply.code < 600) {
        return starttls ? fail(`EHLO: ${show(reply)} (STARTTLS needs EHLO)`) : { kind: 'send', step: 'HELO', line: `HELO ${helo}` };
      }
      if (reply.code !== 250) return fail(`EHLO: ${show(reply)}`);
      if (!starttls) return quit;
      return offersStarttls(reply) ? { kind: 'send', step: 'STARTTLS', line: 'STARTTLS' } : fail('STARTTLS not offered in the EHLO reply');
    case 'HELO':
    case 'EHLO after STARTTLS':
      return reply.code === 250 ? quit : fail(`${step}: ${show(reply)}`);
    case 'STARTTLS':
      return reply.code === 220 ? { kind: 'upgrade' } : fail(`STARTTLS: ${show(reply)}`);
    case 'QUIT':
      return reply.code === 221 ? { kind: 'finish', reason: null } : fail(`QUIT: ${show(reply)}`);
  }
}

export function smtpChecker(spec: SmtpCheckSpec, now: NowMs): Checker {
  const helo = spec.heloName ?? hostname();
  const connectOptions: TcpSocketConnectOpts = {
    host: spec.host,
    port: spec.port,
    ...(spec.bindAddress ? { localAddress: spec.bindAddress.text } : {}),
  };
  let ca: Buffer | null = null;
  const servername = spec.tlsServerName ?? undefined;
  const start: StartRun = (done) => {
    const t0 = now();
    let finished = false;
    const isFinished = (): boolean => finished; // read through a call: closures set it
    let socket: Socket | TLSSocket = new Socket();
    const plain: Socket = socket;
    let buffer = '';
    let step: Step = 'banner';
    const finish = (reason: string | null): void => {
      if (finished) return;
      finished = true;
      socket.destroy();
      plain.destroy();
      const latencyMs = now() - t0;
      done(reason === null ? { ok: true, latencyMs } : { ok: false, latencyMs, reason });
    };
    const send = (line: string): void => { socket.write(`${line}\r\n`); };
    const upgrade = (): void => {
      const base = plain;
      base.removeAllListeners('data');
      const secure = tlsConnect({
        socket: base,
        host: spec.host, // the name verified when there is no tls_server_name (not 'localhost')
        rejectUnauthorized: spec.tlsVerify,
        ...(servername !== undefined ? { servername } : {}),
        ...(ca !== null ? { ca } : {}),
      });
      socket = secure;
      listen(secure);
      secure.once('secureConnect', () => {
        step = 'EHLO after STARTTLS';
        send(`EHLO ${helo}`);
      });
    };
    const onReply = (reply: SmtpReply): void => {
      const next = smtpNext(step, reply, spec.starttls, helo);
      if (next.kind === 'finish') finish(next.reason);
      else if (next.kind === 'upgrade') {
        if (buffer !== '') finish('STARTTLS: data after the 220 reply (response injection)');
        else upgrade();
      } else {
        step = next.step;
        send(next.line);
      }
    };
    const onData = (chunk: Buffer): void => {
      if (finished) return;
      buffer += chunk.toString('latin1');
      while (!isFinished()) {
        const r = takeSmtpReply(buffer);
        if (r === null) return;
        if ('error' in r) {
          finish(`${step}: ${r.error}`);
          return;
        }
        buffer = r.rest;
        onReply(r.reply);
      }
    };
    function listen(s: Socket | TLSSocket): void {
      s.on('data', onData);
      s.on('error', (err: Error) => {
        const code = errorCode(err);
        if (s !== plain) finish(`${step === 'STARTTLS' ? 'TLS' : step}: ${code === err.message ? code : `${code} ${err.message}`}`);
        else finish(`${step === 'banner' ? 'connect' : step}: ${code}`);
      });
      s.on('close', () => { finish(`connection closed by the server during ${step}`); });
    }
    listen(socket);
    const go = (): void => { if (!finished) socket.connect(connectOptions); };
    if (spec.starttls && spec.caFile !== null && ca === null) {
      readFile(spec.caFile).then((b) => { ca = b; go(); }, (err: unknown) => { finish(`ca_file: ${errorCode(err)}`); });
    } else go();
    return (reason) => { finish(reason.message); };
  };
  return withSignal(start);
}
