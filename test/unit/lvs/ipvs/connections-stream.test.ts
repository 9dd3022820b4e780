/** The streamed connection listing: filters, limit, parts, and the command's arguments. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { valid } from '../../config/helpers.js';
import { mergeParts, parseReply, type JsonObject } from '../../../../src/control/protocol.js';
import { parseConnectionArgs } from '../../../../src/daemon/connections-command.js';
import { CONNECTIONS_PER_PART, streamIpVsConnections, type ConnectionFilter } from '../../../../src/lvs/ipvs/connections-read.js';

const HEADER = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n';
const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
/** n lines to 10.50.1.1:80 (TCP; every 3rd in SYN_RECV) and one to 10.50.1.1:53 (UDP), plus a bad line. */
function table(n: number): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) lines.push(`TCP 0A320102 ${hex4(1024 + (i % 60000))} 0A320101 0050 0A320202 1F90 ${i % 3 === 0 ? 'SYN_RECV   ' : 'ESTABLISHED'}     897\n`);
  lines.push('UDP 0A320102 0035 0A320101 0035 0A320202 0035 UDP             299\n', 'garbage line\n');
  return lines.join('');
}

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lvd-conn-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

async function collect(filter: ConnectionFilter, path: string): Promise<JsonObject[]> {
  const parts: JsonObject[] = [];
  for await (const p of streamIpVsConnections(filter, path)) parts.push(p);
  return parts;
}

describe('streamIpVsConnections', () => {
  test('parts of at most CONNECTIONS_PER_PART plus one 16 KiB chunk of lines, totals in the last part; the merge is the whole table', async () => {
    const path = join(dir, 'ip_vs_conn');
    writeFileSync(path, table(5000));
    const parts = await collect({ limit: 0 }, path);
    for (const p of parts) expect((p.connections as unknown[]).length).toBeLessThan(CONNECTIONS_PER_PART + 300);
    expect(parts.length).toBeGreaterThanOrEqual(6);
    const all = mergeParts(parts);
    expect(all).toMatchObject({ available: true, matched: 5001, scanned: 5002, skipped: 1, truncated: false });
    expect((all.connections as unknown[]).length).toBe(5001);
  });

  test('filters by virtual service and state (case-insensitive), and the limit says it truncated', async () => {
    const path = join(dir, 'ip_vs_conn');
    writeFileSync(path, table(30));
    const web = { address: '10.50.1.1', port: 80, protocol: 'tcp' };
    const syn = mergeParts(await collect({ limit: 0, virtual: web, state: 'syn_recv' }, path));
    expect(syn).toMatchObject({ matched: 10, truncated: false });
    expect(mergeParts(await collect({ limit: 0, virtual: { address: '10.50.1.1', port: 53, protocol: 'udp' } }, path))).toMatchObject({ matched: 1 });
    const limited = mergeParts(await collect({ limit: 5, virtual: web }, path));
    expect(limited).toMatchObject({ matched: 5, truncated: true });
    expect((limited.connections as unknown[]).length).toBe(5);
    expect(mergeParts(await collect({ limit: 30, virtual: web }, path))).toMatchObject({ matched: 30, truncated: false });
  });

  test('no IPVS loaded (no file): available false, not an error', async () => {
    expect(mergeParts(await collect({ limit: 0 }, join(dir, 'absent')))).toMatchObject({ available: false, matched: 0 });
  });
});

describe('streamed replies and the connections arguments', () => {
  test('a part carries more: true; anything else there is refused', () => {
    const part = parseReply('{"v":1,"id":1,"ok":true,"more":true,"result":{"connections":[1]}}');
    expect(part.ok && part.value).toMatchObject({ ok: true, more: true });
    expect(parseReply('{"v":1,"id":1,"ok":true,"more":false,"result":{}}').ok).toBe(false);
    expect(mergeParts([{ connections: [1, 2], n: 1 }, { connections: [3], n: 2 }])).toEqual({ connections: [1, 2, 3], n: 2 });
  });

  test('virtual_server, state and limit are checked against the running config', () => {
    const vs = valid('node: d\nvirtual_servers:\n  - { name: web, address: 10.50.1.1, port: 80, real_servers: [{ address: 10.0.0.11 }] }\n  - { name: marked, fwmark: 7, real_servers: [{ address: 10.0.0.11, port: 80 }] }\n').virtualServers;
    expect(parseConnectionArgs({}, vs)).toEqual({ ok: true, filter: { limit: 0 } });
    expect(parseConnectionArgs({ virtual_server: 'web', state: 'ESTABLISHED', limit: 10 }, vs))
      .toEqual({ ok: true, filter: { limit: 10, state: 'ESTABLISHED', virtual: { address: '10.50.1.1', port: 80, protocol: 'tcp' } } });
    expect(parseConnectionArgs({ virtual_server: 'wbe' }, vs)).toMatchObject({ ok: false, code: 'not_found', message: "no virtual server 'wbe' in the running config (there are: web, marked)" });
    expect(parseConnectionArgs({ virtual_server: 'marked' }, vs)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(parseConnectionArgs({ limit: -1 }, vs)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(parseConnectionArgs({ state: 'ESTAB LISHED' }, vs)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(parseConnectionArgs({ vs: 'web' }, vs)).toMatchObject({ ok: false, message: 'unknown argument(s): vs (known: virtual_server, state, limit)' });
  });
});
