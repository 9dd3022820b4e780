/**
 * The JSON Schema (src/config/schema.ts, lvs-ha.schema.json) and the validator
 * agree: the same keys (keys.ts and spec.ts), the same ranges and choices
 * (every one of spec.ts probed against the readers at both ends), the same
 * defaults as docs/configuration.md; every example config and the packaged
 * sample pass both, and bad configs fail both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse, stringify } from 'yaml';
import { describe, expect, it, test } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { KEYS } from '../../../src/config/keys.js';
import { buildSchema, SCHEMA_FILE_NAME, SCHEMA_INSTALLED_PATH, schemaText, typeSchema } from '../../../src/config/schema.js';
import { CHECK_TYPES, SPEC, T, type KeySpec, type MappingName, type ValueType } from '../../../src/config/spec.js';
import { validateConfigText } from '../../../src/config/validate.js';
import { parseIp, parsePrefix } from '../../../src/config/values.js';
import type { ConfigIssue } from '../../../src/config/types.js';

const repo = resolve(import.meta.dirname, '../../..');
const CONFIGS = join(repo, 'configs');
const SAMPLE = join(repo, 'packaging', 'deb', 'lvs-ha.yaml');
const examples = readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(CONFIGS, f));

// Strict, but: a command is an open tuple (an absolute path, then any arguments) on purpose, and the
// either/or rules name keys (`required`) that the mapping's `properties` define, not the rule itself.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: true, strictTuples: false, strictRequired: false });
const validate = ajv.compile(buildSchema());

function schemaErrors(text: string): ErrorObject[] {
  return validate(parse(text)) ? [] : [...(validate.errors ?? [])];
}

function checkConfigErrors(text: string): readonly ConfigIssue[] {
  const r = validateConfigText(text, 'test.yaml');
  return r.ok ? [] : r.errors;
}

const mappings = Object.keys(SPEC) as MappingName[];
const variants = (Object.keys(KEYS) as (keyof typeof KEYS)[]).filter((k) => !(k in SPEC));

describe('keys.ts and spec.ts', () => {
  test.each(mappings)('%s: the same keys', (m) => {
    expect(Object.keys(SPEC[m]).sort()).toEqual([...KEYS[m]].sort());
  });

  it('the per-type check key lists are all check keys, and there is one per check type', () => {
    expect(variants.sort()).toEqual(CHECK_TYPES.map((t) => `check${t.charAt(0).toUpperCase()}${t.slice(1)}`).sort());
    for (const v of variants) for (const key of KEYS[v]) expect(Object.keys(SPEC.check), `${v}.${key}`).toContain(key);
  });

  it('every mapping is reachable from the top, and every mapping a key refers to exists', () => {
    const seen = new Set<MappingName>(['top']);
    const refs = (v: ValueType): MappingName[] => (v.t === 'map' ? [v.ref] : v.t === 'list' ? refs(v.item) : v.t === 'anyOf' ? v.of.flatMap(refs) : []);
    const walk = (m: MappingName): void => {
      for (const k of Object.values<KeySpec>(SPEC[m])) {
        for (const r of refs(k.type)) {
          expect(mappings).toContain(r);
          if (!seen.has(r)) {
            seen.add(r);
            walk(r);
          }
        }
      }
    };
    walk('top');
    expect([...seen].sort()).toEqual([...mappings].sort());
  });
});

describe(SCHEMA_FILE_NAME, () => {
  it('is valid draft-07 that ajv compiles in strict mode', () => {
    expect(ajv.validateSchema(buildSchema())).toBe(true);
  });

  it(`the committed ${SCHEMA_FILE_NAME} is what \`lvs-ha __schema\` prints (regenerate: node bin/lvs-ha.js __schema > ${SCHEMA_FILE_NAME})`, async () => {
    let out = '';
    expect(await main(['__schema'], { stdout: (t) => { out += t; }, stderr: () => undefined })).toBe(0);
    expect(out).toBe(schemaText());
    expect(readFileSync(join(repo, SCHEMA_FILE_NAME), 'utf8')).toBe(out);
  });

  it('ships in the npm package and the .deb', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain(SCHEMA_FILE_NAME);
    const build = readFileSync(join(repo, 'packaging', 'deb', 'build.sh'), 'utf8');
    expect(build).toContain('__schema');
    expect(build).toContain(SCHEMA_INSTALLED_PATH);
  });

  test.each(examples)('%s points editors at the schema and passes it', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(new RegExp(`^# yaml-language-server: \\$schema=\\.\\./${SCHEMA_FILE_NAME.replace('.', '\\.')}$`, 'm'));
    expect(schemaErrors(text)).toEqual([]);
    expect(checkConfigErrors(text)).toEqual([]);
  });

  it('the packaged sample points at the installed schema and passes it', () => {
    const text = readFileSync(SAMPLE, 'utf8');
    expect(text).toContain(`# yaml-language-server: $schema=${SCHEMA_INSTALLED_PATH}\n`);
    expect(schemaErrors(text)).toEqual([]);
    expect(checkConfigErrors(text)).toEqual([]);
  });
});

const OK = `node: d
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 51, virtual_addresses: [10.0.0.100/24] }
virtual_servers:
  - name: http
    address: 10.0.0.100
    port: 80
    check: { type: tcp }
    real_servers: [{ address: 10.0.0.11 }]
alerts:
  - { name: hook, type: webhook, url: 'http://127.0.0.1:9/' }
`;

/** Each bad file: what it breaks, and a replacement applied to OK. */
const BAD: readonly (readonly [string, string, string])[] = [
  ['a misspelled key', 'vrid: 51,', 'vrid: 51, preemt: true,'],
  ['an unknown top-level key', 'node: d\n', 'node: d\nvirtual_server: []\n'],
  ['a missing required key', 'node: d\n', ''],
  ['a VRID out of range', 'vrid: 51', 'vrid: 256'],
  ['a quoted integer', 'vrid: 51', "vrid: '51'"],
  ['a duration without a unit', 'vrid: 51,', 'vrid: 51, advert_interval: 1,'],
  ['a duration with a bad unit', 'vrid: 51,', 'vrid: 51, advert_interval: 1sec,'],
  ['yes for a boolean', 'vrid: 51,', 'vrid: 51, preempt: yes,'],
  ['an unknown scheduler', 'port: 80\n', 'port: 80\n    scheduler: wlcc\n'],
  ['an empty list that needs an entry', 'virtual_addresses: [10.0.0.100/24]', 'virtual_addresses: []'],
  ['an address that is not one', 'address: 10.0.0.11', 'address: 10.0.0.256'],
  ['a prefix length out of range', '10.0.0.100/24', '10.0.0.100/33'],
  ['a command as a shell line', 'vrid: 51,', "vrid: 51, notify: { command: '/usr/bin/logger -t vrrp' },"],
  ['a command without an absolute path', 'vrid: 51,', 'vrid: 51, notify: { master: [logger, up] },'],
  ['an empty notify', 'vrid: 51,', 'vrid: 51, notify: {},'],
  ['a key of another check type', 'check: { type: tcp }', "check: { type: tcp, path: '/' }"],
  ['an exec check without its command', 'check: { type: tcp }', 'check: { type: exec }'],
  ['payload and payload_hex together', 'check: { type: tcp }', "check: { type: udp, payload: x, payload_hex: '0a' }"],
  ['a body check with HEAD', 'check: { type: tcp }', 'check: { type: http, method: HEAD, expect_body: ok }'],
  ['tls keys on smtp without starttls', 'check: { type: tcp }', 'check: { type: smtp, tls_verify: false }'],
  ['a status out of range', 'check: { type: tcp }', 'check: { type: http, expect_status: 700 }'],
  ['true as a real server check', 'real_servers: [{ address: 10.0.0.11 }]', 'real_servers: [{ address: 10.0.0.11, check: true }]'],
  ['fwmark together with an address', 'port: 80\n', 'port: 80\n    fwmark: 1\n'],
  ['tun_port without forwarding tun', 'port: 80\n', 'port: 80\n    tun_port: 6080\n'],
  ['gue without tun_port', 'port: 80\n', 'port: 80\n    forwarding: tun\n    tun_type: gue\n'],
  ['ops on a tcp service', 'port: 80\n', 'port: 80\n    ops: true\n'],
  ['forwarding fullnat without local addresses', 'port: 80\n', 'port: 80\n    forwarding: fullnat\n'],
  ['a fullnat mapping with forwarding nat', 'port: 80\n', "port: 80\n    forwarding: nat\n    fullnat: { local_addresses: [10.0.1.2] }\n"],
  ['a webhook without url', "url: 'http://127.0.0.1:9/'", 'retries: 1'],
  ['a command on a webhook', "url: 'http://127.0.0.1:9/'", "url: 'http://127.0.0.1:9/', command: [/bin/true]"],
  ['an unknown alert event', "url: 'http://127.0.0.1:9/'", "url: 'http://127.0.0.1:9/', events: [vip_moved]"],
  ['a host name where an address literal goes', 'node: d\n', 'node: d\ncontrol: { metrics_listen: localhost:9650 }\n'],
  ['scripts as root', 'node: d\n', 'node: d\nscripts: { user: root }\n'],
  ['unicast_source without unicast_peers', 'vrid: 51,', 'vrid: 51, unicast_source: 10.0.0.2,'],
  ['a tracked process with both process and command_line', 'vrid: 51,', 'vrid: 51, track: { processes: [{ name: p, process: x, command_line: [/usr/bin/x] }] },'],
  ['a tracked route without a prefix length', 'vrid: 51,', 'vrid: 51, track: { routes: [{ destination: 10.0.0.0 }] },'],
  ['a list where a mapping goes', 'node: d\n', 'node: d\nipvs: []\n'],
];

