/**
 * The pure parts of the lab drill: reading one HTTP/1.1 reply from a byte
 * stream (the lab's own backends always send Content-Length), the longest gap
 * between successful new connections, and the verdict on held sessions.
 */

export type HttpReplyParse =
  | { readonly kind: 'more' }
  | { readonly kind: 'reply'; readonly status: number; readonly server: string | null; readonly rest: Buffer }
  | { readonly kind: 'bad'; readonly reason: string };

const MAX_HEAD = 16 * 1024;

export function parseHttpReply(buf: Buffer): HttpReplyParse {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return buf.length > MAX_HEAD ? { kind: 'bad', reason: 'reply head too long' } : { kind: 'more' };
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (m === null) return { kind: 'bad', reason: `not an HTTP reply: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}` };
  let length: number | null = null;
  let server: string | null = null;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-length') length = Number(value);
    if (key === 'x-real-server') server = value;
  }
  if (length === null || !Number.isInteger(length) || length < 0) return { kind: 'bad', reason: 'reply without a valid Content-Length' };
  const end = headEnd + 4 + length;
  if (buf.length < end) return { kind: 'more' };
  return { kind: 'reply', status: Number(m[1]), server, rest: buf.subarray(end) };
}

/** The longest time without a successful new connection in [start, end] (ms). */
export function longestGap(successes: readonly number[], start: number, end: number): number {
  let last = start;
  let gap = 0;
  for (const t of [...successes].sort((a, b) => a - b)) {
    if (t < start || t > end) continue;
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.max(gap, end - last);
}

export interface SessionVerdict {
  readonly held: number;
  /** Answered again, by the same real server as before the failover. */
  readonly kept: number;
  readonly broken: number;
  readonly percentKept: number;
}

/** Compares the real server that answered each held connection before and after. */
export function sessionsKept(before: readonly (string | null)[], after: readonly (string | null)[]): SessionVerdict {
  let held = 0;
  let kept = 0;
  before.forEach((server, i) => {
    if (server === null) return;
    held++;
    if (after[i] === server) kept++;
  });
  return { held, kept, broken: held - kept, percentKept: held === 0 ? 0 : Math.round((kept / held) * 1000) / 10 };
}

/** A copy of `items` in a random order (Fisher-Yates); `random` in [0, 1), injectable for tests. */
export function shuffle<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
