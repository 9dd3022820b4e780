/**
 * The key-by-key mapping from Keepalived to lvs-ha, as data. The converter
 * dispatches on it (a keyword not listed here is reported as unknown), a unit
 * test checks that every row that is not `dropped` has a handler, and
 * docs/migration.md carries the table rendered by renderMappingTable().
 */

export type Context =
  | 'top'
  | 'global_defs'
  | 'vrrp_script'
  | 'vrrp_track_process'
  | 'track_file'
  | 'vrrp_instance'
  | 'vrrp_sync_group'
  | 'virtual_server'
  | 'real_server'
  | 'checker'
  | 'url';

/** mapped: same meaning; changed: converted, meaning differs (warned); dropped: no equivalent (warned). */
export type MappingKind = 'mapped' | 'changed' | 'dropped';

export interface MappingRow {
  readonly context: Context;
  readonly keyword: string;
  readonly kind: MappingKind;
  /** The lvs-ha key (path in the YAML), or '' for dropped rows. */
  readonly target: string;
  readonly note: string;
}

type Row = readonly [keyword: string, kind: MappingKind, target: string, note: string];

const SMTP = 'e-mail alerts: use an alerts entry (webhook or exec)';
const SNMP = 'lvs-ha has no SNMP agent; use the metrics listener (control.metrics_listen)';

/** Notes shared by several dropped keywords: one warning per file for all of them. */
export const SHARED_TOPICS: ReadonlySet<string> = new Set([SMTP, SNMP]);

const TOP: readonly Row[] = [
  ['global_defs', 'mapped', '(several)', 'see the global_defs rows'],
  ['vrrp_script', 'mapped', 'vrrp.instances[].track.scripts[]', 'copied into every instance that tracks it'],
  ['vrrp_instance', 'mapped', 'vrrp.instances[]', ''],
  ['vrrp_sync_group', 'mapped', 'vrrp.sync_groups[]', ''],
  ['virtual_server', 'mapped', 'virtual_servers[]', 'name generated from protocol, address and port (or fwmark)'],
  ['virtual_server_group', 'changed', 'virtual_servers[]', 'each entry (address port, address range, fwmark) becomes its own virtual server with the same settings'],
  ['static_ipaddress', 'dropped', '', 'lvs-ha manages only virtual addresses; configure static addresses in the OS'],
  ['static_routes', 'dropped', '', 'configure routes in the OS'],
  ['static_rules', 'dropped', '', 'configure policy rules in the OS'],
  ['vrrp_track_process', 'mapped', 'vrrp.instances[].track.processes[]', 'copied into every instance that tracks it; a /proc scan every second (Keepalived: process events)'],
  ['vrrp_track_file', 'mapped', 'vrrp.instances[].track.files[]', 'the deprecated name of track_file'],
  ['track_file', 'mapped', 'vrrp.instances[].track.files[]', 'copied into every instance that tracks it'],
  ['garp_group', 'dropped', '', 'announcements are per instance (announce)'],
  ['net_namespace', 'dropped', '', 'run lvs-ha inside the namespace instead (systemd NetworkNamespacePath)'],
  ['bfd_instance', 'dropped', '', 'lvs-ha has no BFD'],
  ['SSL', 'dropped', '', 'client certificates for SSL_GET are not supported; https checks take ca_file'],
];

