import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { advertAddresses, derivedLinkLocal, instanceKey, localVridsFor, ownSourceAddress, setupFor } from '../../../src/vrrp/instance-setup.js';
import type { ProcessOutcome } from '../../../src/os/process.js';
import { applyRun, initialRiseFall, ScriptTracker } from '../../../src/vrrp/track/scripts.js';
import { InstanceTracker } from '../../../src/vrrp/track/tracker.js';
import { configWith, FakeAddresses, instanceConfig } from './runner-fakes.js';

describe('InstanceTracker', () => {
  const config = instanceConfig({
    track: {
      interfaces: [{ name: 'eth1', weight: 0 }, { name: 'eth2', weight: -20 }],
      scripts: [{ name: 'chk', command: ['/bin/true'], intervalMs: 1000, timeoutMs: 500, rise: 1, fall: 1, weight: -30 }],
      virtualServers: [{ name: 'http', weight: 0 }],
      routes: [],
      processes: [],
      files: [],
    },
  });

  it('sums the weights of failed objects; weight 0 means fault; scripts start failed', () => {
    const t = new InstanceTracker(config, () => true);
    expect(t.verdict()).toEqual({ priorityDelta: -30, fault: false });
    expect(t.set('script', 'chk', true)).toBe(true);
    expect(t.verdict()).toEqual({ priorityDelta: 0, fault: false });
    expect(t.set('interface', 'eth2', false)).toBe(true);
    expect(t.set('interface', 'eth2', false)).toBe(false);
    expect(t.verdict()).toEqual({ priorityDelta: -20, fault: false });
    t.set('virtual_server', 'http', false);
    expect(t.verdict()).toEqual({ priorityDelta: -20, fault: true });
    expect(t.set('interface', 'nope', false)).toBe(false);
  });

  it('a link that is down at start counts as failed', () => {
    const t = new InstanceTracker(config, (name) => name !== 'eth1');
    expect(t.verdict().fault).toBe(true);
  });
});

describe('rise/fall', () => {
  it('from unknown, the first completed streak decides; then fall failures flip to failed', () => {
    let s = initialRiseFall;
    s = applyRun(s, true, 2, 3);
    expect(s.healthy).toBeNull();
    s = applyRun(s, true, 2, 3);
    expect(s.healthy).toBe(true);
    s = applyRun(applyRun(s, false, 2, 3), false, 2, 3);
    expect(s.healthy).toBe(true);
    s = applyRun(s, false, 2, 3);
    expect(s.healthy).toBe(false);
  });

  it('ScriptTracker runs every interval and reports changes only', async () => {
    const clock = new FakeClock();
    const results: ProcessOutcome[] = [{ kind: 'exit', code: 0, stdout: '', stderr: '' }, { kind: 'exit', code: 0, stdout: '', stderr: '' }, { kind: 'timeout' }];
    const argvs: string[][] = [];
    const changes: boolean[] = [];
    const tracker = new ScriptTracker({
      clock,
      log: silentLogger(),
      script: { name: 'chk', command: ['/x', 'y'], intervalMs: 1000, timeoutMs: 500, rise: 1, fall: 1, weight: 0 },
      user: () => Promise.resolve(null),
      onChange: (h) => changes.push(h),
      run: (run) => {
        argvs.push([...run.argv]);
        return Promise.resolve(results.shift() ?? { kind: 'exit', code: 0, stdout: '', stderr: '' });
      },
    });
    tracker.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(i === 0 ? 0 : 1000);
      for (let j = 0; j < 5; j++) await Promise.resolve();
    }
    expect(argvs).toEqual([['/x', 'y'], ['/x', 'y'], ['/x', 'y']]);
    expect(changes).toEqual([true, false]);
    tracker.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stop() aborts a run in progress', async () => {
    const clock = new FakeClock();
    let seen: AbortSignal | undefined;
    const tracker = new ScriptTracker({
      clock,
      log: silentLogger(),
      script: { name: 'chk', command: ['/x'], intervalMs: 1000, timeoutMs: 500, rise: 1, fall: 1, weight: 0 },
      user: () => Promise.resolve(null),
      onChange: () => undefined,
      run: (run) => {
        seen = run.signal;
        return new Promise((resolve) => { run.signal?.addEventListener('abort', () => { resolve({ kind: 'aborted' }); }); });
      },
    });
    tracker.start();
    clock.advance(0);
    for (let j = 0; j < 5; j++) await Promise.resolve();
    expect(seen?.aborted).toBe(false);
    tracker.stop();
    expect(seen?.aborted).toBe(true);
  });
});

