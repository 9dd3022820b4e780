/**
 * accept_mode (RFC 9568 6.4.3) on a director: with accept_mode false, the master drops traffic
 * to its VIPs that no virtual server serves (a ping, a TCP port without a virtual server) and
 * keeps what a virtual server serves (here TCP 80: the host kernel has no IPVS, so the
 * kernel's own RST proves the SYN got past lvs-ha's chain) and IPv6 neighbour discovery; with
 * accept_mode true the same ping is answered. The chain follows the role: a master that
 * becomes backup loses it, the new master gets it; a table deleted by hand comes back.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { vrrpConfig, VrrpLab, type InstanceYaml } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites, VIP } from './pair.js';

const PREFIX = 'lvy';
const VIP6 = 'fd77::100';

let lab: VrrpLab | undefined;

beforeAll(checkPrerequisites);
afterEach(() => {
  lab?.destroy();
  lab = undefined;
});

/** Two instances (IPv4 and IPv6) with accept_mode as given, and a virtual server on each VIP. */
function write(l: VrrpLab, name: string, priority: number, accept: boolean): void {
  const extra = [`accept_mode: ${String(accept)}`];
  const instances: InstanceYaml[] = [
    { name: 'web', vrid: 51, priority, virtualAddresses: [`${VIP}/24`], extra },
    { name: 'web6', vrid: 52, priority, virtualAddresses: [`${VIP6}/64`], extra },
  ];
  const vs = `virtual_servers:
  - name: http
    address: ${VIP}
    port: 80
    real_servers: [{ address: 10.77.0.50 }]
  - name: http6
    address: "${VIP6}"
    port: 80
    real_servers: [{ address: "fd77::50" }]
`;
  l.writeConfig(name, vrrpConfig({ node: `lvy-${name}`, socket: l.socketPath(name), instances }) + vs);
}

function chains(l: VrrpLab, name: string): string[] {
  const r = l.exec(name, ['nft', '-j', 'list', 'table', 'inet', 'lvs_ha']);
  if (r.status !== 0) return [];
  const doc = JSON.parse(r.stdout) as { nftables: { chain?: { name: string } }[] };
  return doc.nftables.flatMap((i) => (i.chain ? [i.chain.name] : []));
}

const waitChains = (l: VrrpLab, name: string, want: string[], ms = 10_000): Promise<true> =>
  l.until(`${name}: chains ${want.join(',') || 'none'}`, () => (JSON.stringify(chains(l, name)) === JSON.stringify(want) ? true : undefined), ms);

const ping = (l: VrrpLab, to: string): number => l.exec('obs', ['ping', ...(to.includes(':') ? ['-6'] : []), '-c1', '-W1', to]).status ?? -1;

/** 'refused' (the SYN reached the kernel's TCP and got a RST), 'timeout' (dropped) or another outcome. */
function tcp(l: VrrpLab, to: string, port: number): string {
  const r = l.exec('obs', ['timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${to}/${String(port)}`]);
  if (r.status === 124) return 'timeout';
  if (r.stderr.includes('Connection refused')) return 'refused';
  return `status ${String(r.status)}: ${r.stderr.trim()}`;
}

async function bothMaster(l: VrrpLab, name: string): Promise<void> {
  await l.waitForState(name, 'web', 'MASTER');
  await l.waitForState(name, 'web6', 'MASTER');
}

describe('accept_mode', () => {
  it('false: the master drops a ping to its VIPs, keeps served ports and ND; the chain follows the role and is repaired', async () => {
    lab = await VrrpLab.create(PREFIX, ['a', 'b'], { observer: true });
    const l = lab;
    write(l, 'a', 150, false);
    write(l, 'b', 200, false);
    l.startDaemon('a');
    await bothMaster(l, 'a');
    await waitChains(l, 'a', ['vip_filter']);
    expect(l.hasAddress('a', VIP)).toBe(true);
    expect(ping(l, VIP)).not.toBe(0);
    expect(ping(l, VIP6)).not.toBe(0);
    expect(ping(l, l.router('a').ipv4)).toBe(0); // only the VIPs are filtered
    expect(tcp(l, VIP, 80)).toBe('refused'); // served: past the chain (no IPVS here: the kernel answers RST)
    expect(tcp(l, VIP, 22)).toBe('timeout'); // no virtual server: dropped
    expect(tcp(l, VIP6, 80)).toBe('refused');
    expect(tcp(l, VIP6, 22)).toBe('timeout');
    // Neighbour discovery for the IPv6 VIP still works: the observer learnt a's MAC.
    const neigh = l.exec('obs', ['ip', '-6', 'neigh', 'show', VIP6]).stdout;
    expect(neigh).toContain(l.router('a').mac);

    // Deleted by hand: back at the next reconnect attempt (no IPVS here: every 30 s).
    expect(l.exec('a', ['nft', 'delete', 'table', 'inet', 'lvs_ha']).status).toBe(0);
    expect(ping(l, VIP)).toBe(0);
    await waitChains(l, 'a', ['vip_filter'], 40_000);
    expect(ping(l, VIP)).not.toBe(0);

    // b (higher priority) preempts: a is BACKUP without the chain, b is MASTER with it.
    l.startDaemon('b');
    await bothMaster(l, 'b');
    await l.waitForState('a', 'web', 'BACKUP');
    await waitChains(l, 'a', []);
    await waitChains(l, 'b', ['vip_filter']);
    expect(ping(l, VIP)).not.toBe(0);
    expect(tcp(l, VIP, 80)).toBe('refused');
  }, 90_000);

  it('true: the master answers a ping to its VIPs and lvs-ha writes no table', async () => {
    lab = await VrrpLab.create(PREFIX, ['a'], { observer: true });
    const l = lab;
    write(l, 'a', 150, true);
    l.startDaemon('a');
    await bothMaster(l, 'a');
    expect(ping(l, VIP)).toBe(0);
    expect(ping(l, VIP6)).toBe(0);
    expect(tcp(l, VIP, 22)).toBe('refused');
    expect(chains(l, 'a')).toEqual([]);
    expect(l.exec('a', ['nft', 'list', 'table', 'inet', 'lvs_ha']).status).not.toBe(0);
  }, 60_000);
});