const GLOBAL: readonly Row[] = [
  ['router_id', 'mapped', 'node', "without it the hostname is used, like Keepalived's default"],
  ['vrrp_version', 'changed', '', 'lvs-ha speaks VRRPv3 only: version 2 peers will not understand it (migrate both directors together)'],
  ['script_user', 'mapped', 'scripts.user', 'the group argument and root are refused: scripts always run unprivileged'],
  ['enable_script_security', 'dropped', '', 'lvs-ha never runs a shell and always runs scripts as scripts.user'],
  ['vrrp_rt_priority', 'mapped', 'vrrp.realtime_priority', 'clamped to 1..99 as Keepalived does; without it lvs-ha still runs VRRP at real-time priority 10 (0 turns it off)'],
  ['vrrp_strict', 'changed', 'vrrp.instances[].accept_mode', 'sets accept_mode false on every instance without accept that is not the address owner (priority 255); the other strict checks are always on'],
  ['lvs_sync_daemon', 'mapped', 'ipvs_sync', 'INTERFACE [inst] INSTANCE id/maxlen/port/ttl/group'],
  ['lvs_timeouts', 'mapped', 'ipvs.timeouts', 'tcp, tcpfin, udp'],
  ['lvs_flush', 'dropped', '', 'lvs-ha never flushes; it reconciles the IPVS table'],
  ['vrrp_garp_master_repeat', 'mapped', 'vrrp.instances[].announce.repeat', 'default for every instance'],
  ['vrrp_garp_master_refresh', 'mapped', 'vrrp.instances[].announce.refresh', 'default for every instance'],
  ['vrrp_garp_interval', 'mapped', 'vrrp.instances[].announce.interval', 'default for every instance'],
  ['vrrp_gna_interval', 'mapped', 'vrrp.instances[].announce.interval', 'IPv6 instances'],
  ['vrrp_garp_master_delay', 'dropped', '', 'no delayed second burst; use announce.refresh'],
  ['vrrp_mcast_group4', 'dropped', '', 'lvs-ha uses the RFC group 224.0.0.18'],
  ['vrrp_mcast_group6', 'dropped', '', 'lvs-ha uses the RFC group ff02::12'],
  ['vrrp_skip_check_adv_addr', 'dropped', '', 'adverts are always checked'],
  ['vrrp_iptables', 'dropped', '', 'lvs-ha installs no firewall rules'],
  ['notification_email', 'dropped', '', SMTP],
  ['notification_email_from', 'dropped', '', SMTP],
  ['smtp_server', 'dropped', '', SMTP],
  ['smtp_connect_timeout', 'dropped', '', SMTP],
  ['smtp_helo_name', 'dropped', '', SMTP],
  ['smtp_alert', 'dropped', '', SMTP],
  ['enable_snmp_vrrp', 'dropped', '', SNMP],
  ['enable_snmp_checker', 'dropped', '', SNMP],
  ['enable_snmp_rfc', 'dropped', '', SNMP],
  ['enable_traps', 'dropped', '', SNMP],
  ['snmp_socket', 'dropped', '', SNMP],
  ['enable_dbus', 'dropped', '', 'use lvs-ha status --json'],
  ['vrrp_notify_fifo', 'dropped', '', 'use the notify command or an exec alert'],
  ['notify_fifo', 'dropped', '', 'use the notify command or an exec alert'],
  ['dynamic_interfaces', 'dropped', '', 'lvs-ha has no such option'],
  ['max_auto_priority', 'dropped', '', 'lvs-ha runs VRRP at a real-time priority of its own (vrrp.realtime_priority, default 10)'],
];

const SCRIPT: readonly Row[] = [
  ['script', 'changed', 'track.scripts[].command', 'split into arguments (quotes respected); lvs-ha never uses a shell, so shell syntax does not work'],
  ['interval', 'mapped', 'track.scripts[].interval', 'seconds -> duration (Keepalived default 1s)'],
  ['timeout', 'changed', 'track.scripts[].timeout', 'cut to the interval when longer (runs never overlap in lvs-ha)'],
  ['weight', 'changed', 'track.scripts[].weight', 'positive weights become a higher base priority and a negative weight (see the notes)'],
  ['rise', 'mapped', 'track.scripts[].rise', ''],
  ['fall', 'mapped', 'track.scripts[].fall', ''],
  ['user', 'dropped', '', 'every script runs as scripts.user'],
  ['init_fail', 'dropped', '', 'a script is unknown until its first result'],
];

const PROCESS: readonly Row[] = [
  ['process', 'changed', 'track.processes[].process / command_line', 'a name alone: process (the exact comm, at most 15 bytes); with parameters or full_command: command_line'],
  ['param_match', 'changed', 'track.processes[].match', 'partial and initial become prefix (initial: the last parameter must then match whole)'],
  ['full_command', 'mapped', 'track.processes[].command_line', 'the process string split at spaces'],
  ['weight', 'changed', 'track.processes[].weight', 'Keepalived default 1; positive weights become a higher base priority and a negative weight (see the notes)'],
  ['quorum', 'mapped', 'track.processes[].quorum', ''],
  ['quorum_max', 'mapped', 'track.processes[].quorum_max', ''],
  ['fork_delay', 'dropped', '', 'lvs-ha counts processes every interval (1 s); no delay'],
  ['terminate_delay', 'dropped', '', 'lvs-ha counts processes every interval (1 s); no delay'],
  ['delay', 'dropped', '', 'lvs-ha counts processes every interval (1 s); no delay'],
];

