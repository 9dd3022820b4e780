import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importKeepalived, type ImportResult } from '../../../src/import/convert.js';
import { memorySourceFs } from '../../../src/import/source.js';

const FILE = '/etc/keepalived/keepalived.conf';

interface Converted {
  readonly doc: Record<string, unknown>;
  readonly yaml: string;
  readonly warnings: string[];
  readonly result: Extract<ImportResult, { ok: true }>;
}

function convert(text: string, configId?: string, extra: Record<string, string> = {}): Converted {
  const result = importKeepalived(FILE, memorySourceFs({ [FILE]: text, ...extra }), { configId, defaultNode: 'test-node', outputName: 'out.yaml' });
  if (!result.ok) expect.fail(`parse failed: ${result.error.message}`);
  return {
    doc: parse(result.yaml) as Record<string, unknown>,
    yaml: result.yaml,
    warnings: result.warnings.map((w) => `${w.loc.line}: ${w.message}`),
    result,
  };
}

function valid(c: Converted): void {
  if (c.result.errors.length > 0) expect.fail(`conversion errors:\n${c.result.errors.map((e) => `${e.loc.line}:${e.loc.column} ${e.message}`).join('\n')}`);
  if (!c.result.validation.ok) expect.fail(`converted config refused:\n${c.result.validation.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}\n${c.yaml}`);
}

/** Convert, whatever the outcome: warnings and errors as "line:column message". */
function convertAny(text: string, resolveProgram?: (name: string) => string | null): { warnings: string[]; errors: string[]; yaml: string } {
  const result = importKeepalived(FILE, memorySourceFs({ [FILE]: text }), { defaultNode: 'test-node', outputName: 'out.yaml', resolveProgram });
  if (!result.ok) return { warnings: [], errors: [`${result.error.loc.line}:${result.error.loc.column} ${result.error.message}`], yaml: '' };
  const fmt = (f: { loc: { line: number; column: number }; message: string }): string => `${f.loc.line}:${f.loc.column} ${f.message}`;
  return { warnings: result.warnings.map(fmt), errors: result.errors.map(fmt), yaml: result.yaml };
}

/** Path lookup into the parsed YAML: get(doc, 'vrrp.instances.0.priority'). */
function get(v: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], v);
}

const INSTANCE = `
global_defs {
  router_id dir-a
  vrrp_version 3
}
vrrp_script chk_web {
  script "/usr/local/bin/check web --quiet"
  interval 2
  timeout 1
  fall 3
  rise 2
  weight -30
}
vrrp_script chk_plus {
  script /usr/local/bin/plus
  weight 5
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 0.125
  unicast_src_ip 10.0.0.2
  unicast_peer {
    10.0.0.3
  }
  virtual_ipaddress {
    10.0.0.100/24 dev eth0
    10.0.0.101 label eth0:1
    10.0.0.102 dev eth1
  }
  track_interface {
    eth1 weight -60
    eth2
    eth3 weight 10
  }
  track_script {
    chk_web
    chk_plus weight 20
  }
  notify "/usr/local/bin/notify --x"
  notify_master /usr/local/bin/master
  authentication {
    auth_type PASS
  }
}
`;

describe('vrrp_instance', () => {
  const c = convert(INSTANCE);
  const vi = (p: string): unknown => get(c.doc, `vrrp.instances.0.${p}`);

  it('converts to a config that passes check-config', () => {
    valid(c);
    expect(c.doc.node).toBe('dir-a');
    expect([vi('name'), vi('interface'), vi('vrid'), vi('preempt'), vi('accept_mode')]).toEqual(['VI_1', 'eth0', 51, true, true]);
    expect(vi('unicast_source')).toBe('10.0.0.2');
    expect(vi('unicast_peers')).toEqual(['10.0.0.3']);
    expect(vi('virtual_addresses')).toEqual(['10.0.0.100/24', '10.0.0.101', '10.0.0.102']);
  });

  it('rounds advert_int to whole centiseconds and warns because the value changed', () => {
    expect(vi('advert_interval')).toBe('130ms');
    expect(c.warnings).toContain('23: advert_int 0.125: VRRPv3 counts whole centiseconds (10ms..40950ms): 130ms instead of 125ms');
  });

  it('moves positive tracking weights into the base priority and negates them', () => {
    expect(vi('priority')).toBe(180);
    expect(vi('track.interfaces')).toEqual([{ name: 'eth1', weight: -60 }, { name: 'eth2', weight: 0 }, { name: 'eth3', weight: -10 }]);
    expect(vi('track.scripts')).toEqual([
      { name: 'chk_web', command: ['/usr/local/bin/check', 'web', '--quiet'], interval: '2s', timeout: '1s', rise: 2, fall: 3, weight: -30 },
      { name: 'chk_plus', command: ['/usr/local/bin/plus'], interval: '1s', weight: -20 },
    ]);
    expect(c.yaml).toMatch(/priority: 180 # Keepalived priority 150 \+ 30/);
  });

  it('maps notify and notify_master, and warns about state MASTER, dev/label and authentication, with lines', () => {
    expect(vi('notify.command')).toEqual(['/usr/local/bin/notify', '--x']);
    expect(vi('notify.master')).toEqual(['/usr/local/bin/master']);
    expect(c.warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^18: vrrp_instance VI_1: state MASTER has no lvs-ha equivalent/),
      expect.stringMatching(/^30: virtual address 10\.0\.0\.101: 'label eth0:1' has no lvs-ha equivalent/),
      expect.stringMatching(/^31: virtual address 10\.0\.0\.102: 'dev eth1' has no lvs-ha equivalent/),
      expect.stringMatching(/^42: notify: lvs-ha runs \/usr\/local\/bin\/notify with its own arguments/),
      expect.stringMatching(/^44: vrrp_instance 'authentication': no lvs-ha equivalent/),
    ]));
    expect(c.warnings.some((w) => w.includes('10.0.0.100'))).toBe(false);
    expect(c.warnings.some((w) => w.includes('VRRP version'))).toBe(false);
  });

  it('lists every warning in the comment block at the top with file and line', () => {
    const header = c.yaml.slice(0, c.yaml.indexOf('\nnode:'));
    expect(header).toContain(`# ${c.warnings.length} warnings:`);
    expect(header).toContain(`# WARNING ${FILE}:23:3: advert_int 0.125`);
    expect(header.split('\n').filter((l) => l.startsWith('# WARNING '))).toHaveLength(c.warnings.length);
  });
});

