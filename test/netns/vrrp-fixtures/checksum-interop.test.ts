/**
 * Root tier: checksum interop of OUR encoder with the outside world.
 * 1. tshark (the conformance oracle) judges the bytes we encode: rfc5798 mode is [correct] with
 *    vrrp.v3_checksum_as_in_v2:FALSE, rfc9568 mode with TRUE, IPv6 with both.
 * 2. Keepalived 2.2.7 (default config, vrrp_version 3) hears our priority-200 adverts in a
 *    namespace lab. Measured: rfc5798 mode is accepted (it stays BACKUP); rfc9568 mode is
 *    dropped as "Invalid VRRPv3 checksum" and it becomes a second MASTER. Hence the lvs-ha
 *    default vrrp.ipv4_checksum must be rfc5798 to interoperate out of the box.
 * Namespace/interface prefix: lvv. Everything is torn down in afterAll, also on failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAdvert, decodeIpv4Packet, encodeAdvert, type VrrpAdvert } from '../../../src/vrrp/packet.js';
import type { Ipv4ChecksumMode } from '../../../src/vrrp/checksum.js';
import { networkCommands, teardownShell } from '../../../src/lab/netns.js';
import { ethernetPayload, frameFor, parseIpv6, readPcap, writePcap } from '../../unit/vrrp/pcap.js';

const work = mkdtempSync(join(tmpdir(), 'lvvck-'));
const namespaces: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  execFileSync('sh', ['-c', teardownShell(namespaces)], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
});

const v4: VrrpAdvert = { family: 'ipv4', vrid: 7, priority: 200, maxAdverIntMs: 1000, addresses: ['192.0.2.100'] };
const v6: VrrpAdvert = { family: 'ipv6', vrid: 7, priority: 200, maxAdverIntMs: 1000, addresses: ['fe80::7', '2001:db8::7'] };

/** tshark's verdict per frame for one setting of vrrp.v3_checksum_as_in_v2. */
function tsharkStatus(pcapPath: string, asInV2: boolean): string[] {
  const out = execFileSync(
    'tshark',
    ['-r', pcapPath, '-o', `vrrp.v3_checksum_as_in_v2:${asInV2 ? 'TRUE' : 'FALSE'}`, '-V'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .split('\n')
    .filter((l) => /^\s+Checksum: 0x[0-9a-f]{4}/.test(l))
    .map((l) => (l.includes('[correct]') ? 'correct' : l.includes('incorrect') ? 'incorrect' : l.trim()));
}

describe('tshark judges the checksums we encode', () => {
  const frames = [
    { name: 'ipv4 rfc5798 multicast', family: 'ipv4', mode: 'rfc5798', src: '192.0.2.1', dst: '224.0.0.18' },
    { name: 'ipv4 rfc9568 multicast', family: 'ipv4', mode: 'rfc9568', src: '192.0.2.1', dst: '224.0.0.18' },
    { name: 'ipv4 rfc5798 unicast', family: 'ipv4', mode: 'rfc5798', src: '192.0.2.1', dst: '192.0.2.2' },
    { name: 'ipv4 rfc9568 unicast', family: 'ipv4', mode: 'rfc9568', src: '192.0.2.1', dst: '192.0.2.2' },
    { name: 'ipv6', family: 'ipv6', mode: 'rfc9568', src: 'fe80::1', dst: 'ff02::12' },
  ] as const;
  const pcapPath = join(work, 'ours.pcap');
  writeFileSync(
    pcapPath,
    writePcap(
      frames.map((f) => {
        const advert = f.family === 'ipv4' ? v4 : v6;
        const msg = encodeAdvert(advert, { src: f.src, dst: f.dst, ipv4Checksum: f.mode });
        return frameFor(f.family, advert.vrid, f.src, f.dst, msg);
      }),
    ),
  );

  it('pseudo-header mode (FALSE): rfc5798 and IPv6 correct, rfc9568 incorrect', () => {
    expect(tsharkStatus(pcapPath, false)).toEqual(['correct', 'incorrect', 'correct', 'incorrect', 'correct']);
  });

  it('message-only mode (TRUE): rfc9568 and IPv6 correct, rfc5798 incorrect', () => {
    expect(tsharkStatus(pcapPath, true)).toEqual(['incorrect', 'correct', 'incorrect', 'correct', 'correct']);
  });

  it('tcpdump -vv complains about rfc9568 IPv4 checksums only (it expects the pseudo-header)', () => {
    const lines = execFileSync('tcpdump', ['-vv', '-n', '-r', pcapPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => l.includes('VRRPv3'));
    expect(lines.map((l) => l.includes('bad vrrp cksum'))).toEqual([false, true, false, true, false]);
  });
});

function sh(args: string[]): void {
  execFileSync(args[0] ?? 'false', args.slice(1), { stdio: 'ignore' });
}

/** A two-namespace lab: keepalived (BACKUP, priority 100) and our raw sender, on a veth pair. */
function lab(tag: string): { ka: string; tx: string } {
  const ka = `lvvka${tag}${String(process.pid % 10000)}`;
  const tx = `lvvtx${tag}${String(process.pid % 10000)}`;
  namespaces.push(ka, tx);
  for (const argv of networkCommands({
    namespaces: [{ name: ka }, { name: tx }],
    veths: [{ a: { netns: ka, ifname: 'lvvk', addresses: ['192.0.2.10/24'] }, b: { netns: tx, ifname: 'lvvt', addresses: ['192.0.2.20/24'] } }],
  })) sh([...argv]);
  return { ka, tx };
}

const SENDER = `
import { createRequire } from 'node:module';
const raw = createRequire(process.cwd() + '/')('raw-socket');
const [dev, everyMs, count, hex] = process.argv.slice(1);
const s = raw.createSocket({ protocol: 112, addressFamily: raw.AddressFamily.IPv4 });
s.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_BINDTODEVICE, Buffer.from(dev + '\\0'), dev.length + 1);
s.setOption(raw.SocketLevel.IPPROTO_IP, raw.SocketOption.IP_HDRINCL, 1);
const pkt = Buffer.from(hex, 'hex');
let n = 0;
const tick = () => {
  s.send(pkt, 0, pkt.length, '224.0.0.18', (err) => { if (err) { console.error(err); process.exit(1); } });
  if (++n >= Number(count)) setTimeout(() => { s.close(); process.exit(0); }, 50);
  else setTimeout(tick, Number(everyMs));
};
tick();
`;

/** Runs keepalived against our adverts in `mode` for ~6 s; returns its log. */
async function keepalivedHears(mode: Ipv4ChecksumMode, tag: string): Promise<string> {
  const { ka, tx } = lab(tag);
  const conf = join(work, `ka-${tag}.conf`);
  writeFileSync(
    conf,
    `global_defs {\n vrrp_version 3\n}\nvrrp_instance t {\n state BACKUP\n interface lvvk\n virtual_router_id 7\n` +
      ` priority 100\n advert_int 1\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n`,
  );
  const log = join(work, `ka-${tag}.log`);
  const kaProc = spawn(
    'ip',
    ['netns', 'exec', ka, 'keepalived', '-f', conf, '--vrrp', '-n', '-l', '-D',
      '-p', join(work, `ka-${tag}.pid`), '-r', join(work, `vrrp-${tag}.pid`)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(kaProc);
  let text = '';
  kaProc.stdout.on('data', (d: Buffer) => (text += d.toString()));
  kaProc.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const msg = encodeAdvert(v4, { src: '192.0.2.20', dst: '224.0.0.18', ipv4Checksum: mode });
  const packet = frameFor('ipv4', 7, '192.0.2.20', '224.0.0.18', msg).subarray(14);
  // 30 adverts, every 200 ms (6 s): well beyond keepalived's 3.6 s master-down interval.
  execFileSync('ip', ['netns', 'exec', tx, 'node', '--input-type=module', '-e', SENDER, 'lvvt', '200', '30', packet.toString('hex')], {
    cwd: process.cwd(),
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 20_000,
  });
  kaProc.kill('SIGTERM');
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 3000);
    kaProc.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
  writeFileSync(log, text);
  return readFileSync(log, 'utf8');
}

describe('Keepalived 2.2.7 hearing our adverts (priority 200 vs its 100)', () => {
  it('rfc5798 mode: accepted, keepalived stays BACKUP', async () => {
    const log = await keepalivedHears('rfc5798', 'a');
    expect(log).toContain('Entering BACKUP STATE');
    expect(log).not.toContain('Invalid VRRPv3 checksum');
    expect(log).not.toContain('Entering MASTER STATE');
  });

  it('rfc9568 mode: REFUSED ("Invalid VRRPv3 checksum"), keepalived becomes a second MASTER', async () => {
    const log = await keepalivedHears('rfc9568', 'b');
    expect(log).toContain('Invalid VRRPv3 checksum');
    expect(log).toContain('Entering MASTER STATE');
  });
});

describe('the installed keepalived, captured live (re-proves the stored fixture)', () => {
  it('sends IPv4 adverts with the RFC 5798 pseudo-header checksum, multicast and unicast', () => {
    const out = join(work, 'capture');
    execFileSync('bash', [join(import.meta.dirname, 'capture-keepalived.sh'), out], { stdio: 'ignore', timeout: 60_000 });
    const frames = readPcap(readFileSync(join(out, 'keepalived-2.2.7.pcap')));
    const modes = new Map<string, number>();
    for (const f of frames) {
      const ip = ethernetPayload(f.data);
      let r;
      if (ip?.family === 'ipv4') r = decodeIpv4Packet(ip.packet);
      else if (ip?.family === 'ipv6') {
        const v = parseIpv6(ip.packet);
        r = decodeAdvert(v.payload, { family: 'ipv6', src: v.src, dst: v.dst, hopLimit: v.hopLimit });
      }
      const key = r?.ok ? `${r.value.advert.family}:${r.value.dst === '224.0.0.18' || r.value.dst === 'ff02::12' ? 'mcast' : 'ucast'}:${r.value.checksum}` : `refused:${r?.reason ?? 'not ip'}`;
      modes.set(key, (modes.get(key) ?? 0) + 1);
    }
    expect([...modes.keys()].sort()).toEqual(['ipv4:mcast:rfc5798', 'ipv4:ucast:rfc5798', 'ipv6:mcast:ipv6']);
  });
});
