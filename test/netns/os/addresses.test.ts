import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAddressManager, type AddressEvent, type AddressManager } from '../../../src/os/addresses.js';
import { OsError } from '../../../src/os/os-errors.js';
import { IF_A, IPV4_A, LL_A, MAC_A, NS_A, ifindexIn, inNs, loadLvshaNet, setupLab, teardownLab, waitFor, withNetns } from './lab.js';

const net = loadLvshaNet();
let ifA = 0;
let mgr: AddressManager;
const addrs = (family: '-4' | '-6'): string => inNs(NS_A, ['ip', family, 'addr', 'show', 'dev', IF_A]);

beforeAll(async () => {
  await setupLab();
  ifA = ifindexIn(NS_A, IF_A);
  mgr = withNetns(net, NS_A, () => openAddressManager());
});
afterAll(() => {
  mgr.close();
  teardownLab();
});

describe('rtnetlink addresses inside a namespace', () => {
  it('looks up index, MAC, primary IPv4 and link-local IPv6 of an interface', async () => {
    const info = await mgr.interfaceByName(IF_A);
    expect(info).toMatchObject({ ifindex: ifA, name: IF_A, mac: MAC_A, up: true, running: true });
    expect(await mgr.interfaceByName('lvo-missing')).toBeUndefined();
    expect(await mgr.primaryIpv4(ifA)).toBe(IPV4_A);
    expect(await mgr.linkLocalIpv6(ifA)).toBe(LL_A);
  });

  it('adds and removes an IPv4 VIP idempotently', async () => {
    const vip = { ifindex: ifA, address: '192.0.2.100', prefixLength: 24 };
    expect(await mgr.addAddress(vip)).toBe('added');
    expect(addrs('-4')).toContain('192.0.2.100/24');
    expect(await mgr.addAddress(vip)).toBe('already-present');
    const listed = await mgr.listAddresses(ifA, 4);
    expect(listed.map((a) => a.address)).toEqual(expect.arrayContaining([IPV4_A, '192.0.2.100']));
    expect(listed.find((a) => a.address === '192.0.2.100')?.secondary).toBe(true);
    expect(await mgr.primaryIpv4(ifA)).toBe(IPV4_A);
    expect(await mgr.removeAddress(vip)).toBe('removed');
    expect(addrs('-4')).not.toContain('192.0.2.100');
    expect(await mgr.removeAddress(vip)).toBe('already-absent');
  });

  it('adds an IPv6 VIP usable at once (no DAD, not tentative) and removes it idempotently', async () => {
    inNs(NS_A, ['sysctl', '-qw', `net.ipv6.conf.${IF_A}.accept_dad=1`]);
    const vip = { ifindex: ifA, address: '2001:db8::100', prefixLength: 64 };
    expect(await mgr.addAddress(vip)).toBe('added');
    const shown = addrs('-6');
    expect(shown).toContain('2001:db8::100/64');
    expect(shown).not.toContain('tentative');
    expect(await mgr.addAddress(vip)).toBe('already-present');
    expect((await mgr.listAddresses(ifA, 6)).map((a) => a.address)).toContain('2001:db8::100');
    expect(await mgr.removeAddress(vip)).toBe('removed');
    expect(addrs('-6')).not.toContain('2001:db8::100');
    expect(await mgr.removeAddress(vip)).toBe('already-absent');
  });

  it('reports a real failure as an OsError with the errno', async () => {
    const err: unknown = await mgr.addAddress({ ifindex: 99_999, address: '192.0.2.200', prefixLength: 32 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OsError);
    expect((err as OsError).errno).toBe('ENODEV');
  });

  it('tells the runner when something else removes a VIP', async () => {
    const events: AddressEvent[] = [];
    const off = withNetns(net, NS_A, () => mgr.onAddressEvent((e) => events.push(e)));
    try {
      await mgr.addAddress({ ifindex: ifA, address: '192.0.2.101', prefixLength: 32 });
      await waitFor(() => events.some((e) => e.kind === 'added' && e.address.address === '192.0.2.101'), 3000, 'added event');
      expect(events.some((e) => e.kind === 'removed')).toBe(false);
      inNs(NS_A, ['ip', 'addr', 'del', '192.0.2.101/32', 'dev', IF_A]);
      await waitFor(() => events.some((e) => e.kind === 'removed'), 3000, 'removed event');
      expect(events.find((e) => e.kind === 'removed')?.address).toMatchObject({ ifindex: ifA, family: 4, address: '192.0.2.101', prefixLength: 32 });
      inNs(NS_A, ['ip', 'addr', 'add', '2001:db8::101/128', 'dev', IF_A, 'nodad']);
      inNs(NS_A, ['ip', 'addr', 'del', '2001:db8::101/128', 'dev', IF_A]);
      await waitFor(() => events.some((e) => e.kind === 'removed' && e.address.address === '2001:db8::101'), 3000, 'IPv6 removed event');
    } finally {
      off();
    }
  });
});
