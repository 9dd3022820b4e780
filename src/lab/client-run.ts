/**
 * Drives the lab client (./client.ts) inside the client namespace: start it,
 * ask rounds on the held connections, stop it and read the probe summary.
 * Every wait is bounded; the child is killed on any failure.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LabError } from './procs.js';
import { labProgram } from './programs.js';
import type { LabTopology } from './topology.js';

export interface ProbeSummary {
  readonly ok: number;
  readonly failed: number;
  readonly longest_gap_ms: number;
  readonly errors: Readonly<Record<string, number>>;
}

type ClientEvent =
  | { event: 'round'; name: string; answers: (string | null)[]; errors: (string | null)[]; ports?: (number | null)[] }
  | ({ event: 'probes' } & ProbeSummary);

const WAIT_MS = 60_000;

export class LabClient {
  private readonly events: ClientEvent[] = [];
  private readonly waiters: (() => void)[] = [];
  private exited = false;
  /** The held connections' local ports as of the last round (null: closed). */
  ports: readonly (number | null)[] = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ClientEvent);
      } catch {
        this.stderr += `unparsable line: ${line}\n`;
      }
      this.wake();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    child.on('exit', () => {
      this.exited = true;
      this.wake();
    });
  }

  static start(netns: string, t: LabTopology, connections: number, probeMs: number): LabClient {
    const argv = ['netns', 'exec', netns, ...labProgram('client', [t.vip, String(t.port), String(connections), String(probeMs)])];
    return new LabClient(spawn('ip', argv, { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async next<K extends ClientEvent['event']>(kind: K): Promise<Extract<ClientEvent, { event: K }>> {
    const deadline = performance.now() + WAIT_MS;
    for (;;) {
      const i = this.events.findIndex((e) => e.event === kind);
      if (i >= 0) return this.events.splice(i, 1)[0] as Extract<ClientEvent, { event: K }>;
      if (this.exited) throw new LabError('LVSHA_LAB_CLIENT', `the lab client exited before its '${kind}' answer: ${this.stderr.trim()}`);
      const left = deadline - performance.now();
      if (left <= 0) {
        this.kill();
        throw new LabError('LVSHA_LAB_CLIENT', `the lab client gave no '${kind}' answer within ${String(WAIT_MS / 1000)} s`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The answers of a round: 'first' is asked by the client itself after connecting. */
  async round(name: string): Promise<(string | null)[]> {
    if (name !== 'first') this.child.stdin.write(`round ${name}\n`);
    for (;;) {
      const e = await this.next('round');
      if (e.name === name) {
        this.ports = e.ports ?? [];
        return e.answers;
      }
    }
  }

  async stop(): Promise<ProbeSummary> {
    this.child.stdin.write('stop\n');
    this.child.stdin.end();
    const { event: _event, ...summary } = await this.next('probes');
    return summary;
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Start a client, collect the first round and the named further rounds, stop it. */
export async function runClientRounds(netns: string, t: LabTopology, connections: number, rounds: readonly string[]): Promise<{ first: (string | null)[]; rounds: Record<string, (string | null)[]>; probes: ProbeSummary }> {
  const client = LabClient.start(netns, t, connections, 200);
  try {
    const first = await client.round('first');
    const out: Record<string, (string | null)[]> = {};
    for (const r of rounds) out[r] = await client.round(r);
    return { first, rounds: out, probes: await client.stop() };
  } finally {
    client.kill();
  }
}
