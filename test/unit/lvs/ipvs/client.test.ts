import { describe, expect, test } from 'vitest';
import { IpvsClient, IpvsProtocolError, toGenlRequest } from '../../../../src/lvs/ipvs/client.js';
import { IpvsCmd } from '../../../../src/lvs/ipvs/constants.js';
import { explainIpvsErrno } from '../../../../src/lvs/ipvs/errors.js';
import type { GenericNetlink, GenlFamily, GenlMessage, GenlRequest, ResolveOptions } from '../../../../src/os/genl.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const INFO_PAYLOAD = hex('0800 0100 01020100' + '0800 0200 00100000');

/** A GenericNetlink that records what it was asked and answers from a script. */
class FakeGenl implements GenericNetlink {
  readonly resolved: { name: string; options: ResolveOptions }[] = [];
  readonly requests: GenlRequest[] = [];
  constructor(private readonly answer: (request: GenlRequest) => GenlMessage[]) {}
  resolveFamily(name: string, options: ResolveOptions): Promise<GenlFamily> {
    this.resolved.push({ name, options });
    return Promise.resolve({ id: 0x20, name, version: options.version });
  }
  request(_family: GenlFamily, request: GenlRequest): Promise<GenlMessage[]> {
    this.requests.push(request);
    return Promise.resolve(this.answer(request));
  }
  close(): void {
    // nothing to release
  }
}

const reply = (cmd: number, payload: Buffer): GenlMessage => ({ cmd, version: 1, flags: 0, payload });

describe('IpvsClient over a fake generic netlink', () => {
  test('connect resolves "IPVS" version 1 with the no-IPVS hint', async () => {
    const nl = new FakeGenl(() => []);
    const client = await IpvsClient.connect(nl);
    expect(client.family).toEqual({ id: 0x20, name: 'IPVS', version: 1 });
    expect(nl.resolved[0]?.options.missingHint).toBe('this kernel has no IPVS (ip_vs module not loaded/available)');
  });

  test('info sends a labelled GET_INFO doit and decodes the reply', async () => {
    const nl = new FakeGenl(() => [reply(IpvsCmd.SET_INFO, INFO_PAYLOAD)]);
    const client = await IpvsClient.connect(nl);
    expect(await client.info()).toEqual({ versionCode: 0x010201, version: '1.2.1', connTableSize: 4096 });
    expect(nl.requests[0]).toMatchObject({ cmd: IpvsCmd.GET_INFO, kind: 'doit', label: 'GET_INFO' });
  });

  test('info refuses a reply the codec cannot read with IpvsProtocolError', async () => {
    const nl = new FakeGenl(() => [reply(IpvsCmd.SET_INFO, INFO_PAYLOAD.subarray(0, 8))]);
    const client = await IpvsClient.connect(nl);
    await expect(client.info()).rejects.toThrow(IpvsProtocolError);
    await expect(client.info()).rejects.toThrow('GET_INFO reply: CONN_TAB_SIZE missing');
  });

  test('info refuses zero or several replies', async () => {
    const none = await IpvsClient.connect(new FakeGenl(() => []));
    await expect(none.info()).rejects.toThrow('GET_INFO: expected one reply, got 0');
    const two = await IpvsClient.connect(new FakeGenl(() => [reply(14, INFO_PAYLOAD), reply(14, INFO_PAYLOAD)]));
    await expect(two.info()).rejects.toMatchObject({ code: 'LVSHA_IPVS_PROTOCOL' });
  });

  test('dumpServices sends a GET_SERVICE dump', async () => {
    const nl = new FakeGenl(() => [reply(IpvsCmd.NEW_SERVICE, Buffer.alloc(0))]);
    const client = await IpvsClient.connect(nl);
    expect(await client.dumpServices()).toHaveLength(1);
    expect(nl.requests[0]).toMatchObject({ cmd: IpvsCmd.GET_SERVICE, kind: 'dump', label: 'GET_SERVICE' });
  });
});

describe('IPVS errno wording', () => {
  test('toGenlRequest wires the command into explain', () => {
    const request = toGenlRequest({ cmd: IpvsCmd.NEW_SERVICE, kind: 'doit', payload: Buffer.alloc(0) });
    expect(request.explain?.(2, 'ENOENT')).toBe('unknown scheduler or persistence engine (ENOENT): its ip_vs_<name> module is not available');
  });

  test('the common errors of protocol-reference B5', () => {
    expect(explainIpvsErrno(IpvsCmd.GET_INFO, 1, 'EPERM')).toContain('needs CAP_NET_ADMIN');
    expect(explainIpvsErrno(IpvsCmd.NEW_SERVICE, 17, 'EEXIST')).toBe('the virtual service already exists (EEXIST)');
    expect(explainIpvsErrno(IpvsCmd.NEW_DEST, 17, 'EEXIST')).toBe('the real server already exists (EEXIST)');
    expect(explainIpvsErrno(IpvsCmd.DEL_SERVICE, 3, 'ESRCH')).toBe('no such virtual service (ESRCH)');
    expect(explainIpvsErrno(IpvsCmd.DEL_DAEMON, 3, 'ESRCH')).toBe('that sync daemon is not running (ESRCH)');
    expect(explainIpvsErrno(IpvsCmd.SET_DEST, 2, 'ENOENT')).toBe('no such real server (ENOENT)');
    expect(explainIpvsErrno(IpvsCmd.NEW_DEST, 34, 'ERANGE')).toContain('weight must be >= 0');
    expect(explainIpvsErrno(IpvsCmd.NEW_DAEMON, 19, 'ENODEV')).toBe('unknown sync interface (ENODEV)');
  });

  test('an errno with no IPVS-specific meaning falls back (undefined)', () => {
    expect(explainIpvsErrno(IpvsCmd.GET_INFO, 2, 'ENOENT')).toBeUndefined();
    expect(explainIpvsErrno(IpvsCmd.GET_INFO, 105, 'ENOBUFS')).toBeUndefined();
  });
});
