/**
 * The generic netlink adapter over fake sockets: pipelined doit requests
 * matched by sequence number (out-of-order ACKs, an error in the middle of a
 * window, the window bound), dumps exclusive per socket and concurrent on
 * separate sockets, DONE errors, timeouts, socket errors, family lookup.
 */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { GenericNetlinkClient, NetlinkError, type GenlFamily, type GenericNetlinkOptions } from '../../../src/os/genl.js';
import { nlHeader, parseNlMessages, type DatagramSocket, type NlMessage } from '../../../src/os/genl-pipeline.js';

const FAMILY: GenlFamily = { id: 0x20, name: 'TEST', version: 1 };
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_MULTI = 0x2;

class FakeSocket implements DatagramSocket {
  readonly sent: NlMessage[] = [];
  alive = false;
  closed = false;
  private message: ((d: Buffer, truncated: boolean) => void) | undefined;
  private error: ((e: Error & { errno?: number }) => void) | undefined;
  readonly datagrams: number[] = [];
  send(datagram: readonly Buffer[]): void {
    const msgs = parseNlMessages(Buffer.concat(datagram));
    if (msgs === undefined || msgs.length === 0) throw new Error('malformed datagram');
    this.datagrams.push(msgs.length);
    this.sent.push(...msgs);
  }
  onMessage(handler: (d: Buffer, truncated: boolean) => void): void {
    this.message = handler;
  }
  onError(handler: (e: Error & { errno?: number }) => void): void {
    this.error = handler;
  }
  keepAlive(on: boolean): void {
    this.alive = on;
  }
  close(): void {
    this.closed = true;
  }
  deliver(...parts: Buffer[]): void {
    this.message?.(Buffer.concat(parts), false);
  }
  deliverTruncated(): void {
    this.message?.(Buffer.alloc(64), true);
  }
  fail(errno: number): void {
    this.error?.(Object.assign(new Error('recvmsg failed'), { errno: -errno }));
  }
  seqs(): number[] {
    return this.sent.map((m) => m.seq);
  }
}

function msg(type: number, flags: number, seq: number, data: Buffer): Buffer {
  const pad = Buffer.alloc((4 - (data.length % 4)) % 4);
  return Buffer.concat([nlHeader(16 + data.length, type, flags, seq), data, pad]);
}
const s32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};
/** An ACK (errno 0) or an error for `seq` (errno positive; sent negative as the kernel does). */
const ack = (seq: number, errno = 0): Buffer => msg(NLMSG_ERROR, 0, seq, Buffer.concat([s32(-errno), nlHeader(20, 0x20, 5, seq)]));
/** A genl reply with one payload byte to tell replies apart. */
const reply = (seq: number, mark: number, flags = 0): Buffer => msg(0x20, flags, seq, Buffer.from([7, 1, 0, 0, mark]));
const done = (seq: number, errno = 0): Buffer => msg(NLMSG_DONE, NLM_F_MULTI, seq, s32(-errno));

function setup(options: GenericNetlinkOptions = {}): { nl: GenericNetlinkClient; sockets: FakeSocket[]; clock: FakeClock } {
  const sockets: FakeSocket[] = [];
  const clock = new FakeClock();
  const nl = new GenericNetlinkClient(() => {
    const s = new FakeSocket();
    sockets.push(s);
    return s;
  }, { clock, ...options });
  return { nl, sockets, clock };
}
const doit = (nl: GenericNetlinkClient, label: string, explain?: (errno: number, name: string) => string | undefined) =>
  nl.request(FAMILY, { cmd: 5, kind: 'doit', payload: Buffer.from([1, 2, 3, 4]), label, ...(explain === undefined ? {} : { explain }) });
const dump = (nl: GenericNetlinkClient, label = 'DUMP') => nl.request(FAMILY, { cmd: 6, kind: 'dump', payload: Buffer.alloc(0), label });
function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`nothing at ${i}`);
  return v;
}
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const marks = (replies: { payload: Buffer }[]): number[] => replies.map((r) => r.payload[0] ?? -1);

