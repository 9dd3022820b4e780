/** Shared setup of the VRRP netns tests: a pair a/b (and an observer) on the lab bridge. */
import { expect } from 'vitest';
import { assertBuilt, vrrpConfig, type InstanceYaml, type VrrpLab } from '../../helpers/vrrp-lab.js';

export const PREFIX = 'lve';
export const VIP = '10.77.0.100';

export function checkPrerequisites(): void {
  expect(process.getuid?.(), 'the netns tier runs as root').toBe(0);
  assertBuilt([
    ['src/vrrp/runner.ts', 'dist/vrrp/runner.js'],
    ['src/vrrp/engine.ts', 'dist/vrrp/engine.js'],
    ['src/vrrp/instance-slot.ts', 'dist/vrrp/instance-slot.js'],
    ['src/daemon/daemon.ts', 'dist/daemon/daemon.js'],
  ]);
}

/** Write a config for each router: one instance `web`, per-router overrides. */
export function writePair(lab: VrrpLab, per: Readonly<Record<string, Partial<InstanceYaml>>>, base: Partial<InstanceYaml> = {}): void {
  for (const [name, over] of Object.entries(per)) {
    const instance: InstanceYaml = { name: 'web', vrid: 51, priority: 100, virtualAddresses: [`${VIP}/24`], ...base, ...over };
    lab.writeConfig(name, vrrpConfig({ node: `lve-${name}`, socket: lab.socketPath(name), instances: [instance] }));
  }
}

/** Start a, then (once it is MASTER) b, and wait until b is BACKUP and has heard a. */
export async function startElected(lab: VrrpLab, masterAddress: string): Promise<void> {
  lab.startDaemon('a');
  await lab.waitForState('a', 'web', 'MASTER');
  lab.startDaemon('b');
  await lab.waitForState('b', 'web', 'BACKUP');
  await lab.until('b hears a', async () => ((await lab.instance('b', 'web')).master_address === masterAddress ? true : undefined));
}

export function counters(instance: Record<string, unknown>): Record<string, unknown> {
  return instance.counters as Record<string, unknown>;
}
