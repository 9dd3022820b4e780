/** kernelStatus: the kernel's view of each configured virtual and real server, for status --json. */
import { describe, expect, test } from 'vitest';
import type { LiveEntry } from '../../../src/lvs/ipvs/client.js';
import { kernelStatus } from '../../../src/lvs/reconcile-status.js';
import { configFrom, dest, svc, tcp } from './plan-fixtures.js';

const CONFIG = configFrom(`node: t
virtual_servers:
  - name: web
    address: 10.0.0.100
    port: 80
    scheduler: wrr
    forwarding: nat
    real_servers:
      - { address: 10.0.1.1, port: 8080, weight: 3 }
      - { address: 10.0.1.2, port: 8080 }
  - name: v6
    address: "2001:db8::1"
    port: 443
    scheduler: rr
    forwarding: dr
    real_servers: [{ address: "2001:db8::10", port: 443 }]
`);

const STATS = { conns: 10n, inPkts: 1n, outPkts: 1n, inBytes: 1n, outBytes: 1n, cps: 2n, inPps: 30n, outPps: 25n, inBps: 4000n, outBps: 9000n };

const LIVE: LiveEntry[] = [{
  service: { service: svc(tcp('10.0.0.100', 80), { scheduler: 'wrr' }), stats: STATS },
  destinations: [{
    dest: { ...dest('10.0.1.1', 8080, 0, { fwd: 'masq' }), counters: { activeConns: 4, inactConns: 7, persistConns: 0 } },
    stats: STATS,
  }],
}];

describe('kernelStatus', () => {
  test('kernel weight beside the configured one, forwarding, counters and rates; absent ones are null', () => {
    const [web, v6] = kernelStatus(CONFIG, LIVE);
    expect(web).toEqual({
      name: 'web', service: 'tcp 10.0.0.100:80', in_kernel: true, scheduler: 'wrr',
      rates: { cps: 2, in_pps: 30, out_pps: 25, in_bps: 4000, out_bps: 9000 },
      real_servers: [
        { address: '10.0.1.1', port: 8080, configured_weight: 3, weight: 0, forwarding: 'nat', active_conns: 4, inactive_conns: 7,
          persist_conns: 0, rates: { cps: 2, in_pps: 30, out_pps: 25, in_bps: 4000, out_bps: 9000 } },
        { address: '10.0.1.2', port: 8080, configured_weight: 1, weight: null, forwarding: null, active_conns: null, inactive_conns: null,
          persist_conns: null, rates: null },
      ],
    });
    expect(v6).toMatchObject({ name: 'v6', service: 'tcp [2001:db8::1]:443', in_kernel: false, scheduler: null, rates: null });
  });

  test('before the first read (live null) everything the kernel would say is null', () => {
    const all = kernelStatus(CONFIG, null);
    expect(all.map((v) => v.in_kernel)).toEqual([false, false]);
    expect(all[0]?.real_servers[0]).toMatchObject({ configured_weight: 3, weight: null });
  });
});
