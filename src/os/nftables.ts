/**
 * The nftables adapter: Debian's `nft` run with argv arrays (no shell), for
 * one table only. Reading is `nft -j list table FAMILY NAME` (JSON, parsed by
 * the core, ../lvs/nft/table.ts); writing is a whole script on stdin of
 * `nft -f -`, which nft applies as one atomic transaction. Both run in the
 * caller's network namespace, off the event loop (a child process).
 */
import { spawn } from 'node:child_process';
import { OsError } from './os-errors.js';

const TIMEOUT_MS = 15_000;
/** nft's answer when the table does not exist. */
const NO_SUCH_TABLE = 'No such file or directory';
const MAX_OUTPUT = 64 * 1024 * 1024;

export interface NftablesApi {
  /** The table as nft's JSON text, or null when it does not exist. */
  readTable(family: string, name: string): Promise<string | null>;
  /** Applies an nft script atomically. */
  apply(script: string): Promise<void>;
}

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runNft(binary: string, args: readonly string[], input: string | null): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= MAX_OUTPUT) out.push(b);
      else child.kill('SIGKILL');
    });
    child.stderr.on('data', (b: Buffer) => { if (err.length < 64) err.push(b); });
    child.on('error', (e: NodeJS.ErrnoException) => {
      const hint = e.code === 'ENOENT' ? ' (is Debian\'s nftables package installed?)' : '';
      reject(new OsError(`${binary} ${args.join(' ')}: ${e.message}${hint}`, 'nft', e.code, { cause: e }));
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (signal !== null) {
        reject(new OsError(`${binary} ${args.join(' ')}: killed by ${signal}${size > MAX_OUTPUT ? ' (output too large)' : ' (timeout)'}`, 'nft', 'ETIMEDOUT'));
        return;
      }
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    child.stdin.on('error', () => undefined); // nft exiting early: its exit status says why
    child.stdin.end(input ?? '');
  });
}

/**
 * The adapter over the `nft` binary (default: found in /usr/sbin and the usual PATH).
 * `prefix`: argv before nft's own arguments (tests: `ip netns exec NS nft` as binary `ip`).
 */
export function nftables(binary = 'nft', prefix: readonly string[] = []): NftablesApi {
  return {
    async readTable(family, name) {
      const args = ['-j', 'list', 'table', family, name];
      const r = await runNft(binary, [...prefix, ...args], null);
      if (r.code === 0) return r.stdout;
      if (r.stderr.includes(NO_SUCH_TABLE)) return null;
      throw new OsError(`nft ${args.join(' ')}: exit ${String(r.code)}: ${r.stderr.split('\n')[0] ?? ''}`, 'nft', undefined);
    },
    async apply(script) {
      const r = await runNft(binary, [...prefix, '-f', '-'], script);
      if (r.code !== 0) throw new OsError(`nft -f -: exit ${String(r.code)}: ${r.stderr.split('\n').slice(0, 3).join(' | ')}`, 'nft', undefined);
    },
  };
}