/** Errors only check-config finds: they need more than one key's value, or the whole file. */
const BEYOND_SCHEMA: readonly (readonly [string, string, string])[] = [
  ['an advert interval not in whole centiseconds', 'vrid: 51,', 'vrid: 51, advert_interval: 15ms,'],
  ['a duration out of range', 'vrid: 51,', 'vrid: 51, advert_interval: 1m,'],
  ['a VIP of another family than the first', '[10.0.0.100/24]', '[10.0.0.100/24, 2001:db8::1]'],
  ['a tracked virtual server that does not exist', 'vrid: 51,', 'vrid: 51, track: { virtual_servers: [{ name: htp }] },'],
  ['a check timeout longer than its interval', 'check: { type: tcp }', 'check: { type: tcp, interval: 1s, timeout: 2s }'],
  ['a real server port that dr cannot map', 'address: 10.0.0.11 }', 'address: 10.0.0.11, port: 8080 }'],
];

function edit(from: string, to: string): string {
  expect(OK).toContain(from);
  return OK.replace(from, to);
}

describe('good and bad files: the schema and check-config agree', () => {
  it('the base file passes both', () => {
    expect(schemaErrors(OK)).toEqual([]);
    expect(checkConfigErrors(OK)).toEqual([]);
  });

  test.each(BAD)('%s fails both', (_what, from, to) => {
    const text = edit(from, to);
    expect(checkConfigErrors(text).length, 'check-config').toBeGreaterThan(0);
    expect(schemaErrors(text).length, 'schema').toBeGreaterThan(0);
  });

  test.each(BEYOND_SCHEMA)('%s fails check-config only (documented as beyond the schema)', (_what, from, to) => {
    const text = edit(from, to);
    expect(checkConfigErrors(text).length, 'check-config').toBeGreaterThan(0);
    expect(schemaErrors(text), 'schema').toEqual([]);
  });
});