describe('VRRP details', () => {
  const base = (body: string, global = 'vrrp_version 3'): string =>
    `global_defs {\n router_id r\n ${global}\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n  10.1.1.1\n }\n${body}\n}\n`;

  it('keeps advert_int 1 as 1s without a warning, and warns about VRRPv2 (the Keepalived default)', () => {
    const c = convert(base('advert_int 1', ''));
    valid(c);
    expect(get(c.doc, 'vrrp.instances.0.advert_interval')).toBe('1s');
    expect(c.warnings.filter((w) => w.includes('advert_int'))).toEqual([]);
    expect(c.warnings).toEqual([expect.stringContaining('Keepalived speaks VRRPv2 unless vrrp_version 3 is set (V)')]);
  });

  it('clamps advert_int to the VRRPv3 range with a warning', () => {
    const c = convert(base('advert_int 60'));
    valid(c);
    expect(get(c.doc, 'vrrp.instances.0.advert_interval')).toBe('40950ms');
    expect(c.warnings).toContain('11: advert_int 60: VRRPv3 counts whole centiseconds (10ms..40950ms): 40950ms instead of 60000ms');
  });

  it('drops addresses of the other family and duplicates, with warnings', () => {
    const c = convert(base('virtual_ipaddress {\n 2001:db8::1/64\n 10.1.1.1\n}'));
    valid(c);
    expect(get(c.doc, 'vrrp.instances.0.virtual_addresses')).toEqual(['10.1.1.1']);
    expect(c.warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^12: virtual address 2001:db8::1\/64: an lvs-ha instance has one address family \(ipv4/),
      expect.stringMatching(/^13: virtual address 10\.1\.1\.1 is listed twice/),
    ]));
  });

  it('virtual_ipaddress_excluded becomes virtual_addresses_excluded (not in adverts, as in Keepalived), without a warning', () => {
    const c = convert(base('virtual_ipaddress_excluded {\n 10.1.1.2\n 10.1.1.3/24 dev eth0\n 10.1.1.1\n}'));
    valid(c);
    expect(get(c.doc, 'vrrp.instances.0.virtual_addresses')).toEqual(['10.1.1.1']);
    expect(get(c.doc, 'vrrp.instances.0.virtual_addresses_excluded')).toEqual(['10.1.1.2', '10.1.1.3/24']);
    expect(c.warnings).toEqual([expect.stringMatching(/^14: virtual address 10\.1\.1\.1 is listed twice/)]);
    if (c.result.validation.ok) expect(c.result.validation.config.vrrp.instances[0]?.excludedAddresses?.map((a) => a.text)).toEqual(['10.1.1.2', '10.1.1.3']);
  });

  it('an instance with only excluded addresses keeps them as virtual_addresses (lvs-ha needs one), warned', () => {
    const text = 'global_defs {\n router_id r\n vrrp_version 3\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress_excluded {\n  10.1.1.2\n }\n}\n';
    const c = convert(text);
    valid(c);
    expect(get(c.doc, 'vrrp.instances.0.virtual_addresses')).toEqual(['10.1.1.2']);
    expect(get(c.doc, 'vrrp.instances.0.virtual_addresses_excluded')).toBeUndefined();
    expect(c.warnings).toEqual([expect.stringMatching(/^9: vrrp_instance V: only virtual_ipaddress_excluded addresses; .*become virtual_addresses/)]);
  });

  it('nopreempt drops preempt_delay with a warning; preempt keeps it', () => {
    const off = convert(base('nopreempt\npreempt_delay 30'));
    valid(off);
    expect(get(off.doc, 'vrrp.instances.0.preempt')).toBe(false);
    expect(get(off.doc, 'vrrp.instances.0.preempt_delay')).toBeUndefined();
    expect(off.warnings).toContain('12: preempt_delay has no effect with nopreempt; dropped');
    const on = convert(base('preempt_delay 30'));
    expect(get(on.doc, 'vrrp.instances.0.preempt_delay')).toBe('30s');
  });

  it('vrrp_strict and no_accept turn accept_mode off', () => {
    expect(get(convert(base('', 'vrrp_version 3\n vrrp_strict')).doc, 'vrrp.instances.0.accept_mode')).toBe(false);
    expect(get(convert(base('no_accept')).doc, 'vrrp.instances.0.accept_mode')).toBe(false);
  });

  it('accept_mode as Keepalived 2.2.7 completes it: the owner accepts by default; strict resets accept on VRRPv2 (measured with keepalived -t)', () => {
    // Unset: the address owner accepts even with vrrp_strict; others follow vrrp_strict.
    expect(get(convert(base('priority 255', 'vrrp_version 3\n vrrp_strict')).doc, 'vrrp.instances.0.accept_mode')).toBe(true);
    expect(get(convert(base('priority 254', 'vrrp_version 3\n vrrp_strict')).doc, 'vrrp.instances.0.accept_mode')).toBe(false);
    // Explicit accept with vrrp_strict: kept on VRRPv3, reset on VRRPv2 (unless the owner).
    expect(get(convert(base('accept', 'vrrp_version 3\n vrrp_strict')).doc, 'vrrp.instances.0.accept_mode')).toBe(true);
    const v2 = convert(base('accept', 'vrrp_strict'));
    expect(get(v2.doc, 'vrrp.instances.0.accept_mode')).toBe(false);
    expect(v2.warnings).toContainEqual(expect.stringContaining('accept with vrrp_strict on a VRRPv2 instance: Keepalived resets it'));
    expect(get(convert(base('accept\npriority 255', 'vrrp_strict')).doc, 'vrrp.instances.0.accept_mode')).toBe(true);
    const owner = convert(base('no_accept\npriority 255'));
    valid(owner);
    expect(get(owner.doc, 'vrrp.instances.0.accept_mode')).toBe(true);
    expect(owner.warnings).toContainEqual(expect.stringContaining('no_accept has no effect on the address owner'));
  });

  it('drops weights on an address owner and cuts a raised priority at 254', () => {
    const owner = convert(base('priority 255\ntrack_interface {\n eth1 weight -10\n eth2\n}'));
    valid(owner);
    expect(get(owner.doc, 'vrrp.instances.0.track.interfaces')).toEqual([{ name: 'eth2', weight: 0 }]);
    expect(owner.warnings).toContainEqual(expect.stringContaining('never changes the priority of an address owner'));
    const high = convert(base('priority 250\ntrack_interface {\n eth1 weight 10\n}'));
    valid(high);
    expect(get(high.doc, 'vrrp.instances.0.priority')).toBe(254);
    expect(high.warnings).toContainEqual(expect.stringContaining('cut to 254'));
  });

  it('lvs_sync_daemon id outside 0..255: Keepalived defaults to the vrid, and so does the conversion (no sync_id)', () => {
    const c = convert(base('', 'vrrp_version 3\n lvs_sync_daemon eth1 V id 300'));
    valid(c);
    expect(c.doc.ipvs_sync).toEqual({ interface: 'eth1', follow: 'V' });
    expect(c.warnings).toContainEqual(expect.stringMatching(/^4: lvs_sync_daemon id 300: Keepalived accepts 0\.\.255 only/));
  });

  it('does not take a password or an e-mail address for a template placeholder (neither is converted)', () => {
    const c = convertAny(`global_defs {\n notification_email {\n  <ops@example.org>\n }\n}\n${base('authentication {\n auth_type PASS\n auth_pass $ecret1\n}')}`);
    expect(c.errors).toEqual([]);
  });

  it('refuses shell syntax in a script at its line: lvs-ha runs no shell', () => {
    const c = convertAny(`vrrp_script s {\n script "</dev/tcp/127.0.0.1/80"\n}\n${base('track_script {\n s\n}')}`);
    expect(c.errors).toEqual([expect.stringMatching(/^2:9 vrrp_script s script '<\/dev\/tcp\/127.0.0.1\/80' uses shell syntax/)]);
  });

  it('converts sync groups and lvs_sync_daemon (global form) into sync_groups and ipvs_sync', () => {
    const text = `global_defs {\n router_id r\n vrrp_version 3\n lvs_sync_daemon eth1 VI_2 id 7 maxlen 1400 port 8849\n}
vrrp_sync_group G {\n group {\n  VI_1 VI_2\n  VI_missing\n }\n notify_master /x\n}
vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}
vrrp_instance VI_2 {\n interface eth1\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.1.1\n }\n}\n`;
    const c = convert(text);
    valid(c);
    expect(get(c.doc, 'vrrp.sync_groups')).toEqual([{ name: 'G', instances: ['VI_1', 'VI_2'] }]);
    expect(c.doc.ipvs_sync).toEqual({ interface: 'eth1', follow: 'VI_2', sync_id: 7, max_len: 1400, port: 8849 });
    expect(c.warnings).toContainEqual(expect.stringContaining("no vrrp_instance 'VI_missing'"));
  });

  it('converts the old per-instance lvs_sync_daemon_interface', () => {
    const c = convert(base('lvs_sync_daemon_interface eth9'));
    valid(c);
    expect(c.doc.ipvs_sync).toEqual({ interface: 'eth9', follow: 'V' });
  });

  it('script_user becomes scripts.user, but never root', () => {
    expect(get(convert(base('', 'vrrp_version 3\n script_user keepalived_script')).doc, 'scripts.user')).toBe('keepalived_script');
    const root = convert(base('', 'vrrp_version 3\n script_user root'));
    expect(root.doc.scripts).toBeUndefined();
    expect(root.warnings).toContainEqual(expect.stringContaining('never runs scripts as root'));
  });
});