const FILE: readonly Row[] = [
  ['file', 'mapped', 'track.files[].path', ''],
  ['weight', 'mapped', 'track.files[].weight', 'value x weight, as Keepalived; reverse becomes a negative weight'],
  ['init_file', 'dropped', '', 'lvs-ha does not create or write the file: create it with its initial value beforehand'],
];

const INSTANCE: readonly Row[] = [
  ['interface', 'mapped', 'interface', ''],
  ['state', 'changed', '', 'lvs-ha has no initial state: every instance starts as BACKUP and the priority elects the master (priority 255 starts as master)'],
  ['virtual_router_id', 'mapped', 'vrid', ''],
  ['priority', 'mapped', 'priority', 'raised by positive tracking weights (see the notes)'],
  ['advert_int', 'changed', 'advert_interval', 'seconds -> whole centiseconds; a warning when rounding changes the value'],
  ['nopreempt', 'mapped', 'preempt: false', ''],
  ['no_preempt', 'dropped', '', 'Keepalived 2.2.7 ignores it in this block (Unknown keyword), so the conversion does too: write nopreempt'],
  ['preempt', 'mapped', 'preempt: true', ''],
  ['preempt_delay', 'mapped', 'preempt_delay', 'dropped with nopreempt (it has no effect there)'],
  ['accept', 'mapped', 'accept_mode: true', 'also the default when neither accept, no_accept nor vrrp_strict is set, and for the address owner (priority 255); with vrrp_strict on a VRRPv2 instance Keepalived resets it to false, and so does the conversion'],
  ['no_accept', 'mapped', 'accept_mode: false', 'Keepalived drops all traffic to the VIPs (IPVS too); lvs-ha keeps what IPVS serves'],
  ['unicast_src_ip', 'mapped', 'unicast_source', ''],
  ['unicast_peer', 'mapped', 'unicast_peers', 'min_ttl/max_ttl are dropped'],
  ['virtual_ipaddress', 'changed', 'virtual_addresses', 'ADDRESS[/PREFIX]; dev (other than the instance interface), label, scope, brd and other options are dropped; an IPv6 list whose first address is not link-local also sets `vrrp.ipv6_addresses: keepalived` (warned, see the section on IPv6 instances above)'],
  ['virtual_ipaddress_excluded', 'changed', 'virtual_addresses_excluded', 'ADDRESS[/PREFIX], options dropped as for virtual_ipaddress; managed like the VIPs, not in adverts. An instance with only excluded addresses gets them as virtual_addresses (warned)'],
  ['track_interface', 'changed', 'track.interfaces', 'weight 0 (the default) = FAULT, as in Keepalived; positive weights see the notes'],
  ['track_script', 'changed', 'track.scripts', 'the vrrp_script is copied in; weight overrides the script weight'],
  ['notify', 'changed', 'notify.command', 'split into arguments; lvs-ha appends its own arguments (see docs/configuration.md)'],
  ['notify_master', 'mapped', 'notify.master', 'run as written, before notify.command'],
  ['notify_backup', 'mapped', 'notify.backup', 'run as written, before notify.command'],
  ['notify_fault', 'mapped', 'notify.fault', 'run as written, before notify.command'],
  ['notify_stop', 'mapped', 'notify.stop', 'run as written when the instance stops'],
  ['notify_deleted', 'dropped', '', 'lvs-ha has no DELETED state; use notify.stop'],
  ['lvs_sync_daemon_interface', 'mapped', 'ipvs_sync', 'the old per-instance form: ipvs_sync follows this instance'],
  ['garp_master_repeat', 'mapped', 'announce.repeat', ''],
  ['garp_master_refresh', 'mapped', 'announce.refresh', ''],
  ['garp_interval', 'dropped', '', 'Keepalived 2.2.7 ignores it in this block (Unknown keyword), so the conversion does too: write vrrp_garp_interval in global_defs'],
  ['gna_interval', 'dropped', '', 'Keepalived 2.2.7 ignores it in this block (Unknown keyword), so the conversion does too: write vrrp_gna_interval in global_defs'],
  ['version', 'changed', '', 'lvs-ha speaks VRRPv3 only'],
  ['garp_master_delay', 'dropped', '', 'no delayed second burst; use announce.refresh'],
  ['authentication', 'dropped', '', 'VRRPv3 has no authentication (RFC 5798); use unicast peers or a dedicated VLAN'],
  ['use_vmac', 'mapped', 'vmac', 'the name becomes vmac.interface (an unnamed IPv6 VMAC keeps Keepalived\'s vrrp.VRID unless another VMAC has it); a MAC other than the RFC one is dropped (warned)'],
  ['vmac_xmit_base', 'mapped', 'vmac.xmit_base', ''],
  ['smtp_alert', 'dropped', '', SMTP],
  ['virtual_routes', 'dropped', '', 'configure routes in the OS (or in the notify command)'],
  ['virtual_rules', 'dropped', '', 'configure policy rules in the OS (or in the notify command)'],
  ['track_process', 'changed', 'track.processes', 'the vrrp_track_process is copied in; weight overrides its weight; positive weights see the notes'],
  ['track_file', 'mapped', 'track.files', 'the track_file is copied in; weight (reverse: negated) overrides its weight'],
  ['track_bfd', 'dropped', '', 'lvs-ha has no BFD'],
  ['dont_track_primary', 'dropped', '', 'the instance interface is always tracked (weight 0: down = FAULT)'],
  ['mcast_src_ip', 'dropped', '', 'the source is the primary address of the interface'],
  ['lower_prio_no_advert', 'dropped', '', 'lvs-ha follows the RFC'],
  ['higher_prio_send_advert', 'dropped', '', 'lvs-ha follows the RFC'],
  ['strict_mode', 'dropped', '', 'the strict checks are always on'],
  ['debug', 'dropped', '', 'use the log level'],
];

