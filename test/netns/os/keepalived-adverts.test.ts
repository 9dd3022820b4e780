/**
 * The incumbent as a sender: keepalived 2.2.7 in lvoA, our transports in lvoB.
 * Proves the transports receive real VRRPv3 adverts with the IP-level facts
 * the receive checks rely on (TTL / hop limit 255, primary / link-local source).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VrrpTransport } from '../../../src/os/vrrp-socket.js';
import { openVrrpTransport } from '../../../src/os/vrrp-socket-open.js';
import { IF_B, IPV4_A, IPV4_B, LL_A, LL_B, NS_A, NS_B, ifindexIn, loadLvshaNet, packetView, setupLab, teardownLab, waitFor, withNetns, type PacketView } from './lab.js';

const net = loadLvshaNet();
const dir = mkdtempSync(join(tmpdir(), 'lvo-ka-'));
let keepalived: ChildProcess | undefined;
const transports: VrrpTransport[] = [];
const got4: PacketView[] = [];
const got6: PacketView[] = [];

const config = `global_defs {
  vrrp_version 3
  router_id lvoA
}
vrrp_instance V4 {
  state BACKUP
  interface lvoa0
  virtual_router_id 51
  priority 200
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance V6 {
  state BACKUP
  interface lvoa0
  virtual_router_id 52
  priority 200
  advert_int 0.1
  virtual_ipaddress {
    2001:db8::100/64
  }
}
`;

beforeAll(async () => {
  await setupLab();
  const ifB = ifindexIn(NS_B, IF_B);
  for (const [family, source, sink] of [[4, IPV4_B, got4], [6, LL_B, got6]] as const) {
    const t = withNetns(net, NS_B, () => openVrrpTransport(family, { ifname: IF_B, ifindex: ifB, sourceAddress: source, joinGroup: true }, net));
    t.onPacket((p) => sink.push(packetView(p)));
    transports.push(t);
  }
  writeFileSync(join(dir, 'keepalived.conf'), config);
  keepalived = spawn(
    'ip',
    ['netns', 'exec', NS_A, 'keepalived', '-f', join(dir, 'keepalived.conf'), '--vrrp', '-n', '-l', '-p', join(dir, 'ka.pid'), '-r', join(dir, 'vrrp.pid')],
    { stdio: 'ignore' },
  );
});

afterAll(async () => {
  for (const t of transports) t.close();
  const child = keepalived;
  const alive = (): boolean => child?.exitCode === null && child.signalCode === null;
  if (child && alive()) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (alive()) child.kill('SIGKILL');
  }
  teardownLab();
  rmSync(dir, { recursive: true, force: true });
});

describe('adverts from keepalived 2.2.7 through our transports', () => {
  it('IPv4: TTL 255, source = the sender primary address, group 224.0.0.18, VRRPv3 VRID 51', async () => {
    await waitFor(() => got4.length > 0, 10_000, 'a keepalived IPv4 advert');
    const p = got4[0];
    expect(p).toMatchObject({ src: IPV4_A, dst: '224.0.0.18', ttlOrHopLimit: 255 });
    expect(p?.payload[0]).toBe(0x31);
    expect(p?.payload[1]).toBe(51);
    expect(p?.ipPayloadLength).toBe(p?.payload.length);
  });

  it('IPv6: hop limit 255, link-local source, group ff02::12, VRRPv3 VRID 52', async () => {
    await waitFor(() => got6.length > 0, 10_000, 'a keepalived IPv6 advert');
    const p = got6[0];
    expect(p).toMatchObject({ src: LL_A, dst: 'ff02::12', ttlOrHopLimit: 255 });
    expect(p?.payload[0]).toBe(0x31);
    expect(p?.payload[1]).toBe(52);
    expect(p?.payload.length).toBe(8 + 16);
  });
});