const VS = `
global_defs {
  router_id lb1
}
virtual_server 10.0.0.100 80 {
  delay_loop 5
  lb_algo sh
  flag-1
  lb_kind DR
  persistence_timeout 600
  persistence_granularity 255.255.255.0
  protocol TCP
  quorum 4
  hysteresis 2
  sorry_server 10.0.0.250 80
  inhibit_on_failure
  real_server 10.0.1.1 80 {
    weight 2
    HTTP_GET {
      url {
        path /healthz
        status_code 200-299 503
        digest 9b3a0c85a887a256d6939da88aabd8cd
      }
      url {
        path /other
      }
      connect_timeout 3
      retry 2
      virtualhost www.example.com
    }
  }
  real_server 10.0.1.2 80 {
    weight 2
    MISC_CHECK {
      misc_path "/usr/local/bin/probe '10.0.1.2 80'"
      misc_timeout 4
      misc_dynamic
    }
  }
  real_server 10.0.1.3 80 {
    weight 2
    SSL_GET {
      url {
        path /
      }
      enable_sni
      virtualhost secure.example.com
      connect_timeout 9
    }
  }
  real_server 10.0.1.4 80 {
    weight 2
    SMTP_CHECK {
      host {
        connect_ip 10.0.2.4
        connect_port 25
      }
    }
  }
  real_server 10.0.1.5 80 {
    weight 2
    PING_CHECK {
    }
  }
}
virtual_server fwmark 7 {
  lb_algo rr
  real_server 10.0.1.1 {
    TCP_CHECK {
      connect_port 80
    }
  }
  real_server 10.0.1.2 {
    TCP_CHECK {
      connect_port 80
    }
  }
}
`;