// --- every range and choice of spec.ts, probed against the readers and the schema -----------------

type Obj = Record<string, unknown>;
type Path = readonly (string | number)[];

/** A file with every mapping present, valid as it is. */
const FULL: Obj = {
  node: 'd',
  control: { socket: '/run/lvs-ha/control.sock' },
  vrrp: {
    instances: [{
      name: 'w', interface: 'eth0', vrid: 1, virtual_addresses: ['10.0.0.200/24'],
      track: {
        interfaces: [{ name: 'eth1' }], scripts: [{ name: 's', command: ['/bin/true'] }], virtual_servers: [{ name: 'http' }],
        routes: [{ destination: '0.0.0.0/0' }], processes: [{ name: 'p', process: 'haproxy' }], files: [{ name: 'f', path: '/run/prio' }],
      },
      announce: { repeat: 5 }, notify: { command: ['/bin/true'] }, vmac: { interface: 'vrrp.1' },
    }],
    sync_groups: [{ name: 'g', instances: ['w'] }],
  },
  ipvs_sync: { interface: 'eth1', follow: 'w' },
  ipvs: { timeouts: { tcp: '900s' } },
  virtual_servers: [{
    name: 'http', address: '10.0.0.100', port: 80, persistence: { timeout: '300s' }, quorum: { min_up: 1 }, sorry_server: { address: '10.0.0.50' },
    real_servers: [{ address: '10.0.0.11', check: { type: 'tcp' } }, { address: '10.0.0.12' }, { address: '10.0.0.13' }],
  }, {
    name: 'fn', address: '10.0.0.101', port: 80, forwarding: 'fullnat', fullnat: { local_addresses: ['10.0.1.2'] },
    real_servers: [{ address: '10.0.2.11' }],
  }],
  scripts: { user: 'lvs-ha-script' },
  alerts: [{ name: 'a', type: 'webhook', url: 'http://127.0.0.1:9/' }],
  ecmp: { device: 'lo' },
};

