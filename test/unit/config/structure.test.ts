/**
 * Structure of the file: YAML syntax, unknown and missing keys, wrong types,
 * defaults, immutability, and "every error at once".
 */
import { describe, expect, test } from 'vitest';
import { formatIssue } from '../../../src/config/format.js';
import { validateConfigText } from '../../../src/config/validate.js';
import { invalid, locate, oneIssue, valid, withInstance, withVirtualServer } from './helpers.js';

describe('YAML syntax', () => {
  test('a syntax error is located and stops validation (no cascade)', () => {
    const text = 'node: director-a\nvrrp:\n  instances: [\n    - name: web\nbogus: [\n';
    const errors = invalid(text);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.message).toMatch(/^YAML syntax error: /);
      expect(e.line).toBeGreaterThanOrEqual(3);
      expect(e.column).toBeGreaterThanOrEqual(1);
    }
  });

  test('bad indentation points at its line', () => {
    const text = 'node: director-a\nvrrp:\n  instances: []\n sync_groups: []\n';
    const e = invalid(text)[0];
    expect(e?.line).toBe(4);
  });

  test('a duplicate key is an error at the second occurrence, and validation goes on', () => {
    const text = 'node: director-a\nnode: director-b\nvrrp: { ipv4_checksum: crc32 }\n';
    const errors = invalid(text);
    expect(errors.map((e) => [e.line, e.column, e.message])).toEqual([
      [2, 1, "duplicate key 'node' (each key may appear once in a mapping)"],
      [3, 24, 'must be one of rfc9568, rfc5798'],
    ]);
  });

  test('two documents in one file are refused', () => {
    const e = oneIssue('node: a\n---\nnode: b\n');
    expect(e.message).toContain('multiple documents');
    expect(e.line).toBe(2);
  });

  test('an empty file and a non-mapping file are refused at line 1', () => {
    expect(oneIssue('').message).toContain('the file is empty');
    expect(oneIssue('# only a comment\n').message).toContain('the file is empty');
    const list = oneIssue('- node: a\n');
    expect([list.line, list.message]).toEqual([1, 'must be a mapping of top-level keys (node, vrrp, virtual_servers, ...)']);
  });

  test('unknown tags are refused', () => {
    expect(oneIssue('node: !secret director-a\n').message).toContain('Unresolved tag');
  });

  test('aliases are followed; merge keys are refused with a hint', () => {
    const text = 'node: director-a\nvirtual_servers:\n  - name: a\n    address: 10.0.0.100\n    port: 80\n    check: &chk { type: tcp, interval: 5s }\n    real_servers: [{ address: 10.0.0.11 }]\n  - name: b\n    address: 10.0.0.100\n    port: 81\n    check: *chk\n    real_servers: [{ address: 10.0.0.11 }]\n';
    const config = valid(text);
    expect(config.virtualServers[1]?.realServers[0]?.check).toMatchObject({ type: 'tcp', intervalMs: 5000 });
    const merged = text.replace('    check: *chk', '    check: { <<: *chk, rise: 1 }');
    expect(oneIssue(merged).message).toContain('merge keys (<<) are not supported');
  });
});

