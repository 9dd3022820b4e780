import type { Config, ConfigIssue, ConfigLoadResult } from '../../../src/config/types.js';

/** A minimal valid-looking Config for daemon tests (the loader is not involved). */
export function testConfig(node: string, socketPath: string): Config {
  return {
    node,
    control: { socketPath, metricsListen: null, readonlyGroup: null },
    vrrp: { ipv4Checksum: 'rfc9568', ipv6Addresses: 'rfc9568', realtimePriority: 0, instances: [], syncGroups: [] },
    ipvsSync: null,
    ecmp: null,
    ipvs: { timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 }, sysctls: { sloppyTcp: null, sloppySctp: null } },
    virtualServers: [],
    scripts: { user: 'nobody' },
    alerts: [],
  };
}

export function okResult(file: string, config: Config): ConfigLoadResult {
  return { ok: true, file, config };
}

export function badResult(file: string, issues: readonly ConfigIssue[]): ConfigLoadResult {
  return { ok: false, file, errors: issues };
}

export function issue(file: string, line: number, path: string, message: string): ConfigIssue {
  return { file, line, column: 3, path, message, found: '256', expected: 'an integer 1..255' };
}

/** A loader whose answers the test scripts in order; the last answer repeats. */
export function scriptedLoader(answers: ConfigLoadResult[]): { load: (path: string) => Promise<ConfigLoadResult>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    load(path) {
      calls.push(path);
      const next = answers.length > 1 ? answers.shift() : answers[0];
      if (!next) return Promise.reject(new Error('scriptedLoader: no answers'));
      return Promise.resolve(next);
    },
  };
}
