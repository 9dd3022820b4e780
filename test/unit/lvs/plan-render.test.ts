import { describe, expect, it } from 'vitest';
import { SvcFlag } from '../../../src/lvs/model.js';
import { plan } from '../../../src/lvs/plan.js';
import { flagNames, planJson, renderOperation, renderPlan, renderTable, tableJson } from '../../../src/lvs/render.js';
import { daemonParams, syncDaemonPlan, wantedSyncDaemons } from '../../../src/lvs/sync-policy.js';
import { dest, entry, exampleConfig, svc, table, tcp } from './plan-fixtures.js';

const A = tcp('10.0.0.100', 80);
const ALL = (): boolean => true;

describe('renderTable (ipvsadm -Ln shape)', () => {
  it('prints the header, services with flags, destinations with method, weight and connections', () => {
    const t = table(
      entry(
        svc(A, { scheduler: 'wrr', flags: SvcFlag.PERSISTENT, timeoutS: 300, netmask: '255.255.255.0' }),
        dest('10.0.0.11', 80, 2, { counters: { activeConns: 4, inactConns: 1, persistConns: 0 } }),
        dest('10.0.0.12', 80, 0, { fwd: 'masq' }),
      ),
      entry(svc({ kind: 'fwmark', family: 'ipv4', fwmark: 7 }, { scheduler: 'sh', flags: SvcFlag.SCHED1 | SvcFlag.SCHED2 })),
      entry(svc(tcp('2001:db8::100', 443), { scheduler: 'rr' }), dest('2001:db8::11', 443, 1, { fwd: 'tunnel', tunnel: { type: 'ipip', port: 0, flags: 0 } })),
    );
    const lines = renderTable(t).split('\n');
    expect(lines[0]).toBe('Prot LocalAddress:Port Scheduler Flags');
    expect(lines[2]).toBe('TCP  10.0.0.100:80 wrr persistent 300 mask 255.255.255.0');
    expect(lines[3]).toMatch(/^ {2}-> 10\.0\.0\.11:80 +Route +2 +4 +1$/);
    expect(lines[4]).toMatch(/^ {2}-> 10\.0\.0\.12:80 +Masq +0 +0 +0$/);
    expect(lines[5]).toBe('FWM  7 sh (sh-fallback,sh-port)');
    expect(lines[6]).toBe('TCP  [2001:db8::100]:443 rr');
    expect(lines[7]).toMatch(/^ {2}-> \[2001:db8::11\]:443 +Tunnel +1 /);
  });

  it('names scheduler flags after the scheduler, generic otherwise', () => {
    expect(flagNames({ scheduler: 'mh', flags: SvcFlag.SCHED1 })).toEqual(['mh-fallback']);
    expect(flagNames({ scheduler: 'wrr', flags: SvcFlag.SCHED2 | SvcFlag.ONEPACKET })).toEqual(['ops', 'flag-2']);
  });
});

describe('renderPlan', () => {
  it('prints +, ~ and - lines with before -> after', () => {
    const live = table(entry(svc(A, { scheduler: 'rr' }), dest('10.0.0.11', 80, 2), dest('10.0.0.13', 80)), entry(svc(tcp('10.0.0.100', 443))));
    const desired = table(entry(svc(A, { scheduler: 'wrr' }), dest('10.0.0.11', 80, 0), dest('10.0.0.12', 80, 1, { upperThreshold: 50 })));
    expect(renderPlan(plan(live, desired, ALL))).toBe(
      [
        '~ service tcp 10.0.0.100:80 scheduler rr -> wrr',
        '+ dest tcp 10.0.0.100:80 -> 10.0.0.12:80 route weight 1 u_thresh 50',
        '~ dest tcp 10.0.0.100:80 -> 10.0.0.11:80 weight 2 -> 0',
        '- dest tcp 10.0.0.100:80 -> 10.0.0.13:80',
        '- service tcp 10.0.0.100:443',
        '',
      ].join('\n'),
    );
  });

  it('says in sync for an empty plan', () => {
    expect(renderPlan([])).toBe('in sync: no changes\n');
  });

  it('prints a new service with its words and a GUE destination with its port', () => {
    const desired = table(
      entry(svc(A, { scheduler: 'mh', flags: SvcFlag.SCHED2 }), dest('10.0.0.11', 80, 1, { fwd: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: 0 } })),
    );
    const [addSvc, addDest] = plan(table(), desired, ALL);
    if (!addSvc || !addDest) throw new Error('expected two operations');
    expect(renderOperation(addSvc)).toBe('+ service tcp 10.0.0.100:80 mh (mh-port)');
    expect(renderOperation(addDest)).toBe('+ dest tcp 10.0.0.100:80 -> 10.0.0.11:80 tunnel weight 1 tun gue port 6080');
  });

  it('prints sync daemon operations', () => {
    const cfg = exampleConfig('director-a.yaml').ipvsSync;
    if (cfg === null) throw new Error('no ipvs_sync');
    const ops = syncDaemonPlan({ master: null, backup: daemonParams('backup', cfg) }, wantedSyncDaemons('MASTER', cfg));
    expect(renderPlan([], ops)).toBe(
      '- sync backup eth1 syncid 51 224.0.0.81:8848 ttl 1 maxlen 1472\n+ sync master eth1 syncid 51 224.0.0.81:8848 ttl 1 maxlen 1472\n',
    );
  });
});

describe('JSON forms', () => {
  it('a table in snake_case with persistence and counters', () => {
    const t = table(
      entry(svc(A, { flags: SvcFlag.PERSISTENT | SvcFlag.HASHED, timeoutS: 60 }), dest('10.0.0.11', 80, 1, { counters: { activeConns: 2, inactConns: 3, persistConns: 1 } })),
    );
    expect(tableJson(t)).toEqual({
      services: [
        {
          key: 'tcp 10.0.0.100:80',
          family: 'ipv4',
          protocol: 'tcp',
          address: '10.0.0.100',
          port: 80,
          scheduler: 'wrr',
          flags: ['persistent'],
          persistence: { timeout_s: 60, netmask: '255.255.255.255' },
          pe_name: null,
          destinations: [
            {
              key: '10.0.0.11:80',
              family: 'ipv4',
              address: '10.0.0.11',
              port: 80,
              forwarding: 'droute',
              weight: 1,
              upper_threshold: 0,
              lower_threshold: 0,
              tunnel: null,
              active_conns: 2,
              inactive_conns: 3,
              persist_conns: 1,
            },
          ],
        },
      ],
    });
  });

  it('a plan: in_sync, operations with their text and changed fields', () => {
    const live = table(entry(svc(A), dest('10.0.0.11', 80, 2)));
    const body = planJson(plan(live, table(entry(svc(A), dest('10.0.0.11', 80, 0))), ALL));
    expect(body).toMatchObject({
      in_sync: false,
      operations: [{ op: 'edit_dest', service: 'tcp 10.0.0.100:80', changed: ['weight'], text: '~ dest tcp 10.0.0.100:80 -> 10.0.0.11:80 weight 2 -> 0' }],
      sync_daemons: [],
    });
    expect(planJson([])).toEqual({ in_sync: true, operations: [], sync_daemons: [] });
  });
});
