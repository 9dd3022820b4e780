/**
 * Every key the config accepts, per mapping, in one place: the readers admit
 * exactly these, and a test checks that docs/configuration.md names them all.
 */
const CHECK_COMMON = ['type', 'interval', 'timeout', 'rise', 'fall'] as const;
const CHECK_CONNECT = ['connect_address', 'connect_port', 'bind_address'] as const;
const CHECK_HTTP = ['method', 'path', 'host', 'expect_status', 'expect_body', 'expect_digest', 'expect_digest_md5', 'max_body_bytes'] as const;
const CHECK_TLS = ['tls_verify', 'tls_server_name', 'ca_file'] as const;
const CHECK_EXEC = ['command', 'dynamic_weight'] as const;
const CHECK_DNS = ['query_name', 'query_type', 'expect_rcode', 'expect_answer'] as const;
const CHECK_UDP = ['payload', 'payload_hex', 'require_reply', 'expect_reply', 'expect_reply_hex'] as const;
const CHECK_ICMP = ['count', 'min_replies'] as const;
const CHECK_SMTP = ['helo_name', 'starttls'] as const;

export const KEYS = {
  top: ['node', 'control', 'vrrp', 'ipvs_sync', 'ipvs', 'virtual_servers', 'scripts', 'alerts', 'ecmp'],
  control: ['socket', 'metrics_listen', 'readonly_group'],
  vrrp: ['ipv4_checksum', 'ipv6_addresses', 'realtime_priority', 'instances', 'sync_groups'],
  instance: [
    'name', 'interface', 'vrid', 'priority', 'advert_interval', 'preempt', 'preempt_delay', 'accept_mode',
    'unicast_peers', 'unicast_source', 'allowed_peers', 'virtual_addresses', 'virtual_addresses_excluded', 'track', 'announce', 'notify',
    'vmac',
  ],
  track: ['interfaces', 'scripts', 'virtual_servers', 'routes', 'processes', 'files'],
  trackInterface: ['name', 'weight'],
  trackScript: ['name', 'command', 'interval', 'timeout', 'rise', 'fall', 'weight'],
  trackVirtualServer: ['name', 'weight'],
  trackRoute: ['destination', 'table', 'expect', 'weight'],
  trackProcess: ['name', 'process', 'command_line', 'match', 'quorum', 'quorum_max', 'interval', 'weight'],
  trackFile: ['name', 'path', 'weight'],
  announce: ['repeat', 'interval', 'refresh'],
  vmac: ['interface', 'xmit_base'],
  notify: ['command', 'master', 'backup', 'fault', 'stop'],
  syncGroup: ['name', 'instances'],
  ipvsSync: ['interface', 'sync_id', 'follow', 'group', 'port', 'ttl', 'max_len', 'backup_while_master'],
  ipvs: ['timeouts', 'sloppy_tcp', 'sloppy_sctp'],
  ipvsTimeouts: ['tcp', 'tcp_fin', 'udp'],
  virtualServer: [
    'name', 'address', 'port', 'protocol', 'fwmark', 'family', 'scheduler', 'scheduler_flags', 'persistence',
    'forwarding', 'tun_type', 'tun_port', 'fullnat', 'ops', 'on_failure', 'quorum', 'sorry_server', 'check', 'real_servers',
  ],
  persistence: ['timeout', 'netmask'],
  fullnat: ['local_addresses', 'interface'],
  quorum: ['min_up', 'hysteresis'],
  sorryServer: ['address', 'port'],
  realServer: ['address', 'port', 'weight', 'upper_threshold', 'lower_threshold', 'check'],
  check: [
    ...CHECK_COMMON, ...CHECK_CONNECT, ...CHECK_HTTP, ...CHECK_TLS, ...CHECK_EXEC,
    ...CHECK_DNS, ...CHECK_UDP, ...CHECK_ICMP, ...CHECK_SMTP,
  ],
  checkTcp: [...CHECK_COMMON, ...CHECK_CONNECT],
  checkHttp: [...CHECK_COMMON, ...CHECK_CONNECT, ...CHECK_HTTP],
  checkHttps: [...CHECK_COMMON, ...CHECK_CONNECT, ...CHECK_HTTP, ...CHECK_TLS],
  checkExec: [...CHECK_COMMON, ...CHECK_EXEC],
  checkDns: [...CHECK_COMMON, ...CHECK_CONNECT, ...CHECK_DNS],
  checkUdp: [...CHECK_COMMON, ...CHECK_CONNECT, ...CHECK_UDP],
  checkIcmp: [...CHECK_COMMON, 'connect_address', ...CHECK_ICMP],
  checkSmtp: [...CHECK_COMMON, ...CHECK_CONNECT, ...CHECK_SMTP, ...CHECK_TLS],
  scripts: ['user'],
  ecmp: ['route_table', 'route_protocol', 'device', 'stop_grace', 'drain_quiet', 'drain_timeout'],
  alert: ['name', 'type', 'events', 'min_interval', 'timeout', 'url', 'headers', 'retries', 'command'],
} as const satisfies Record<string, readonly string[]>;
