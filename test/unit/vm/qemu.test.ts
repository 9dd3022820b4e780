import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildCpio } from '../../../src/vm/cpio.js';
import { VmHostError, VmRequestError } from '../../../src/vm/errors.js';
import { findPackageRoot, PACKAGE_ROOT, VM_DIR } from '../../../src/vm/paths.js';
import { qemuArgs, qemuEscape, renderEnvFile, runShareOption, shellQuote, tail } from '../../../src/vm/qemu.js';
import { AGENT_SCRIPT, INIT_TEMPLATE, STAGE2_SCRIPT } from '../../../src/vm/scripts.js';

describe('env.sh and qemu arguments', () => {
  test('values are single-quoted, quotes inside escaped', () => {
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(renderEnvFile({ A: 'x y', B: `$HOME'` })).toBe(`A='x y'; export A\nB='$HOME'\\'''; export B\n`);
  });

  test('refuses variable names the shell would misread', () => {
    expect(() => renderEnvFile({ 'A-B': 'x' })).toThrow(VmRequestError);
    expect(() => renderEnvFile({ 'A;rm': 'x' })).toThrow(/invalid environment variable name/);
    expect(() => renderEnvFile({ '1A': 'x' })).toThrow(VmRequestError);
  });

  test('TCG, never KVM; the run folder is a writable share with commas doubled', () => {
    const args = qemuArgs('/boot/vmlinuz-x', '/c/i.cpio', '/r,un', 1536);
    expect(args).toContain('tcg,thread=multi');
    expect(args).not.toContain('-enable-kvm');
    expect(args[args.indexOf('-m') + 1]).toBe('1536');
    expect(args.at(-1)).toBe('local,path=/r,,un,mount_tag=lvkrun,security_model=none');
    expect(runShareOption('/r,un')).toBe(args.at(-1));
    expect(qemuEscape('a,b,,c')).toBe('a,,b,,,,c');
  });

  test('tail keeps the last lines', () => {
    expect(tail('a\nb\nc', 2)).toBe('b\nc');
    expect(tail('a', 5)).toBe('a');
  });
});

describe('package root', () => {
  test('found from this module (src/ under vitest); the cache folder is <root>/.vm', () => {
    expect(findPackageRoot(join(PACKAGE_ROOT, 'src', 'vm'))).toBe(PACKAGE_ROOT);
    expect(VM_DIR).toBe(join(PACKAGE_ROOT, '.vm'));
  });

  test('a package.json of another package is skipped; none at all is a VmHostError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvk-root-'));
    try {
      mkdirSync(join(dir, 'dist', 'vm'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'lvs-ha' }));
      writeFileSync(join(dir, 'dist', 'package.json'), JSON.stringify({ name: 'other' }));
      expect(findPackageRoot(join(dir, 'dist', 'vm'))).toBe(dir);
      rmSync(join(dir, 'package.json'));
      expect(() => findPackageRoot(join(dir, 'dist', 'vm'))).toThrow(VmHostError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scripts and cpio', () => {
  test('stage 1 has the placeholders the builder fills; stage 2 honours a disabled payload timeout', () => {
    expect(INIT_TEMPLATE).toContain('exec $bb switch_root /mnt/root /bin/sh @STAGE2@');
    expect(INIT_TEMPLATE).toContain('for m in @MODULES@; do');
    expect(STAGE2_SCRIPT).toContain('timeout -s KILL "$LVK_PAYLOAD_TIMEOUT_S" sh /run/lvk/payload.sh');
    expect(STAGE2_SCRIPT).toContain('/bin/busybox poweroff -f');
  });

  test('the agent reads argv with xargs -0, writes the exit code by rename and stops on a stop file', () => {
    expect(AGENT_SCRIPT).toContain('xargs -0 -a "$req/argv"');
    expect(AGENT_SCRIPT).toContain('mv -f "$d/.exit-code" "$d/exit-code"');
    expect(AGENT_SCRIPT).toContain('while [ ! -e "$base/stop" ]; do');
  });

  test('newc archive: magic, 4-byte alignment, trailer', () => {
    const archive = buildCpio([{ kind: 'dir', path: '/bin' }, { kind: 'file', path: 'bin/x', data: Buffer.from('abc') }]);
    expect(archive.subarray(0, 6).toString()).toBe('070701');
    expect(archive.length % 4).toBe(0);
    expect(archive.includes(Buffer.from('bin/x\0'))).toBe(true);
    expect(archive.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
    expect(archive.includes(Buffer.from('/bin\0'))).toBe(false); // leading slashes stripped
  });
});
