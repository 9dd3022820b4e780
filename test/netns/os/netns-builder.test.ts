/**
 * The one network builder (src/lab/netns.ts) on the host kernel: what the lab,
 * the tests and the in-VM payloads build must come up, carry traffic, and go
 * away completely (processes inside included).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { drLanSpec, networkShell, teardownShell } from '../../../src/lab/netns.js';
import { listNamespaces, NetnsLab, removeLeftovers } from '../../helpers/netns.js';

const PREFIX = 'lvnb';

describe('the network builder on the host kernel', () => {
  const lab = new NetnsLab(PREFIX);
  const base = `${PREFIX}-${lab.runId}`;
  // A bridge named "br": ip reads a bare "br" as the keyword "broadcast", so the builder must say "name"/"dev".
  const spec = drLanSpec(base, '10.93.0', [{ name: 'd', octet: 1 }, { name: 'r', octet: 2 }], ['r'], ['10.93.0.100']);
  const inNs = (host: string, argv: string[]): ReturnType<typeof spawnSync> => lab.exec(`${base}-${host}`, argv);

  beforeAll(() => {
    removeLeftovers(PREFIX, lab.runId);
    lab.build(spec);
  });
  afterAll(() => {
    lab.destroy();
  });

  test('a DR LAN: hosts reach each other over the switch bridge; the real server has the VIP on lo and does not answer ARP for it', () => {
    expect(inNs('d', ['ping', '-c', '1', '-W', '3', '10.93.0.2']).status).toBe(0);
    expect(String(inNs('r', ['ip', '-br', 'addr', 'show', 'dev', 'lo']).stdout)).toContain('10.93.0.100/32');
    expect(String(inNs('r', ['sysctl', '-n', 'net.ipv4.conf.eth0.arp_ignore']).stdout).trim()).toBe('1');
    // ARP for the VIP from d goes unanswered (arp_ignore=1: the VIP is not on eth0).
    expect(inNs('d', ['ping', '-c', '1', '-W', '1', '10.93.0.100']).status).not.toBe(0);
    expect(String(inNs('sw', ['bridge', 'link', 'show']).stdout)).toMatch(/d-eth0.*master br/);
  });

  test('the same spec as a shell script builds the same network; its teardown removes it with the processes inside', () => {
    const other = drLanSpec(`${base}x`, '10.94.0', [{ name: 'd', octet: 1 }], [], []);
    execFileSync('sh', ['-c', networkShell(other)], { stdio: 'pipe' });
    expect(listNamespaces(PREFIX).filter((n) => n.startsWith(`${base}x-`)).sort()).toEqual([`${base}x-d`, `${base}x-sw`]);
    const sleeper = spawnSync('sh', ['-c', `ip netns exec ${base}x-d sleep 60 >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
    const pid = Number(sleeper.stdout.trim());
    for (let i = 0; i < 100 && !execFileSync('ip', ['netns', 'pids', `${base}x-d`], { encoding: 'utf8' }).split('\n').includes(String(pid)); i++) {
      spawnSync('sleep', ['0.05']);
    }
    execFileSync('sh', ['-c', teardownShell(other)]);
    expect(listNamespaces(PREFIX).filter((n) => n.startsWith(`${base}x-`))).toEqual([]);
    // Killed: gone, or a zombie until whatever adopted it reaps it.
    expect(existsSync(`/proc/${String(pid)}`) ? readFileSync(`/proc/${String(pid)}/stat`, 'utf8').split(' ')[2] : 'gone').toMatch(/^(gone|Z)$/);
  });

  test('a failing command stops the shell script with its exit code and names the command', () => {
    const r = spawnSync('sh', ['-c', networkShell({ namespaces: [], addresses: [{ netns: `${base}-missing`, ifname: 'eth0', cidr: '10.95.0.1/24' }] }, 17)], { encoding: 'utf8' });
    expect(r.status).toBe(17);
    expect(r.stderr).toContain(`network: ip -n ${base}-missing addr add 10.95.0.1/24 dev eth0 failed`);
  });
});
