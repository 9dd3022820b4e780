/** Shared setup of the interop tests: an lvs-ha daemon and Keepalived 2.2.7 on one lab bridge. */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, expect } from 'vitest';
import { masterDownIntervalMs, skewTimeMs } from '../../../src/vrrp/timers.js';
import { Keepalived } from '../../helpers/keepalived.js';
import { vrrpConfig, type LogLine, VrrpLab } from '../../helpers/vrrp-lab.js';
import { checkPrerequisites } from '../vrrp/pair.js';

export { checkPrerequisites as checkBuilt } from '../vrrp/pair.js';

export const PREFIX = 'lvq';
export const VIP = '10.77.0.100';
export const ADVERT_MS = 100;
/** Scheduling and log latency on a loaded 2-core machine (the same margin as the lvs-ha pair tests). */
export const MARGIN_MS = 150;
export const HIGH = 200;
export const LOW = 100;
/** Master-down interval of the priority-100 backup at 100 ms: 360.9 ms. */
export const DOWN_MS = masterDownIntervalMs(LOW, ADVERT_MS);
/** Skew time of the priority-100 backup at 100 ms: 60.9 ms. */
export const SKEW_MS = skewTimeMs(LOW, ADVERT_MS);

/** The peer must be the version these tests were written against (it prints its version on stderr). */
export function checkKeepalived(): void {
  const version = execFileSync('sh', ['-c', 'keepalived --version 2>&1'], { encoding: 'utf8' });
  expect(version).toMatch(/Keepalived v2\.2\.7 /);
}

export function writeLvsHa(lab: VrrpLab, router: string, priority: number, ipv4Checksum?: string): void {
  lab.writeConfig(router, vrrpConfig({
    node: `${PREFIX}-${router}`,
    socket: lab.socketPath(router),
    ...(ipv4Checksum === undefined ? {} : { ipv4Checksum }),
    instances: [{ name: 'web', vrid: 51, priority, advertInterval: `${String(ADVERT_MS)}ms`, virtualAddresses: [`${VIP}/24`] }],
  }));
}

export function keepalivedOn(lab: VrrpLab, router: string, priority: number): Keepalived {
  return new Keepalived(lab, router, { priority, advertInt: String(ADVERT_MS / 1000), vip: `${VIP}/24` });
}

/** Wall time of the first lvs-ha transition to `to` at or after `after`. */
export function lvsHaEnteredAt(lab: VrrpLab, router: string, to: string, after: number): number {
  const line: LogLine | undefined = lab.transitions(router, 'web').find((t) => t.to === to && Date.parse(String(t.time)) >= after);
  if (!line) throw new Error(`no ${to} transition on ${router} after ${new Date(after).toISOString()}`);
  return Date.parse(String(line.time));
}

export function counters(instance: Record<string, unknown>): Record<string, number | Record<string, number>> {
  return instance.counters as Record<string, number | Record<string, number>>;
}

/**
 * The hooks of an interop file: dist/ and Keepalived 2.2.7 checked once, the lab torn down after
 * each test. Returns what a test calls to get its lab (routers a and b on one bridge).
 */
export function interopLab(prefix: string): () => Promise<VrrpLab> {
  let lab: VrrpLab | undefined;
  beforeAll(() => {
    checkPrerequisites();
    checkKeepalived();
  });
  afterEach(() => {
    lab?.destroy();
    lab = undefined;
  });
  return async () => {
    lab = await VrrpLab.create(prefix, ['a', 'b']);
    return lab;
  };
}
