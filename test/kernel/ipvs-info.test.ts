/**
 * Kernel tier: Node, through the project's compiled genl adapter and IPVS
 * client, resolves the IPVS generic netlink family, reads IPVS_CMD_GET_INFO
 * and dumps the virtual services of a real kernel (a throwaway VM with
 * Debian's kernel), cross-checked against ipvsadm, /proc and iproute2's genl.
 * Negative halves: in the same VM, with module autoloading disabled and ip_vs
 * not loaded, the probe fails with the typed "no IPVS" error; as an
 * unprivileged user it fails with EPERM "needs CAP_NET_ADMIN"; on the host
 * kernel (no IPVS) it fails with the typed "no IPVS" error.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, describeRun, REPO_ROOT, runInVm, VM_DIR, type VmRunResult } from '../helpers/vm/index.js';

const BUILT = ['dist/os/genl.js', 'dist/lvs/ipvs/index.js'];
const SERVICE_COUNT = 300;

// The probe, on the compiled code. Prints one JSON line; exit 0 ok, 3 on a
// NetlinkError, 4 on anything else. Argument "services": also dump services.
const PROBE = `
import { NetlinkError, openGenericNetlink } from '${REPO_ROOT}/dist/os/genl.js';
import { attrsByType, decodeAttrs, IpvsClient, IpvsCmdAttr, IpvsSvcAttr, readBe16 } from '${REPO_ROOT}/dist/lvs/ipvs/index.js';
const must = (r) => { if (!r.ok) throw new Error(r.reason); return r.value; };
const port = (reply) => {
  const nest = attrsByType(must(decodeAttrs(reply.payload))).get(IpvsCmdAttr.SERVICE) ?? Buffer.alloc(0);
  return must(readBe16(attrsByType(must(decodeAttrs(nest))).get(IpvsSvcAttr.PORT) ?? Buffer.alloc(0)));
};
const nl = openGenericNetlink({ timeoutMs: 10000 });
try {
  const ipvs = await IpvsClient.connect(nl);
  const out = { ok: true, familyId: ipvs.family.id, info: await ipvs.info() };
  if (process.argv[2] === 'services') {
    // Two dumps at once on one socket: the adapter must serialise them (the
    // kernel allows one dump per socket at a time, EBUSY otherwise).
    const [s, again] = await Promise.all([ipvs.dumpServices(), ipvs.dumpServices()]);
    out.services = { count: s.length, concurrentCount: again.length, bytes: s.reduce((n, r) => n + r.payload.length, 0),
      cmds: [...new Set(s.map((r) => r.cmd))], ports: s.map(port).sort((a, b) => a - b) };
  }
  console.log(JSON.stringify(out));
} catch (err) {
  const { name, code, errno, errnoName, command, message } = err;
  console.log(JSON.stringify({ ok: false, name, code, errno, errnoName, command, message: message ?? String(err) }));
  process.exitCode = err instanceof NetlinkError ? 3 : 4;
} finally {
  nl.close();
}
`;

interface ProbeInfo { versionCode: number; version: string; connTableSize: number }
interface ProbeServices { count: number; concurrentCount: number; bytes: number; cmds: number[]; ports: number[] }
interface ProbeOk { ok: true; familyId: number; info: ProbeInfo; services?: ProbeServices }
interface ProbeErr { ok: false; name: string; code?: string; errno?: number; errnoName?: string; command?: string; message: string }
type Probe = ProbeOk | ProbeErr;

function parseProbe(text: string): Probe {
  return JSON.parse(text.trim().split('\n').at(-1) ?? '') as Probe;
}

// Runs in the VM (cwd = repo root, /bin/sh, root). Each step writes to $LVK_RESULTS.
const PAYLOAD = `
r=$LVK_RESULTS
mark() { echo "$1 $(cut -d' ' -f1 /proc/uptime)" >> $r/timings.txt; }
probe() { out=$1; shift; "$@" "$LVK_NODE" $r/probe.mjs $PROBE_ARG > $r/$out.json; echo $? > $r/$out.rc; }
mark start
# 1. No ip_vs loaded and module autoloading disabled: the family must be missing.
if lsmod | grep -q '^ip_vs '; then echo "ip_vs already loaded" >&2; exit 10; fi
echo /nonexistent-modprobe > /proc/sys/kernel/modprobe
probe without; mark probe-without-ipvs
echo /sbin/modprobe > /proc/sys/kernel/modprobe
# 2. Load ip_vs, add ${SERVICE_COUNT} services with ipvsadm, probe with a services dump.
modprobe ip_vs || exit 11
i=0; while [ $i -lt ${SERVICE_COUNT} ]; do echo "-A -t 10.9.$((i / 200)).$((i % 200 + 1)):$((1000 + i)) -s rr"; i=$((i + 1)); done > /tmp/rules
ipvsadm -R < /tmp/rules || exit 12
mark ipvsadm-restore
PROBE_ARG=services probe with; mark probe-with-ipvs-and-dump
# 3. The same probe as an unprivileged user (no CAP_NET_ADMIN).
probe nobody setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all; mark probe-unprivileged
# 4. What the incumbent tools say.
ipvsadm -Ln > /tmp/ipvsadm.txt
head -n 1 /tmp/ipvsadm.txt > $r/ipvsadm-header.txt
grep -c '^TCP' /tmp/ipvsadm.txt > $r/ipvsadm-count.txt
genl ctrl get name IPVS > $r/genl.txt 2>&1
head -n 1 /proc/net/ip_vs > $r/proc-ip-vs.txt
mark incumbent-tools
`;

describe('IPVS over generic netlink in the kernel-tier VM', () => {
  let run: VmRunResult;
  const result = (file: string): string => run.readResult(file);

  beforeAll(async () => {
    assertBuilt(BUILT);
    run = await runInVm({ name: 'lvk-info', script: PAYLOAD, files: { 'probe.mjs': PROBE }, modules: [], timeoutMs: 300_000 });
    console.log(`VM: boot ${Math.round(run.bootMs ?? -1)} ms, total ${Math.round(run.totalMs)} ms; VM uptime at each step:\n${result('timings.txt')}`);
  });

  test('the payload ran to the end', () => {
    expect(run.exitCode, describeRun(run)).toBe(0);
  });

  test('GET_INFO with ip_vs loaded: version 1.2.1 and a positive connection table size', () => {
    const probe = parseProbe(result('with.json'));
    expect(probe, describeRun(run)).toMatchObject({ ok: true, info: { versionCode: 0x010201, version: '1.2.1' } });
    expect(result('with.rc').trim()).toBe('0');
    expect(probe.ok && probe.info.connTableSize).toBeGreaterThan(0);
  });

  test('ipvsadm, /proc/net/ip_vs and genl see the same IPVS that Node spoke to', () => {
    const probe = parseProbe(result('with.json'));
    if (!probe.ok) throw new Error(`probe failed: ${probe.message}`);
    expect(result('ipvsadm-header.txt').trim()).toBe(`IP Virtual Server version ${probe.info.version} (size=${probe.info.connTableSize})`);
    expect(result('proc-ip-vs.txt').trim()).toBe(`IP Virtual Server version ${probe.info.version} (size=${probe.info.connTableSize})`);
    const id = /ID: (0x[0-9a-f]+)/.exec(result('genl.txt'));
    expect(id, result('genl.txt')).not.toBeNull();
    expect(Number(id?.[1])).toBe(probe.familyId);
  });

  test(`a services dump returns all ${SERVICE_COUNT} services added by ipvsadm, across several netlink datagrams, twice at once`, () => {
    const probe = parseProbe(result('with.json'));
    if (!probe.ok) throw new Error(`probe failed: ${probe.message}`);
    expect(Number(result('ipvsadm-count.txt'))).toBe(SERVICE_COUNT);
    expect(probe.services?.count).toBe(SERVICE_COUNT);
    expect(probe.services?.concurrentCount).toBe(SERVICE_COUNT);
    expect(probe.services?.cmds).toEqual([1]); // replies use NEW_SERVICE
    expect(probe.services?.ports).toEqual(Array.from({ length: SERVICE_COUNT }, (_, i) => 1000 + i));
    // The kernel fills one dump datagram with at most 32 KiB: more than that
    // proves the multi-part reassembly across datagrams worked.
    expect(probe.services?.bytes).toBeGreaterThan(32 * 1024);
  });

  test('without ip_vs (autoload disabled): the typed "no IPVS" NetlinkError', () => {
    const probe = parseProbe(result('without.json'));
    expect(result('without.rc').trim()).toBe('3');
    expect(probe).toMatchObject({
      ok: false, name: 'NetlinkError', code: 'LVSHA_NETLINK', errno: 2, errnoName: 'ENOENT', command: 'nlctrl GETFAMILY IPVS',
    });
    expect(probe.ok ? '' : probe.message).toContain('this kernel has no IPVS (ip_vs module not loaded/available)');
  });

  test('without CAP_NET_ADMIN: the typed EPERM NetlinkError', () => {
    const probe = parseProbe(result('nobody.json'));
    expect(result('nobody.rc').trim(), describeRun(run)).toBe('3');
    expect(probe).toMatchObject({ ok: false, code: 'LVSHA_NETLINK', errno: 1, errnoName: 'EPERM', command: 'IPVS GET_INFO' });
    expect(probe.ok ? '' : probe.message).toContain('needs CAP_NET_ADMIN');
  });
});

function hostKernelHasIpvs(): boolean {
  if (existsSync('/proc/net/ip_vs')) return true;
  const dep = join('/lib/modules', release(), 'modules.dep');
  return existsSync(dep) && readFileSync(dep, 'utf8').includes('/ip_vs.ko');
}

describe('the same probe on the host kernel', () => {
  test('fails with the typed "no IPVS" error (the host kernel has no IPVS)', async () => {
    assertBuilt(BUILT);
    const dir = join(VM_DIR, 'runs', 'lvk-host');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'probe.mjs'), PROBE);
    const outcome = await promisify(execFile)(process.execPath, [join(dir, 'probe.mjs')], { cwd: REPO_ROOT, timeout: 30_000 })
      .then((r) => ({ code: 0, stdout: r.stdout }))
      .catch((err: unknown) => {
        const e = err as { code?: number; stdout?: string };
        return { code: e.code ?? -1, stdout: e.stdout ?? '' };
      });
    const probe = parseProbe(outcome.stdout);
    if (hostKernelHasIpvs()) {
      // Not the project's machines (their kernel has no IPVS); then it must simply work.
      expect(probe).toMatchObject({ ok: true, info: { version: '1.2.1' } });
      return;
    }
    expect(outcome.code).toBe(3);
    expect(probe).toMatchObject({ ok: false, name: 'NetlinkError', code: 'LVSHA_NETLINK', errnoName: 'ENOENT' });
    expect(probe.ok ? '' : probe.message).toMatch(/family "IPVS" not found \(ENOENT\): this kernel has no IPVS/);
  });
});
