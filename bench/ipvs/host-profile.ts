// Host-side CPU profile of lvs-ha's IPVS path against a fake kernel (no VM, no root): the
// real generic netlink engine (src/os/genl.ts) over a fake datagram socket that answers
// every doit with an ACK and every dump with kernel-shaped replies (counters, STATS and
// STATS64 nests, packed up to 32 KiB per datagram, as the kernel does).
//   npx tsc ... (as run.sh does) && node host-profile.js --dist DIR [--services 100] [--dests 100] [--rounds 5]
// Prints the best of `rounds` for: from empty (10 100 operations), a no-op reconcile, the
// dump + decode (readTable), plan() alone, decoding the destination replies alone. Use it to compare two compiled trees on the host
// (e.g. --dist /work/ipvs-baseline vs --dist dist) with `node --cpu-prof`.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Destination, Table } from '../../src/lvs/model.js';
import type { DatagramSocket } from '../../src/os/genl-pipeline.js';
import type { GenericNetlink, GenlFamily } from '../../src/os/genl.js';

type Genl = typeof import('../../src/os/genl.js');
type Pipe = typeof import('../../src/os/genl-pipeline.js');
type Ipvs = typeof import('../../src/lvs/ipvs/index.js');
type Rec = typeof import('../../src/lvs/reconciler.js');
type Plan = typeof import('../../src/lvs/plan.js');
type ClockMod = typeof import('../../src/core/clock.js');
type LogMod = typeof import('../../src/core/log.js');

const { values: opt } = parseArgs({
  options: {
    dist: { type: 'string', default: 'dist' },
    services: { type: 'string', default: '100' },
    dests: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '5' },
    'noop-rounds': { type: 'string', default: '1' },
  },
});
const S = Number(opt.services);
const D = Number(opt.dests);
const dist = resolve(opt.dist);
const { GenericNetlinkClient } = (await import(`${dist}/os/genl.js`)) as Genl;
const { parseNlMessages, nlHeader } = (await import(`${dist}/os/genl-pipeline.js`)) as Pipe;
const ipvsMod = (await import(`${dist}/lvs/ipvs/index.js`)) as Ipvs;
const { Reconciler } = (await import(`${dist}/lvs/reconciler.js`)) as Rec;
const { plan } = (await import(`${dist}/lvs/plan.js`)) as Plan;
const { systemClock } = (await import(`${dist}/core/clock.js`)) as ClockMod;
const { silentLogger } = (await import(`${dist}/core/log.js`)) as LogMod;
const { IpvsClient, IpvsCmd, IpvsCmdAttr, IpvsDestAttr, IpvsSvcAttr, IpvsStatsAttr, nestAttr, u32Attr, u64Attr, serviceNest, destNest, serviceKeyNest, liveTable } = ipvsMod;

const vip = (i: number): string => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const rip = (j: number): string => `10.2.${Math.floor(j / 250)}.${(j % 250) + 1}`;
function table(): Table {
  return {
    services: Array.from({ length: S }, (_s, i) => ({
      service: { key: { kind: 'address', family: 'ipv4', protocol: 'tcp', address: vip(i), port: 80 } as const, scheduler: 'wrr', flags: 0, timeoutS: 0, netmask: '255.255.255.255', peName: null },
      destinations: Array.from({ length: D }, (_d, j): Destination => ({ family: 'ipv4', address: rip(j), port: 80, fwd: 'droute', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null })),
    })),
  };
}

/** STATS (u32 + u64 bytes) and STATS64 (all u64) nests like the kernel's. */
function statsNests(statsType: number, stats64Type: number): Buffer[] {
  const small = [IpvsStatsAttr.CONNS, IpvsStatsAttr.INPKTS, IpvsStatsAttr.OUTPKTS].map((t) => u32Attr(t, 7));
  const bytes = [IpvsStatsAttr.INBYTES, IpvsStatsAttr.OUTBYTES].map((t) => u64Attr(t, 123456n));
  const rates = [IpvsStatsAttr.CPS, IpvsStatsAttr.INPPS, IpvsStatsAttr.OUTPPS, IpvsStatsAttr.INBPS, IpvsStatsAttr.OUTBPS].map((t) => u32Attr(t, 3));
  const all64 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => u64Attr(t, 99n));
  return [nestAttr(statsType, [...small, ...bytes, ...rates]), nestAttr(stats64Type, all64)];
}

