/**
 * Rendering config results for people: one line per issue, and the one-line
 * summary of a valid file.
 */
import type { Config, ConfigIssue } from './types.js';

/** `director-a.yaml:12:11: vrrp.instances[0].vrid: must be an integer 1..255 (found 256)` */
export function formatIssue(issue: ConfigIssue): string {
  // Line 0 means the file as a whole (unreadable, missing).
  const where = issue.line === 0 ? issue.file : `${issue.file}:${issue.line}:${issue.column}`;
  const path = issue.path === '' ? '' : `${issue.path}: `;
  // A quoted name the message already shows ("unknown key 'preemt'") is not repeated.
  const shown = issue.found?.startsWith("'") === true && issue.message.includes(issue.found);
  const found = issue.found === undefined || shown ? '' : ` (found ${issue.found})`;
  return `${where}: ${path}${issue.message}${found}`;
}

function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** `node director-a, 1 VRRP instance, 2 virtual servers, 4 real servers, 2 alert sinks` */
export function summarizeConfig(config: Config): string {
  const realServers = config.virtualServers.reduce((sum, vs) => sum + vs.realServers.length, 0);
  const parts = [
    `node ${config.node}`,
    count(config.vrrp.instances.length, 'VRRP instance'),
    ...(config.vrrp.syncGroups.length > 0 ? [count(config.vrrp.syncGroups.length, 'sync group')] : []),
    count(config.virtualServers.length, 'virtual server'),
    count(realServers, 'real server'),
    count(config.alerts.length, 'alert sink'),
    ...(config.ipvsSync ? [`ipvs_sync following ${config.ipvsSync.follow}`] : []),
  ];
  return parts.join(', ');
}
