import { describe, expect, test } from 'vitest';
import { formatIssue } from '../../../src/config/format.js';
import { validateRealServerConfigText } from '../../../src/realserver/config.js';

function errors(text: string): string[] {
  const r = validateRealServerConfigText(text, 'rs.yaml');
  return r.ok ? [] : r.errors.map(formatIssue);
}

describe('real_server section', () => {
  test('a DR section', () => {
    const r = validateRealServerConfigText('real_server:\n  mode: dr\n  vips: [10.0.0.100, "2001:DB8::100"]\n  interfaces: [eth0]\n', 'rs.yaml');
    expect(r).toEqual({
      ok: true,
      config: {
        spec: {
          mode: 'dr',
          vips: [{ address: '10.0.0.100', family: 4 }, { address: '2001:db8::100', family: 6 }],
          tunType: 'ipip',
          guePort: null,
          interfaces: ['eth0'],
          gateway: null,
        },
        stateFile: null,
      },
    });
  });

  test('TUN with GUE and a state file; NAT with a gateway', () => {
    const tun = validateRealServerConfigText('real_server:\n  mode: tun\n  tun_type: gue\n  gue_port: 6080\n  vips: [10.0.0.100]\n  state_file: /run/rs.json\n', 'rs.yaml');
    expect(tun.ok && tun.config.spec.guePort).toBe(6080);
    expect(tun.ok && tun.config.stateFile).toBe('/run/rs.json');
    const nat = validateRealServerConfigText('real_server:\n  mode: nat\n  gateway: 10.0.1.1\n', 'rs.yaml');
    expect(nat.ok && nat.config.spec.gateway).toEqual({ address: '10.0.1.1', family: 4 });
  });

  test('unknown keys get a did-you-mean with file:line:col and key path', () => {
    expect(errors('real_server:\n  mode: dr\n  vips: [10.0.0.100]\n  interfacs: [eth0]\n')).toEqual([
      "rs.yaml:4:3: real_server.interfacs: unknown key 'interfacs'; did you mean 'interfaces'?",
    ]);
    expect(errors('real_servr:\n  mode: dr\n')).toEqual(["rs.yaml:1:1: real_servr: unknown key 'real_servr'; did you mean 'real_server'?"]);
  });

  test('bad values are located', () => {
    expect(errors('real_server:\n  mode: lvs\n  vips: [10.0.0.100]\n')).toEqual(["rs.yaml:2:9: real_server.mode: must be one of dr, tun, nat (found 'lvs')"]);
    expect(errors('real_server:\n  mode: dr\n  vips: [10.0.0.100, 10.0.0.300]\n')[0]).toMatch(/^rs\.yaml:3:22: real_server\.vips\[1\]: must be an IPv4 or IPv6 address/);
    expect(errors('real_server:\n  mode: dr\n  vips: [10.0.0.100, 10.0.0.100]\n')[0]).toMatch(/^rs\.yaml:3:22: real_server\.vips\[1\]: duplicate VIP 10\.0\.0\.100/);
  });

  test('mode combinations', () => {
    expect(errors('real_server:\n  mode: dr\n')).toEqual(["rs.yaml:2:3: real_server.vips: missing required key 'vips' (mode dr needs at least one VIP)"]);
    expect(errors('real_server:\n  mode: dr\n  vips: [10.0.0.1]\n  tun_type: gre\n')).toEqual(["rs.yaml:4:3: real_server.tun_type: 'tun_type' is not allowed with mode dr (only with tun)"]);
    expect(errors('real_server:\n  mode: tun\n  vips: [10.0.0.1]\n  tun_type: gue\n')[0]).toContain("missing required key 'gue_port'");
    expect(errors('real_server:\n  mode: nat\n')[0]).toContain("missing required key 'gateway'");
  });

  test('syntax errors and empty files', () => {
    expect(errors('real_server: [\n')[0]).toMatch(/^rs\.yaml:\d+:\d+: YAML syntax error/);
    expect(errors('')).toEqual(["rs.yaml:1:1: the file is empty; expected a mapping with 'real_server'"]);
  });
});
