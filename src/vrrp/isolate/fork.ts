/**
 * The production isolate: `node dist/vrrp/isolate/child.js`, forked with an IPC channel using
 * structured-clone serialization, sharing the daemon's stdout/stderr (one journal), and run at
 * a higher scheduling priority than the daemon (nice ISOLATE_NICE) so that on a busy director
 * the kernel picks it first when an advert or a master-down timer is due.
 */
import { execFile, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { VrrpInstanceConfig } from '../../config/types.js';
import { managedAddresses } from '../../config/values.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { openAddressManager } from '../../os/addresses.js';
import type { IsolateProcess } from './host.js';

/** The isolate's nice value: above the daemon (0), below realtime. Needs root (CAP_SYS_NICE). */
export const ISOLATE_NICE = -10;
/**
 * RLIMIT_RTTIME of the isolate under SCHED_RR: CPU time it may use without blocking. An event
 * loop blocks in epoll every few ms; a runaway loop is killed (SIGKILL) after this, and the
 * daemon's fail-safe takes over (VIPs removed, isolate restarted).
 */
export const ISOLATE_RTTIME_US = 2_000_000;

function run(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 5000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

/**
 * Scheduling of the isolate's main thread (the event loop): SCHED_RR at `priority` (1..99) with
 * RLIMIT_RTTIME as the safety net, or back to SCHED_OTHER for 0. chrt and prlimit come with
 * util-linux (essential on Debian); argv only, no shell.
 */
export async function tuneIsolate(pid: number, priority: number): Promise<void> {
  if (priority === 0) {
    await run('chrt', ['--other', '--pid', '0', String(pid)]);
    return;
  }
  await run('prlimit', ['--pid', String(pid), `--rttime=${String(ISOLATE_RTTIME_US)}`]);
  await run('chrt', ['--rr', '--pid', String(priority), String(pid)]);
}

export function isolateEntry(): string {
  return fileURLToPath(new URL('./child.js', import.meta.url));
}

export function forkIsolate(log: Logger): IsolateProcess {
  const child = fork(isolateEntry(), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (child.pid !== undefined) {
    try {
      setPriority(child.pid, ISOLATE_NICE);
    } catch (err) {
      log.warn({ err: describeError(err), nice: ISOLATE_NICE }, 'cannot raise the VRRP isolate\'s scheduling priority; it runs at the daemon\'s');
    }
  }
  let ended = false;
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  const end = (code: number | null, signal: string | null): void => {
    if (ended) return;
    ended = true;
    for (const listener of exitListeners) listener(code, signal);
  };
  child.on('exit', (code, signal) => { end(code, signal); });
  child.on('error', (err) => {
    log.error({ err: describeError(err) }, 'VRRP isolate process error');
    if (child.exitCode === null && child.signalCode === null && child.pid === undefined) end(null, null);
  });
  return {
    pid: child.pid,
    send(message) {
      if (!child.connected) throw new Error('the channel to the VRRP isolate is closed');
      child.send(message, (err: Error | null) => {
        if (err) log.debug({ err: err.message, type: message.t }, 'message to the VRRP isolate not delivered');
      });
    },
    onMessage(listener) { child.on('message', listener); },
    onExit(listener) { exitListeners.push(listener); },
    kill(signal) { child.kill(signal); },
  };
}

/**
 * Remove every VIP of these instances from the interface that holds them (the isolate died
 * holding them): the instance's VMAC if it has one, its interface otherwise.
 */
export async function removeVipsFailSafe(instances: readonly VrrpInstanceConfig[]): Promise<void> {
  const addresses = openAddressManager();
  const failures: string[] = [];
  try {
    for (const instance of instances) {
      const ifname = instance.vmac?.interface ?? instance.interface;
      const info = await addresses.interfaceByName(ifname);
      if (!info) continue;
      for (const vip of managedAddresses(instance)) {
        try {
          await addresses.removeAddress({ ifindex: info.ifindex, address: vip.text, prefixLength: vip.prefixLength });
        } catch (err) {
          failures.push(`${vip.text} on ${ifname}: ${describeError(err)}`);
        }
      }
    }
  } finally {
    addresses.close();
  }
  if (failures.length > 0) throw new Error(`could not remove ${failures.join('; ')}`);
}