describe('unknown keys', () => {
  test('a misspelled key at the top level gets a suggestion and its exact position', () => {
    const text = 'node: director-a\nvirtual_server: []\n';
    const e = oneIssue(text);
    expect([e.line, e.column, e.path, e.message]).toEqual([2, 1, 'virtual_server', "unknown key 'virtual_server'; did you mean 'virtual_servers'?"]);
  });

  test('suggestions at every depth: instance, track, check, real server, alert', () => {
    const cases: [string, string, string][] = [
      [withInstance('advert_int: 1s'), 'vrrp.instances[0].advert_int', 'advert_interval'],
      [withInstance('track: { interface: [] }'), 'vrrp.instances[0].track.interface', 'interfaces'],
      [withVirtualServer('address: 10.0.0.100\nport: 80\ncheck: { type: http, expect_code: [200] }'), 'virtual_servers[0].check.expect_code', 'expect_body'],
      [withVirtualServer('address: 10.0.0.100\nport: 80', '- { adress: 10.0.0.11 }'), 'virtual_servers[0].real_servers[0].adress', 'address'],
      ['node: a\nalerts: [{ name: x, type: exec, comand: [/bin/true] }]\n', 'alerts[0].comand', 'command'],
    ];
    for (const [text, path, guess] of cases) {
      const hit = invalid(text).find((e) => e.path === path);
      expect(hit?.message, path).toContain(`did you mean '${guess}'?`);
    }
  });

  test('a key with no close match lists the allowed keys', () => {
    const e = oneIssue('node: a\ncontrol: { sockett_dir_path: /run/x }\n');
    expect(e.message).toBe("unknown key 'sockett_dir_path' (allowed here: socket, metrics_listen, readonly_group)");
  });

  test('a misspelled required key is reported once, not also as missing', () => {
    const text = withInstance().replace('vrid: 51', 'vird: 51');
    const e = oneIssue(text);
    expect(e.message).toBe("unknown key 'vird'; did you mean 'vrid'?");
  });
});

describe('types and required keys', () => {
  test('a missing required key is reported at its mapping', () => {
    const text = withInstance().replace('      vrid: 51\n', '');
    const e = oneIssue(text);
    expect([e.path, e.message, e.line]).toEqual(['vrrp.instances[0].vrid', "missing required key 'vrid'", 4]);
  });

  test('node is required', () => {
    expect(oneIssue('vrrp: {}\n').message).toBe("missing required key 'node'");
  });

  test('an empty value for a required key is reported at the key', () => {
    const e = oneIssue('node:\n');
    expect([e.line, e.column, e.message]).toEqual([1, 1, "'node' needs a value"]);
  });

  test('wrong types say what was expected and what was found', () => {
    const cases: [string, string, string][] = [
      [withInstance('preempt: yes'), 'must be true or false', "'yes'"],
      [withInstance('priority: "150"'), 'must be an integer 1..255', "'150'"],
      [withInstance('priority: 1.5'), 'must be an integer 1..255', '1.5'],
      [withInstance('track: []'), 'must be a mapping (key: value)', 'a list'],
      [withInstance('unicast_peers: 10.0.0.2'), 'must be a list', "'10.0.0.2'"],
      ['node: 42\n', 'must be a string (quote it)', '42'],
    ];
    for (const [text, message, found] of cases) {
      const e = oneIssue(text);
      expect([e.message, e.found]).toEqual([message, found]);
    }
  });

  test('an empty list entry is an error', () => {
    const e = oneIssue(withInstance('unicast_peers: [10.0.0.2, ~]'));
    expect(e.message).toBe('list entries must not be empty');
  });

  test('durations must carry a unit', () => {
    const e = oneIssue(withInstance('advert_interval: 1'));
    expect(e.message).toContain('a bare number has no unit');
    expect(e.found).toBe('1');
  });
});