describe('instance setup', () => {
  it('the source address is the interface\'s own, never a VIP (even a primary one left by a crash)', async () => {
    const addresses = new FakeAddresses({ eth0: { ifindex: 2, ipv4: '10.0.0.1', ll: 'fe80::1' } });
    const cfg = configWith([instanceConfig({ virtualAddresses: [{ text: '192.168.9.9', family: 'ipv4', prefixLength: 32 }] })]);
    addresses.present.add('192.168.9.9');
    expect(await ownSourceAddress(addresses, cfg, 'ipv4', 2)).toBe('10.0.0.1');
    expect(await ownSourceAddress(addresses, cfg, 'ipv6', 2)).toBe('fe80::1');
    expect(await ownSourceAddress(new FakeAddresses({ eth0: { ifindex: 2 } }), cfg, 'ipv4', 2)).toBeUndefined();
  });

  it('IPv6: a configured link-local goes first; without one the VMAC-derived link-local is prepended', () => {
    const v6 = (texts: string[]) => instanceConfig({ family: 'ipv6', vrid: 61, virtualAddresses: texts.map((text) => ({ text, family: 'ipv6', prefixLength: 64 })) });
    expect(advertAddresses(v6(['2001:db8::100', 'fe80::61']))).toEqual(['fe80::61', '2001:db8::100']);
    expect(derivedLinkLocal(61)).toBe('fe80::200:5eff:fe00:23d');
    expect(advertAddresses(v6(['2001:db8::100']))).toEqual(['fe80::200:5eff:fe00:23d', '2001:db8::100']);
    expect(advertAddresses(instanceConfig())).toEqual(['10.0.0.100']);
    expect(advertAddresses(v6(['2001:db8::100']), 'rfc9568')).toEqual(['fe80::200:5eff:fe00:23d', '2001:db8::100']);
  });

  it('IPv6 with ipv6_addresses keepalived: exactly the configured addresses in the configured order', () => {
    const v6 = (texts: string[]) => instanceConfig({ family: 'ipv6', vrid: 61, virtualAddresses: texts.map((text) => ({ text, family: 'ipv6', prefixLength: 64 })) });
    expect(advertAddresses(v6(['2001:db8::100']), 'keepalived')).toEqual(['2001:db8::100']);
    expect(advertAddresses(v6(['2001:db8::100', 'fe80::61', '2001:db8::101']), 'keepalived')).toEqual(['2001:db8::100', 'fe80::61', '2001:db8::101']);
    expect(advertAddresses(instanceConfig(), 'keepalived')).toEqual(['10.0.0.100']);
  });

  it('the setup carries the mode: advert list, local VRIDs (address_mismatch) and the receive check follow it', () => {
    const v6 = instanceConfig({ family: 'ipv6', vrid: 61, virtualAddresses: [{ text: '2001:db8::100', family: 'ipv6', prefixLength: 64 }] });
    const bound = { ifname: 'eth0', ifindex: 2, sourceAddress: 'fe80::1', mac: undefined };
    const base = configWith([v6]);
    const ka = setupFor({ ...base, vrrp: { ...base.vrrp, ipv6Addresses: 'keepalived' } }, v6, bound);
    expect([ka.ipv6Addresses, ka.advertAddresses, ka.localVrids.get(61)?.addresses]).toEqual(['keepalived', ['2001:db8::100'], ['2001:db8::100']]);
    const rfc = setupFor(base, v6, bound);
    expect([rfc.ipv6Addresses, rfc.advertAddresses]).toEqual(['rfc9568', ['fe80::200:5eff:fe00:23d', '2001:db8::100']]);
  });

  it('local VRIDs are per interface and family', () => {
    const a = instanceConfig();
    const b = instanceConfig({ name: 'b', vrid: 52 });
    const other = instanceConfig({ name: 'c', vrid: 53, interface: 'eth1' });
    expect([...localVridsFor(configWith([a, b, other]), a).keys()]).toEqual([51, 52]);
  });

  it('the reload key is the socket identity: interface, family, VRID, unicast source and peers, VMAC only', () => {
    const a = instanceConfig();
    const same = [
      { priority: 99 }, { advertIntervalMs: 200 }, { preempt: false }, { preemptDelayMs: 5000 }, { acceptMode: true },
      { virtualAddresses: [] }, { notify: { command: ['/bin/true'], master: null, backup: null, fault: null, stop: null } }, { announce: { repeat: 5, intervalMs: 10, refreshMs: 0 } },
      { track: { interfaces: [{ name: 'eth1', weight: 0 }], scripts: [], virtualServers: [], routes: [], processes: [], files: [] } },
    ];
    for (const over of same) expect(instanceKey(instanceConfig(over))).toBe(instanceKey(a));
    const peer = (text: string) => ({ text, family: 'ipv4' as const });
    const other = [
      { interface: 'eth1' }, { vrid: 52 }, { family: 'ipv6' as const },
      { unicastSource: peer('10.0.0.1') }, { unicastPeers: [peer('10.0.0.2')] },
      { vmac: { interface: 'vrrp.51', xmitBase: false } },
    ];
    for (const over of other) expect(instanceKey(instanceConfig(over))).not.toBe(instanceKey(a));
    const two = instanceConfig({ unicastPeers: [peer('10.0.0.2'), peer('10.0.0.3')] });
    expect(instanceKey(instanceConfig({ unicastPeers: [peer('10.0.0.3'), peer('10.0.0.2')] }))).toBe(instanceKey(two));
  });
});
