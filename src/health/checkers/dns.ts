/**
 * DNS check: one query for `query_name`/`query_type` sent to the real server,
 * through Node's own resolver (c-ares) bound to that one server: UDP, and TCP
 * when the reply is truncated (c-ares does the fallback), one try, no search
 * list, no cache (Node's resolver keeps none: measured, a stopped server fails
 * the next query even for a record with a TTL of 300 s).
 *
 * c-ares does not hand back the response code; it reports it as an error code,
 * which `rcodeOf` maps back (docs/health-checks.md, dns): ENOTFOUND is
 * NXDOMAIN, ENODATA is NOERROR without an answer of the asked type, ESERVFAIL,
 * EREFUSED, ENOTIMP and EFORMERR are those codes; anything else (ETIMEOUT,
 * ECONNREFUSED, EBADRESP, ...) is no usable reply and fails the check whatever
 * rcode is expected.
 */
import { Resolver } from 'node:dns';
import type { DnsQueryType, DnsRcode, IpAddress } from '../../config/types.js';
import { ownDeadlineMs, withSignal, type Checker, type NowMs, type StartRun } from './types.js';

export interface DnsCheckSpec {
  readonly host: string;
  readonly port: number;
  readonly bindAddress: IpAddress | null;
  readonly queryName: string;
  readonly queryType: DnsQueryType;
  readonly expectRcode: DnsRcode;
  readonly expectAnswer: string | null;
  readonly timeoutMs: number;
}

/** What one query came back with: a response code (and its answers), or no usable reply. */
export type DnsOutcome =
  | { readonly rcode: DnsRcode; readonly answers: readonly string[] }
  | { readonly failure: string };

const RCODE_OF_ERROR: Readonly<Record<string, DnsRcode>> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NOERROR',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ENOTIMP: 'NOTIMP',
  EFORMERR: 'FORMERR',
};

const FAILURE_TEXT: Readonly<Record<string, string>> = {
  ETIMEOUT: 'no reply',
  ECONNREFUSED: 'no reply: connection refused (port unreachable)',
  EBADRESP: 'bad reply',
  ECANCELLED: 'cancelled',
};

/** The outcome of a query that failed with c-ares error `code`. */
export function rcodeOf(code: string): DnsOutcome {
  const rcode = RCODE_OF_ERROR[code];
  if (rcode !== undefined) return { rcode, answers: [] };
  return { failure: `${FAILURE_TEXT[code] ?? 'query failed'} (${code})` };
}

type Rec = Record<string, unknown>;
const s = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** One answer as text, as `expect_answer` sees it (docs/health-checks.md lists the forms). */
function renderOne(type: DnsQueryType, a: unknown): string {
  if (typeof a === 'string') return a; // A, AAAA, CNAME, NS, PTR
  if (Array.isArray(a)) return a.map(s).join(''); // TXT: the record's strings, joined
  const r = (a ?? {}) as Rec;
  switch (type) {
    case 'MX':
      return `${s(r.priority)} ${s(r.exchange)}`;
    case 'SRV':
      return `${s(r.priority)} ${s(r.weight)} ${s(r.port)} ${s(r.name)}`;
    case 'SOA':
      return [r.nsname, r.hostmaster, r.serial, r.refresh, r.retry, r.expire, r.minttl].map(s).join(' ');
    case 'CAA': {
      const tag = Object.keys(r).find((k) => k !== 'critical') ?? '';
      return `${s(r.critical)} ${tag} "${s(r[tag])}"`;
    }
    case 'NAPTR':
      return `${s(r.order)} ${s(r.preference)} "${s(r.flags)}" "${s(r.service)}" "${s(r.regexp)}" ${s(r.replacement)}`;
    default:
      return JSON.stringify(a);
  }
}

/** The answers of a successful resolve (SOA comes as one object, the rest as lists). */
export function renderAnswers(type: DnsQueryType, value: unknown): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((a) => renderOne(type, a));
}

/** null when the outcome is what the check expects, else the reason it is not. */
export function dnsVerdict(spec: Pick<DnsCheckSpec, 'expectRcode' | 'queryName' | 'queryType'>, answerRe: RegExp | null, outcome: DnsOutcome): string | null {
  if ('failure' in outcome) return outcome.failure;
  if (outcome.rcode !== spec.expectRcode) return `rcode ${outcome.rcode}, expected ${spec.expectRcode}`;
  if (answerRe === null) return null;
  if (outcome.answers.length === 0) return `no ${spec.queryType} answer for ${spec.queryName} (expect_answer /${answerRe.source}/)`;
  if (outcome.answers.some((a) => answerRe.test(a))) return null;
  const shown = outcome.answers.slice(0, 3).join(', ').slice(0, 200);
  return `no answer matches /${answerRe.source}/ (got ${shown}${outcome.answers.length > 3 ? ', ...' : ''})`;
}

function serverText(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${String(port)}` : `${host}:${String(port)}`;
}

export function dnsChecker(spec: DnsCheckSpec, now: NowMs): Checker {
  const answerRe = spec.expectAnswer === null ? null : new RegExp(spec.expectAnswer);
  // One resolver (a c-ares channel) per checker: runs of one check never overlap,
  // so cancel() only ever cancels this check's one query. c-ares closes its
  // sockets when no query is pending. Made at the first run, not with the
  // checker: creating a channel reads /etc/resolv.conf, and the first runs of
  // 10,000 checks are spread over an interval while building them is not.
  let made: Resolver | null = null;
  const resolver = (): Resolver => {
    if (made !== null) return made;
    const r = new Resolver({ timeout: ownDeadlineMs(spec.timeoutMs), tries: 1 });
    r.setServers([serverText(spec.host, spec.port)]);
    if (spec.bindAddress !== null) {
      if (spec.bindAddress.family === 'ipv4') r.setLocalAddress(spec.bindAddress.text);
      else r.setLocalAddress('0.0.0.0', spec.bindAddress.text);
    }
    made = r;
    return r;
  };
  const start: StartRun = (done) => {
    const t0 = now();
    let finished = false;
    let cancelled: Error | null = null;
    const finish = (outcome: DnsOutcome): void => {
      if (finished) return;
      finished = true;
      const latencyMs = now() - t0;
      if (cancelled !== null) {
        done({ ok: false, latencyMs, reason: cancelled.message });
        return;
      }
      const reason = dnsVerdict(spec, answerRe, outcome);
      done(reason === null ? { ok: true, latencyMs } : { ok: false, latencyMs, reason });
    };
    const channel = resolver();
    channel.resolve(spec.queryName, spec.queryType, (err: NodeJS.ErrnoException | null, value: unknown) => {
      if (err) finish(rcodeOf(err.code ?? 'EUNKNOWN'));
      else finish({ rcode: 'NOERROR', answers: renderAnswers(spec.queryType, value) });
    });
    return (reason) => {
      if (finished || cancelled !== null) return;
      cancelled = reason;
      channel.cancel(); // the callback runs with ECANCELLED and reports the reason
    };
  };
  return withSignal(start);
}