const WHERE: Readonly<Record<MappingName, Path>> = {
  top: [], control: ['control'], vrrp: ['vrrp'], instance: ['vrrp', 'instances', 0], track: ['vrrp', 'instances', 0, 'track'],
  trackInterface: ['vrrp', 'instances', 0, 'track', 'interfaces', 0], trackScript: ['vrrp', 'instances', 0, 'track', 'scripts', 0],
  trackVirtualServer: ['vrrp', 'instances', 0, 'track', 'virtual_servers', 0],
  trackRoute: ['vrrp', 'instances', 0, 'track', 'routes', 0], trackProcess: ['vrrp', 'instances', 0, 'track', 'processes', 0],
  trackFile: ['vrrp', 'instances', 0, 'track', 'files', 0], announce: ['vrrp', 'instances', 0, 'announce'],
  notify: ['vrrp', 'instances', 0, 'notify'], vmac: ['vrrp', 'instances', 0, 'vmac'], syncGroup: ['vrrp', 'sync_groups', 0], ipvsSync: ['ipvs_sync'], ipvs: ['ipvs'],
  ipvsTimeouts: ['ipvs', 'timeouts'], virtualServer: ['virtual_servers', 0], persistence: ['virtual_servers', 0, 'persistence'],
  quorum: ['virtual_servers', 0, 'quorum'], fullnat: ['virtual_servers', 1, 'fullnat'], sorryServer: ['virtual_servers', 0, 'sorry_server'],
  realServer: ['virtual_servers', 0, 'real_servers', 0], check: ['virtual_servers', 0, 'real_servers', 0, 'check'],
  scripts: ['scripts'], alert: ['alerts', 0], ecmp: ['ecmp'],
};