describe('all errors at once, in file order', () => {
  test('errors from different sections are all reported, sorted by line', () => {
    const text = [
      'node: director-a',
      'control: { socket: run/ctl.sock }',
      'vrrp:',
      '  instances:',
      '    - { name: web, interface: eth0, vrid: 0, virtual_addresses: [10.0.0.100/24] }',
      'ipvs: { timeouts: { tcp: 900 } }',
      'alerts: [{ name: ops, type: webhook, url: "ftp://x" }]',
      '',
    ].join('\n');
    const errors = invalid(text);
    expect(errors.map((e) => e.line)).toEqual([2, 5, 6, 7]);
    expect(errors.map((e) => e.path)).toEqual(['control.socket', 'vrrp.instances[0].vrid', 'ipvs.timeouts.tcp', 'alerts[0].url']);
  });

  test('the human format is file:line:column: path: message (found ...)', () => {
    const text = withInstance().replace('vrid: 51', 'vrid: 256');
    const r = validateConfigText(text, 'director-a.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const at = locate(text, '256');
    expect(r.errors.map(formatIssue)).toEqual([`director-a.yaml:${at.line}:${at.column}: vrrp.instances[0].vrid: must be an integer 1..255 (found 256)`]);
  });
});

describe('the result', () => {
  test('defaults are applied', () => {
    const config = valid(withInstance('', 'virtual_servers:\n  - { name: s, address: 10.0.0.100, port: 80, real_servers: [{ address: 10.0.0.11 }] }\nalerts: [{ name: h, type: webhook, url: "https://h.example.net/x" }]\n'));
    expect(config.control).toEqual({ socketPath: '/run/lvs-ha/control.sock', metricsListen: null, readonlyGroup: null });
    expect(config.vrrp.ipv4Checksum).toBe('rfc5798');
    expect(config.vrrp.instances[0]).toMatchObject({
      family: 'ipv4',
      priority: 100,
      advertIntervalMs: 1000,
      preempt: true,
      preemptDelayMs: 0,
      acceptMode: true,
      unicastPeers: [],
      unicastSource: null,
      allowedPeers: [],
      track: { interfaces: [], scripts: [], virtualServers: [], routes: [], processes: [], files: [] },
      announce: { repeat: 5, intervalMs: 10, refreshMs: 0 },
      notify: null,
    });
    expect(config.ipvsSync).toBeNull();
    expect(config.ipvs.timeouts).toEqual({ tcpS: 900, tcpFinS: 120, udpS: 300 });
    expect(config.scripts.user).toBe('lvs-ha-script');
    expect(config.virtualServers[0]).toMatchObject({
      key: { kind: 'address', address: { text: '10.0.0.100', family: 'ipv4' }, port: 80, protocol: 'tcp' },
      scheduler: 'wlc',
      schedulerFlags: [],
      persistence: null,
      forwarding: { method: 'dr' },
      onFailure: 'inhibit',
      quorum: { minUp: 1, hysteresis: 0 },
      sorryServer: null,
      realServers: [{ address: { text: '10.0.0.11', family: 'ipv4' }, port: 80, weight: 1, upperThreshold: 0, lowerThreshold: 0, check: null }],
    });
    expect(config.alerts[0]).toMatchObject({ events: expect.arrayContaining(['vrrp_transition', 'reconcile_error']) as unknown, minIntervalMs: 0, timeoutMs: 5000, retries: 3, headers: {} });
  });

  test('the config is deeply frozen', () => {
    const config = valid(withInstance('track: { interfaces: [{ name: eth1 }] }'));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.vrrp.instances)).toBe(true);
    expect(Object.isFrozen(config.vrrp.instances[0]?.track.interfaces[0])).toBe(true);
    expect(Object.isFrozen(config.vrrp.instances[0]?.virtualAddresses[0])).toBe(true);
    expect(() => {
      (config.vrrp.instances as unknown as unknown[]).push({});
    }).toThrow(TypeError);
    expect(() => {
      (config as unknown as { node: string }).node = 'x';
    }).toThrow(TypeError);
  });
});

describe('formatIssue', () => {
  const base = { file: 'f.yaml', line: 3, column: 5, path: 'a.b' };
  test('appends what was found, unless the message already quotes it', () => {
    expect(formatIssue({ ...base, message: 'must be less than min_up (1)', found: '1' })).toBe('f.yaml:3:5: a.b: must be less than min_up (1) (found 1)');
    expect(formatIssue({ ...base, message: "unknown key 'x'", found: "'x'" })).toBe("f.yaml:3:5: a.b: unknown key 'x'");
    expect(formatIssue({ ...base, message: 'needs a value' })).toBe('f.yaml:3:5: a.b: needs a value');
  });

  test('file-level issues have no position; YAML issues no path', () => {
    expect(formatIssue({ file: 'f.yaml', line: 0, column: 0, path: '', message: 'no such file' })).toBe('f.yaml: no such file');
    expect(formatIssue({ ...base, path: '', message: 'YAML syntax error: x' })).toBe('f.yaml:3:5: YAML syntax error: x');
  });
});
