/**
 * The lab client (run inside the client namespace by `lab drill`):
 *   node dist/lab/client.js VIP PORT CONNECTIONS PROBE_MS
 * Opens CONNECTIONS keep-alive HTTP connections to VIP:PORT and asks once on
 * each, then opens a new connection every PROBE_MS until told to stop.
 * Commands on stdin, one per line: "round NAME" asks again on every held
 * connection; "stop" ends the probes and exits. Every answer is one JSON line
 * on stdout. Exits by itself after 10 minutes.
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { longestGap, parseHttpReply, shuffle } from './drill-core.js';

const [vip = '', portText = '', countText = '', probeText = ''] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const probeMs = Number(probeText);
if (!/^[0-9.]+$/.test(vip) || !Number.isInteger(port) || !Number.isInteger(count) || count < 1 || count > 200 || !(probeMs >= 10)) {
  process.stderr.write('usage: node client.js VIP PORT CONNECTIONS(1..200) PROBE_MS(>=10)\n');
  process.exit(2);
}
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: lab\r\nConnection: keep-alive\r\n\r\n');
const ASK_TIMEOUT_MS = 5_000;
const emit = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

interface Held { socket: Socket | null; error: string | null }

function openSocket(timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: vip, port, noDelay: true });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** One request on an open socket; resolves with the real server's name. */
function ask(s: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, name?: string): void => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('error', onError);
      s.off('close', onClose);
      if (err !== null) reject(err);
      else resolve(name ?? '');
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const r = parseHttpReply(buf);
      if (r.kind === 'bad') done(new Error(r.reason));
      else if (r.kind === 'reply') done(r.status === 200 && r.server !== null ? null : new Error(`HTTP ${String(r.status)}`), r.server ?? '');
    };
    const onError = (err: Error): void => {
      done(err);
    };
    const onClose = (): void => {
      done(new Error('connection closed'));
    };
    const timer = setTimeout(() => {
      done(new Error(`no answer in ${String(timeoutMs)} ms`));
    }, timeoutMs);
    s.on('data', onData);
    s.once('error', onError);
    s.once('close', onClose);
    s.write(REQUEST);
  });
}

const held: Held[] = [];

/**
 * Asks again on every held connection, in a random order (answers still by index). In index
 * order, the flows a router moves reach their new director in the order their old director
 * scheduled them; two directors' round-robin pointers over the same real servers then keep or
 * break a whole batch together by chance. Many clients' packets interleave: so do these.
 */
async function round(name: string): Promise<void> {
  const answers: (string | null)[] = held.map(() => null);
  await Promise.all(shuffle(held.map((_, i) => i)).map(async (i) => {
    const h = held[i];
    if (h?.socket == null) return;
    try {
      answers[i] = await ask(h.socket, ASK_TIMEOUT_MS);
    } catch (err) {
      h.error = err instanceof Error ? err.message : String(err);
      h.socket.destroy();
      h.socket = null;
    }
  }));
  // The local ports let a drill find each held connection in the directors' IPVS tables.
  emit({ event: 'round', name, answers, errors: held.map((h) => h.error), ports: held.map((h) => h.socket?.localPort ?? null) });
}

const probes = { ok: [] as number[], failed: 0, errors: new Map<string, number>() };
let probing = true;
const probeStart = performance.now();

async function probeOnce(): Promise<void> {
  try {
    const s = await openSocket(1_000);
    try {
      await ask(s, 1_000);
      probes.ok.push(performance.now());
    } finally {
      s.destroy();
    }
  } catch (err) {
    probes.failed++;
    const why = err instanceof Error ? err.message : String(err);
    probes.errors.set(why, (probes.errors.get(why) ?? 0) + 1);
  }
}

async function probeLoop(): Promise<void> {
  while (probing) {
    const started = performance.now();
    await probeOnce();
    const wait = probeMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

async function main(): Promise<void> {
  for (let i = 0; i < count; i++) {
    try {
      held.push({ socket: await openSocket(5_000), error: null });
    } catch (err) {
      held.push({ socket: null, error: err instanceof Error ? err.message : String(err) });
    }
  }
  await round('first');
  const loop = probeLoop();
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'round') await round(arg ?? 'again');
    if (cmd === 'stop') break;
  }
  probing = false;
  await loop;
  const end = performance.now();
  emit({
    event: 'probes', ok: probes.ok.length, failed: probes.failed,
    longest_gap_ms: Math.round(longestGap(probes.ok, probeStart, end)),
    errors: Object.fromEntries(probes.errors),
  });
  for (const h of held) h.socket?.destroy();
}

setTimeout(() => {
  process.stderr.write('lab client: 10 minutes passed; exiting\n');
  process.exit(3);
}, 600_000).unref();
main().catch((err: unknown) => {
  process.stderr.write(`lab client: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
