import { describe, expect, it } from 'vitest';
import {
  canonicalDestination,
  canonicalService,
  canonicalTable,
  destinationDifferences,
  destinationKeyText,
  destinationsEquivalent,
  familyFromAf,
  FWD_METHOD_CODE,
  fwdMethodFromCode,
  protocolFromNumber,
  serviceDifferences,
  serviceKeyText,
  SvcFlag,
  tablesEqual,
  TUN_TYPE_CODE,
  tunTypeFromCode,
  v4NetmaskText,
  type Destination,
} from '../../../src/lvs/model.js';
import { dest, entry, svc, table, tcp } from './plan-fixtures.js';

describe('service keys', () => {
  it('names address, IPv6 and fwmark services stably, IPv6 canonicalised', () => {
    expect(serviceKeyText(tcp('10.0.0.100', 80))).toBe('tcp 10.0.0.100:80');
    expect(serviceKeyText(tcp('2001:DB8:0::100', 443))).toBe('tcp [2001:db8::100]:443');
    expect(serviceKeyText({ kind: 'fwmark', family: 'ipv6', fwmark: 7 })).toBe('fwmark 7 ipv6');
    expect(serviceKeyText({ kind: 'fwmark', family: 'ipv4', fwmark: 7 })).not.toBe(serviceKeyText({ kind: 'fwmark', family: 'ipv6', fwmark: 7 }));
  });

  it('tells protocols apart on the same address and port', () => {
    const udp = { kind: 'address', family: 'ipv4', protocol: 'udp', address: '10.0.0.100', port: 80 } as const;
    expect(serviceKeyText(udp)).not.toBe(serviceKeyText(tcp('10.0.0.100', 80)));
  });

  it('names destinations with brackets for IPv6', () => {
    expect(destinationKeyText(dest('2001:db8:0:0::11', 80))).toBe('[2001:db8::11]:80');
    expect(destinationKeyText(dest('10.0.0.11', 0))).toBe('10.0.0.11:0');
  });
});

describe('canonical service', () => {
  it('ignores HASHED, which the kernel sets on every reply', () => {
    const fromKernel = svc(tcp('10.0.0.100', 80), { flags: SvcFlag.HASHED | SvcFlag.SCHED1 });
    const fromConfig = svc(tcp('10.0.0.100', 80), { flags: SvcFlag.SCHED1 });
    expect(canonicalService(fromKernel)).toEqual(canonicalService(fromConfig));
    expect(canonicalService(fromKernel).flags).toBe(SvcFlag.SCHED1);
  });

  it('ignores timeout and netmask of a non-persistent service', () => {
    const odd = svc(tcp('10.0.0.100', 80), { timeoutS: 300, netmask: '0.0.0.0' });
    expect(canonicalService(odd)).toEqual(canonicalService(svc(tcp('10.0.0.100', 80))));
    expect(canonicalService(svc(tcp('2001:db8::1', 80), { netmask: '64' })).netmask).toBe('128');
  });

  it('compares timeout and netmask of a persistent service', () => {
    const a = canonicalService(svc(tcp('10.0.0.100', 80), { flags: SvcFlag.PERSISTENT, timeoutS: 300, netmask: '255.255.255.0' }));
    const b = canonicalService(svc(tcp('10.0.0.100', 80), { flags: SvcFlag.PERSISTENT, timeoutS: 300, netmask: '255.255.255.255' }));
    const c = canonicalService(svc(tcp('10.0.0.100', 80), { flags: SvcFlag.PERSISTENT, timeoutS: 600, netmask: '255.255.255.0' }));
    expect(serviceDifferences(a, b)).toEqual(['netmask']);
    expect(serviceDifferences(a, c)).toEqual(['timeoutS']);
    expect(serviceDifferences(a, a)).toEqual([]);
  });

  it('lowercases the scheduler and reads an empty PE name as none', () => {
    const s = canonicalService(svc(tcp('10.0.0.100', 80), { scheduler: 'WRR', peName: '' }));
    expect(s.scheduler).toBe('wrr');
    expect(s.peName).toBeNull();
    expect(serviceDifferences(s, canonicalService(svc(tcp('10.0.0.100', 80), { peName: 'sip' })))).toEqual(['peName']);
  });

  it('renders an IPv4 netmask attribute as dotted text', () => {
    expect(v4NetmaskText(0xffffff00)).toBe('255.255.255.0');
    expect(v4NetmaskText(0xffffffff)).toBe('255.255.255.255');
    expect(v4NetmaskText(0)).toBe('0.0.0.0');
  });
});

