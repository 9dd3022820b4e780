/** Builders and a seeded generator of IPVS tables for the lvs model/desired/plan tests. */
import { readFileSync } from 'node:fs';
import { pickOne, seededRandom } from '../../../src/core/random.js';
import { expect } from 'vitest';
import { validateConfigText } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import type { Destination, Service, ServiceEntry, ServiceKey, Table } from '../../../src/lvs/model.js';

export function tcp(address: string, port: number): ServiceKey {
  return { kind: 'address', family: address.includes(':') ? 'ipv6' : 'ipv4', protocol: 'tcp', address, port };
}

export function svc(key: ServiceKey, over: Partial<Service> = {}): Service {
  return {
    key,
    scheduler: 'wrr',
    flags: 0,
    timeoutS: 0,
    netmask: key.family === 'ipv4' ? '255.255.255.255' : '128',
    peName: null,
    ...over,
  };
}

export function dest(address: string, port: number, weight = 1, over: Partial<Destination> = {}): Destination {
  return {
    family: address.includes(':') ? 'ipv6' : 'ipv4',
    address,
    port,
    fwd: 'droute',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
    tunnel: null,
    ...over,
  };
}

export function table(...services: ServiceEntry[]): Table {
  return { services };
}

export function entry(service: Service, ...destinations: Destination[]): ServiceEntry {
  return { service, destinations };
}

/** A validated config from YAML text (fails the test when invalid). */
export function configFrom(text: string): Config {
  const r = validateConfigText(text, 'test.yaml');
  if (!r.ok) expect.fail(r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n'));
  return r.config;
}

/** One of the example configs in configs/. */
export function exampleConfig(name: string): Config {
  return configFrom(readFileSync(new URL(`../../../configs/${name}`, import.meta.url), 'utf8'));
}

/** A small deterministic PRNG (mulberry32), so generated cases repeat exactly. */
export const prng = seededRandom;
const pick = pickOne;

/** Service keys drawn from a small pool, so two generated tables overlap. */
export const KEY_POOL: readonly ServiceKey[] = [
  tcp('10.0.0.100', 80),
  tcp('10.0.0.100', 443),
  { kind: 'address', family: 'ipv4', protocol: 'udp', address: '10.0.0.100', port: 53 },
  { kind: 'address', family: 'ipv4', protocol: 'sctp', address: '10.0.0.101', port: 9 },
  tcp('2001:db8::100', 80),
  { kind: 'fwmark', family: 'ipv4', fwmark: 7 },
  { kind: 'fwmark', family: 'ipv6', fwmark: 7 },
];

function randomService(rnd: () => number, key: ServiceKey): Service {
  const persistent = rnd() < 0.4;
  const v4 = key.family === 'ipv4';
  return svc(key, {
    scheduler: pick(rnd, ['rr', 'wrr', 'sh', 'mh', 'wlc']),
    flags: (persistent ? 1 : 0) | pick(rnd, [0, 0x8, 0x10, 0x18]) | (rnd() < 0.5 ? 0x2 : 0),
    timeoutS: persistent ? pick(rnd, [60, 300, 3600]) : 0,
    netmask: persistent ? (v4 ? pick(rnd, ['255.255.255.255', '255.255.255.0']) : pick(rnd, ['128', '64'])) : v4 ? '255.255.255.255' : '128',
  });
}

function randomDest(rnd: () => number, family: 'ipv4' | 'ipv6', i: number): Destination {
  const address = family === 'ipv4' ? `10.0.1.${i}` : `2001:db8:1::${i}`;
  const fwd = pick(rnd, ['droute', 'masq', 'tunnel'] as const);
  const tunType = pick(rnd, ['ipip', 'gue', 'gre'] as const);
  return dest(address, pick(rnd, [80, 8080]), pick(rnd, [0, 1, 2, 5]), {
    fwd,
    upperThreshold: pick(rnd, [0, 0, 100]),
    tunnel: fwd === 'tunnel' ? { type: tunType, port: tunType === 'gue' ? 6080 : 0, flags: 0 } : null,
  });
}

/** A random table: a subset of KEY_POOL, each with 0..5 destinations from a pool of 6 addresses. */
export function randomTable(rnd: () => number): Table {
  const services: ServiceEntry[] = [];
  for (const key of KEY_POOL) {
    if (rnd() < 0.4) continue;
    const dests = new Map<string, Destination>();
    const n = Math.floor(rnd() * 6);
    for (let i = 0; i < n; i++) {
      const d = randomDest(rnd, key.family, 1 + Math.floor(rnd() * 6));
      dests.set(`${d.address}|${d.port}`, d);
    }
    services.push({ service: randomService(rnd, key), destinations: [...dests.values()] });
  }
  return { services };
}
