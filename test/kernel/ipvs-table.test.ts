/**
 * Kernel tier: the IPVS table driven by lvs-ha's compiled reconciler, plan verb
 * and sync-daemon control against real IPVS (one VM boot). Payload steps:
 * apply a config with every scheduler the kernel has, every forwarding method
 * and tunnel type, fwmark (v4, v6), IPv6, UDP, SCTP, persistence with netmask,
 * sh/mh flags, thresholds and a mixed-family tunnel; compare `ipvsadm -Ln`
 * (and --persistent-conn, --sort, --tun-info, --timeout) with the expected
 * table; plan again (0 operations) and run a fresh reconciler (0 operations);
 * edit by hand with ipvsadm and check the next plan/reconcile repairs exactly
 * that and leaves a hand-made service alone; the error messages (unknown
 * scheduler, missing module, exists, no such service, EPERM); start, read back
 * and stop the sync daemons.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { planVerb } from '../../src/cli/verbs/plan.js';
import { assertBuilt, describeRun, runInVm, VM_DIR, type VmRunResult } from '../helpers/vm/index.js';

const BUILT = ['dist/lvs/reconciler.js', 'dist/lvs/reconcile-desired.js', 'dist/cli/verbs/plan.js', 'dist/lvs/sync-daemon.js'];

const TABLE_YAML = `node: lvi-kernel
ipvs:
  timeouts: { tcp: 600s, tcp_fin: 60s, udp: 120s }
virtual_servers:
  - { name: rr, address: 10.10.0.1, port: 8001, scheduler: rr, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8001 }, { address: 10.20.0.2, port: 8001, weight: 2 }] }
  - { name: wrr, address: 10.10.0.1, port: 8002, scheduler: wrr, forwarding: nat, real_servers: [{ address: 10.20.0.1, port: 9002, weight: 5, upper_threshold: 100, lower_threshold: 10 }] }
  - { name: lc, address: 10.10.0.1, port: 8003, scheduler: lc, forwarding: tun, real_servers: [{ address: 10.20.0.1, port: 8003 }] }
  - { name: wlc, address: 10.10.0.1, port: 8004, scheduler: wlc, forwarding: tun, tun_type: gue, tun_port: 6080, real_servers: [{ address: 10.20.0.1, port: 8004, weight: 3 }] }
  - { name: lblc, address: 10.10.0.1, port: 8005, scheduler: lblc, forwarding: tun, tun_type: gre, real_servers: [{ address: 10.20.0.1, port: 8005 }] }
  - { name: lblcr, address: 10.10.0.1, port: 8006, scheduler: lblcr, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8006 }] }
  - { name: dh, address: 10.10.0.1, port: 8007, protocol: udp, scheduler: dh, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8007 }] }
  - { name: sh, address: 10.10.0.1, port: 8008, scheduler: sh, scheduler_flags: [sh-fallback, sh-port], forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8008 }, { address: 10.20.0.2, port: 8008 }] }
  - { name: mh, address: 10.10.0.1, port: 8009, scheduler: mh, scheduler_flags: [mh-port], forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8009 }] }
  - { name: fo, address: 10.10.0.1, port: 8010, protocol: sctp, scheduler: fo, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8010, weight: 7 }] }
  - { name: ovf, address: 10.10.0.1, port: 8011, scheduler: ovf, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8011 }] }
  - { name: sed, address: 10.10.0.1, port: 8012, scheduler: sed, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8012 }] }
  - { name: nq, address: 10.10.0.1, port: 8013, scheduler: nq, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 8013 }] }
  - { name: persist, address: 10.10.0.1, port: 443, scheduler: wrr, persistence: { timeout: 600s, netmask: 255.255.255.0 }, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 443 }, { address: 10.20.0.2, port: 443 }] }
  - { name: mark4, fwmark: 7, family: ipv4, scheduler: wrr, persistence: { timeout: 300s }, forwarding: tun, tun_type: gre, real_servers: [{ address: 10.20.0.3, port: 0 }] }
  - { name: mark6, fwmark: 8, family: ipv6, scheduler: rr, forwarding: dr, real_servers: [{ address: "2001:db8:20::3", port: 0 }] }
  - { name: v6, address: "2001:db8:10::1", port: 80, scheduler: wlc, persistence: { timeout: 900s, netmask: 64 }, forwarding: nat, real_servers: [{ address: "2001:db8:20::1", port: 8080, weight: 4 }, { address: "2001:db8:20::2", port: 8080 }] }
  - { name: mixed, address: 10.10.0.1, port: 8014, scheduler: rr, forwarding: tun, real_servers: [{ address: "2001:db8:20::5", port: 8014 }] }
`;

const TWOS_YAML = `node: lvi
virtual_servers:
  - { name: twos, address: 10.10.0.2, port: 80, scheduler: twos, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 80 }] }
  - { name: ok, address: 10.10.0.2, port: 81, scheduler: rr, forwarding: dr, real_servers: [{ address: 10.20.0.1, port: 81 }] }
`;

const SYNC_YAML = `node: lvi
vrrp:
  instances:
    - { name: web, interface: lvi0, vrid: 42, priority: 100, virtual_addresses: [10.10.0.1/32] }
ipvs_sync: { interface: lvi0, follow: web, sync_id: 42, group: 224.0.0.81, port: 8848, ttl: 2, max_len: 1400 }
virtual_servers: []
`;

// Runs in the VM on dist/ (cwd = repo root). argv: results folder, mode (main | eperm).
const DRIVER = `// Kernel-tier driver for ipvs-table.test.ts, on the compiled code (dist/).
// Writes steps.json and ipvsadm snapshots into the results folder (argv[2]).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
const ROOT = process.cwd();
const { openGenericNetlink } = await import(\`\${ROOT}/dist/os/genl.js\`);
const { IpvsClient, liveTable } = await import(\`\${ROOT}/dist/lvs/ipvs/index.js\`);
const { Reconciler } = await import(\`\${ROOT}/dist/lvs/reconciler.js\`);
const { desiredStateFor } = await import(\`\${ROOT}/dist/lvs/reconcile-desired.js\`);
const { makePlanVerb } = await import(\`\${ROOT}/dist/cli/verbs/plan.js\`);
const { applySyncForRole } = await import(\`\${ROOT}/dist/lvs/sync-daemon.js\`);
const { validateConfigText } = await import(\`\${ROOT}/dist/config/validate.js\`);
const { systemClock } = await import(\`\${ROOT}/dist/core/clock.js\`);
const { silentLogger } = await import(\`\${ROOT}/dist/core/log.js\`);
const { canonicalTable } = await import(\`\${ROOT}/dist/lvs/model.js\`);

const R = process.argv[2];
const mode = process.argv[3] ?? 'main';
const steps = {};
const sh = (file, ...args) => { try { return execFileSync(file, args, { encoding: 'utf8' }); } catch (e) { return \`FAILED \${e.status}: \${e.stderr}\`; } };
const snap = (name, ...args) => writeFileSync(\`\${R}/\${name}.txt\`, sh('ipvsadm', ...args));
const config = (file) => { const r = validateConfigText(readFileSync(\`\${R}/\${file}\`, 'utf8'), file); if (!r.ok) throw new Error(JSON.stringify(r.errors)); return r.config; };
const errJson = (e) => ({ name: e?.name, code: e?.code, errno: e?.errno, errnoName: e?.errnoName, command: e?.command, message: e?.message ?? String(e) });
const attempt = async (fn) => { try { return { ok: true, value: await fn() }; } catch (e) { return { ok: false, error: errJson(e) }; } };

async function reconcileOnce(ipvs, cfg) {
  const rec = new Reconciler({ ipvs, clock: systemClock, log: silentLogger(), desired: (live) => desiredStateFor({ config: cfg }, live) });
  const t0 = performance.now();
  const r = await rec.start();
  await rec.stop();
  const c = rec.counters();
  const ms = performance.now() - t0;
  // What status shows (live(): after a clean run, the read plus the operations, no second dump) against a fresh read.
  const shown = JSON.stringify(canonicalTable(liveTable(rec.live() ?? [])));
  const fresh = JSON.stringify(canonicalTable(liveTable(await ipvs.readTable())));
  return { ok: r.ok, ops: r.ops.map((o) => o.op), applied: r.applied, failed: r.failed, skipped: r.skipped, ms, liveMatchesRead: shown === fresh,
    counters: { runs: c.runs, opsApplied: c.opsApplied, opsFailed: c.opsFailed, errorsByKind: c.errorsByKind, lastError: c.lastError?.message ?? null } };
}

async function planJson(file) {
  let out = '';
  let err = '';
  const code = await makePlanVerb().run(['--config', \`\${R}/\${file}\`, '--json'], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, body: out === '' ? null : JSON.parse(out), stderr: err };
}

const nl = openGenericNetlink({ timeoutMs: 20000 });
const ipvs = await IpvsClient.connect(nl);
if (mode === 'eperm') {
  const svc = { key: { kind: 'address', family: 'ipv4', protocol: 'tcp', address: '10.99.0.1', port: 1 }, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: '255.255.255.255', peName: null };
  console.log(JSON.stringify(await attempt(() => ipvs.addService(svc))));
  nl.close();
  process.exit(0);
}
const table = config('table.yaml');
steps.apply1 = await reconcileOnce(ipvs, table);
for (const [n, a] of [['ln1', ['-Ln']], ['ln1-persistent', ['-Ln', '--persistent-conn']], ['ln1-sort', ['-Ln', '--sort']], ['ln1-tun', ['-Ln', '--tun-info']], ['ln1-thresholds', ['-Ln', '--thresholds']], ['timeout', ['-L', '--timeout']]]) snap(n, ...a);
steps.read1 = canonicalTable(liveTable(await ipvs.readTable()));
steps.readRaw = (await ipvs.readTable()).slice(0, 2).map((e) => ({ stats: e.service.stats === null ? null : Object.keys(e.service.stats), dests: e.destinations.map((d) => d.dest.counters) }));
steps.plan1 = await planJson('table.yaml');
steps.restart = await reconcileOnce(await IpvsClient.connect(openGenericNetlink()), table);
// Hand edits with ipvsadm.
sh('ipvsadm', '-d', '-t', '10.10.0.1:8001', '-r', '10.20.0.2:8001');
sh('ipvsadm', '-e', '-t', '10.10.0.1:8002', '-r', '10.20.0.1:9002', '-m', '-w', '1', '-x', '100', '-y', '10');
sh('ipvsadm', '-E', '-t', '10.10.0.1:8003', '-s', 'rr');
sh('ipvsadm', '-A', '-t', '192.0.2.99:25', '-s', 'rr');
sh('ipvsadm', '-a', '-t', '192.0.2.99:25', '-r', '10.30.0.1:25', '-g', '-w', '3');
snap('ln-edited', '-Ln');
steps.plan2 = await planJson('table.yaml');
steps.apply2 = await reconcileOnce(ipvs, table);
snap('ln2', '-Ln');
steps.plan3 = await planJson('table.yaml');
// Errors.
const base = { key: { kind: 'address', family: 'ipv4', protocol: 'tcp', address: '10.99.0.1', port: 1 }, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: '255.255.255.255', peName: null };
const rs = { family: 'ipv4', address: '10.99.1.1', port: 1, fwd: 'droute', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: null };
steps.errors = {
  xyz: await attempt(() => ipvs.addService({ ...base, scheduler: 'xyz' })),
  twos: await attempt(() => ipvs.addService({ ...base, scheduler: 'twos' })),
  exists: await attempt(() => ipvs.addService({ ...base, key: { ...base.key, address: '10.10.0.1', port: 8001 } })),
  noService: await attempt(() => ipvs.delService(base.key)),
  destNoService: await attempt(() => ipvs.addDest(base.key, rs)),
  destsOfMissing: await attempt(() => ipvs.getDestinations(base.key)),
  getMissing: await attempt(() => ipvs.getService(base.key)),
  noDest: await attempt(() => ipvs.delDest({ ...base.key, address: '10.10.0.1', port: 8001 }, rs)),
};
steps.twosConfig = await reconcileOnce(ipvs, config('twos.yaml'));
// Sync daemons.
const sync = config('sync.yaml').ipvsSync;
// The kernel refuses sync while a service has a real server of another family (10.10.0.1:8014).
steps.syncMixed = await attempt(async () => (await applySyncForRole(ipvs, 'MASTER', sync)));
sh('ipvsadm', '-D', '-t', '10.10.0.1:8014');
steps.syncMaster = await attempt(async () => (await applySyncForRole(ipvs, 'MASTER', sync, { backupWhileMaster: true })));
snap('daemon-both', '-L', '--daemon');
steps.syncBackup = await attempt(async () => (await applySyncForRole(ipvs, 'BACKUP', sync)));
snap('daemon-backup', '-L', '--daemon');
steps.syncAgain = await attempt(async () => (await applySyncForRole(ipvs, 'BACKUP', sync)));
steps.syncStopped = await attempt(async () => (await applySyncForRole(ipvs, 'STOPPED', sync)));
snap('daemon-none', '-L', '--daemon');
steps.syncBadIf = await attempt(async () => (await applySyncForRole(ipvs, 'MASTER', { ...sync, interface: 'nosuch0' })));
writeFileSync(\`\${R}/steps.json\`, JSON.stringify(steps, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 1));
nl.close();
`;

const PAYLOAD = `
r=$LVK_RESULTS
ip link add lvi0 type dummy && ip addr add 192.168.77.1/24 dev lvi0 && ip link set lvi0 up || exit 10
"$LVK_NODE" $r/driver.mjs $r main > $r/driver.out 2> $r/driver.err; echo $? > $r/driver.rc
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$LVK_NODE" $r/driver.mjs $r eperm > $r/eperm.json 2>&1
lsmod | grep '^ip_vs' | cut -d' ' -f1 | sort > $r/lsmod.txt
`;

describe('the IPVS table through lvs-ha against real IPVS', () => {
  let run: VmRunResult;
  const result = (file: string): string => run.readResult(file);
  const steps = (): Steps => JSON.parse(result('steps.json')) as Steps;

  beforeAll(async () => {
    assertBuilt(BUILT);
    run = await runInVm({
      name: 'lvi-table',
      script: PAYLOAD,
      files: { 'driver.mjs': DRIVER, 'table.yaml': TABLE_YAML, 'twos.yaml': TWOS_YAML, 'sync.yaml': SYNC_YAML },
      modules: ['ip_vs', 'dummy'],
      timeoutMs: 400_000,
    });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms`);
  });

  test('the payload and the driver ran to the end', () => {
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(result('driver.rc').trim(), result('driver.err')).toBe('0');
  });

  test('ipvsadm -Ln shows exactly the configured table: every scheduler, method, fwmark, IPv6, UDP, SCTP, persistence, flags', () => {
    expect(listing(result('ln1.txt'), 3)).toEqual(sortBlocks(EXPECTED));
    expect(listing(result('ln1-sort.txt'), 3)).toEqual(sortBlocks(EXPECTED));
    const schedulers = new Set(Object.keys(EXPECTED).map((s) => s.split(' ').find((w) => SCHEDULERS.includes(w))));
    expect([...schedulers].sort()).toEqual([...SCHEDULERS].sort());
  });

  test('every scheduler module was loaded on demand by NEW_SERVICE; ip_vs_twos does not exist in this kernel', () => {
    const loaded = result('lsmod.txt').trim().split('\n');
    expect(loaded).toEqual(['ip_vs', ...SCHEDULERS.map((s) => `ip_vs_${s}`)].sort());
    expect(loaded).not.toContain('ip_vs_twos');
  });

  test('tunnel types, thresholds and persistent connections as ipvsadm reports them', () => {
    const tun = new Map(listing(result('ln1-tun.txt'), 4).flatMap((b) => b.dests.map((d): [string, string] => [d.split(' ')[0] ?? '', d])));
    expect(tun.get('10.20.0.1:8003')).toBe('10.20.0.1:8003 Tunnel ipip 1');
    expect(tun.get('10.20.0.1:8004')).toBe('10.20.0.1:8004 Tunnel gue:6080:-c 3');
    expect(tun.get('10.20.0.1:8005')).toBe('10.20.0.1:8005 Tunnel gre:-c 1');
    expect(tun.get('10.20.0.3:0')).toBe('10.20.0.3:0 Tunnel gre:-c 1');
    expect(tun.get('10.20.0.1:8001')).toBe('10.20.0.1:8001 Route n/a 1');
    // --thresholds columns: address, Uthreshold, Lthreshold, ActiveConn, InActConn.
    const thresholds = listing(result('ln1-thresholds.txt'), 3);
    expect(thresholds.find((b) => b.service === 'TCP 10.10.0.1:8002 wrr')?.dests).toEqual(['10.20.0.1:9002 100 10']);
    expect(thresholds.find((b) => b.service === 'TCP 10.10.0.1:8001 rr')?.dests).toEqual(['10.20.0.1:8001 0 0', '10.20.0.2:8001 0 0']);
    const persistent = listing(result('ln1-persistent.txt'), 3);
    expect(persistent.find((b) => b.service.startsWith('TCP 10.10.0.1:443'))).toEqual({
      service: 'TCP 10.10.0.1:443 wrr persistent 600 mask 255.255.255.0', dests: ['10.20.0.1:443 1 0', '10.20.0.2:443 1 0'],
    });
    expect(result('timeout.txt').trim()).toBe('Timeout (tcp tcpfin udp): 600 60 120');
  });

  test('the first apply added every service and destination; plan and a fresh reconciler afterwards do nothing', () => {
    const s = steps();
    expect(s.apply1).toMatchObject({ ok: true, applied: 40, failed: 0 });
    expect(s.apply1.ops.filter((o) => o === 'AddService')).toHaveLength(Object.keys(EXPECTED).length);
    expect(s.plan1).toMatchObject({ code: 0, body: { in_sync: true, operations: [], unmanaged: [] } });
    expect(s.restart).toMatchObject({ ok: true, ops: [], applied: 0, failed: 0 });
  });

  test('status after a clean apply (the table read plus the operations, no second dump) is what a fresh dump shows', () => {
    const s = steps();
    expect(s.apply1).toMatchObject({ failed: 0, skipped: 0, liveMatchesRead: true }); // from empty: every service of the config
    expect(s.apply2).toMatchObject({ failed: 0, skipped: 0, liveMatchesRead: true }); // repair of hand edits, a foreign service kept
    expect(s.twosConfig).toMatchObject({ failed: 1, liveMatchesRead: true }); // a failure: read again
  });

  test('the codec reads the 64-bit stats and the connection counters of the live table', () => {
    const s = steps();
    expect(s.readRaw[0]?.stats).toEqual(['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes', 'cps', 'inPps', 'outPps', 'inBps', 'outBps']);
    expect(s.readRaw[0]?.dests[0]).toEqual({ activeConns: 0, inactConns: 0, persistConns: 0 });
  });

  test('hand edits with ipvsadm are planned (exit 2) and repaired; a hand-made service is left alone', () => {
    const s = steps();
    const edited = listing(result('ln-edited.txt'), 3);
    expect(edited.find((b) => b.service === 'TCP 10.10.0.1:8001 rr')?.dests).toEqual(['10.20.0.1:8001 Route 1']);
    expect(edited.find((b) => b.service === 'TCP 10.10.0.1:8003 rr')).toBeDefined();
    expect(s.plan2.code).toBe(2);
    expect(s.plan2.body?.operations.map((o) => o.text)).toEqual([
      '~ service tcp 10.10.0.1:8003 scheduler rr -> lc',
      '+ dest tcp 10.10.0.1:8001 -> 10.20.0.2:8001 route weight 2',
      '~ dest tcp 10.10.0.1:8002 -> 10.20.0.1:9002 weight 1 -> 5',
    ]);
    expect(s.plan2.body?.unmanaged).toEqual(['tcp 192.0.2.99:25']);
    expect(s.apply2).toMatchObject({ ok: true, ops: ['EditService', 'AddDest', 'EditDest'], applied: 3, failed: 0 });
    expect(listing(result('ln2.txt'), 3)).toEqual(sortBlocks({ ...EXPECTED, 'TCP 192.0.2.99:25 rr': ['10.30.0.1:25 Route 3'] }));
    expect(s.plan3).toMatchObject({ code: 0, body: { in_sync: true, operations: [], unmanaged: ['tcp 192.0.2.99:25'] } });
  });

  test('documented errors: unknown scheduler, missing module, exists, no such service, no such real server, EPERM', () => {
    const e = steps().errors;
    expect(e.xyz?.error?.message).toBe("IPVS NEW_SERVICE tcp 10.99.0.1:1: unknown scheduler 'xyz' (no ip_vs_xyz module) (ENOENT)");
    expect(e.twos?.error?.message).toBe("IPVS NEW_SERVICE tcp 10.99.0.1:1: unknown scheduler 'twos' (no ip_vs_twos module) (ENOENT)");
    expect(e.exists?.error).toMatchObject({ code: 'LVSHA_NETLINK', errno: 17, message: 'IPVS NEW_SERVICE tcp 10.10.0.1:8001: the virtual service already exists (EEXIST)' });
    expect(e.noService?.error?.message).toBe('IPVS DEL_SERVICE tcp 10.99.0.1:1: no such virtual service (ESRCH)');
    expect(e.destNoService?.error?.message).toBe('IPVS NEW_DEST tcp 10.99.0.1:1 -> 10.99.1.1:1: no such virtual service (ESRCH)');
    expect(e.noDest?.error?.message).toBe('IPVS DEL_DEST tcp 10.10.0.1:8001 -> 10.99.1.1:1: no such real server (ENOENT)');
    expect(e.destsOfMissing).toEqual({ ok: true, value: [] });
    expect(e.getMissing).toEqual({ ok: true, value: null });
    const eperm = JSON.parse(result('eperm.json')) as Attempt<unknown>;
    expect(eperm.error).toMatchObject({ errno: 1, errnoName: 'EPERM' });
    expect(eperm.error?.message).toBe('IPVS NEW_SERVICE tcp 10.99.0.1:1: operation not permitted (EPERM): IPVS needs CAP_NET_ADMIN (run as root or grant the capability)');
  });

  test('a config with a scheduler the kernel lacks: that service fails and is counted, the others are applied', () => {
    const t = steps().twosConfig;
    expect(t).toMatchObject({ ok: true, applied: 2, failed: 1, skipped: 1, counters: { errorsByKind: { ENOENT: 1 } } });
    expect(t.counters.lastError).toBe("+ service tcp 10.10.0.2:80 twos: IPVS NEW_SERVICE tcp 10.10.0.2:80: unknown scheduler 'twos' (no ip_vs_twos module) (ENOENT)");
  });

  test('sync daemons: refused with a mixed-family service; started, read back (ipvsadm agrees), switched and stopped', () => {
    const s = steps();
    expect(s.syncMixed.value?.failures[0]?.kind).toBe('EINVAL');
    expect(s.syncMixed.value?.failures[0]?.message).toContain('a service has a real server of another address family');
    const want = { interface: 'lvi0', syncId: 42, group: '224.0.0.81', groupFamily: 'ipv4', port: 8848, ttl: 2, maxLen: 1400 };
    expect(s.syncMaster.value).toMatchObject({ failures: [], daemons: { master: { state: 'master', ...want }, backup: { state: 'backup', ...want } } });
    expect(daemons(result('daemon-both.txt'))).toEqual([
      'master sync daemon (mcast=lvi0, syncid=42, maxlen=1400, group=224.0.0.81, port=8848, ttl=2)',
      'backup sync daemon (mcast=lvi0, syncid=42, maxlen=1400, group=224.0.0.81, port=8848, ttl=2)',
    ]);
    expect(s.syncBackup.value?.ops.map((o) => o.op)).toEqual(['StopDaemon']);
    expect(s.syncBackup.value?.daemons).toMatchObject({ master: null, backup: { state: 'backup' } });
    expect(daemons(result('daemon-backup.txt'))).toHaveLength(1);
    expect(s.syncAgain.value?.ops).toEqual([]);
    expect(s.syncStopped.value).toMatchObject({ failures: [], daemons: { master: null, backup: null } });
    expect(daemons(result('daemon-none.txt'))).toEqual([]);
    expect(s.syncBadIf.value?.failures[0]).toMatchObject({ kind: 'ENODEV' });
    expect(s.syncBadIf.value?.failures[0]?.message).toContain('IPVS NEW_DAEMON master on nosuch0: unknown sync interface (ENODEV)');
  });
});

// --- expectations and parsing ---

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'fo', 'ovf', 'sed', 'nq'];

/** What `ipvsadm -Ln` must show for TABLE_YAML: service line -> "address Forward Weight" per destination. */
const EXPECTED: Record<string, string[]> = {
  'TCP 10.10.0.1:443 wrr persistent 600 mask 255.255.255.0': ['10.20.0.1:443 Route 1', '10.20.0.2:443 Route 1'],
  'TCP 10.10.0.1:8001 rr': ['10.20.0.1:8001 Route 1', '10.20.0.2:8001 Route 2'],
  'TCP 10.10.0.1:8002 wrr': ['10.20.0.1:9002 Masq 5'],
  'TCP 10.10.0.1:8003 lc': ['10.20.0.1:8003 Tunnel 1'],
  'TCP 10.10.0.1:8004 wlc': ['10.20.0.1:8004 Tunnel 3'],
  'TCP 10.10.0.1:8005 lblc': ['10.20.0.1:8005 Tunnel 1'],
  'TCP 10.10.0.1:8006 lblcr': ['10.20.0.1:8006 Route 1'],
  'UDP 10.10.0.1:8007 dh': ['10.20.0.1:8007 Route 1'],
  'TCP 10.10.0.1:8008 sh (sh-fallback,sh-port)': ['10.20.0.1:8008 Route 1', '10.20.0.2:8008 Route 1'],
  'TCP 10.10.0.1:8009 mh (mh-port)': ['10.20.0.1:8009 Route 1'],
  'SCTP 10.10.0.1:8010 fo': ['10.20.0.1:8010 Route 7'],
  'TCP 10.10.0.1:8011 ovf': ['10.20.0.1:8011 Route 1'],
  'TCP 10.10.0.1:8012 sed': ['10.20.0.1:8012 Route 1'],
  'TCP 10.10.0.1:8013 nq': ['10.20.0.1:8013 Route 1'],
  'TCP 10.10.0.1:8014 rr': ['[2001:db8:20::5]:8014 Tunnel 1'],
  'TCP [2001:db8:10::1]:80 wlc persistent 900 mask 64': ['[2001:db8:20::1]:8080 Masq 4', '[2001:db8:20::2]:8080 Masq 1'],
  'FWM 7 wrr persistent 300': ['10.20.0.3:0 Tunnel 1'],
  'FWM 8 IPv6 rr': ['[2001:db8:20::3]:0 Route 1'],
};