describe('virtual_server', () => {
  const c = convert(VS);
  const vs = (p: string): unknown => get(c.doc, `virtual_servers.0.${p}`);

  it('converts to a config that passes check-config', () => {
    valid(c);
  });

  it('maps the service settings', () => {
    expect(c.doc.virtual_servers).toHaveLength(2);
    expect([vs('name'), vs('address'), vs('port'), vs('protocol'), vs('scheduler'), vs('forwarding'), vs('on_failure')]).toEqual(['tcp-10.0.0.100-80', '10.0.0.100', 80, 'tcp', 'sh', 'dr', 'inhibit']);
    expect(vs('scheduler_flags')).toEqual(['sh-fallback']);
    expect(vs('persistence')).toEqual({ timeout: '600s', netmask: '255.255.255.0' });
    expect(vs('quorum')).toEqual({ min_up: 2, hysteresis: 1 });
    expect(vs('sorry_server')).toEqual({ address: '10.0.0.250', port: 80 });
  });

  it('HTTP_GET: first url, status codes, MD5 digest, host, fall = retry + 1; second url dropped with a warning', () => {
    expect(vs('real_servers.0.check')).toEqual({
      type: 'http', interval: '5s', timeout: '3s', rise: 1, fall: 3, path: '/healthz', host: 'www.example.com', expect_status: ['200-299', 503],
      expect_digest_md5: '9b3a0c85a887a256d6939da88aabd8cd',
    });
    expect(c.warnings.filter((w) => w.includes('digest'))).toEqual([]);
    expect(c.warnings).toContainEqual(expect.stringMatching(/^25: HTTP_GET: lvs-ha checks one URL per check/));
  });

  it('MISC_CHECK: argv split with quotes, misc_timeout, misc_dynamic; retry defaults to 0', () => {
    expect(vs('real_servers.1.check')).toEqual({ type: 'exec', interval: '5s', timeout: '4s', rise: 1, fall: 1, command: ['/usr/local/bin/probe', '10.0.1.2 80'], dynamic_weight: true });
  });

  it('SSL_GET: https without certificate verification, SNI from virtualhost, timeout cut to the interval', () => {
    expect(vs('real_servers.2.check')).toMatchObject({ type: 'https', timeout: '5s', fall: 2, tls_verify: false, tls_server_name: 'secure.example.com', host: 'secure.example.com' });
    expect(c.warnings).toContainEqual(expect.stringContaining('SSL_GET: timeout 9s is longer than delay_loop 5s'));
  });

  it('SMTP_CHECK becomes an smtp check of its host; PING_CHECK an icmp check', () => {
    expect(vs('real_servers.3.check')).toMatchObject({ type: 'smtp', connect_address: '10.0.2.4', connect_port: 25 });
    expect(vs('real_servers.4.check')).toMatchObject({ type: 'icmp' });
    expect(c.warnings.filter((w) => w.includes('none of its checkers'))).toEqual([]);
  });

  it('fwmark: port 0 real servers, NAT and remove by default, identical checks written once on the service', () => {
    const fw = get(c.doc, 'virtual_servers.1') as Record<string, unknown>;
    expect(fw).toMatchObject({ name: 'fwmark-7', fwmark: 7, scheduler: 'rr', forwarding: 'nat', on_failure: 'remove' });
    expect(fw.check).toEqual({ type: 'tcp', interval: '1m', timeout: '5s', rise: 1, fall: 2, connect_port: 80 });
    expect(fw.real_servers).toEqual([{ address: '10.0.1.1', port: 0, weight: 1 }, { address: '10.0.1.2', port: 0, weight: 1 }]);
    expect(fw.address).toBeUndefined();
  });
});