describe('canonical destination', () => {
  it('drops tunnel parameters of non-tunnel methods and counters', () => {
    const fromKernel = dest('10.0.0.11', 80, 1, {
      tunnel: { type: 'ipip', port: 0, flags: 0 },
      counters: { activeConns: 3, inactConns: 1, persistConns: 0 },
    });
    expect(canonicalDestination(fromKernel)).toEqual(dest('10.0.0.11', 80, 1));
  });

  it('keeps the tunnel port for GUE only', () => {
    const gre = canonicalDestination(dest('10.0.0.11', 80, 1, { fwd: 'tunnel', tunnel: { type: 'gre', port: 6080, flags: 0 } }));
    expect(gre.tunnel).toEqual({ type: 'gre', port: 0, flags: 0 });
    const gue = canonicalDestination(dest('10.0.0.11', 80, 1, { fwd: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: 1 } }));
    expect(gue.tunnel).toEqual({ type: 'gue', port: 6080, flags: 1 });
  });

  it('gives a tunnel destination without parameters the kernel default (ipip)', () => {
    expect(canonicalDestination(dest('10.0.0.11', 80, 1, { fwd: 'tunnel' })).tunnel).toEqual({ type: 'ipip', port: 0, flags: 0 });
  });

  it('lists exactly the attributes that differ', () => {
    const a = dest('10.0.0.11', 80, 2);
    expect(destinationDifferences(a, dest('10.0.0.11', 80, 0))).toEqual(['weight']);
    expect(destinationDifferences(a, dest('10.0.0.11', 80, 2, { fwd: 'masq', upperThreshold: 5 }))).toEqual(['fwd', 'upperThreshold']);
    const t1 = canonicalDestination(dest('10.0.0.11', 80, 2, { fwd: 'tunnel', tunnel: { type: 'gue', port: 1, flags: 0 } }));
    const t2 = canonicalDestination(dest('10.0.0.11', 80, 2, { fwd: 'tunnel', tunnel: { type: 'gue', port: 2, flags: 0 } }));
    expect(destinationDifferences(t1, t2)).toEqual(['tunnel']);
    expect(destinationDifferences(a, a)).toEqual([]);
  });
});

describe('table equality', () => {
  it('ignores order, HASHED, counters and address spelling', () => {
    const a = table(
      entry(svc(tcp('10.0.0.100', 80)), dest('10.0.0.11', 80), dest('10.0.0.12', 80)),
      entry(svc(tcp('2001:db8::100', 80)), dest('2001:db8::11', 80)),
    );
    const b = table(
      entry(svc(tcp('2001:DB8:0::100', 80), { flags: SvcFlag.HASHED }), dest('2001:db8:0::11', 80)),
      entry(svc(tcp('10.0.0.100', 80)), dest('10.0.0.12', 80, 1, { counters: { activeConns: 1, inactConns: 0, persistConns: 0 } }), dest('10.0.0.11', 80)),
    );
    expect(tablesEqual(a, b)).toBe(true);
    expect(canonicalTable(a)).toEqual(canonicalTable(b));
  });

  it('sees a weight change and a missing destination', () => {
    const a = table(entry(svc(tcp('10.0.0.100', 80)), dest('10.0.0.11', 80, 1)));
    expect(tablesEqual(a, table(entry(svc(tcp('10.0.0.100', 80)), dest('10.0.0.11', 80, 0))))).toBe(false);
    expect(tablesEqual(a, table(entry(svc(tcp('10.0.0.100', 80)))))).toBe(false);
  });
});

describe('kernel codes', () => {
  it('maps forwarding, tunnel, protocol and family codes both ways', () => {
    expect(FWD_METHOD_CODE).toEqual({ masq: 0, localnode: 1, tunnel: 2, droute: 3, bypass: 4 });
    expect(TUN_TYPE_CODE).toEqual({ ipip: 0, gue: 1, gre: 2 });
    for (const [name, code] of Object.entries(FWD_METHOD_CODE)) expect(fwdMethodFromCode(code)).toBe(name);
    expect(fwdMethodFromCode(7)).toBeNull();
    expect(tunTypeFromCode(2)).toBe('gre');
    expect(tunTypeFromCode(3)).toBeNull();
    expect(protocolFromNumber(132)).toBe('sctp');
    expect(protocolFromNumber(1)).toBeNull();
    expect(familyFromAf(10)).toBe('ipv6');
    expect(familyFromAf(7)).toBeNull();
  });
});

describe('destinationsEquivalent (plan compares without canonical copies)', () => {
  it('agrees with destinationDifferences of the canonical forms on every combination', () => {
    const fwds = ['masq', 'droute', 'tunnel'] as const;
    const tunnels = [null, { type: 'ipip', port: 0, flags: 0 }, { type: 'ipip', port: 5, flags: 0 }, { type: 'gue', port: 5, flags: 0 }, { type: 'gue', port: 6, flags: 1 }, { type: 'gre', port: 0, flags: 1 }] as const;
    const all: Destination[] = [];
    for (const fwd of fwds) for (const weight of [0, 1]) for (const u of [0, 7]) for (const tunnel of tunnels) {
      all.push({ family: 'ipv4', address: '10.0.0.1', port: 80, fwd, weight, upperThreshold: u, lowerThreshold: 0, tunnel });
    }
    let equal = 0;
    for (const a of all) for (const b of all) {
      const same = destinationDifferences(canonicalDestination(a), canonicalDestination(b)).length === 0;
      expect(destinationsEquivalent(a, b), `${JSON.stringify(a)} ${JSON.stringify(b)}`).toBe(same);
      if (same) equal += 1;
    }
    expect(equal).toBeGreaterThan(all.length); // some pairs other than (a, a) are equivalent (e.g. tunnel fields of a DR destination)
  });
});
