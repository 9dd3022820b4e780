/** control, ipvs_sync, ipvs, scripts and alerts. */
import { redactUrl } from '../../../src/config/redact.js';
import { describe, expect, test } from 'vitest';
import { oneIssue, valid, withInstance } from './helpers.js';

describe('control', () => {
  test('socket and metrics listener', () => {
    expect(valid('node: d\ncontrol: { socket: /run/x/ctl.sock, metrics_listen: "[::1]:9650" }\n').control).toEqual({ socketPath: '/run/x/ctl.sock', metricsListen: { host: '::1', port: 9650 }, readonlyGroup: null });
    expect(valid('node: d\ncontrol: { metrics_listen: 0.0.0.0:9100 }\n').control.metricsListen).toEqual({ host: '0.0.0.0', port: 9100 });
  });

  test('bad values', () => {
    expect(oneIssue('node: d\ncontrol: { socket: ctl.sock }\n').message).toBe("must be an absolute path starting with '/'");
    expect(oneIssue(`node: d\ncontrol: { socket: /${'x'.repeat(120)} }\n`).message).toBe('a Unix socket path must be at most 107 bytes');
    expect(oneIssue('node: d\ncontrol: { metrics_listen: "::1:9650" }\n').message).toContain("host:port with an IP address, e.g. '127.0.0.1:9650' or '[::1]:9650'");
    expect(oneIssue('node: d\ncontrol: { metrics_listen: 9650 }\n').message).toContain('host:port');
  });

  test('readonly_group: a system group name, not root', () => {
    expect(valid('node: d\ncontrol: { readonly_group: lvs-ha-ro }\n').control.readonlyGroup).toBe('lvs-ha-ro');
    expect(oneIssue('node: d\ncontrol: { readonly_group: root }\n').message).toContain('root is not a read-only group');
    expect(oneIssue('node: d\ncontrol: { readonly_group: "Ops Team" }\n').message).toContain('must be a system group name');
  });
});

describe('ipvs_sync', () => {
  const sync = (body: string): string => withInstance('', `ipvs_sync: { interface: eth1, follow: web${body} }\n`);

  test('defaults: group, port, ttl, max_len, and sync_id from the followed VRID', () => {
    expect(valid(sync('')).ipvsSync).toEqual({ interface: 'eth1', syncId: 51, follow: 'web', group: { text: '224.0.0.81', family: 'ipv4' }, port: 8848, ttl: 1, maxLen: 1472, backupWhileMaster: false });
  });

  test('explicit values, IPv6 group', () => {
    const s = valid(sync(', sync_id: 0, group: "ff02::81", port: 9000, ttl: 3, max_len: 9000, backup_while_master: true')).ipvsSync;
    expect(s).toEqual({ interface: 'eth1', syncId: 0, follow: 'web', group: { text: 'ff02::81', family: 'ipv6' }, port: 9000, ttl: 3, maxLen: 9000, backupWhileMaster: true });
  });

  test('follow must name an instance or a sync group', () => {
    const e = oneIssue(sync('').replace('follow: web', 'follow: wbe'));
    expect([e.path, e.message]).toEqual(['ipvs_sync.follow', "unknown VRRP instance or sync group 'wbe'; did you mean 'web'?"]);
    const group = withInstance('', 'ipvs_sync: { interface: eth1, follow: edge }\n').replace('vrrp:\n', 'vrrp:\n  sync_groups: [{ name: edge, instances: [web] }]\n');
    expect(valid(group).ipvsSync?.syncId).toBe(51);
    expect(oneIssue(withInstance('', 'ipvs_sync: { interface: eth1 }\n')).message).toBe("missing required key 'follow'");
  });

  test('range and multicast rules', () => {
    expect(oneIssue(sync(', group: 10.0.0.81')).message).toBe('must be a multicast group address (224.0.0.0/4 or ff00::/8)');
    expect(oneIssue(sync(', port: 0')).message).toBe('must be an integer 1..65535');
    expect(oneIssue(sync(', ttl: 0')).message).toBe('must be an integer 1..255');
    expect(oneIssue(sync(', ttl: 256')).message).toBe('must be an integer 1..255');
    expect(oneIssue(sync(', sync_id: 256')).message).toBe('must be an integer 0..255');
    expect(oneIssue(sync(', max_len: 1000')).message).toBe('must be an integer 1024..65507');
    expect(oneIssue(sync(', max_len: 65500, group: "ff02::81"')).message).toBe('must be an integer 1024..65487');
  });

  test('mixed-family real servers are refused while sync is configured', () => {
    const vs = 'virtual_servers:\n  - { name: t, address: 10.0.0.100, port: 80, forwarding: tun, real_servers: [{ address: "2001:db8::11" }] }\n';
    valid(withInstance('', vs));
    const e = oneIssue(withInstance('', `${vs}ipvs_sync: { interface: eth1, follow: web }\n`));
    expect(e.message).toContain('the kernel refuses a real server of another family than its service while connection sync runs');
  });
});