describe('DNS_CHECK, UDP_CHECK, PING_CHECK, SMTP_CHECK and ops (issue 16)', () => {
  const conf = (vsExtra: string, checker: string, protocol = 'UDP') => `global_defs {\n router_id r\n}\nvirtual_server 10.0.0.1 53 {\n lb_kind DR\n protocol ${protocol}\n${vsExtra}\n real_server 10.0.0.2 53 {\n${checker}\n }\n}\n`;
  const checkOf = (c: Converted): unknown => get(c.doc, 'virtual_servers.0.real_servers.0.check') ?? get(c.doc, 'virtual_servers.0.check');
  it('DNS_CHECK type and name become query_type (upper case) and query_name; an unknown type keeps SOA, warned', () => {
    const c = convert(conf(' ops', '  DNS_CHECK {\n   type a\n   name example.org\n   connect_timeout 2\n  }'));
    valid(c);
    expect(checkOf(c)).toMatchObject({ type: 'dns', query_type: 'A', query_name: 'example.org', timeout: '2s' });
    expect(get(c.doc, 'virtual_servers.0.ops')).toBe(true);
    const bad = convert(conf('', '  DNS_CHECK {\n   type HINFO\n  }'));
    valid(bad);
    expect(checkOf(bad)).not.toHaveProperty('query_type');
    expect(bad.warnings).toContainEqual(expect.stringMatching(/^\d+: DNS_CHECK type HINFO: .*the default SOA is asked/));
  });
  it('UDP_CHECK payload and require_reply [hex] become payload_hex and require_reply / expect_reply_hex', () => {
    const plain = convert(conf('', '  UDP_CHECK {\n   payload 0A0B\n   require_reply\n  }'));
    valid(plain);
    expect(checkOf(plain)).toMatchObject({ type: 'udp', payload_hex: '0a0b', require_reply: true });
    const hex = convert(conf('', '  UDP_CHECK {\n   require_reply 6f6b\n  }'));
    valid(hex);
    expect(checkOf(hex)).toMatchObject({ type: 'udp', expect_reply_hex: '6f6b' });
    // keepalived -t: "Invalid hex string for UDP_CHECK payload": ignored there, ignored here.
    const bad = convert(conf('', '  UDP_CHECK {\n   payload xyz\n  }'));
    valid(bad);
    expect(checkOf(bad)).not.toHaveProperty('payload_hex');
    expect(bad.warnings).toContainEqual(expect.stringMatching(/^\d+: UDP_CHECK payload 'xyz': Keepalived ignores it/));
  });
  it('PING_CHECK becomes icmp; SMTP_CHECK keeps helo_name; ops on TCP is dropped with the reason', () => {
    const ping = convert(conf('', '  PING_CHECK {\n   connect_ip 10.0.0.9\n  }'));
    valid(ping);
    expect(checkOf(ping)).toMatchObject({ type: 'icmp', connect_address: '10.0.0.9' });
    const smtp = convert(conf(' ops', '  SMTP_CHECK {\n   helo_name lb.example.org\n  }', 'TCP'));
    valid(smtp);
    expect(checkOf(smtp)).toMatchObject({ type: 'smtp', helo_name: 'lb.example.org' });
    expect(get(smtp.doc, 'virtual_servers.0.ops')).toBeUndefined();
    expect(smtp.warnings).toContainEqual(expect.stringMatching(/^\d+: ops on a TCP virtual server: .*UDP only/));
  });
});