const SYNC_GROUP: readonly Row[] = [
  ['group', 'mapped', 'vrrp.sync_groups[].instances', ''],
  ['notify', 'dropped', '', 'lvs-ha notifies per instance (notify.command)'],
  ['notify_master', 'dropped', '', 'see notify'],
  ['notify_backup', 'dropped', '', 'see notify'],
  ['notify_fault', 'dropped', '', 'see notify'],
  ['notify_stop', 'dropped', '', 'see notify'],
  ['smtp_alert', 'dropped', '', SMTP],
  ['global_tracking', 'dropped', '', 'tracking is per instance'],
  ['track_interface', 'dropped', '', 'track in each instance'],
  ['track_script', 'dropped', '', 'track in each instance'],
];

const CHECK_DEFAULTS_NOTE = 'default for the checks below it';
const VS: readonly Row[] = [
  ['lb_algo', 'mapped', 'scheduler', ''],
  ['lvs_sched', 'mapped', 'scheduler', ''],
  ['lb_kind', 'mapped', 'forwarding', "Keepalived's default NAT is written out (lvs-ha's default is dr)"],
  ['lvs_method', 'mapped', 'forwarding, tun_type, tun_port', ''],
  ['flag-1', 'mapped', 'scheduler_flags', 'sh-fallback / mh-fallback'],
  ['flag-2', 'mapped', 'scheduler_flags', 'sh-port / mh-port'],
  ['sh-port', 'mapped', 'scheduler_flags', ''],
  ['sh-fallback', 'mapped', 'scheduler_flags', ''],
  ['mh-port', 'mapped', 'scheduler_flags', ''],
  ['mh-fallback', 'mapped', 'scheduler_flags', ''],
  ['persistence_timeout', 'mapped', 'persistence.timeout', 'without a value 360s, as in Keepalived'],
  ['persistence_granularity', 'mapped', 'persistence.netmask', ''],
  ['protocol', 'mapped', 'protocol', 'not written for fwmark services'],
  ['ip_family', 'mapped', 'family', 'fwmark services'],
  ['quorum', 'changed', 'quorum.min_up', 'Keepalived sums weights, lvs-ha counts up servers: divided by the common weight'],
  ['hysteresis', 'changed', 'quorum.hysteresis', 'as quorum'],
  ['sorry_server', 'mapped', 'sorry_server', 'port defaults to the service port'],
  ['inhibit_on_failure', 'mapped', 'on_failure', "inhibit; without it on_failure: remove (Keepalived's default)"],
  ['delay_loop', 'mapped', 'check.interval', CHECK_DEFAULTS_NOTE],
  ['connect_timeout', 'mapped', 'check.timeout', CHECK_DEFAULTS_NOTE],
  ['retry', 'changed', 'check.fall', CHECK_DEFAULTS_NOTE],
  ['delay_before_retry', 'changed', '', CHECK_DEFAULTS_NOTE],
  ['nb_get_retry', 'dropped', '', 'Keepalived 2.2.7 ignores it in this block (Unknown keyword), so the conversion does too: write retry'],
  ['virtualhost', 'mapped', 'check.host', CHECK_DEFAULTS_NOTE],
  ['real_server', 'mapped', 'real_servers[]', ''],
  ['alpha', 'changed', '', 'no per-service start-up mode: lvs-ha real servers start with unknown health until their first check result'],
  ['warmup', 'dropped', '', 'checks start at once'],
  ['omega', 'dropped', '', 'no notifiers at shutdown'],
  ['quorum_up', 'dropped', '', 'use an alerts entry with the event quorum_restored'],
  ['quorum_down', 'dropped', '', 'use an alerts entry with the event quorum_lost'],
  ['sorry_server_inhibit', 'dropped', '', ''],
  ['sorry_server_lvs_method', 'dropped', '', 'the sorry server uses the service forwarding'],
  ['ops', 'mapped', 'ops', 'UDP and fwmark services; on TCP the kernel ignores it, and it is dropped with a warning'],
  ['persistence_engine', 'dropped', '', 'persistence engines (sip) are not supported'],
  ['ha_suspend', 'dropped', '', 'checks always run'],
  ['smtp_alert', 'dropped', '', SMTP],
  ['snmp_name', 'dropped', '', SNMP],
];

