import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { describeProcessOutcome, runProcess } from '../../../src/os/process.js';

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** The leader starts a grandchild that would write the marker after 600 ms, then hangs. */
function hangingWithGrandchild(marker: string): string[] {
  const grandchild = "setTimeout(() => require('fs').writeFileSync(process.argv[1], 'x'), 600)";
  const script = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}, process.argv[1]], { stdio: 'ignore' }); setTimeout(() => {}, 5000);`;
  return [process.execPath, '-e', script, marker];
}

describe('runProcess: the one way lvs-ha runs a script', () => {
  it('kills the whole process group at the timeout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-proc-'));
    const marker = join(dir, 'grandchild');
    const outcome = await runProcess({ argv: hangingWithGrandchild(marker), user: null, timeout: { clock: systemClock, ms: 300 } });
    expect(outcome.kind).toBe('timeout');
    await new Promise((r) => setTimeout(r, 600));
    expect(() => readFileSync(marker)).toThrow();
  });

  it('kills the whole process group on abort', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvs-proc-'));
    const marker = join(dir, 'grandchild');
    const abort = new AbortController();
    setTimeout(() => { abort.abort(); }, 300);
    const outcome = await runProcess({ argv: hangingWithGrandchild(marker), user: null, signal: abort.signal });
    expect(outcome.kind).toBe('aborted');
    await new Promise((r) => setTimeout(r, 600));
    expect(() => readFileSync(marker)).toThrow();
  });

  it('reports exit codes with the first line of stderr, signals and spawn errors', async () => {
    const fail = await runProcess({ argv: [process.execPath, '-e', "process.stderr.write('\\nfirst\\nsecond\\n'); process.exit(3)"], user: null });
    expect(fail).toMatchObject({ kind: 'exit', code: 3 });
    expect(describeProcessOutcome(fail)).toBe('exit 3: first');
    expect(await runProcess({ argv: [process.execPath, '-e', "process.kill(process.pid, 'SIGTERM')"], user: null })).toMatchObject({ kind: 'signal', signal: 'SIGTERM' });
    expect(await runProcess({ argv: ['/nonexistent/x'], user: null })).toMatchObject({ kind: 'spawn_error' });
    expect(await runProcess({ argv: [], user: null })).toEqual({ kind: 'spawn_error', message: 'empty command' });
  });

  it('gives stdin, keeps stdout only when asked and within the bound, and passes only the named environment', async () => {
    const echo = [process.execPath, '-e', "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>process.stdout.write(d.toUpperCase()+' '+(process.env.SECRET_FROM_PARENT??'none')+' '+process.env.LVS_X))"];
    process.env.SECRET_FROM_PARENT = 'leak';
    try {
      const kept = await runProcess({ argv: echo, user: null, stdin: 'hello', keepStdout: 100, env: { LVS_X: 'x' } });
      expect(kept).toMatchObject({ kind: 'exit', code: 0, stdout: 'HELLO none x' });
      const cut = await runProcess({ argv: echo, user: null, stdin: 'hello', keepStdout: 3, env: { LVS_X: 'x' } });
      expect(cut).toMatchObject({ stdout: 'HEL' });
      expect(await runProcess({ argv: echo, user: null, stdin: 'hello', env: { LVS_X: 'x' } })).toMatchObject({ stdout: '' });
    } finally {
      delete process.env.SECRET_FROM_PARENT;
    }
  });
});
