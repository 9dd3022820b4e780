/**
 * `status --connections` on a 200,000-entry table must not stall the daemon's
 * loop: the streamed listing through the real control server and client,
 * against the whole-table reply it replaced, measured in the same run (the
 * loop's longest stall, from perf_hooks' event-loop delay histogram). In the
 * root tier because it is an end-to-end run of the control socket with a
 * large file, not a unit test; the figures are printed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeReply, successReply } from '../../../src/control/protocol.js';
import { startControlServer } from '../../../src/control/server.js';
import { connectionsJson, readIpVsConnections, streamIpVsConnections } from '../../../src/lvs/ipvs/connections-read.js';

const ENTRIES = 200_000;
let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvd-stall-'));
  file = join(dir, 'ip_vs_conn');
  const lines = ['Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n'];
  for (let i = 0; i < ENTRIES; i++) {
    const client = (0x0a640000 + (i >> 8)).toString(16).toUpperCase().padStart(8, '0');
    lines.push(`TCP ${client} ${(1024 + (i & 0xff)).toString(16).toUpperCase().padStart(4, '0')} 0A320101 0050 0A320202 1F90 ESTABLISHED     897\n`);
  }
  writeFileSync(file, lines.join(''));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The longest event-loop stall (ms) while `work` runs. */
async function longestStall(work: () => Promise<void>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await work();
  // The sample that measures the last stall fires after it: let it.
  await new Promise((r) => setTimeout(r, 50));
  h.disable();
  return h.max / 1e6;
}

describe('status --connections at 200,000 connections', () => {
  it('streamed, the loop never stalls more than a few ms at a time; the whole-table reply stalled it far longer', async () => {
    const socketPath = join(dir, 'c.sock');
    const server = await startControlServer({
      socketPath,
      handler: (r) => Promise.resolve({ id: r.id, parts: streamIpVsConnections({ limit: 0 }, file) }),
    });
    let count = 0;
    // The client (lvs-ha's own, merging the parts) runs in a process of its own, as the CLI does.
    const client = `import(${JSON.stringify(join(process.cwd(), 'dist/control/client.js'))}).then(async ({ requestControl }) => {
      const reply = await requestControl(${JSON.stringify(socketPath)}, 'connections', { timeoutMs: 60000 });
      console.log(reply.ok ? reply.result.connections.length : -1);
    })`;
    const streamed = await longestStall(async () => {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['-e', client], { timeout: 120_000, maxBuffer: 1024 * 1024 }, (err, stdout) => {
          if (err) reject(new Error(`client: ${err.message}`));
          else resolve(stdout.trim());
        });
      });
      count = Number(out);
    });
    await server.close();
    expect(count).toBe(ENTRIES);
    // The former path: read, parse and encode the whole table in one go.
    const whole = await longestStall(async () => {
      const text = encodeReply(successReply(1, connectionsJson(await readIpVsConnections(undefined, file))));
      expect(text.length).toBeGreaterThan(30_000_000);
    });
    console.log(`connections listing at ${String(ENTRIES)}: the daemon loop's longest stall streamed ${streamed.toFixed(1)} ms, whole table ${whole.toFixed(1)} ms`);
    // Measured 11 to 28 ms streamed (GC included) against 780 to 1190 ms whole, at load 4 to 8 on
    // this 2-core machine. 50 ms is the bound
    // with room for CI noise, and still far below a 10 ms x 3 master-down interval's worth of
    // blocking the whole-table path needed.
    expect(streamed).toBeLessThan(50);
    expect(whole).toBeGreaterThan(streamed * 4);
  });
});