const RS: readonly Row[] = [
  ['weight', 'mapped', 'weight', ''],
  ['uthreshold', 'mapped', 'upper_threshold', ''],
  ['lthreshold', 'mapped', 'lower_threshold', ''],
  ['inhibit_on_failure', 'mapped', 'on_failure', 'per virtual server in lvs-ha: inhibit when any real server asks for it (warned when mixed)'],
  ['TCP_CHECK', 'mapped', 'check: {type: tcp}', ''],
  ['HTTP_GET', 'mapped', 'check: {type: http}', ''],
  ['SSL_GET', 'mapped', 'check: {type: https}', 'tls_verify: false, since Keepalived does not verify certificates'],
  ['MISC_CHECK', 'mapped', 'check: {type: exec}', ''],
  ['SMTP_CHECK', 'mapped', 'check: {type: smtp}', 'banner, EHLO (HELO), QUIT; the first host block only'],
  ['DNS_CHECK', 'mapped', 'check: {type: dns}', ''],
  ['UDP_CHECK', 'mapped', 'check: {type: udp}', "Keepalived's semantics: up unless an ICMP error, or with require_reply a reply"],
  ['PING_CHECK', 'mapped', 'check: {type: icmp}', ''],
  ['delay_loop', 'mapped', 'check.interval', CHECK_DEFAULTS_NOTE],
  ['connect_timeout', 'mapped', 'check.timeout', CHECK_DEFAULTS_NOTE],
  ['retry', 'changed', 'check.fall', CHECK_DEFAULTS_NOTE],
  ['delay_before_retry', 'changed', '', CHECK_DEFAULTS_NOTE],
  ['nb_get_retry', 'dropped', '', 'Keepalived 2.2.7 ignores it in this block (Unknown keyword), so the conversion does too: write retry'],
  ['virtualhost', 'mapped', 'check.host', CHECK_DEFAULTS_NOTE],
  ['alpha', 'changed', '', 'see virtual_server alpha'],
  ['BFD_CHECK', 'dropped', '', 'lvs-ha has no BFD'],
  ['FILE_CHECK', 'dropped', '', 'use an exec check that reads the file'],
  ['notify_up', 'dropped', '', 'use an alerts entry with the event real_server_up'],
  ['notify_down', 'dropped', '', 'use an alerts entry with the event real_server_down'],
  ['lvs_method', 'dropped', '', 'forwarding is per virtual server'],
  ['warmup', 'dropped', '', 'checks start at once'],
  ['smtp_alert', 'dropped', '', SMTP],
  ['snmp_name', 'dropped', '', SNMP],
];

