/** Builders for check and virtual-server configuration in health tests. */
import type { CheckConfig, IpAddress, RealServerConfig, VirtualServerConfig } from '../../../src/config/types.js';

export function ip(text: string): IpAddress {
  return { text, family: text.includes(':') ? 'ipv6' : 'ipv4' };
}

type Tcp = Extract<CheckConfig, { type: 'tcp' }>;
type Http = Extract<CheckConfig, { type: 'http' | 'https' }>;
type Exec = Extract<CheckConfig, { type: 'exec' }>;

export function tcpCheck(over: Partial<Tcp> = {}): Tcp {
  return {
    type: 'tcp', intervalMs: 100, timeoutMs: 50, rise: 2, fall: 3,
    connectAddress: null, connectPort: null, bindAddress: null, ...over,
  };
}

export function httpCheck(over: Partial<Http> = {}): Http {
  return {
    type: 'http', intervalMs: 100, timeoutMs: 200, rise: 2, fall: 3,
    connectAddress: null, connectPort: null, bindAddress: null,
    method: 'GET', path: '/health', host: null, expectStatus: [[200, 299]],
    expectBody: null, expectDigest: null, tlsVerify: true, tlsServerName: null, caFile: null,
    maxBodyBytes: 65536, ...over,
  };
}

export function execCheck(command: string[], over: Partial<Exec> = {}): Exec {
  return { type: 'exec', intervalMs: 100, timeoutMs: 500, rise: 1, fall: 1, command, dynamicWeight: false, ...over };
}

export function realServer(address: string, port: number, check: CheckConfig | null): RealServerConfig {
  return { address: ip(address), port, weight: 1, upperThreshold: 0, lowerThreshold: 0, check };
}

export function virtualServer(
  name: string,
  realServers: RealServerConfig[],
  quorum = { minUp: 1, hysteresis: 0 },
): VirtualServerConfig {
  return {
    name,
    key: { kind: 'address', address: ip('10.0.0.100'), port: 80, protocol: 'tcp' },
    scheduler: 'wlc', schedulerFlags: [], persistence: null, forwarding: { method: 'dr' },
    onFailure: 'inhibit', quorum, sorryServer: null, realServers,
  };
}
