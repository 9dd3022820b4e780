import { describe, expect, test } from 'vitest';
import { validateConfigText } from '../../../src/config/validate.js';
import { directorConfig, hostsOf, labPaths, labTopology, switchPort, LAB_MODES, type LabMode } from '../../../src/lab/topology.js';

const paths = labPaths('/run/lvs-ha-lab');

describe('lab topology', () => {
  test.each(LAB_MODES.map((m) => [m]))('%s: both directors get configs the real validator accepts', (mode: LabMode) => {
    const t = labTopology({ mode, sync: true, advertIntervalMs: 1000 });
    for (const d of hostsOf(t, 'director')) {
      const r = validateConfigText(directorConfig(t, d, paths), `${d.name}.yaml`);
      expect(r.ok ? [] : r.errors.map((i) => i.message)).toEqual([]);
    }
  });

  test('d1 has the higher priority; sync follows the instance, or the group under NAT', () => {
    const dr = labTopology({ mode: 'dr', sync: true, advertIntervalMs: 200 });
    const [d1, d2] = hostsOf(dr, 'director');
    if (d1 === undefined || d2 === undefined) throw new Error('no directors');
    expect(directorConfig(dr, d1, paths)).toMatch(/priority: 150/);
    expect(directorConfig(dr, d2, paths)).toMatch(/priority: 100/);
    expect(directorConfig(dr, d1, paths)).toMatch(/advert_interval: 200ms/);
    expect(directorConfig(dr, d1, paths)).toMatch(/follow: front/);
    const nat = labTopology({ mode: 'nat', sync: true, advertIntervalMs: 1000 });
    const n1 = hostsOf(nat, 'director')[0];
    if (n1 === undefined) throw new Error('no director');
    expect(directorConfig(nat, n1, paths)).toMatch(/follow: pair/);
    expect(directorConfig(nat, n1, paths)).toMatch(/forwarding: nat/);
    expect(hostsOf(nat, 'real_server').every((r) => r.gateway === nat.gatewayVip)).toBe(true);
    expect(nat.realPort).toBe(8080);
  });

  test('--no-sync leaves ipvs_sync and sloppy_tcp out; with sync the directors take over mid-handshake (sloppy_tcp, mh by port)', () => {
    const config = (sync: boolean): string => {
      const t = labTopology({ mode: 'dr', sync, advertIntervalMs: 1000 });
      const d1 = hostsOf(t, 'director')[0];
      if (d1 === undefined) throw new Error('no director');
      return directorConfig(t, d1, paths);
    };
    expect(config(false)).not.toMatch(/ipvs_sync|sloppy_tcp|mh/);
    expect(config(false)).toMatch(/scheduler: rr/);
    expect(config(true)).toMatch(/ipvs_sync/);
    expect(config(true)).toMatch(/sloppy_tcp: true/);
    expect(config(true)).toMatch(/scheduler: mh\n\s+scheduler_flags:\n\s+- mh-port/);
  });

  test('names fit the kernel limits and are unique', () => {
    for (const mode of LAB_MODES) {
      const t = labTopology({ mode, sync: true, advertIntervalMs: 1000 });
      const ports = t.hosts.flatMap((h) => h.links.map((l) => switchPort(h, l)));
      expect(new Set(ports).size).toBe(ports.length);
      for (const name of [...ports, ...t.hosts.map((h) => h.netns), ...t.bridges]) expect(name.length).toBeLessThanOrEqual(15);
      expect(t.hosts.every((h) => h.netns.startsWith('lvl-'))).toBe(true);
    }
  });
});