describe('vrrp_track_process, track_file, use_vmac (issue 16)', () => {
  const conf = (defs: string, body: string, vip = '10.1.1.1'): string =>
    `global_defs {\n router_id r\n vrrp_version 3\n}\n${defs}\nvrrp_instance V {\n interface eth0\n virtual_router_id 9\n priority 100\n virtual_ipaddress {\n  ${vip}\n }\n${body}\n}\n`;

  it('vrrp_track_process: a name becomes process, parameters command_line; quorum, quorum_max, weights as for scripts', () => {
    const c = convert(conf(
      'vrrp_track_process hap {\n process haproxy\n quorum 2\n quorum_max 4\n weight -30\n fork_delay 1\n}\n' +
        'vrrp_track_process app {\n process /usr/bin/python3 /srv/app.py\n param_match partial\n}\n' +
        'vrrp_track_process full {\n process "/usr/sbin/nginx -g daemon"\n full_command\n weight 0\n}',
      'track_process {\n hap\n app weight 10\n full\n}',
    ));
    valid(c);
    expect(get(c.doc, 'vrrp.instances.0.track.processes')).toEqual([
      { name: 'hap', process: 'haproxy', quorum: 2, quorum_max: 4, weight: -30 },
      { name: 'app', command_line: ['/usr/bin/python3', '/srv/app.py'], match: 'prefix', weight: -10 },
      { name: 'full', command_line: ['/usr/sbin/nginx', '-g', 'daemon'], weight: 0 },
    ]);
    // The positive weight of app (Keepalived: +10 while up) raised the base priority.
    expect(get(c.doc, 'vrrp.instances.0.priority')).toBe(110);
    expect(c.warnings).toContainEqual(expect.stringContaining("'fork_delay 1': no lvs-ha equivalent"));
  });

  it('a tracked process Keepalived defaults to weight 1; a name longer than comm is matched by command line, warned', () => {
    const c = convert(conf('vrrp_track_process p {\n process a-very-long-daemon-name\n}', 'track_process {\n p\n}'));
    valid(c);
    expect(get(c.doc, 'vrrp.instances.0.track.processes')).toEqual([{ name: 'p', command_line: ['a-very-long-daemon-name'], match: 'prefix', weight: -1 }]);
    expect(get(c.doc, 'vrrp.instances.0.priority')).toBe(101);
    expect(c.warnings).toContainEqual(expect.stringContaining('longer than the 15 bytes'));
    const missing = convert(conf('', 'track_process {\n nope\n}'));
    expect(missing.warnings).toContainEqual(expect.stringContaining('track_process nope: no vrrp_track_process of that name; dropped'));
  });

  it('track_file and vrrp_track_file: path and weight (the multiplier; reverse negates it, the instance weight overrides)', () => {
    const c = convert(conf(
      'track_file prio {\n file /run/prio\n weight 5 reverse\n init_file 0\n}\nvrrp_track_file down {\n file "/run/down"\n}',
      'track_file {\n prio\n down weight 0\n}',
    ));
    valid(c);
    expect(get(c.doc, 'vrrp.instances.0.track.files')).toEqual([{ name: 'prio', path: '/run/prio', weight: -5 }, { name: 'down', path: '/run/down', weight: 0 }]);
    expect(get(c.doc, 'vrrp.instances.0.priority')).toBe(100);
    expect(c.warnings).toContainEqual(expect.stringContaining("'init_file 0': no lvs-ha equivalent"));
  });

  it('use_vmac [NAME] and vmac_xmit_base become vmac; a MAC is dropped with a warning; IPv6 too, named vrrp.VRID as Keepalived does', () => {
    const plain = convert(conf('', 'use_vmac'));
    valid(plain);
    expect(get(plain.doc, 'vrrp.instances.0.vmac')).toBe(true);
    const named = convert(conf('', 'use_vmac vrrp-web 00:00:5e:00:01:09\nvmac_xmit_base'));
    valid(named);
    expect(get(named.doc, 'vrrp.instances.0.vmac')).toEqual({ interface: 'vrrp-web', xmit_base: true });
    expect(named.warnings).toContainEqual(expect.stringContaining('the MAC 00:00:5e:00:01:09 is dropped'));
    // IPv6 (keepalived 2.2.7 -t accepts it; run, it names the macvlan vrrp.9 with MAC 00:00:5e:00:02:09).
    const v6 = convert(conf('', 'use_vmac', '2001:db8::1'));
    valid(v6);
    expect(get(v6.doc, 'vrrp.instances.0.vmac')).toEqual({ interface: 'vrrp.9' });
    expect(v6.warnings.filter((w) => w.includes('vmac'))).toEqual([]);
    const v6named = convert(conf('', 'use_vmac web6\nvmac_xmit_base', '2001:db8::1'));
    expect(get(v6named.doc, 'vrrp.instances.0.vmac')).toEqual({ interface: 'web6', xmit_base: true });
    // An IPv4 instance of the same VRID takes vrrp.9: the IPv6 one keeps lvs-ha's vrrp6.9, warned.
    const both = convert(`${conf('', 'use_vmac', '2001:db8::1')}vrrp_instance W {\n interface eth0\n virtual_router_id 9\n priority 100\n virtual_ipaddress {\n  10.1.1.1\n }\n use_vmac\n}\n`);
    valid(both);
    expect([get(both.doc, 'vrrp.instances.0.vmac'), get(both.doc, 'vrrp.instances.1.vmac')]).toEqual([true, true]);
    const ok = both.result.validation.ok ? both.result.validation.config.vrrp.instances.map((i) => i.vmac?.interface) : [];
    expect(ok).toEqual(['vrrp6.9', 'vrrp.9']);
    expect(both.warnings).toContainEqual(expect.stringContaining('another VMAC is named vrrp.9'));
    const alone = convert(conf('', 'vmac_xmit_base'));
    expect(alone.warnings).toContainEqual(expect.stringContaining('vmac_xmit_base without use_vmac has no effect'));
  });
});

