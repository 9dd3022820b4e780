/**
 * Kernel tier: `lvs-ha lab` end to end, as an operator runs it on this host
 * (whose kernel has no IPVS, so the lab boots its own throwaway VM).
 *
 * - DR with connection sync: up, status, a drill that keeps 10 of 10
 *   established sessions across the failover and back, the chaos run (every
 *   fault kind once, seed 7, every invariant held), down leaving nothing.
 * - NAT without sync (the negative half): the service works through NAT (up
 *   proves every real server answers), yet the drill breaks every held
 *   session while new connections work on the new master.
 * - TUN (IPIP) with sync: the drill keeps every session.
 * - FULLNAT with sync: real servers behind a router with no route to the client;
 *   the SNAT table and conntrack=1 in place on both directors, and the drill keeps
 *   every session there and back (the lab sets nf_conntrack_tcp_be_liberal on the
 *   directors: without it the return drops every session, see docs/operations.md).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { assertBuilt } from '../helpers/vm/index.js';
import { cleanly, lab, labJson } from '../helpers/lab-cli.js';
import { LAB_VM_DIR } from '../../src/lab/vm.js';
import { CHAOS_FAULT_KINDS, renderChaos, type ChaosReport } from '../../src/lab/chaos-core.js';

const VM_DIR = LAB_VM_DIR;

function hostLabNamespaces(): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'list'], (_err, stdout) => {
      resolve(stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith('lvl-')));
    });
  });
}

interface Verdict { held: number; kept: number; broken: number; percentKept: number }
interface Drill {
  from: string; to: string; takeover_ms: number | null; vips_left: boolean; synced_connections: number;
  sessions: Verdict; returned: { master_again_ms: number | null; sessions: Verdict } | null;
  new_connections: { ok: number; failed: number; longest_gap_ms: number };
}
interface Down {
  wasUp: boolean; stopped: string[]; removedNamespaces: string[];
  leftBehind: { namespaces: string[]; processes: string[]; dir: boolean };
  vm: { was: string; qemu_left: boolean; dir_left: boolean };
}

async function upOrExplain(args: readonly string[]): Promise<{ master: string; answeredBy: Record<string, number> }> {
  const up = await lab(['up', '--json', ...args]);
  expect(up.code, `lab up failed:\n${up.stdout}\n${up.stderr}`).toBe(0);
  expect(up.stderr).toMatch(/no IPVS.*running the lab inside a throwaway VM/);
  return labJson(up) as { master: string; answeredBy: Record<string, number> };
}

async function downAndCheck(namespaces = 7): Promise<void> {
  const down = labJson(await lab(['down', '--json'])) as Down;
  expect(down.wasUp).toBe(true);
  expect(down.stopped).toHaveLength(5); // two directors, three HTTP servers
  expect(down.removedNamespaces).toHaveLength(namespaces);
  expect(down.leftBehind).toEqual({ namespaces: [], processes: [], dir: false });
  expect(down.vm).toEqual({ was: 'running', qemu_left: false, dir_left: false });
  expect(existsSync(VM_DIR)).toBe(false);
  expect(await hostLabNamespaces()).toEqual([]);
}

describe('lvs-ha lab (boots its own VM: the host kernel has no IPVS)', () => {
  assertBuilt(['dist/lab/backend.js', 'dist/lab/client.js', 'dist/cli/main.js']);
  afterAll(async () => {
    if (existsSync(VM_DIR)) await lab(['down']);
  });


  test('DR with sync: up, status, a drill keeping 10 of 10 sessions there and back, down leaving nothing', cleanly(async () => {
    const up = await upOrExplain([]);
    expect(up.master).toBe('d1');
    expect(Object.keys(up.answeredBy).sort()).toEqual(['r1', 'r2', 'r3']);

    const status = labJson(await lab(['status', '--json'])) as { mode: string; directors: Record<string, { instances?: { state: string }[]; reconcile?: { sysctls?: Record<string, number> } }>; processes: { alive: boolean }[] };
    expect(status.mode).toBe('dr');
    // The daemon set the sysctl its config asks for (the lab with sync: ipvs.sloppy_tcp), in its namespace.
    expect(status.directors.d1?.reconcile?.sysctls).toEqual({ 'net.ipv4.vs.sloppy_tcp': 1 });
    expect(status.directors.d2?.reconcile?.sysctls).toEqual({ 'net.ipv4.vs.sloppy_tcp': 1 });
    expect(status.processes.every((p) => p.alive)).toBe(true);
    expect(status.directors.d1?.instances?.[0]?.state).toBe('MASTER');
    expect(status.directors.d2?.instances?.[0]?.state).toBe('BACKUP');

    const drill = labJson(await lab(['drill', '--json'])) as Drill;
    console.log(`lab drill (DR, sync): takeover ${String(drill.takeover_ms)} ms, kept ${String(drill.sessions.kept)}/${String(drill.sessions.held)}, back ${String(drill.returned?.sessions.kept)}, new connections ${JSON.stringify(drill.new_connections)}`);
    expect(drill).toMatchObject({ from: 'd1', to: 'd2', vips_left: true });
    expect(drill.takeover_ms).toBeGreaterThan(0);
    expect(drill.synced_connections).toBeGreaterThanOrEqual(10);
    expect(drill.sessions).toEqual({ held: 10, kept: 10, broken: 0, percentKept: 100 });
    expect(drill.returned?.sessions).toEqual({ held: 10, kept: 10, broken: 0, percentKept: 100 });
    expect(drill.new_connections.ok).toBeGreaterThan(0);
    // Make-before-break: the old master keeps the VIP until the new one is heard (issue 13), so
    // no new connection meets a director without the VIP. One whose handshake straddles the
    // client's ARP flip meets the new master before its sync entry (flushed every 2 s at most):
    // with sync the lab sets sloppy_tcp and mh by port, so the new master takes it over to the
    // same real server. Before that: 0 or 1 (ECONNRESET) failed of about 118.
    expect(drill.new_connections.failed).toBe(0);

    // The chaos run (issue 18) on the same pair: every fault kind once, in the order seed 7 gives.
    const chaos = await lab(['chaos', '--json', '--seed', '7'], 1_500_000);
    const report = labJson(chaos) as ChaosReport;
    console.log(renderChaos(report));
    expect(report.steps.map((x) => x.fault.kind).sort()).toEqual([...CHAOS_FAULT_KINDS].sort());
    expect(report.steps.filter((x) => x.problems.length > 0)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(chaos.code).toBe(0);
    // Connections were held through every fault, and none that sync should keep was lost.
    expect(report.steps.every((x) => x.held > 0)).toBe(true);
    expect(report.totals.lost).toBe(0);

    await downAndCheck();
  }), 2_400_000);

  test('NAT without sync: the service works, and the drill breaks every held session (the negative half)', cleanly(async () => {
    const up = await upOrExplain(['--mode', 'nat', '--no-sync']);
    expect(Object.keys(up.answeredBy).sort()).toEqual(['r1', 'r2', 'r3']);
    const drill = labJson(await lab(['drill', '--json', '--no-return'])) as Drill;
    expect(drill).toMatchObject({ from: 'd1', to: 'd2', vips_left: true, synced_connections: 0, returned: null });
    expect(drill.sessions).toMatchObject({ held: 10, kept: 0, broken: 10 });
    expect(drill.new_connections.ok).toBeGreaterThan(0);
    await downAndCheck();
  }));

  test('TUN (IPIP) with sync: the drill keeps every session', cleanly(async () => {
    const up = await upOrExplain(['--mode', 'tun']);
    expect(Object.keys(up.answeredBy).sort()).toEqual(['r1', 'r2', 'r3']);
    const drill = labJson(await lab(['drill', '--json', '--no-return'])) as Drill;
    expect(drill.sessions).toEqual({ held: 10, kept: 10, broken: 0, percentKept: 100 });
    await downAndCheck();
  }));

  test('FULLNAT with sync: SNAT table and conntrack on both directors, the drill keeps every session there and back', cleanly(async () => {
    const up = await upOrExplain(['--mode', 'fullnat']);
    expect(Object.keys(up.answeredBy).sort()).toEqual(['r1', 'r2', 'r3']);
    const status = labJson(await lab(['status', '--json'])) as { mode: string; directors: Record<string, { reconcile?: { sysctls?: Record<string, number>; nftables?: { state: string; chains: Record<string, string[]> } } }> };
    expect(status.mode).toBe('fullnat');
    for (const d of ['d1', 'd2']) {
      expect(status.directors[d]?.reconcile?.sysctls).toEqual({ 'net.ipv4.vs.conntrack': 1, 'net.ipv4.vs.sloppy_tcp': 1 });
      expect(status.directors[d]?.reconcile?.nftables).toMatchObject({ state: 'in_sync', chains: { fullnat_snat: [expect.stringMatching(/^fullnat web #[0-9a-f]{12}$/)] } });
    }
    const drill = labJson(await lab(['drill', '--json'])) as Drill;
    console.log(`lab drill (FULLNAT, sync): takeover ${String(drill.takeover_ms)} ms, kept ${String(drill.sessions.kept)}/${String(drill.sessions.held)}, back ${String(drill.returned?.sessions.kept)}, new connections ${JSON.stringify(drill.new_connections)}`);
    expect(drill).toMatchObject({ from: 'd1', to: 'd2', vips_left: true });
    expect(drill.sessions).toEqual({ held: 10, kept: 10, broken: 0, percentKept: 100 });
    expect(drill.returned?.sessions).toEqual({ held: 10, kept: 10, broken: 0, percentKept: 100 });
    await downAndCheck(8); // and the router
  }));
});
