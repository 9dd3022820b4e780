/** The vrrp section: instances, VRIDs, families, unicast, tracking, sync groups. */
import { describe, expect, test } from 'vitest';
import { invalid, locate, oneIssue, valid, withInstance } from './helpers.js';

/** Two instances on the given interfaces/VRIDs/addresses. */
function twoInstances(a: string, b: string): string {
  return `node: d\nvrrp:\n  instances:\n    - { name: one, ${a} }\n    - { name: two, ${b} }\n`;
}

describe('instance values', () => {
  test.each([
    ['vrid: 0', 'vrid', 'must be an integer 1..255'],
    ['vrid: 256', 'vrid', 'must be an integer 1..255'],
    ['priority: 0', 'priority', 'must be an integer 1..255'],
    ['priority: 256', 'priority', 'must be an integer 1..255'],
    ['advert_interval: 5ms', 'advert_interval', 'must be a duration 10ms..40950ms in whole centiseconds'],
    ['advert_interval: 41s', 'advert_interval', 'must be a duration 10ms..40950ms in whole centiseconds'],
    ['advert_interval: 15ms', 'advert_interval', 'must be a duration 10ms..40950ms in whole centiseconds'],
    ['interface: this-name-is-too-long', 'interface', "must be an interface name of 1..15 characters without '/', ':' or whitespace"],
    ['name: "web server"', 'name', 'must be a name of 1..64 characters: letters, digits, _ . - (starting with a letter or digit)'],
  ])('%s is refused', (line, key, message) => {
    const [field] = line.split(':');
    const text = withInstance().replace(new RegExp(`^(      |    - )${field ?? ''}: .*$`, 'm'), `$1${line}`);
    const base = text.includes(line) ? text : withInstance(line);
    const e = oneIssue(base);
    expect([e.path, e.message]).toEqual([`vrrp.instances[0].${key}`, message]);
    expect(e.line).toBe(locate(base, line).line);
  });

  test.each([
    ['vrid: 1', { vrid: 1 }],
    ['vrid: 255', { vrid: 255 }],
    ['priority: 255', { priority: 255 }],
    ['advert_interval: 10ms', { advertIntervalMs: 10 }],
    ['advert_interval: 40950ms', { advertIntervalMs: 40_950 }],
    ['advert_interval: 1.5s', { advertIntervalMs: 1500 }],
    ['preempt_delay: 30s', { preemptDelayMs: 30_000 }],
    ['accept_mode: true', { acceptMode: true }],
  ])('%s is accepted', (line, expected) => {
    const [field] = line.split(':');
    const text = withInstance().replace(new RegExp(`^      ${field ?? ''}: .*$`, 'm'), `      ${line}`);
    const config = valid(text.includes(line) ? text : withInstance(line));
    expect(config.vrrp.instances[0]).toMatchObject(expected);
  });

  test('virtual_addresses is required and must not be empty', () => {
    expect(oneIssue(withInstance().replace('      virtual_addresses: [10.0.0.100/24]\n', '')).message).toBe("missing required key 'virtual_addresses'");
    expect(oneIssue(withInstance().replace('[10.0.0.100/24]', '[]')).message).toBe('must list at least one virtual address');
  });

  test('virtual addresses must be unicast host addresses and distinct', () => {
    expect(oneIssue(withInstance().replace('[10.0.0.100/24]', '[10.0.0.100/24, 224.0.0.5]')).message).toBe('a virtual address must be a unicast host address, not a multicast address');
    const dup = withInstance().replace('[10.0.0.100/24]', '[10.0.0.100/24, 10.0.0.100/32]');
    const e = oneIssue(dup);
    expect(e.message).toMatch(/^duplicate virtual address 10\.0\.0\.100 \(first at line 7/);
  });

  test('preempt contradictions', () => {
    expect(oneIssue(withInstance('priority: 255\npreempt: false')).message).toContain('the address owner (priority 255) always preempts');
    expect(oneIssue(withInstance('preempt: false\npreempt_delay: 10s')).message).toContain('preempt_delay has no effect with preempt: false');
    valid(withInstance('preempt: false\npreempt_delay: 0s'));
  });

  test('accept_mode: false contradicts the address owner; default true', () => {
    const e = oneIssue(withInstance('priority: 255\naccept_mode: false'));
    expect(e.message).toContain('the address owner (priority 255) always accepts');
    expect(e.path).toBe('vrrp.instances[0].accept_mode');
    expect(valid(withInstance('priority: 255')).vrrp.instances[0]?.acceptMode).toBe(true);
    expect(valid(withInstance('accept_mode: false')).vrrp.instances[0]?.acceptMode).toBe(false);
  });
});

describe('address families', () => {
  test("the instance family is that of its virtual addresses; IPv6 works everywhere", () => {
    const text = withInstance('unicast_peers: ["fe80::2", "2001:db8::2"]\nunicast_source: "2001:db8::1"').replace('[10.0.0.100/24]', '["2001:DB8:10::100/64"]');
    const i = valid(text).vrrp.instances[0];
    expect(i?.family).toBe('ipv6');
    expect(i?.virtualAddresses).toEqual([{ text: '2001:db8:10::100', family: 'ipv6', prefixLength: 64 }]);
    expect(i?.unicastPeers.map((p) => p.text)).toEqual(['fe80::2', '2001:db8::2']);
    expect(i?.unicastSource).toEqual({ text: '2001:db8::1', family: 'ipv6' });
  });

  test('mixed families among virtual addresses are refused at the odd one out', () => {
    const text = withInstance().replace('[10.0.0.100/24]', '[10.0.0.100/24, "2001:db8::100/64"]');
    const e = oneIssue(text);
    expect(e.path).toBe('vrrp.instances[0].virtual_addresses[1]');
    expect(e.message).toContain('mixed address families in one instance: this virtual address is IPv6 but the instance is IPv4');
  });

  test('unicast peers and source must have the instance family', () => {
    const peer = oneIssue(withInstance('unicast_peers: ["2001:db8::2"]'));
    expect([peer.path, peer.message]).toEqual(['vrrp.instances[0].unicast_peers[0]', expect.stringContaining('this unicast peer is IPv6 but the instance is IPv4') as unknown]);
    const source = oneIssue(withInstance('unicast_peers: [10.0.0.2]\nunicast_source: "::1:2"'));
    expect(source.path).toBe('vrrp.instances[0].unicast_source');
  });

  test('unicast rules: source needs peers, peers are not VIPs, no duplicates', () => {
    expect(oneIssue(withInstance('unicast_source: 10.0.0.1')).message).toContain('unicast_source needs unicast_peers');
    expect(oneIssue(withInstance('unicast_peers: [10.0.0.100]')).message).toBe('a unicast peer cannot be one of the virtual addresses');
    expect(oneIssue(withInstance('unicast_peers: [10.0.0.2, 10.0.0.2]')).message).toMatch(/^duplicate unicast peer 10\.0\.0\.2/);
    expect(oneIssue(withInstance('unicast_peers: [10.0.0.2]\nunicast_source: 10.0.0.2')).message).toBe('unicast_source cannot also be a unicast peer');
    expect(oneIssue(withInstance('unicast_peers: [0.0.0.0]')).message).toContain('not the unspecified address');
  });
});

describe('vrrp.ipv6_addresses', () => {
  const v6 = (top: string): string => withInstance().replace('[10.0.0.100/24]', '["2001:db8::100/64"]').replace('vrrp:\n', `vrrp:\n${top}`);

  test('defaults to rfc9568; keepalived and rfc9568 are accepted', () => {
    expect(valid(v6('')).vrrp.ipv6Addresses).toBe('rfc9568');
    expect(valid(v6('  ipv6_addresses: keepalived\n')).vrrp.ipv6Addresses).toBe('keepalived');
    expect(valid(v6('  ipv6_addresses: rfc9568\n')).vrrp.ipv6Addresses).toBe('rfc9568');
  });

  test('another value is refused at its position, naming the values', () => {
    const text = v6('  ipv6_addresses: keepalive\n');
    const e = oneIssue(text);
    expect([e.path, e.message, e.line, e.column]).toEqual(['vrrp.ipv6_addresses', 'must be one of rfc9568, keepalived', locate(text, 'keepalive').line, locate(text, 'keepalive').column]);
    expect(oneIssue(v6('  ipv6_addresses: true\n')).message).toBe('must be one of rfc9568, keepalived');
  });

  test('a misspelt key gets a did-you-mean', () => {
    expect(oneIssue(v6('  ipv6_address: keepalived\n')).message).toContain("did you mean 'ipv6_addresses'");
  });
});

describe('allowed_peers (multicast mode)', () => {
  test('a list of addresses of the instance family; empty when not set', () => {
    expect(valid(withInstance('allowed_peers: [10.0.0.2, 10.0.0.3]')).vrrp.instances[0]?.allowedPeers.map((p) => p.text)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(valid(withInstance()).vrrp.instances[0]?.allowedPeers).toEqual([]);
    const v6 = withInstance('allowed_peers: ["FE80::2"]').replace('[10.0.0.100/24]', '["2001:db8:10::100/64"]');
    expect(valid(v6).vrrp.instances[0]?.allowedPeers).toEqual([{ text: 'fe80::2', family: 'ipv6' }]);
  });

  test('a peer of the other family is refused where it stands', () => {
    const text = withInstance('allowed_peers: [10.0.0.2, "fe80::2"]');
    const e = oneIssue(text);
    expect([e.path, e.line]).toEqual(['vrrp.instances[0].allowed_peers[1]', locate(text, 'allowed_peers').line]);
    expect(e.message).toContain('this allowed peer is IPv6 but the instance is IPv4');
  });

  test('duplicates, an empty list and non-unicast addresses are refused', () => {
    const dup = oneIssue(withInstance('allowed_peers: [10.0.0.2, 10.0.0.2]'));
    expect([dup.path, dup.message]).toEqual(['vrrp.instances[0].allowed_peers[1]', expect.stringMatching(/^duplicate allowed peer 10\.0\.0\.2/) as unknown]);
    expect(oneIssue(withInstance('allowed_peers: []')).message).toContain('omit allowed_peers to hear adverts from any source');
    expect(oneIssue(withInstance('allowed_peers: [224.0.0.18]')).message).toContain('must be a unicast host address');
  });

  test('IPv6: an allowed peer must be link-local (multicast adverts come from link-local sources)', () => {
    const text = withInstance('allowed_peers: ["2001:db8::2"]').replace('[10.0.0.100/24]', '["2001:db8:10::100/64"]');
    const e = oneIssue(text);
    expect([e.path, e.message]).toEqual(['vrrp.instances[0].allowed_peers[0]', expect.stringContaining('must be in fe80::/10') as unknown]);
  });

  test('together with unicast_peers: refused, saying why', () => {
    const text = withInstance('unicast_peers: [10.0.0.2]\nallowed_peers: [10.0.0.2]');
    const e = oneIssue(text);
    expect(e.path).toBe('vrrp.instances[0].allowed_peers');
    expect(e.line).toBe(locate(text, 'allowed_peers').line);
    expect(e.message).toContain('allowed_peers is for multicast mode; with unicast_peers the instance already hears only its unicast peers');
  });
});

describe('duplicates across instances', () => {
  test('the same VRID on the same interface and family is refused at the second instance', () => {
    const text = twoInstances('interface: eth0, vrid: 5, virtual_addresses: [10.0.0.1]', 'interface: eth0, vrid: 5, virtual_addresses: [10.0.0.2]');
    const e = oneIssue(text);
    expect([e.line, e.path]).toEqual([5, 'vrrp.instances[1].vrid']);
    expect(e.message).toBe('duplicate VRID 5 on eth0 (IPv4) (first at line 4, vrrp.instances[0].vrid)');
  });

  test('the same VRID is fine on another interface or in the other family', () => {
    valid(twoInstances('interface: eth0, vrid: 5, virtual_addresses: [10.0.0.1]', 'interface: eth1, vrid: 5, virtual_addresses: [10.0.1.1]'));
    valid(twoInstances('interface: eth0, vrid: 5, virtual_addresses: [10.0.0.1]', 'interface: eth0, vrid: 5, virtual_addresses: ["2001:db8::1"]'));
  });

  test('instance names and virtual addresses are unique across instances', () => {
    const names = `node: d\nvrrp:\n  instances:\n    - { name: web, interface: eth0, vrid: 1, virtual_addresses: [10.0.0.1] }\n    - { name: web, interface: eth0, vrid: 2, virtual_addresses: [10.0.0.2] }\n`;
    expect(oneIssue(names).message).toMatch(/^duplicate instance name web/);
    const vips = twoInstances('interface: eth0, vrid: 1, virtual_addresses: [10.0.0.1]', 'interface: eth1, vrid: 2, virtual_addresses: [10.0.0.1/24]');
    expect(oneIssue(vips).message).toBe("virtual address 10.0.0.1 is already in instance 'one' (line 4, vrrp.instances[0].virtual_addresses[0]); an address belongs to one instance");
  });
});

describe('track, announce, notify', () => {
  test('a full track block is read', () => {
    const text = withInstance(
      'track:\n  interfaces: [{ name: eth1, weight: -60 }, { name: eth2 }]\n  scripts: [{ name: chk, command: [/usr/local/bin/chk, -q], interval: 2s, timeout: 1s, rise: 2, fall: 2, weight: -20 }]\n  virtual_servers: [{ name: http, weight: -100 }]',
      'virtual_servers:\n  - { name: http, address: 10.0.0.100, port: 80, real_servers: [{ address: 10.0.0.11 }] }\n',
    );
    expect(valid(text).vrrp.instances[0]?.track).toEqual({
      interfaces: [{ name: 'eth1', weight: -60 }, { name: 'eth2', weight: 0 }],
      scripts: [{ name: 'chk', command: ['/usr/local/bin/chk', '-q'], intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 2, weight: -20 }],
      virtualServers: [{ name: 'http', weight: -100 }],
      routes: [],
      processes: [],
      files: [],
    });
  });

  test('a tracked virtual server that does not exist is a dangling reference', () => {
    const text = withInstance('track: { virtual_servers: [{ name: htp }] }', 'virtual_servers:\n  - { name: http, address: 10.0.0.100, port: 80, real_servers: [{ address: 10.0.0.11 }] }\n');
    const e = oneIssue(text);
    expect([e.path, e.message, e.line]).toEqual(['vrrp.instances[0].track.virtual_servers[0].name', "unknown virtual server 'htp'; did you mean 'http'?", locate(text, 'htp').line]);
  });

  test('track rules: weights, duplicates, script timeout and argv', () => {
    expect(oneIssue(withInstance('track: { interfaces: [{ name: eth1, weight: -255 }] }')).message).toBe('must be an integer -254..254');
    expect(oneIssue(withInstance('track: { interfaces: [{ name: eth1 }, { name: eth1 }] }')).message).toMatch(/^duplicate tracked interface eth1/);
    expect(oneIssue(withInstance('track: { scripts: [{ name: c, command: [/bin/c], interval: 1s, timeout: 2s }] }')).message).toContain('must not be longer than the interval');
    expect(oneIssue(withInstance('track: { scripts: [{ name: c, command: "/bin/c --x" }] }')).message).toContain('(no shell is used)');
    expect(oneIssue(withInstance('track: { scripts: [{ name: c, command: [bin/c] }] }')).message).toBe('must be an absolute path to the program (no PATH lookup is done)');
    expect(oneIssue(withInstance('track: { scripts: [{ name: c, command: [] }] }')).message).toContain('must be a command as a list of arguments');
  });

  test('routes, processes and files are read with their defaults', () => {
    const text = withInstance(
      'track:\n  routes: [{ destination: 0.0.0.0/0 }, { destination: "2001:db8::/32", table: 100, expect: absent, weight: -30 }]\n' +
        '  processes: [{ name: hap, process: haproxy }, { name: app, command_line: [/usr/bin/python3, /srv/app.py], match: prefix, quorum: 2, quorum_max: 4, interval: 500ms, weight: -40 }]\n' +
        '  files: [{ name: prio, path: /run/prio }, { name: down, path: /run/down, weight: 0 }]',
    );
    expect(valid(text).vrrp.instances[0]?.track).toMatchObject({
      routes: [
        { name: '0.0.0.0/0 table 254', family: 'ipv4', destination: '0.0.0.0', prefixLength: 0, table: 254, expect: 'present', weight: 0 },
        { name: '2001:db8::/32 table 100', family: 'ipv6', destination: '2001:db8::', prefixLength: 32, table: 100, expect: 'absent', weight: -30 },
      ],
      processes: [
        { name: 'hap', process: 'haproxy', commandLine: null, match: 'exact', quorum: 1, quorumMax: null, weight: 0, intervalMs: 1000 },
        { name: 'app', process: null, commandLine: ['/usr/bin/python3', '/srv/app.py'], match: 'prefix', quorum: 2, quorumMax: 4, weight: -40, intervalMs: 500 },
      ],
      files: [{ name: 'prio', path: '/run/prio', weight: 1 }, { name: 'down', path: '/run/down', weight: 0 }],
    });
    expect(valid(withInstance('track: { routes: [{ destination: 10.0.0.0/8, table: local }] }')).vrrp.instances[0]?.track.routes[0]?.table).toBe(255);
  });

  test('route, process and file rules', () => {
    expect(oneIssue(withInstance('track: { routes: [{ destination: 10.1.2.0/16 }] }')).message).toContain('did you mean 10.1.0.0/16?');
    expect(oneIssue(withInstance('track: { routes: [{ destination: 10.1.0.0 }] }')).message).toContain('a network with a prefix length');
    expect(oneIssue(withInstance('track: { routes: [{ destination: 10.0.0.0/8, table: mian }] }')).message).toContain('a table id 1..4294967295 or one of main, local, default');
    expect(oneIssue(withInstance('track: { routes: [{ destination: 10.0.0.0/8, expect: gone }] }')).message).toContain('present');
    expect(oneIssue(withInstance('track: { routes: [{ destination: 10.0.0.0/8 }, { destination: 10.0.0.0/8, table: main }] }')).message).toMatch(/^duplicate tracked route/);
    expect(oneIssue(withInstance('track: { processes: [{ name: p }] }')).message).toBe('a tracked process needs exactly one of process (its name) or command_line');
    expect(oneIssue(withInstance('track: { processes: [{ name: p, process: x, command_line: [/bin/x] }] }')).message).toBe('a tracked process needs exactly one of process (its name) or command_line');
    expect(oneIssue(withInstance('track: { processes: [{ name: p, process: a-very-long-daemon-name }] }')).message).toContain('at most 15 bytes');
    expect(oneIssue(withInstance('track: { processes: [{ name: p, process: x, match: prefix }] }')).message).toContain('match applies to command_line only');
    expect(oneIssue(withInstance('track: { processes: [{ name: p, process: x, quorum: 3, quorum_max: 2 }] }')).message).toContain('must not be below quorum (3)');
    expect(oneIssue(withInstance('track: { processes: [{ name: p, command_line: [] }] }')).message).toContain('command_line must list at least the program');
    expect(oneIssue(withInstance('track: { files: [{ name: f, path: run/x }] }')).path).toBe('vrrp.instances[0].track.files[0].path');
    expect(oneIssue(withInstance('track: { files: [{ name: f, path: /run/x, weight: 255 }] }')).message).toBe('must be an integer -254..254');
    expect(oneIssue(withInstance('track: { files: [{ name: f, path: /run/x }, { name: f, path: /run/y }] }')).message).toMatch(/^duplicate tracked file name/);
  });

  test('vmac: true, a mapping, and its rules', () => {
    expect(valid(withInstance('vmac: true')).vrrp.instances[0]?.vmac).toEqual({ interface: 'vrrp.51', xmitBase: false });
    expect(valid(withInstance('vmac: false')).vrrp.instances[0]?.vmac).toBeNull();
    expect(valid(withInstance()).vrrp.instances[0]?.vmac).toBeNull();
    expect(valid(withInstance('vmac: { interface: vmac-web, xmit_base: true }')).vrrp.instances[0]?.vmac).toEqual({ interface: 'vmac-web', xmitBase: true });
    expect(oneIssue(withInstance('vmac: { interface: eth0 }')).message).toContain("must not be the instance's own interface eth0");
    expect(oneIssue(withInstance('vmac: { xmit: true }')).message).toContain("unknown key 'xmit'");
    expect(oneIssue(withInstance('vmac: yes please')).message).toContain('a mapping');
    expect(oneIssue(withInstance('vmac: true\nunicast_peers: [10.0.0.2]')).message).toContain('set vmac.xmit_base: true');
    expect(valid(withInstance('vmac: { xmit_base: true }\nunicast_peers: [10.0.0.2]')).vrrp.instances[0]?.vmac?.xmitBase).toBe(true);
    // IPv6: the same keys; the default name is vrrp6.VRID.
    const v6 = (extra: string): string => withInstance(extra).replace('[10.0.0.100/24]', '["2001:db8::100/64"]');
    expect(valid(v6('vmac: true')).vrrp.instances[0]?.vmac).toEqual({ interface: 'vrrp6.51', xmitBase: false });
    expect(valid(v6('vmac: { interface: vmac-web6, xmit_base: true }')).vrrp.instances[0]?.vmac).toEqual({ interface: 'vmac-web6', xmitBase: true });
    expect(oneIssue(v6('vmac: true\nunicast_peers: ["2001:db8::2"]')).message).toContain('set vmac.xmit_base: true');
    // An IPv4 and an IPv6 instance of one VRID get different default names; one name twice is refused.
    const pair = (second: string): string => withInstance('vmac: true', `    - { name: web6, interface: eth0, vrid: 51, virtual_addresses: ["2001:db8::100/64"], vmac: ${second} }`).replace('\n\n    - {', '\n    - {');
    expect(valid(pair('true')).vrrp.instances.map((i) => i.vmac?.interface)).toEqual(['vrrp.51', 'vrrp6.51']);
    const clash = oneIssue(pair('{ interface: vrrp.51 }'));
    expect(clash.message).toMatch(/^duplicate VMAC interface vrrp\.51 \(first at line 8, vrrp\.instances\[0\]\.vmac\)/);
  });

  test('announce and notify', () => {
    const i = valid(withInstance('announce: { repeat: 3, interval: 50ms, refresh: 1m }\nnotify: { command: [/usr/local/bin/n, x] }')).vrrp.instances[0];
    expect(i?.announce).toEqual({ repeat: 3, intervalMs: 50, refreshMs: 60_000 });
    expect(i?.notify).toEqual({ command: ['/usr/local/bin/n', 'x'], master: null, backup: null, fault: null, stop: null });
    const states = valid(withInstance('notify: { master: [/usr/local/bin/up], stop: [/usr/local/bin/down, now] }')).vrrp.instances[0];
    expect(states?.notify).toEqual({ command: null, master: ['/usr/local/bin/up'], backup: null, fault: null, stop: ['/usr/local/bin/down', 'now'] });
    expect(oneIssue(withInstance('announce: { repeat: 0 }')).message).toBe('must be an integer 1..100');
    expect(oneIssue(withInstance('notify: {}')).message).toBe('notify needs at least one of command, master, backup, fault, stop');
  });
});

describe('sync groups', () => {
  const three = `node: d
vrrp:
  instances:
    - { name: a, interface: eth0, vrid: 1, virtual_addresses: [10.0.0.1] }
    - { name: b, interface: eth1, vrid: 1, virtual_addresses: [10.0.1.1] }
    - { name: c, interface: eth2, vrid: 1, virtual_addresses: [10.0.2.1] }
  sync_groups:
`;

  test('a valid group', () => {
    const config = valid(`${three}    - { name: g, instances: [a, b] }\n`);
    expect(config.vrrp.syncGroups).toEqual([{ name: 'g', instances: ['a', 'b'] }]);
  });

  test('a dangling member is reported at the member', () => {
    const text = `${three}    - { name: g, instances: [a, x] }\n`;
    const e = oneIssue(text);
    expect([e.path, e.message, e.line, e.column]).toEqual(['vrrp.sync_groups[0].instances[1]', "unknown VRRP instance 'x' (instances: a, b, c)", 8, 33]);
  });

  test('an instance in two groups, a duplicate member, duplicate group names, an empty group', () => {
    expect(oneIssue(`${three}    - { name: g, instances: [a, b] }\n    - { name: h, instances: [c, a] }\n`).message).toContain("instance 'a' is already in another sync group (vrrp.sync_groups[0].instances[0])");
    expect(oneIssue(`${three}    - { name: g, instances: [a, a] }\n`).message).toMatch(/^duplicate member a/);
    expect(oneIssue(`${three}    - { name: g, instances: [a] }\n    - { name: g, instances: [b] }\n`).message).toMatch(/^duplicate sync group name g/);
    expect(oneIssue(`${three}    - { name: g, instances: [] }\n`).message).toBe('a sync group needs at least one instance');
  });

  test('a group may not share a name with an instance', () => {
    expect(oneIssue(`${three}    - { name: a, instances: [b, c] }\n`).message).toContain("sync group name 'a' is also an instance name");
  });

  test('several problems in one group are all reported', () => {
    const errors = invalid(`${three}    - { name: g, instances: [a, zz, a, yy] }\n`);
    expect(errors.map((e) => e.path)).toEqual(['vrrp.sync_groups[0].instances[1]', 'vrrp.sync_groups[0].instances[2]', 'vrrp.sync_groups[0].instances[3]']);
  });
});

describe('virtual_addresses_excluded', () => {
  test('is read next to the VIPs; without it an instance has none', () => {
    const c = valid(withInstance('virtual_addresses_excluded: [10.0.0.101, 10.0.0.102/24]'));
    const i = c.vrrp.instances[0];
    expect(i?.virtualAddresses.map((v) => v.text)).toEqual(['10.0.0.100']);
    expect(i?.excludedAddresses?.map((v) => `${v.text}/${String(v.prefixLength)}`)).toEqual(['10.0.0.101/32', '10.0.0.102/24']);
    expect(valid(withInstance()).vrrp.instances[0]?.excludedAddresses).toEqual([]);
  });

  test.each([
    ['virtual_addresses_excluded: ["2001:db8::1"]', 'virtual_addresses_excluded[0]', 'mixed address families in one instance: this virtual address is IPv6 but the instance is IPv4 (the family of its first virtual address)'],
    ['virtual_addresses_excluded: [224.0.0.5]', 'virtual_addresses_excluded[0]', 'a virtual address must be a unicast host address, not a multicast address'],
    ['virtual_addresses_excluded: [10.0.0.100/32]', 'virtual_addresses_excluded[0]', '10.0.0.100 is also in virtual_addresses (vrrp.instances[0].virtual_addresses[0], line 7); list an address in one of the two'],
    ['virtual_addresses_excluded: [10.0.0.7, 10.0.0.7]', 'virtual_addresses_excluded[1]', 'duplicate excluded virtual address 10.0.0.7 (first at line 8, vrrp.instances[0].virtual_addresses_excluded[0])'],
    ['virtual_addresses_excluded: []', 'virtual_addresses_excluded', 'must list at least one address (omit virtual_addresses_excluded for none)'],
    ['virtual_addresses_excluded: [10.0.0.300]', 'virtual_addresses_excluded[0]', ''],
  ])('%s is refused at its line', (line, path, message) => {
    const text = withInstance(line);
    const e = oneIssue(text);
    expect(e.path).toBe(`vrrp.instances[0].${path}`);
    if (message !== '') expect(e.message).toBe(message);
    expect(e.line).toBe(locate(text, 'virtual_addresses_excluded').line);
  });

  test('an excluded address belongs to one instance, as a VIP does; unicast peers are not one of them', () => {
    const clash = twoInstances('interface: eth0, vrid: 1, virtual_addresses: [10.0.0.1], virtual_addresses_excluded: [10.0.0.9]', 'interface: eth1, vrid: 2, virtual_addresses: [10.0.0.9]');
    expect(oneIssue(clash).message).toBe("virtual address 10.0.0.9 is already in instance 'one' (line 4, vrrp.instances[0].virtual_addresses_excluded[0]); an address belongs to one instance");
    const peer = oneIssue(withInstance('virtual_addresses_excluded: [10.0.0.9]\nunicast_peers: [10.0.0.9]'));
    expect(peer.message).toBe('a unicast peer cannot be one of the virtual addresses');
  });

  test('the advert limit (255 IPv4) does not apply; the sanity bound of 1024 does', () => {
    const list = (n: number): string => Array.from({ length: n }, (_, k) => `10.${String(1 + (k >> 8))}.${String(k & 255)}.1`).join(', ');
    expect(valid(withInstance(`virtual_addresses_excluded: [${list(1024)}]`)).vrrp.instances[0]?.excludedAddresses).toHaveLength(1024);
    const e = oneIssue(withInstance(`virtual_addresses_excluded: [${list(1025)}]`));
    expect([e.path, e.message]).toEqual(['vrrp.instances[0].virtual_addresses_excluded', 'at most 1024 excluded virtual addresses per instance']);
  });
});