describe('generic netlink adapter: pipelined doit requests', () => {
  test('concurrent requests all leave before any answer, with distinct sequence numbers and REQUEST|ACK', async () => {
    const { nl, sockets } = setup();
    for (let i = 0; i < 5; i++) void doit(nl, `R${i}`).catch(() => undefined);
    await settle();
    const s = sockets[0];
    expect(sockets).toHaveLength(1);
    expect(s?.sent).toHaveLength(5);
    expect(new Set(s?.seqs()).size).toBe(5);
    expect(s?.sent.map((m) => [m.type, m.flags])).toEqual(Array.from({ length: 5 }, () => [0x20, 0x5]));
    // genl header (cmd 5, version 1) then the payload
    expect([...(s?.sent[0]?.data ?? [])]).toEqual([5, 1, 0, 0, 1, 2, 3, 4]);
    expect(s?.alive).toBe(true);
    expect(s?.datagrams).toEqual([5]); // one datagram, five messages
  });

  test('batches: the window refills when half of it is free, in one datagram', async () => {
    const { nl, sockets } = setup({ window: 4 });
    const p = Array.from({ length: 10 }, (_, i) => doit(nl, `R${i}`));
    await settle();
    const s = at(sockets, 0);
    expect(s.datagrams).toEqual([4]);
    s.deliver(ack(s.seqs()[0] ?? 0));
    expect(s.datagrams).toEqual([4]); // 3 in flight: not yet
    s.deliver(ack(s.seqs()[1] ?? 0));
    expect(s.datagrams).toEqual([4, 2]); // 2 in flight: refilled to 4
    for (let k = 2; k < 10; k++) s.deliver(ack(s.seqs()[k] ?? 0));
    expect(await Promise.all(p)).toHaveLength(10);
    expect(s.datagrams.reduce((a, b) => a + b, 0)).toBe(10);
    expect(new Set(s.seqs()).size).toBe(10);
  });

  test('ACKs out of order: each request gets its own reply', async () => {
    const { nl, sockets } = setup();
    const p = [doit(nl, 'A'), doit(nl, 'B'), doit(nl, 'C')];
    await settle();
    const s = at(sockets, 0);
    const [a, b, c] = s.seqs() as [number, number, number];
    // C answers first, then B (reply + ACK in one datagram), then A.
    s.deliver(reply(c, 30), ack(c));
    s.deliver(reply(b, 20), ack(b));
    s.deliver(reply(a, 10));
    s.deliver(ack(a));
    const [ra, rb, rc] = await Promise.all(p);
    expect(marks(ra ?? [])).toEqual([10]);
    expect(marks(rb ?? [])).toEqual([20]);
    expect(marks(rc ?? [])).toEqual([30]);
    expect(ra?.[0]).toMatchObject({ cmd: 7, version: 1 });
    expect(s.alive).toBe(false);
  });

  test('an error in the middle of a window fails only that request, with its own command and wording', async () => {
    const { nl, sockets } = setup();
    const explain = (errno: number, name: string): string => `explained ${errno} ${name}`;
    const p = [doit(nl, 'FIRST'), doit(nl, 'MIDDLE', explain), doit(nl, 'LAST')].map((x) => x.then(() => 'ok', (e: unknown) => e));
    await settle();
    const s = at(sockets, 0);
    const [a, b, c] = s.seqs() as [number, number, number];
    s.deliver(ack(a), ack(b, 17), ack(c));
    const [ra, rb, rc] = await Promise.all(p);
    expect(ra).toBe('ok');
    expect(rc).toBe('ok');
    expect(rb).toBeInstanceOf(NetlinkError);
    expect(rb).toMatchObject({ errno: 17, errnoName: 'EEXIST', command: 'TEST MIDDLE', message: 'TEST MIDDLE: explained 17 EEXIST' });
  });

  test('without an explain hook a kernel errno is worded generically; EPERM names the capability', async () => {
    const { nl, sockets } = setup();
    const p = [doit(nl, 'X'), doit(nl, 'Y')].map((x) => x.catch((e: unknown) => e));
    await settle();
    const [x, y] = at(sockets, 0).seqs() as [number, number];
    at(sockets, 0).deliver(ack(y, 1), ack(x, 3));
    const [ex, ey] = await Promise.all(p);
    expect((ex as Error).message).toBe('TEST X: the kernel answered ESRCH (errno 3)');
    expect((ey as Error).message).toContain('needs CAP_NET_ADMIN');
  });

  test('the window bounds what is in flight; each answer lets the next request go', async () => {
    const { nl, sockets } = setup({ window: 2 });
    const p = Array.from({ length: 5 }, (_, i) => doit(nl, `R${i}`));
    await settle();
    const s = at(sockets, 0);
    expect(s.sent).toHaveLength(2);
    s.deliver(ack(s.seqs()[1] ?? 0));
    expect(s.sent).toHaveLength(3);
    s.deliver(ack(s.seqs()[0] ?? 0), ack(s.seqs()[2] ?? 0));
    expect(s.sent).toHaveLength(5);
    s.deliver(ack(s.seqs()[3] ?? 0), ack(s.seqs()[4] ?? 0));
    expect(await Promise.all(p)).toEqual([[], [], [], [], []]);
  });

  test('a request without an answer times out (ETIMEDOUT); its late ACK is ignored and the next request works', async () => {
    const { nl, sockets, clock } = setup({ timeoutMs: 1000 });
    const lost = doit(nl, 'LOST').catch((e: unknown) => e);
    await settle();
    const s = at(sockets, 0);
    clock.advance(999);
    const answered = doit(nl, 'ANSWERED');
    await settle();
    s.deliver(ack(s.seqs()[1] ?? 0));
    expect(await answered).toEqual([]);
    clock.advance(2);
    await settle();
    expect(s.alive).toBe(true); // 1001 ms: still waiting (the timeout is 1 to 1.5 x timeoutMs)
    clock.advance(500);
    const err = await lost;
    expect(err).toMatchObject({ errno: 110, errnoName: 'ETIMEDOUT', command: 'TEST LOST', message: 'TEST LOST: no reply within 1000 ms' });
    s.deliver(ack(s.seqs()[0] ?? 0)); // late: nobody waits for it any more
    const next = doit(nl, 'NEXT');
    await settle();
    s.deliver(ack(s.seqs()[2] ?? 0));
    expect(await next).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a socket error or a truncated datagram fails what is in flight; the next request gets a fresh socket', async () => {
    const { nl, sockets } = setup();
    const a = doit(nl, 'A').catch((e: unknown) => e);
    await settle();
    at(sockets, 0).fail(105);
    expect(await a).toMatchObject({ errno: 105, errnoName: 'ENOBUFS', command: 'TEST A' });
    expect(at(sockets, 0).closed).toBe(true);
    const b = doit(nl, 'B').catch((e: unknown) => e);
    await settle();
    expect(sockets).toHaveLength(2);
    expect(at(sockets, 1).alive).toBe(true);
    at(sockets, 1).deliverTruncated();
    expect(await b).toMatchObject({ errno: 90, message: 'TEST B: a reply was truncated (EMSGSIZE)' });
    const c = doit(nl, 'C');
    await settle();
    at(sockets, 2).deliver(ack(at(sockets, 2).seqs()[0] ?? 0));
    expect(await c).toEqual([]);
    expect(at(sockets, 1).sent).toHaveLength(1);
  });

  test('close() fails pending requests and closes the sockets', async () => {
    const { nl, sockets } = setup();
    const a = doit(nl, 'A').catch((e: unknown) => e);
    await settle();
    nl.close();
    expect(await a).toMatchObject({ code: 'LVSHA_NETLINK', message: 'TEST A: socket closed' });
    expect(sockets[0]?.closed).toBe(true);
    await expect(doit(nl, 'B')).rejects.toThrow('socket closed');
  });
});