/** The check type a check key is probed in: the first that admits it. */
function checkTypeFor(key: string): string {
  const type = CHECK_TYPES.find((t) => (KEYS[`check${t.charAt(0).toUpperCase()}${t.slice(1)}` as keyof typeof KEYS] as readonly string[]).includes(key));
  return type ?? 'tcp';
}

/** Other keys a probed key needs beside it, as a rule between keys of check-config requires (undefined: removed). */
const CONTEXT: Readonly<Record<string, (value: unknown) => Obj>> = {
  'check.timeout': () => ({ interval: '1h' }),
  'check.min_replies': () => ({ count: 10 }),
  'check.dynamic_weight': () => ({ command: ['/bin/true'] }),
  'trackScript.timeout': () => ({ interval: '1h' }),
  'quorum.hysteresis': () => ({ min_up: 65535 }),
  'trackProcess.quorum_max': () => ({ quorum: 0 }),
  'trackProcess.match': () => ({ process: undefined, command_line: ['/usr/sbin/haproxy'] }),
  'virtualServer.tun_port': () => ({ forwarding: 'tun', tun_type: 'gue' }),
  'virtualServer.tun_type': () => ({ forwarding: 'tun', tun_port: 6080 }),
  'virtualServer.family': () => ({ fwmark: 1, address: undefined, port: undefined }),
  'virtualServer.ops': () => ({ protocol: 'udp' }),
  'virtualServer.scheduler_flags': (v) => ({ scheduler: String((v as string[])[0]).split('-')[0] }),
  'realServer.port': () => ({ '..forwarding': 'nat' }),
};

/** Keys whose range in spec.ts is narrower than the reader's first check, because a rule between keys narrows it. */
const NARROWER: Readonly<Record<string, string>> = {
  'quorum.hysteresis': 'an integer 0..65535', // then: less than min_up (at most 65535)
};

interface Probe {
  readonly value: unknown;
  /** check-config accepts it. */
  readonly ok: boolean;
  /** The schema refuses it (a duration's range is beyond a schema: it checks the form only). */
  readonly schemaRefuses: boolean;
}

const probe = (value: unknown, ok: boolean, schemaRefuses = !ok): Probe => ({ value, ok, schemaRefuses });

function probes(v: ValueType): Probe[] {
  switch (v.t) {
    case 'int':
      return [probe(v.min, true), probe(v.max, true), probe(v.min - 1, false), probe(v.max + 1, false)];
    case 'bool':
      return [probe(true, true), probe(false, true), probe('yes', false)];
    case 'enum':
      return [...v.values.map((value) => probe(value, true)), probe('no-such-choice', false)];
    case 'duration': {
      const step = v.step ?? 1;
      const out = [probe(`${v.min}ms`, true), probe(`${v.max}ms`, true), probe(`${v.max + step}ms`, false, false), probe(String(v.max), false)];
      if (v.min - step >= 0) out.push(probe(`${v.min - step}ms`, false, false));
      if (step > 1) out.push(probe(`${v.min + 1}ms`, false, false));
      return out;
    }
    case 'list':
      return v.item.t === 'enum' ? probes(v.item).map((p) => ({ ...p, value: [p.value] })) : [];
    default:
      return [];
  }
}

function at(root: Obj, path: Path): Obj {
  let node: unknown = root;
  for (const seg of path) node = (node as Obj)[seg as string];
  return node as Obj;
}

function pathText(path: Path): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc === '' ? seg : `${acc}.${seg}`), '');
}

/** The probed file, the validator's path and the schema's pointer of the key. */
function placed(m: MappingName, key: string, value: unknown): { text: string; path: string; pointer: string } {
  const root = structuredClone(FULL);
  const where = WHERE[m];
  if (m === 'check') at(root, where.slice(0, -1)).check = { type: checkTypeFor(key) };
  const target = at(root, where);
  const parent = at(root, where.slice(0, -2));
  for (const [k, v] of Object.entries(CONTEXT[`${m}.${key}`]?.(value) ?? {})) {
    const [obj, name] = k.startsWith('..') ? [parent, k.slice(2)] : [target, k];
    if (v === undefined) Reflect.deleteProperty(obj, name);
    else obj[name] = v;
  }
  target[key] = value;
  const full = [...where, key];
  return { text: stringify(root), path: pathText(full), pointer: `/${full.join('/')}` };
}

