import { describe, expect, test } from 'vitest';
import { VmRequestError } from '../../../src/vm/errors.js';
import {
  agentTimeoutSeconds, cmdlineHasMarker, decodeArgv, decodeVmRecord, encodeArgv, MAX_REQUEST_BYTES,
  parseExitCode, renderVmRecord, runDirLayout, vmStateFrom, type VmRecord,
} from '../../../src/vm/protocol.js';

const RECORD: VmRecord = { version: 1, pid: 4242, startedAt: '2026-11-21T10:00:00.000Z', runDir: '/r', marker: 'path=/r,mount_tag=lvkrun' };

describe('request encoding (what the agent reads with xargs -0)', () => {
  test('each argument NUL-terminated; spaces, quotes, empty and non-ASCII arguments survive', () => {
    const argv = ['/usr/bin/node', 'bin/lvs-ha.js', 'check-config', 'a file.yaml', '', `it's "x"`, 'ü→'];
    const bytes = encodeArgv(argv);
    expect(bytes.toString('utf8')).toBe(argv.map((a) => `${a}\0`).join(''));
    expect(decodeArgv(bytes)).toEqual(argv);
    expect(decodeArgv(encodeArgv(['one']))).toEqual(['one']);
    expect(decodeArgv(new Uint8Array(0))).toEqual([]);
  });

  test('refuses NUL bytes, empty commands and oversized requests with VmRequestError', () => {
    expect(() => encodeArgv(['sh', 'a\0b'])).toThrow(VmRequestError);
    expect(() => encodeArgv([])).toThrow(/empty command/);
    expect(() => encodeArgv(['x'.repeat(MAX_REQUEST_BYTES)])).toThrow(/command too long/);
    expect(encodeArgv(['x'.repeat(MAX_REQUEST_BYTES - 1)]).length).toBe(MAX_REQUEST_BYTES);
  });

  test('agent timeout: whole seconds rounded up, never 0 (0 would disable it)', () => {
    expect(agentTimeoutSeconds(1)).toBe(1);
    expect(agentTimeoutSeconds(0)).toBe(1);
    expect(agentTimeoutSeconds(1000)).toBe(1);
    expect(agentTimeoutSeconds(1001)).toBe(2);
    expect(agentTimeoutSeconds(90_000)).toBe(90);
  });

  test('run folder layout', () => {
    const l = runDirLayout('/x/run');
    expect([l.queue, l.running, l.out, l.vmJson, l.ready, l.stop, l.console, l.env, l.payload]).toEqual([
      '/x/run/queue', '/x/run/running', '/x/run/out', '/x/run/vm.json', '/x/run/ready', '/x/run/stop',
      '/x/run/console.log', '/x/run/env.sh', '/x/run/payload.sh',
    ]);
  });
});

describe('exit codes', () => {
  test('decimal 0..255 with or without a newline', () => {
    expect(parseExitCode('0\n')).toEqual({ ok: true, value: 0 });
    expect(parseExitCode('137')).toEqual({ ok: true, value: 137 });
    expect(parseExitCode('255\n')).toEqual({ ok: true, value: 255 });
  });

  test('anything else is refused, not thrown', () => {
    for (const bad of ['', '\n', '256', '-1', 'abc', '1 2', '1000']) expect(parseExitCode(bad).ok, bad).toBe(false);
  });
});

describe('vm.json and status', () => {
  test('round trip', () => {
    expect(decodeVmRecord(renderVmRecord(RECORD))).toEqual({ ok: true, value: RECORD });
  });

  test('refuses broken records with a reason', () => {
    const bad = (patch: Record<string, unknown>): string => JSON.stringify({ ...RECORD, ...patch });
    expect(decodeVmRecord('{')).toEqual({ ok: false, reason: 'vm.json is not JSON' });
    expect(decodeVmRecord('null').ok).toBe(false);
    expect(decodeVmRecord(bad({ version: 2 }))).toEqual({ ok: false, reason: 'vm.json version 2 is not 1' });
    expect(decodeVmRecord(bad({ pid: '12' }))).toEqual({ ok: false, reason: 'vm.json: bad pid' });
    expect(decodeVmRecord(bad({ pid: 1 })).ok).toBe(false);
    expect(decodeVmRecord(bad({ pid: 1.5 })).ok).toBe(false);
    expect(decodeVmRecord(bad({ startedAt: 3 })).ok).toBe(false);
    expect(decodeVmRecord(bad({ runDir: null })).ok).toBe(false);
    expect(decodeVmRecord(bad({ marker: '' })).ok).toBe(false);
  });

  test('none without a usable vm.json; running or dead by the probe, which gets pid and marker', () => {
    const probed: [number, string][] = [];
    const alive = (pid: number, marker: string): boolean => {
      probed.push([pid, marker]);
      return true;
    };
    expect(vmStateFrom(undefined, alive)).toEqual({ state: 'none' });
    expect(vmStateFrom('garbage', alive)).toEqual({ state: 'none' });
    expect(probed).toEqual([]);
    expect(vmStateFrom(renderVmRecord(RECORD), alive)).toEqual({ state: 'running', pid: 4242, startedAt: RECORD.startedAt });
    expect(probed).toEqual([[4242, RECORD.marker]]);
    expect(vmStateFrom(renderVmRecord(RECORD), () => false)).toEqual({ state: 'dead', pid: 4242 });
  });

  test('a pid counts only when its command line carries the marker', () => {
    const cmdline = ['qemu-system-x86_64', '-virtfs', 'local,path=/r,mount_tag=lvkrun,security_model=none', ''].join('\0');
    expect(cmdlineHasMarker(cmdline, 'path=/r,mount_tag=lvkrun')).toBe(true);
    expect(cmdlineHasMarker(cmdline, 'path=/other,mount_tag=lvkrun')).toBe(false);
    expect(cmdlineHasMarker('', 'x')).toBe(false); // a zombie's cmdline is empty
    expect(cmdlineHasMarker(cmdline, '')).toBe(false);
  });
});