describe('generic netlink adapter: dumps', () => {
  test('a dump collects every part until DONE (flags REQUEST|DUMP, no ACK)', async () => {
    const { nl, sockets } = setup();
    const p = dump(nl);
    await settle();
    const s = at(sockets, 0);
    const seq = s.seqs()[0] ?? 0;
    expect(s.sent[0]?.flags).toBe(0x301);
    s.deliver(reply(seq, 1, NLM_F_MULTI), reply(seq, 2, NLM_F_MULTI));
    s.deliver(reply(seq, 3, NLM_F_MULTI), done(seq));
    expect(marks(await p)).toEqual([1, 2, 3]);
  });

  test('an error code in DONE or an error message fails the dump', async () => {
    const { nl, sockets } = setup({ dumpSockets: 1 });
    const p = dump(nl, 'D1').catch((e: unknown) => e);
    await settle();
    const s = at(sockets, 0);
    s.deliver(reply(s.seqs()[0] ?? 0, 1, NLM_F_MULTI), done(s.seqs()[0] ?? 0, 16));
    expect(await p).toMatchObject({ errno: 16, errnoName: 'EBUSY', command: 'TEST D1' });
    const q = dump(nl, 'D2').catch((e: unknown) => e);
    await settle();
    s.deliver(ack(s.seqs()[1] ?? 0, 22));
    expect(await q).toMatchObject({ errno: 22, command: 'TEST D2' });
  });

  test('doits and dumps never overlap, and requests leave in the order they were made', async () => {
    const { nl, sockets } = setup();
    const first = doit(nl, 'W1');
    const d = dump(nl);
    const last = doit(nl, 'W2');
    await settle();
    const s = at(sockets, 0);
    expect(s.sent).toHaveLength(1); // the dump waits for W1, W2 waits for the dump
    s.deliver(ack(s.seqs()[0] ?? 0));
    await first;
    expect(s.sent.map((m) => m.flags)).toEqual([0x5, 0x301]);
    s.deliver(done(s.seqs()[1] ?? 0));
    expect(await d).toEqual([]);
    expect(s.sent.map((m) => m.flags)).toEqual([0x5, 0x301, 0x5]);
    s.deliver(ack(s.seqs()[2] ?? 0));
    expect(await last).toEqual([]);
  });

  test('concurrent dumps run one per socket on a pool of sockets, each matched to its own socket', async () => {
    const { nl, sockets } = setup({ dumpSockets: 2 });
    const p = [dump(nl, 'D0'), dump(nl, 'D1'), dump(nl, 'D2')];
    await settle();
    expect(sockets).toHaveLength(2);
    const [s0, s1] = sockets as [FakeSocket, FakeSocket];
    expect([s0.sent.length, s1.sent.length]).toEqual([1, 1]);
    const seq1 = s1.seqs()[0] ?? 0;
    s0.deliver(done(seq1)); // the right seq on the wrong socket: ignored
    s1.deliver(reply(seq1, 11, NLM_F_MULTI), done(seq1));
    expect(marks((await p[1]) ?? [])).toEqual([11]);
    expect(s1.sent).toHaveLength(2); // D2 took the free socket
    const seq2 = s1.seqs()[1] ?? 0;
    const seq0 = s0.seqs()[0] ?? 0;
    s1.deliver(reply(seq2, 22, NLM_F_MULTI), done(seq2));
    s0.deliver(reply(seq0, 10, NLM_F_MULTI), done(seq0));
    const [r0, , r2] = await Promise.all(p);
    expect(marks(r0 ?? [])).toEqual([10]);
    expect(marks(r2 ?? [])).toEqual([22]);
  });

  test('a dump that keeps sending parts does not time out; one that stalls does', async () => {
    const { nl, sockets, clock } = setup({ timeoutMs: 1000 });
    const p = dump(nl).catch((e: unknown) => e);
    await settle();
    const s = at(sockets, 0);
    const seq = s.seqs()[0] ?? 0;
    for (let i = 0; i < 3; i++) {
      clock.advance(800);
      s.deliver(reply(seq, i, NLM_F_MULTI));
    }
    await settle();
    clock.advance(1500);
    expect(await p).toMatchObject({ errno: 110 });
  });
});