describe('url digest (MD5 of the body)', () => {
  const checker = (type: string, digest: string) => `global_defs {\n router_id r\n}\nvirtual_server 10.0.0.1 80 {\n lb_kind DR\n protocol TCP\n real_server 10.0.0.2 80 {\n  ${type} {\n   url {\n    path /index.html\n    digest ${digest}\n   }\n  }\n }\n real_server 10.0.0.3 80 {\n  TCP_CHECK {\n  }\n }\n}\n`;
  const checkOf = (c: Converted): unknown => get(c.doc, 'virtual_servers.0.real_servers.0.check');
  const validatedMd5 = (c: Converted): unknown => {
    valid(c);
    const v = c.result.validation;
    const rs = v.ok ? v.config.virtualServers[0]?.realServers[0] : undefined;
    return rs?.check?.type === 'http' || rs?.check?.type === 'https' ? rs.check.expectDigestMd5 : undefined;
  };

  it('HTTP_GET: becomes expect_digest_md5, lowercased, with no warning, and the config carries it', () => {
    const c = convert(checker('HTTP_GET', 'FF20AD2481F97B1754EF3E12ECD3A9CC'));
    expect(checkOf(c)).toMatchObject({ type: 'http', path: '/index.html', expect_digest_md5: 'ff20ad2481f97b1754ef3e12ecd3a9cc' });
    expect(c.yaml).toContain('expect_digest_md5: ff20ad2481f97b1754ef3e12ecd3a9cc');
    expect(c.warnings.filter((w) => w.includes('digest'))).toEqual([]);
    expect(validatedMd5(c)).toBe('ff20ad2481f97b1754ef3e12ecd3a9cc');
  });

  it('SSL_GET: the same on the https check', () => {
    const c = convert(checker('SSL_GET', '640205b7b0fc66c1ea91c463fac6334d'));
    expect(checkOf(c)).toMatchObject({ type: 'https', expect_digest_md5: '640205b7b0fc66c1ea91c463fac6334d' });
    expect(validatedMd5(c)).toBe('640205b7b0fc66c1ea91c463fac6334d');
  });

  it('a digest that is not 32 hexadecimal characters is dropped with a located warning, and the rest still converts', () => {
    for (const bad of ['9b3a0c85', '9b3a0c85a887a256d6939da88aabd8cz', '9b3a0c85a887a256d6939da88aabd8cd00']) {
      const c = convert(checker('HTTP_GET', bad));
      expect(checkOf(c)).toMatchObject({ type: 'http', path: '/index.html' });
      expect(checkOf(c)).not.toHaveProperty('expect_digest_md5');
      expect(c.warnings).toContainEqual(`11: url 'digest ${bad}': not an MD5 digest (32 hexadecimal characters); dropped`);
      expect(validatedMd5(c)).toBeNull();
    }
  });
});

describe('virtual_server_group', () => {
  it('becomes one virtual server per entry, ranges expanded', () => {
    const c = convert(`global_defs {\n router_id r\n}\nvirtual_server_group G {\n 10.0.0.1-3 80\n fwmark 5\n}\nvirtual_server group G {\n lb_kind NAT\n protocol TCP\n real_server 10.0.1.1 8080 {\n }\n}\n`);
    valid(c);
    const names = (c.doc.virtual_servers as { name: string }[]).map((v) => v.name);
    expect(names).toEqual(['tcp-10.0.0.1-80', 'tcp-10.0.0.2-80', 'tcp-10.0.0.3-80', 'fwmark-5']);
    expect(c.warnings).toContainEqual(expect.stringContaining('lvs-ha has no virtual-server groups'));
  });
});

describe('parse errors and config ids', () => {
  it('returns a located error and no YAML for malformed input', () => {
    const r = importKeepalived(FILE, memorySourceFs({ [FILE]: 'global_defs {\n router_id "x\n}\n' }), { defaultNode: 'n', outputName: 'o' });
    expect(r).toMatchObject({ ok: false, error: { loc: { file: FILE, line: 2, column: 12 } } });
  });

  it('uses the router_id as the default config id, and --config-id overrides it', () => {
    const text = 'global_defs {\n router_id high\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 1\n@high priority 170\n@low priority 85\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n';
    const byRouterId = convert(text);
    expect(byRouterId.result.configId).toBe('high');
    expect(get(byRouterId.doc, 'vrrp.instances.0.priority')).toBe(170);
    expect(get(convert(text, 'low').doc, 'vrrp.instances.0.priority')).toBe(85);
  });

  it('without any router_id, skips @ lines and says how many, and names the node after the default', () => {
    const c = convert('vrrp_instance V {\n interface eth0\n virtual_router_id 1\n@a priority 170\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n');
    expect(c.doc.node).toBe('test-node');
    expect(c.warnings).toContainEqual(expect.stringContaining('1 conditional line(s) (@id) do not apply with no config id'));
    expect(c.warnings).toContainEqual(expect.stringContaining("no router_id: node is 'test-node'"));
  });

  it('follows includes from the including file directory', () => {
    const c = convert('global_defs {\n router_id r\n}\ninclude conf.d/*.conf\n', undefined, {
      '/etc/keepalived/conf.d/vs.conf': 'virtual_server 10.0.0.1 443 {\n lb_kind DR\n real_server 10.0.0.2 443 {\n weight 3\n }\n}\n',
    });
    valid(c);
    expect(get(c.doc, 'virtual_servers.0.real_servers.0')).toEqual({ address: '10.0.0.2', weight: 3 });
  });
});