function genlMsg(type: number, cmd: number, payload: Buffer, seq: number, flags: number): Buffer {
  const body = Buffer.concat([Buffer.from([cmd, 1, 0, 0]), payload]);
  return Buffer.concat([nlHeader(16 + body.length, type, flags, seq), body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
}

/** Kernel-shaped dump replies: service dump and, per service key nest (hex), its dest dump. */
function kernelReplies(t: Table): { services: Buffer[]; dests: Map<string, Buffer[]> } {
  const services = t.services.map((e) => nestAttr(IpvsCmdAttr.SERVICE, [serviceNest(e.service).subarray(4), ...statsNests(IpvsSvcAttr.STATS, IpvsSvcAttr.STATS64)]));
  const dests = new Map<string, Buffer[]>();
  for (const e of t.services) {
    const list = e.destinations.map((d) => nestAttr(IpvsCmdAttr.DEST, [
      destNest(d).subarray(4),
      u32Attr(IpvsDestAttr.ACTIVE_CONNS, 1), u32Attr(IpvsDestAttr.INACT_CONNS, 2), u32Attr(IpvsDestAttr.PERSIST_CONNS, 0),
      ...statsNests(IpvsDestAttr.STATS, IpvsDestAttr.STATS64),
    ]));
    dests.set(serviceKeyNest(e.service.key).toString('hex'), list);
  }
  return { services, dests };
}

const FAMILY_ID = 0x21;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const MULTI = 0x2;

/** A datagram socket answering like the kernel: ACK per doit, dumps packed up to 32 KiB. */
function fakeKernelSocket(state: { dump: { services: Buffer[]; dests: Map<string, Buffer[]> } }): DatagramSocket {
  let handler: ((d: Buffer, t: boolean) => void) | undefined;
  const deliver = (datagrams: Buffer[]): void => { setImmediate(() => { for (const d of datagrams) handler?.(d, false); }); };
  const dump = (seq: number, cmd: number, payloads: readonly Buffer[]): Buffer[] => {
    const out: Buffer[] = [];
    let cur: Buffer[] = [];
    let size = 0;
    for (const p of payloads) {
      const m = genlMsg(FAMILY_ID, cmd, p, seq, MULTI);
      if (size + m.length > 32768 && cur.length > 0) { out.push(Buffer.concat(cur)); cur = []; size = 0; }
      cur.push(m);
      size += m.length;
    }
    cur.push(nlHeader(20, NLMSG_DONE, MULTI, seq), Buffer.alloc(4));
    out.push(Buffer.concat(cur));
    return out;
  };
  return {
    send: (datagram, done) => {
      const msgs = parseNlMessages(Buffer.concat(datagram)) ?? [];
      const acks: Buffer[] = [];
      const out: Buffer[] = [];
      for (const m of msgs) {
        if ((m.flags & 0x300) === 0x300) {
          const cmd = m.data.readUInt8(0);
          if (cmd === IpvsCmd.GET_SERVICE) out.push(...dump(m.seq, IpvsCmd.NEW_SERVICE, state.dump.services));
          else out.push(...dump(m.seq, IpvsCmd.NEW_DEST, state.dump.dests.get(m.data.subarray(4).toString('hex')) ?? []));
        } else {
          acks.push(nlHeader(36, NLMSG_ERROR, 0x100, m.seq), Buffer.alloc(20));
        }
      }
      if (acks.length > 0) out.push(Buffer.concat(acks));
      deliver(out);
      done();
    },
    onMessage: (h) => { handler = h; },
    onError: () => undefined,
    keepAlive: () => undefined,
    close: () => undefined,
  };
}

const want = table();
const state = { dump: { services: [] as Buffer[], dests: new Map<string, Buffer[]>() } };
const client = new GenericNetlinkClient(() => fakeKernelSocket(state), { timeoutMs: 60_000 });
const nl: GenericNetlink = {
  resolveFamily: (name, o): Promise<GenlFamily> => Promise.resolve({ id: FAMILY_ID, name, version: o.version }),
  request: (f, r) => client.request(f, r),
  close: () => { client.close(); },
};
const ipvs = await IpvsClient.connect(nl);
const filled = kernelReplies(want);
const best: Record<string, number> = {};
const all: Record<string, number[]> = {};
async function time(name: string, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  best[name] = Math.min(best[name] ?? Infinity, ms);
  (all[name] ??= []).push(Math.round(ms * 10) / 10);
}
for (let round = 0; round < Number(opt.rounds); round++) {
  state.dump = { services: [], dests: new Map() };
  const rec = new Reconciler({ ipvs, clock: systemClock, log: silentLogger(), desired: () => ({ table: want, owned: () => true, timeouts: null }) });
  await time('from_empty', async () => {
    // After the apply the fake kernel holds the table (the re-read, if any, sees it).
    const r = rec.request('from_empty');
    setImmediate(() => { state.dump = filled; });
    await r;
  });
  state.dump = filled;
  for (let k = 0; k < Number(opt['noop-rounds']); k++) await time('noop', () => rec.request('noop'));
  await time('read_table', () => ipvs.readTable());
  const entries = await ipvs.readTable();
  await time('plan', () => Promise.resolve(plan(liveTable(entries), want, () => true)));
  // Decoding alone: the dump decoder readTable uses (older trees: reply by reply, stats included).
  const replies = [...filled.dests.values()].map((list) => list.map((payload) => ({ cmd: IpvsCmd.NEW_DEST, payload })));
  const decodeAll = ipvsMod.decodeDestReplies as ((r: { cmd: number; payload: Buffer }[], f: 'ipv4') => unknown) | undefined;
  await time('decode', () => Promise.resolve(replies.map((r) => decodeAll === undefined ? r.map((x) => ipvsMod.decodeDestReply(x, 'ipv4')) : decodeAll(r, 'ipv4'))));
}
client.close();
console.log(JSON.stringify({ dist: opt.dist, services: S, dests: D, best_ms: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v * 10) / 10])), all_ms: all }));