interface Block { service: string; dests: string[] }

function sortBlocks(table: Record<string, string[]>): Block[] {
  return Object.entries(table)
    .map(([service, dests]) => ({ service, dests: [...dests].sort() }))
    .sort((a, b) => (a.service < b.service ? -1 : 1));
}

/** Parses an ipvsadm listing: service lines, and per destination its first `cols` columns, whitespace normalised. */
function listing(text: string, cols: number): Block[] {
  const blocks: Block[] = [];
  for (const line of text.split('\n').slice(3)) {
    const words = line.trim().split(/\s+/);
    if (line.trim() === '') continue;
    if (words[0] === '->') blocks.at(-1)?.dests.push(words.slice(1, 1 + cols).join(' '));
    else blocks.push({ service: words.join(' '), dests: [] });
  }
  for (const b of blocks) b.dests.sort();
  return blocks.sort((a, b) => (a.service < b.service ? -1 : 1));
}

function daemons(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

interface Attempt<T> { ok: boolean; value?: T; error?: { errno?: number; errnoName?: string; code?: string; message: string } }
interface Reconciled {
  ok: boolean; ops: string[]; applied: number; failed: number; skipped: number; liveMatchesRead: boolean;
  counters: { errorsByKind: Record<string, number>; lastError: string | null };
}
interface PlanRun { code: number; body: { in_sync: boolean; operations: { text: string }[]; unmanaged: string[] } | null }
interface SyncRun {
  ops: { op: string }[]; failures: { kind: string; message: string }[];
  daemons: { master: Record<string, unknown> | null; backup: Record<string, unknown> | null };
}
interface Steps {
  apply1: Reconciled; apply2: Reconciled; restart: Reconciled; twosConfig: Reconciled;
  plan1: PlanRun; plan2: PlanRun; plan3: PlanRun;
  readRaw: { stats: string[] | null; dests: Record<string, number>[] }[];
  errors: Record<string, Attempt<unknown>>;
  syncMixed: Attempt<SyncRun>; syncMaster: Attempt<SyncRun>; syncBackup: Attempt<SyncRun>; syncAgain: Attempt<SyncRun>;
  syncStopped: Attempt<SyncRun>; syncBadIf: Attempt<SyncRun>;
}

describe('lvs-ha plan on the host kernel (no IPVS)', () => {
  test('exit 1 with the clear "no IPVS" message; a bad config is exit 1 too, before any kernel access', async () => {
    const dir = join(VM_DIR, 'runs', 'lvi-host');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'table.yaml'), TABLE_YAML);
    writeFileSync(join(dir, 'bad.yaml'), 'node: x\nvirtual_servers: [{ name: a }]\n');
    const io = { out: '', err: '' };
    const sink = { stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
    const code = await planVerb.run(['--config', join(dir, 'table.yaml')], sink);
    if (existsSync('/proc/net/ip_vs')) {
      expect([0, 2]).toContain(code); // a kernel with IPVS: then it simply works
      return;
    }
    expect(code).toBe(1);
    expect(io.out).toBe('');
    expect(io.err).toMatch(/^lvs-ha plan: nlctrl GETFAMILY IPVS: generic netlink family "IPVS" not found \(ENOENT\): this kernel has no IPVS/);
    io.err = '';
    expect(await planVerb.run(['--config', join(dir, 'bad.yaml')], sink)).toBe(1);
    expect(io.err).toContain('configuration refused');
  });
});