describe('ipvs and scripts', () => {
  test('timeouts in whole seconds', () => {
    expect(valid('node: d\nipvs: { timeouts: { tcp: 1h, tcp_fin: 30s, udp: 1m } }\n').ipvs.timeouts).toEqual({ tcpS: 3600, tcpFinS: 30, udpS: 60 });
    expect(oneIssue('node: d\nipvs: { timeouts: { tcp: 0s } }\n').message).toContain('must be a duration 1s..');
    expect(oneIssue('node: d\nipvs: { timeouts: { udp: 2500ms } }\n').message).toContain('in whole seconds');
    expect(oneIssue('node: d\nipvs: { timeouts: { tcp: 900 } }\n').message).toContain('a bare number has no unit');
    expect(oneIssue('node: d\nipvs: { timeouts: { tcpfin: 1m } }\n').message).toBe("unknown key 'tcpfin'; did you mean 'tcp_fin'?");
  });

  test('sloppy_tcp and sloppy_sctp: booleans; not set = the kernel value is left alone', () => {
    expect(valid('node: d\n').ipvs.sysctls).toEqual({ sloppyTcp: null, sloppySctp: null });
    expect(valid('node: d\nipvs: { sloppy_tcp: true, sloppy_sctp: false }\n').ipvs.sysctls).toEqual({ sloppyTcp: true, sloppySctp: false });
    expect(oneIssue('node: d\nipvs: { sloppy_tcp: 1 }\n').message).toBe('must be true or false');
    expect(oneIssue('node: d\nipvs: { slopy_tcp: true }\n').message).toBe("unknown key 'slopy_tcp'; did you mean 'sloppy_tcp'?");
  });

  test('the script user is an unprivileged system user', () => {
    expect(valid('node: d\nscripts: { user: checker }\n').scripts.user).toBe('checker');
    expect(oneIssue('node: d\nscripts: { user: root }\n').message).toBe('scripts must run as an unprivileged user, not root');
    expect(oneIssue('node: d\nscripts: { user: "Bad User" }\n').message).toContain('must be a system user name');
  });
});

describe('alerts', () => {
  test('webhook and exec sinks', () => {
    const config = valid('node: d\nalerts:\n  - { name: ops, type: webhook, url: "https://alerts.example.net/lvs", events: [quorum_lost], min_interval: 30s, timeout: 2s, retries: 1, headers: { Authorization: "Bearer x" } }\n  - { name: pager, type: exec, command: [/usr/local/bin/page] }\n');
    expect(config.alerts).toEqual([
      { name: 'ops', type: 'webhook', url: 'https://alerts.example.net/lvs', events: ['quorum_lost'], minIntervalMs: 30_000, timeoutMs: 2000, retries: 1, headers: { Authorization: 'Bearer x' } },
      { name: 'pager', type: 'exec', command: ['/usr/local/bin/page'], events: ['vrrp_transition', 'real_server_down', 'real_server_up', 'quorum_lost', 'quorum_restored', 'sync_daemon_error', 'reconcile_error', 'vip_announced', 'vip_withdrawn'], minIntervalMs: 0, timeoutMs: 5000 },
    ]);
  });

  test('bad sinks', () => {
    const cases: [string, string][] = [
      ['{ name: a, type: webhook, url: "ftp://x.example" }', 'must be an http:// or https:// URL'],
      ['{ name: a, type: webhook }', "missing required key 'url'"],
      ['{ name: a, type: exec, command: [/bin/x], url: "https://x.example" }', "'url' is not allowed for alert type exec (only for webhook)"],
      ['{ name: a, type: webhook, url: "https://x.example", command: [/bin/x] }', "'command' is not allowed for alert type webhook (only for exec)"],
      ['{ name: a, type: smtp }', 'must be one of webhook, exec'],
      ['{ name: a, type: exec, command: [/bin/x], events: [vrrp_transitions] }', 'must be one of vrrp_transition, real_server_down'],
      ['{ name: a, type: exec, command: [/bin/x], events: [] }', 'must list at least one event'],
      ['{ name: a, type: exec, command: [/bin/x], events: [quorum_lost, quorum_lost] }', 'duplicate event quorum_lost'],
      ['{ name: a, type: webhook, url: "https://x.example", headers: { "bad header": x } }', 'must be an HTTP header name'],
      ['{ name: a, type: webhook, url: "https://x.example", retries: 21 }', 'must be an integer 0..20'],
    ];
    for (const [sink, message] of cases) expect(oneIssue(`node: d\nalerts:\n  - ${sink}\n`).message, sink).toContain(message);
  });

  test('secrets in alert sinks never reach an error: header values and URL credentials are redacted', () => {
    const header = oneIssue('node: d\nalerts:\n  - { name: a, type: webhook, url: "https://x.example", headers: { Authorization: 31337424242 } }\n');
    expect(header.path).toBe('alerts[0].headers.Authorization');
    expect(header.found).toBe('<redacted>');
    expect(JSON.stringify(header)).not.toContain('31337424242');
    const url = oneIssue('node: d\nalerts:\n  - { name: a, type: webhook, url: "ftp://admin:s3cret@hooks.example/x?token=abc123&x=1" }\n');
    expect(url.found).toBe("'ftp://<redacted>@hooks.example/x?token=<redacted>&x=<redacted>'");
    expect(JSON.stringify(url)).not.toMatch(/s3cret|abc123/);
    expect(redactUrl('https://u:p@h/p?a=1#f')).toBe('https://<redacted>@h/p?a=<redacted>#f');
    // Other paths are shown as they are.
    expect(oneIssue('node: d\ncontrol: { socket: ctl.sock }\n').found).toBe("'ctl.sock'");
  });

  test('alert names are unique', () => {
    expect(oneIssue('node: d\nalerts:\n  - { name: a, type: exec, command: [/bin/x] }\n  - { name: a, type: exec, command: [/bin/y] }\n').message).toMatch(/^duplicate alert name a \(first at line 3/);
  });
});
