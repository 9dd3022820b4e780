/**
 * lvs-ha(8), generated from the verb table: the NAME and SYNOPSIS from the
 * verbs' summaries, then each verb's own `--help` text verbatim. The package
 * build writes it (`lvs-ha __man`), so the page cannot drift from the CLI.
 */
import { verbFlags, verbSubcommands } from './introspect.js';
import type { Verb } from './verb.js';

/** Text as roff: backslashes and minus signs escaped, no line starting with a control character. */
export function roffEscape(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function verbSection(verb: Verb): string[] {
  const subs = verbSubcommands(verb);
  const flags = verbFlags(verb);
  return [
    `.SS ${roffEscape(verb.name)}`,
    roffEscape(`${verb.summary[0]?.toUpperCase() ?? ''}${verb.summary.slice(1)}.`),
    ...(subs.length > 0 ? ['.br', `Subcommands: ${subs.map((s) => `\\fB${roffEscape(s)}\\fR`).join(', ')}.`] : []),
    ...(flags.length > 0 ? ['.br', `Flags: ${flags.map((f) => `\\fB${roffEscape(f)}\\fR`).join(', ')}.`] : []),
    '.PP',
    '.RS 4',
    '.nf',
    roffEscape(verb.help.replace(/\n+$/, '')),
    '.fi',
    '.RE',
  ];
}

export function renderManPage(verbs: readonly Verb[], version: string, date: string): string {
  return [
    `.TH LVS\\-HA 8 "${date}" "lvs\\-ha ${roffEscape(version)}" "System Administration"`,
    '.SH NAME',
    'lvs\\-ha \\- VRRPv3 and IPVS high availability for Linux Virtual Server directors',
    '.SH SYNOPSIS',
    '.B lvs\\-ha',
    '.I VERB',
    '[\\fIoptions\\fR]',
    '.br',
    '.B lvs\\-ha',
    '\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR',
    '.br',
    '.B lvs\\-ha',
    '.I VERB',
    '.B \\-\\-help',
    '.SH DESCRIPTION',
    'lvs\\-ha is the daemon and command line tool of a Linux Virtual Server director pair:',
    'it elects master and backup with VRRPv3, moves the virtual addresses, health\\-checks the',
    'real servers, programs IPVS over generic netlink and drives the kernel\'s connection\\-sync',
    'daemon. \\fBlvs\\-ha run\\fR is the daemon (started by systemd as \\fBlvs\\-ha.service\\fR);',
    'the other verbs check configurations or talk to the running daemon over its control socket.',
    '.PP',
    'Verbs:',
    '.RS 4',
    ...verbs.flatMap((v) => ['.TP 20', `\\fB${roffEscape(v.name)}\\fR`, roffEscape(v.summary)]),
    '.RE',
    '.SH VERBS',
    'Each verb below is followed by the text \\fBlvs\\-ha\\fR \\fIVERB\\fR \\fB\\-\\-help\\fR prints.',
    ...verbs.flatMap(verbSection),
    '.SH EXIT STATUS',
    '0 on success, 1 on an error, 2 on a usage error (unknown verb or option);',
    'some verbs add their own (listed under the verb).',
    '.SH FILES',
    '.TP',
    '.I /etc/lvs\\-ha/lvs\\-ha.yaml',
    'the director configuration (see \\fBlvs\\-ha.yaml\\fR(5)).',
    '.TP',
    '.I /etc/lvs\\-ha/real\\-server.yaml',
    'the real\\-server configuration of \\fBlvs\\-ha\\-real\\-server.service\\fR.',
    '.TP',
    '.I /etc/default/lvs\\-ha',
    'environment for the systemd units (options of the config check before start).',
    '.TP',
    '.I /run/lvs\\-ha/control.sock',
    'the control socket (root only) of the running daemon.',
    '.TP',
    '.I /var/lib/lvs\\-ha/',
    'the real\\-server state file.',
    '.SH SEE ALSO',
    '\\fBlvs\\-ha.yaml\\fR(5), \\fBipvsadm\\fR(8), \\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1);',
    'the guides under \\fI/usr/share/doc/lvs\\-ha/\\fR (operations.md first).',
    '',
  ].join('\n');
}