describe('generic netlink adapter: family lookup', () => {
  const familyReply = (seq: number, id: number): Buffer => {
    // CTRL_CMD_NEWFAMILY, version 2; CTRL_ATTR_FAMILY_ID (1), u16
    const attr = Buffer.from([6, 0, 1, 0, id & 0xff, id >> 8, 0, 0]);
    return msg(0x10, 0, seq, Buffer.concat([Buffer.from([1, 2, 0, 0]), attr]));
  };

  test('resolves the id; an ENOENT is retried once', async () => {
    const { nl, sockets } = setup();
    const p = nl.resolveFamily('IPVS', { version: 1 });
    await settle();
    const s = at(sockets, 0);
    expect(s.sent[0]).toMatchObject({ type: 0x10, flags: 0x5 });
    s.deliver(ack(s.seqs()[0] ?? 0, 2));
    await settle();
    const second = s.seqs()[1] ?? 0;
    s.deliver(familyReply(second, 0x23), ack(second));
    expect(await p).toEqual({ id: 0x23, name: 'IPVS', version: 1 });
  });

  test('two ENOENTs: "not found" with the hint', async () => {
    const { nl, sockets } = setup();
    const p = nl.resolveFamily('IPVS', { version: 1, missingHint: 'no IPVS here' }).catch((e: unknown) => e);
    await settle();
    const s = at(sockets, 0);
    s.deliver(ack(s.seqs()[0] ?? 0, 2));
    await settle();
    s.deliver(ack(s.seqs()[1] ?? 0, 2));
    expect(await p).toMatchObject({ errno: 2, message: 'nlctrl GETFAMILY IPVS: generic netlink family "IPVS" not found (ENOENT): no IPVS here' });
    expect(s.sent).toHaveLength(2);
  });
});