const probeCases = mappings.flatMap((m) =>
  Object.entries<KeySpec>(SPEC[m]).flatMap(([key, k]) => probes(k.type).map((p) => [`${m}.${key}`, JSON.stringify(p.value), p.ok, p.schemaRefuses, m, key, p.value] as const)),
);

describe('every range and choice of spec.ts holds in check-config and in the schema', () => {
  it('the probed file passes both as it is', () => {
    const text = stringify(FULL);
    expect(checkConfigErrors(text)).toEqual([]);
    expect(schemaErrors(text)).toEqual([]);
  });

  it('probes every int, duration, boolean and choice key', () => {
    expect(probeCases.length).toBeGreaterThan(300);
  });

  test.each(probeCases)('%s = %s: check-config accepts it: %s; the schema refuses it: %s', (_name, _shown, ok, schemaRefuses, m, key, value) => {
    const { text, path, pointer } = placed(m, key, value);
    const byValidator = checkConfigErrors(text).filter((e) => e.path === path || e.path.startsWith(`${path}[`));
    const bySchema = schemaErrors(text).filter((e) => e.instancePath === pointer || e.instancePath.startsWith(`${pointer}/`));
    expect(byValidator.length === 0, `check-config: ${JSON.stringify(byValidator)}`).toBe(ok);
    expect(bySchema.length > 0, `schema: ${JSON.stringify(bySchema)}`).toBe(schemaRefuses);
    // What check-config says it expected is spec.ts's range or list of choices, word for word:
    // a choice added to a reader's oneOf([...]) but not to spec.ts fails here.
    const choices = (x: string): string => (x.startsWith('one of ') ? `one of ${x.slice(7).split(', ').sort().join(', ')}` : x);
    const said = byValidator.map((e) => choices(e.expected ?? '')).filter((x) => /^(an integer |one of )/.test(x));
    const t = SPEC[m][key as never] as KeySpec;
    const inner = t.type.t === 'list' ? t.type.item : t.type;
    const wanted = inner.t === 'int' ? `an integer ${inner.min}..${inner.max}` : inner.t === 'enum' ? choices(`one of ${inner.values.join(', ')}`) : '';
    for (const x of said) expect(x).toBe(NARROWER[`${m}.${key}`] ?? wanted);
    if (!ok && inner.t === 'enum') expect(said).toEqual([wanted]);
  });
});

describe('the address patterns agree with the validator', () => {
  const samples = [
    '10.0.0.1', '0.0.0.0', '255.255.255.255', '256.0.0.1', '10.0.0', '10.0.0.01', '1.2.3.4.5', '::', '::1', '2001:db8::1', 'fe80::1',
    '2001:db8:0:0:0:0:0:1', '2001:db8::0:1:2:3:4', '::ffff:10.0.0.1', '64:ff9b::192.0.2.33', '2001:db8:::1', '2001:db8::1::2', '12345::',
    '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', 'g::1', ':1', '1:', 'localhost', '',
  ];
  const accepts = (v: ValueType, text: string): boolean => ajv.validate(typeSchema(v), text);

  test.each(samples)('%s', (text) => {
    expect(accepts(T.address, text), 'address').toBe(text !== '' && isIP(text) !== 0 && parseIp(text).ok);
    for (const suffix of ['', '/1', '/24', '/32', '/33', '/64', '/128', '/129', '/0']) {
      const p = `${text}${suffix}`;
      expect(accepts(T.prefix, p), p).toBe(text !== '' && parsePrefix(p).ok);
    }
  });
});

// --- the defaults of spec.ts are the ones docs/configuration.md states -------------------------------

