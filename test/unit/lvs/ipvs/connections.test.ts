/** /proc/net/ip_vs_conn parsing and the ipvsadm -Lnc style rendering. */
import { describe, expect, test } from 'vitest';
import { parseIpVsConn, renderConnections } from '../../../../src/lvs/ipvs/connections.js';
import { connectionsJson, IP_VS_CONN_PATH, readIpVsConnections } from '../../../../src/lvs/ipvs/connections-read.js';

const PROC = `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP 0A320102 8D08 0A320101 0050 0A320202 1F90 ESTABLISHED     897
UDP 0A320102 0035 0A320101 0035 0A320202 0035 UDP             299
TCP 2001:0db8:0010:0000:0000:0000:0000:0002 C350 2001:0db8:0010:0000:0000:0000:0000:0001 0050 2001:0db8:0020:0000:0000:0000:0000:0001 1F90 SYN_RECV         57
TCP 0A320102 8D08 0A320101 0050 2001:0db8:0020:0000:0000:0000:0000:0005 0050 ESTABLISHED 10 sip callid
garbage line
`;

describe('/proc/net/ip_vs_conn', () => {
  test('IPv4 hex, IPv6 colon form, mixed-family destination, PE name; bad lines skipped and counted', () => {
    const { connections, skipped } = parseIpVsConn(PROC);
    expect(skipped).toBe(1);
    expect(connections).toHaveLength(4);
    expect(connections[0]).toEqual({
      protocol: 'TCP', client: { address: '10.50.1.2', port: 36104 }, virtual: { address: '10.50.1.1', port: 80 },
      destination: { address: '10.50.2.2', port: 8080 }, state: 'ESTABLISHED', expiresS: 897, peName: null,
    });
    expect(connections[2]?.client).toEqual({ address: '2001:db8:10::2', port: 50000 });
    expect(connections[3]).toMatchObject({ destination: { address: '2001:db8:20::5', port: 80 }, peName: 'sip' });
  });

  test('rendered like ipvsadm -Lnc', () => {
    const out = renderConnections(parseIpVsConn(PROC).connections.slice(0, 1));
    expect(out).toBe('pro expire state       source             virtual            destination\nTCP 14:57 ESTABLISHED 10.50.1.2:36104    10.50.1.1:80       10.50.2.2:8080\n');
  });
});

describe('readIpVsConnections (the daemon side of status --connections)', () => {
  test('reads the file it is given and parses it; JSON in snake_case', async () => {
    const paths: string[] = [];
    const list = await readIpVsConnections((p) => { paths.push(p); return Promise.resolve(PROC); });
    expect(paths).toEqual([IP_VS_CONN_PATH]);
    expect(list).toMatchObject({ available: true, skipped: 1 });
    expect(list.connections).toHaveLength(4);
    expect(connectionsJson(list).connections[0]).toEqual({
      protocol: 'TCP', client: '10.50.1.2', client_port: 0x8d08, virtual: '10.50.1.1', virtual_port: 80,
      destination: '10.50.2.2', destination_port: 8080, state: 'ESTABLISHED', expires_s: 897, pe_name: null,
    });
  });

  test('no ip_vs loaded (ENOENT): available false, no connections; other errors reject', async () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    await expect(readIpVsConnections(() => Promise.reject(enoent))).resolves.toEqual({ available: false, connections: [], skipped: 0 });
    const eacces = Object.assign(new Error('denied'), { code: 'EACCES' });
    await expect(readIpVsConnections(() => Promise.reject(eacces))).rejects.toThrow('denied');
  });

  test('the real file path on this host: a missing file is "not available", never a throw', async () => {
    const list = await readIpVsConnections(undefined, '/nonexistent/ip_vs_conn');
    expect(list.available).toBe(false);
  });
});
