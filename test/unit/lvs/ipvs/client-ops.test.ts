/** IpvsClient's table, timeouts and daemon methods over a fake generic netlink. */
import { describe, expect, test } from 'vitest';
import { IpvsClient, IpvsProtocolError, liveTable } from '../../../../src/lvs/ipvs/client.js';
import { IpvsCmd } from '../../../../src/lvs/ipvs/constants.js';
import { daemonNest } from '../../../../src/lvs/ipvs/daemon.js';
import { destNest } from '../../../../src/lvs/ipvs/destination.js';
import { serviceKeyNest, serviceNest } from '../../../../src/lvs/ipvs/service.js';
import type { Destination, Service } from '../../../../src/lvs/model.js';
import { NetlinkError, type GenericNetlink, type GenlFamily, type GenlMessage, type GenlRequest, type ResolveOptions } from '../../../../src/os/genl.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Answers like the kernel adapter: a reply list, or a NetlinkError built with the request's label and explain hook. */
class FakeGenl implements GenericNetlink {
  readonly requests: GenlRequest[] = [];
  constructor(private readonly answer: (request: GenlRequest, n: number) => GenlMessage[] | number) {}
  resolveFamily(name: string, options: ResolveOptions): Promise<GenlFamily> {
    return Promise.resolve({ id: 0x21, name, version: options.version });
  }
  request(_family: GenlFamily, request: GenlRequest): Promise<GenlMessage[]> {
    this.requests.push(request);
    const a = this.answer(request, this.requests.length);
    if (typeof a !== 'number') return Promise.resolve(a);
    const detail = request.explain?.(a, a === 2 ? 'ENOENT' : a === 17 ? 'EEXIST' : a === 3 ? 'ESRCH' : `E${a}`);
    const params = { errno: a, command: `IPVS ${request.label ?? ''}` };
    return Promise.reject(new NetlinkError(detail === undefined ? params : { ...params, detail }));
  }
  close(): void {
    // nothing
  }
}

const msg = (cmd: number, payload: Buffer): GenlMessage => ({ cmd, version: 1, flags: 2, payload });
const WEB: Service = {
  key: { kind: 'address', family: 'ipv4', protocol: 'tcp', address: '10.0.0.1', port: 80 },
  scheduler: 'wrr', flags: 0, timeoutS: 0, netmask: '255.255.255.255', peName: null,
};
const MARK: Service = { ...WEB, key: { kind: 'fwmark', family: 'ipv6', fwmark: 7 }, netmask: '128', scheduler: 'sh', flags: 0x18 };
const RS: Destination = { family: 'ipv4', address: '10.0.1.1', port: 80, fwd: 'droute', weight: 2, upperThreshold: 0, lowerThreshold: 0, tunnel: null };