const docs = readFileSync(join(repo, 'docs', 'configuration.md'), 'utf8');

/** Table rows `| `key` | type | default | meaning |` of docs/configuration.md by heading. */
function docRows(): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let heading = '';
  for (const line of docs.split('\n')) {
    const h = /^#{2,3} (.*)$/.exec(line);
    if (h) heading = h[1] ?? '';
    const row = /^\| `([a-z0-9_.]+)` \|(.*)\|$/.exec(line);
    if (!row) continue;
    const cells = (row[2] ?? '').split(/(?<!\\)\|/).map((c) => c.trim());
    const rows = out.get(heading) ?? new Map<string, string[]>();
    rows.set(row[1] ?? '', cells);
    out.set(heading, rows);
  }
  return out;
}

const HEADINGS: Partial<Record<MappingName, string>> = {
  top: 'Top level', control: '`control`', vrrp: '`vrrp`', instance: '`vrrp.instances[]`', track: '`track`', announce: '`announce`', notify: '`notify`', vmac: '`vmac`',
  syncGroup: '`vrrp.sync_groups[]`', ipvsSync: '`ipvs_sync`', ipvs: '`ipvs`', ipvsTimeouts: '`ipvs`', virtualServer: '`virtual_servers`',
  realServer: '`real_servers[]`', check: '`check`', scripts: '`scripts`', alert: '`alerts`', ecmp: '`ecmp`',
};
/** Mappings documented inside a cell of their parent's row. */
const INLINE: Partial<Record<MappingName, readonly [string, string]>> = {
  trackInterface: ['`track`', 'interfaces'], trackScript: ['`track`', 'scripts'], trackVirtualServer: ['`track`', 'virtual_servers'],
  trackRoute: ['`track`', 'routes'], trackProcess: ['`track`', 'processes'], trackFile: ['`track`', 'files'],
  persistence: ['`virtual_servers`', 'persistence'], quorum: ['`virtual_servers`', 'quorum'], fullnat: ['`virtual_servers`', 'fullnat'],
};

function shown(d: NonNullable<KeySpec['default']>): string {
  return Array.isArray(d) ? JSON.stringify(d) : String(d);
}

const defaultCases = mappings.flatMap((m) =>
  Object.entries<KeySpec>(SPEC[m]).flatMap(([key, k]) => (k.default === undefined ? [] : [[`${m}.${key}`, m, key, k.default] as const])),
);

describe('docs/configuration.md', () => {
  const rows = docRows();

  test.each(defaultCases)('states the default of %s', (_name, m, key, d) => {
    const inline = INLINE[m];
    if (inline) {
      const cell = (rows.get(inline[0])?.get(inline[1]) ?? []).join(' | ');
      expect(cell, `${inline[1]} row`).toMatch(new RegExp(`(\`${key}\`[^|]*?default \`${shown(d)}\`)|(${key}: ${shown(d)}\\b)`));
      return;
    }
    const heading = HEADINGS[m] ?? '';
    const name = m === 'ipvsTimeouts' ? `timeouts.${key}` : key;
    const row = rows.get(heading)?.get(name);
    expect(row, `a row for ${name} under ${heading}`).toBeDefined();
    expect(row?.[1], `the default column of ${name}`).toContain(`\`${shown(d)}\``);
  });

  test.each(mappings.filter((m) => HEADINGS[m] !== undefined))('has a row for every key of %s', (m) => {
    const heading = HEADINGS[m] ?? '';
    const missing = Object.keys(SPEC[m]).map((k) => (m === 'ipvsTimeouts' ? `timeouts.${k}` : k)).filter((k) => {
      const documented = rows.get(heading);
      // A mapping documented by its keys' rows (`timeouts.tcp`) counts for the mapping's key.
      return !documented?.has(k) && ![...(documented?.keys() ?? [])].some((r) => r.startsWith(`${k}.`));
    });
    expect(missing).toEqual([]);
  });
});