const CHECKER: readonly Row[] = [
  ['connect_ip', 'mapped', 'check.connect_address', ''],
  ['connect_port', 'mapped', 'check.connect_port', ''],
  ['bindto', 'mapped', 'check.bind_address', ''],
  ['connect_timeout', 'mapped', 'check.timeout', 'Keepalived default 5s; cut to the interval when longer'],
  ['delay_loop', 'mapped', 'check.interval', 'Keepalived default 60s'],
  ['retry', 'changed', 'check.fall', 'fall = retry + 1 (the failed check plus its retries); rise is 1'],
  ['delay_before_retry', 'changed', '', 'lvs-ha probes every interval: a failure is declared after fall x interval'],
  ['nb_get_retry', 'changed', 'check.fall', 'old name of retry; read by Keepalived only inside HTTP_GET and SSL_GET'],
  ['url', 'mapped', 'check.path, expect_status, expect_body, expect_digest_md5', 'the first url only (warned when there are more)'],
  ['virtualhost', 'mapped', 'check.host', ''],
  ['enable_sni', 'mapped', 'check.tls_server_name', 'the virtualhost'],
  ['misc_path', 'changed', 'check.command', 'split into arguments; no shell'],
  ['misc_timeout', 'mapped', 'check.timeout', ''],
  ['misc_dynamic', 'mapped', 'check.dynamic_weight', ''],
  ['host', 'changed', 'check.connect_address, connect_port', 'SMTP_CHECK: the first host only'],
  ['helo_name', 'mapped', 'check.helo_name', 'SMTP_CHECK'],
  ['type', 'mapped', 'check.query_type', 'DNS_CHECK; upper case'],
  ['name', 'mapped', 'check.query_name', 'DNS_CHECK'],
  ['payload', 'mapped', 'check.payload_hex', 'UDP_CHECK'],
  ['require_reply', 'mapped', 'check.require_reply, expect_reply_hex', 'UDP_CHECK: with hex bytes, the reply must start with them'],
  ['min_reply_length', 'dropped', '', 'UDP_CHECK: match the reply with expect_reply_hex or expect_reply instead'],
  ['max_reply_length', 'dropped', '', 'UDP_CHECK: match the reply with expect_reply_hex or expect_reply instead'],
  ['bind_if', 'dropped', '', ''],
  ['bind_port', 'dropped', '', ''],
  ['fwmark', 'dropped', '', 'check packets are not marked'],
  ['http_protocol', 'dropped', '', 'lvs-ha speaks HTTP/1.1'],
  ['fast_recovery', 'dropped', '', ''],
  ['warmup', 'dropped', '', 'checks start at once'],
  ['alpha', 'dropped', '', 'see virtual_server alpha'],
  ['log_all_failures', 'dropped', '', 'failures are counted in metrics'],
  ['user', 'dropped', '', 'every script runs as scripts.user'],
];

const URL: readonly Row[] = [
  ['path', 'mapped', 'check.path', ''],
  ['status_code', 'mapped', 'check.expect_status', ''],
  ['digest', 'mapped', 'check.expect_digest_md5', 'MD5 of the body, lowercased; a value that is not 32 hexadecimal characters is dropped (warned)'],
  ['regex', 'changed', 'check.expect_body', 'PCRE2 -> JavaScript regular expression: check the syntax'],
  ['virtualhost', 'mapped', 'check.host', ''],
  ['regex_no_match', 'dropped', '', ''],
  ['regex_options', 'dropped', '', ''],
  ['regex_stack', 'dropped', '', ''],
  ['regex_min_offset', 'dropped', '', ''],
  ['regex_max_offset', 'dropped', '', ''],
];

function rows(context: Context, list: readonly Row[]): MappingRow[] {
  return list.map(([keyword, kind, target, note]) => ({ context, keyword, kind, target, note }));
}

export const MAPPING: readonly MappingRow[] = [
  ...rows('top', TOP),
  ...rows('global_defs', GLOBAL),
  ...rows('vrrp_script', SCRIPT),
  ...rows('vrrp_track_process', PROCESS),
  ...rows('track_file', FILE),
  ...rows('vrrp_instance', INSTANCE),
  ...rows('vrrp_sync_group', SYNC_GROUP),
  ...rows('virtual_server', VS),
  ...rows('real_server', RS),
  ...rows('checker', CHECKER),
  ...rows('url', URL),
];

export function findRow(context: Context, keyword: string): MappingRow | undefined {
  return MAPPING.find((r) => r.context === context && r.keyword === keyword);
}

function cell(text: string): string {
  return text === '' ? '-' : text.replace(/\|/g, '\\|');
}

/** The markdown table docs/migration.md carries between its BEGIN/END markers. */
export function renderMappingTable(): string {
  const head = '| Keepalived block | Keepalived keyword | lvs-ha | Conversion | Notes |\n|---|---|---|---|---|\n';
  const body = MAPPING.map((r) => `| ${r.context} | \`${r.keyword}\` | ${r.target === '' ? '-' : `\`${cell(r.target)}\``} | ${r.kind} | ${cell(r.note)} |`).join('\n');
  return `${head}${body}\n`;
}