describe('IpvsClient table operations', () => {
  test('readTable: a GET_SERVICE dump, then a GET_DEST dump per service with its key nest', async () => {
    const nl = new FakeGenl((r) => {
      if (r.cmd === IpvsCmd.GET_SERVICE) return [msg(IpvsCmd.NEW_SERVICE, serviceNest(WEB)), msg(IpvsCmd.NEW_SERVICE, serviceNest(MARK))];
      if (r.cmd === IpvsCmd.GET_DEST && Buffer.from(r.payload).equals(serviceKeyNest(WEB.key))) return [msg(IpvsCmd.NEW_DEST, destNest(RS))];
      return [];
    });
    const ipvs = await IpvsClient.connect(nl);
    const entries = await ipvs.readTable();
    expect(nl.requests.map((r) => [r.cmd, r.kind, r.label])).toEqual([
      [IpvsCmd.GET_SERVICE, 'dump', 'GET_SERVICE'],
      [IpvsCmd.GET_DEST, 'dump', 'GET_DEST tcp 10.0.0.1:80'],
      [IpvsCmd.GET_DEST, 'dump', 'GET_DEST fwmark 7 ipv6'],
    ]);
    expect(liveTable(entries)).toEqual({
      services: [
        { service: WEB, destinations: [{ ...RS, counters: { activeConns: 0, inactConns: 0, persistConns: 0 } }] },
        { service: MARK, destinations: [] },
      ],
    });
  });

  test('a dump reply the codec refuses is an IpvsProtocolError naming the command', async () => {
    const ipvs = await IpvsClient.connect(new FakeGenl(() => [msg(IpvsCmd.NEW_SERVICE, hex('0c00 0100 0600 0100 0700 0000'))]));
    await expect(ipvs.getServices()).rejects.toThrow(IpvsProtocolError);
    await expect(ipvs.getServices()).rejects.toThrow('GET_SERVICE reply: AF 7 is neither 2 (IPv4) nor 10 (IPv6)');
  });

  test('writes: command, payload and label per operation', async () => {
    const nl = new FakeGenl(() => []);
    const ipvs = await IpvsClient.connect(nl);
    await ipvs.addService(WEB);
    await ipvs.editService(WEB);
    await ipvs.delService(WEB.key);
    await ipvs.addDest(WEB.key, RS);
    await ipvs.editDest(WEB.key, RS);
    await ipvs.delDest(WEB.key, RS);
    expect(nl.requests.map((r) => r.label)).toEqual([
      'NEW_SERVICE tcp 10.0.0.1:80', 'SET_SERVICE tcp 10.0.0.1:80', 'DEL_SERVICE tcp 10.0.0.1:80',
      'NEW_DEST tcp 10.0.0.1:80 -> 10.0.1.1:80', 'SET_DEST tcp 10.0.0.1:80 -> 10.0.1.1:80', 'DEL_DEST tcp 10.0.0.1:80 -> 10.0.1.1:80',
    ]);
    expect(Buffer.from(nl.requests[0]?.payload ?? [])).toEqual(serviceNest(WEB));
    expect(Buffer.from(nl.requests[3]?.payload ?? [])).toEqual(Buffer.concat([serviceKeyNest(WEB.key), destNest(RS)]));
  });

  test('the documented messages: unknown scheduler, service exists, no such service', async () => {
    const nl = new FakeGenl((r) => (r.cmd === IpvsCmd.NEW_SERVICE && r.label?.endsWith(':80') === true ? 2 : r.cmd === IpvsCmd.NEW_SERVICE ? 17 : 3));
    const ipvs = await IpvsClient.connect(nl);
    await ipvs.getTimeouts().catch(() => undefined); // use up the first-request retry
    await expect(ipvs.addService({ ...WEB, scheduler: 'xyz' })).rejects.toThrow(
      "IPVS NEW_SERVICE tcp 10.0.0.1:80: unknown scheduler 'xyz' (no ip_vs_xyz module) (ENOENT)",
    );
    await expect(ipvs.addService({ ...WEB, key: { ...WEB.key, port: 81 } } as Service)).rejects.toThrow(
      'IPVS NEW_SERVICE tcp 10.0.0.1:81: the virtual service already exists (EEXIST)',
    );
    await expect(ipvs.delService(WEB.key)).rejects.toThrow('IPVS DEL_SERVICE tcp 10.0.0.1:80: no such virtual service (ESRCH)');
  });

  test('getService: the service, or null on ESRCH; other errors propagate', async () => {
    const found = await IpvsClient.connect(new FakeGenl(() => [msg(IpvsCmd.NEW_SERVICE, serviceNest(WEB))]));
    expect(await found.getService(WEB.key)).toEqual({ service: WEB, stats: null });
    const missing = await IpvsClient.connect(new FakeGenl(() => 3));
    expect(await missing.getService(WEB.key)).toBeNull();
    const denied = await IpvsClient.connect(new FakeGenl(() => 1));
    await expect(denied.getService(WEB.key)).rejects.toMatchObject({ errno: 1 });
  });

  test('the first request is retried once on a transient errno; later ones and answers are not', async () => {
    const transient = new FakeGenl((_r, n) => (n === 1 ? 11 : [msg(IpvsCmd.SET_CONFIG, hex('0800 0400 84030000 0800 0500 78000000 0800 0600 2c010000'))]));
    const a = await IpvsClient.connect(transient);
    expect(await a.getTimeouts()).toEqual({ tcpS: 900, tcpFinS: 120, udpS: 300 });
    expect(transient.requests).toHaveLength(2);
    const always = new FakeGenl(() => 11);
    const b = await IpvsClient.connect(always);
    await expect(b.getTimeouts()).rejects.toMatchObject({ errno: 11 });
    await expect(b.getTimeouts()).rejects.toMatchObject({ errno: 11 });
    expect(always.requests).toHaveLength(3); // 2 for the first, 1 for the second
    const answer = new FakeGenl(() => 1);
    const c = await IpvsClient.connect(answer);
    await expect(c.getTimeouts()).rejects.toMatchObject({ errno: 1 });
    expect(answer.requests).toHaveLength(1);
  });

  test('daemons and timeouts', async () => {
    const master = { state: 'master' as const, interface: 'eth0', syncId: 9, group: '224.0.0.81', groupFamily: 'ipv4' as const, port: 8848, ttl: 1, maxLen: 1472 };
    const nl = new FakeGenl((r) => (r.cmd === IpvsCmd.GET_DAEMON ? [msg(IpvsCmd.NEW_DAEMON, daemonNest(master))] : []));
    const ipvs = await IpvsClient.connect(nl);
    expect(await ipvs.getDaemons()).toEqual([master]);
    await ipvs.startDaemon(master);
    await ipvs.stopDaemon('backup');
    await ipvs.setTimeouts({ tcpS: 1, tcpFinS: 2, udpS: 3 });
    await ipvs.flush();
    expect(nl.requests.map((r) => r.label)).toEqual(['GET_DAEMON', 'NEW_DAEMON master on eth0', 'DEL_DAEMON backup', 'SET_CONFIG tcp 1 tcpfin 2 udp 3', 'FLUSH']);
  });
});