describe('vrrp_rt_priority', () => {
  const conf = (value: string): string =>
    `global_defs {\n  router_id d\n  vrrp_version 3\n  vrrp_rt_priority ${value}\n}\nvrrp_instance web {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    10.0.0.100\n  }\n}\n`;

  it('maps to vrrp.realtime_priority; clamps to 1..99 at the input line as Keepalived does; absent means the lvs-ha default', () => {
    const mid = convert(conf('50'));
    valid(mid);
    expect(get(mid.doc, 'vrrp.realtime_priority')).toBe(50);
    const high = convert(conf('100'));
    valid(high);
    expect(get(high.doc, 'vrrp.realtime_priority')).toBe(99);
    expect(high.warnings).toContain('4: vrrp_rt_priority 100 is out of 1..99: Keepalived uses 99, and so does vrrp.realtime_priority');
    expect(get(convert(conf('0')).doc, 'vrrp.realtime_priority')).toBe(1);
    const none = convert(conf('50').replace('  vrrp_rt_priority 50\n', ''));
    expect(get(none.doc, 'vrrp.realtime_priority')).toBeUndefined();
  });
});


describe('IPv6 address lists (vrrp.ipv6_addresses)', () => {
  const conf = (vips: string, name = 'V6', vrid = 9): string =>
    `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${String(vrid)}\n priority 100\n virtual_ipaddress {\n${vips}\n }\n}\n`;
  const globals = 'global_defs {\n router_id r\n vrrp_version 3\n}\n';
  const warnedAbout = (c: Converted): string[] => c.warnings.filter((w) => w.includes('ipv6_addresses'));

  it('an IPv6 instance whose first address is global: keepalived mode, one warning that says to switch back', () => {
    const c = convert(`${globals}${conf('  2001:db8::1/64\n  fe80::1')}`);
    valid(c);
    expect(get(c.doc, 'vrrp.ipv6_addresses')).toBe('keepalived');
    expect(get(c.doc, 'vrrp.instances.0.virtual_addresses')).toEqual(['2001:db8::1/64', 'fe80::1']);
    expect(warnedAbout(c)).toEqual([
      expect.stringMatching(/^10: IPv6 instances whose first virtual address is not link-local: V6 \(2001:db8::1\)\..*two masters.*switch both back to rfc9568/),
    ]);
    expect(c.yaml).toMatch(/ipv6_addresses: keepalived +# for the Keepalived peer during the migration; rfc9568 \(the default\) once both directors run lvs-ha/);
    if (c.result.validation.ok) expect(c.result.validation.config.vrrp.ipv6Addresses).toBe('keepalived');
  });

  it('a link-local first address, IPv4 instances and no instances leave the default (no key, no warning)', () => {
    for (const text of [
      `${globals}${conf('  fe80::1\n  2001:db8::1/64')}`,
      `${globals}${conf('  FE80::1\n  2001:db8::1/64')}`,
      `${globals}${conf('  10.1.1.1')}`,
      `${globals}virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n}\n`,
    ]) {
      const c = convert(text);
      valid(c);
      expect(get(c.doc, 'vrrp.ipv6_addresses')).toBeUndefined();
      expect(warnedAbout(c)).toEqual([]);
    }
  });

  it('names every such instance once; an excluded address is not what Keepalived sends first', () => {
    const text = `${globals}${conf('  fe80::1', 'LL', 1)}${conf('  2001:db8::1', 'G1', 2)}${conf('  2001:db8::2', 'G2', 3)}`;
    const c = convert(text);
    valid(c);
    expect(warnedAbout(c)).toEqual([expect.stringContaining('not link-local: G1 (2001:db8::1), G2 (2001:db8::2).')]);
    const excluded = convert(`${globals}vrrp_instance X {\n interface eth0\n virtual_router_id 4\n virtual_ipaddress {\n  fe80::4\n }\n virtual_ipaddress_excluded {\n  2001:db8::4\n }\n}\n`);
    expect(get(excluded.doc, 'vrrp.ipv6_addresses')).toBeUndefined();
    const excludedFirst = convert(`${globals}vrrp_instance X {\n interface eth0\n virtual_router_id 4\n virtual_ipaddress_excluded {\n  fe80::4\n }\n virtual_ipaddress {\n  2001:db8::4\n }\n}\n`);
    expect(get(excludedFirst.doc, 'vrrp.ipv6_addresses')).toBe('keepalived');
  });
});
