/** Argument parsing of the verbs that talk to the daemon (drain, undrain, reload). */
import { describe, expect, it } from 'vitest';
import { activeConnsOf } from '../../../src/cli/verbs/drain.js';
import { parseControlArgs, parseDuration, parseHostPort } from '../../../src/cli/verbs/control-args.js';
import { drainTargetProblem, parseDrainArgs } from '../../../src/daemon/director-commands.js';
import { valid } from '../config/helpers.js';

describe('control verb arguments', () => {
  it('parses --json, --socket, valued flags and positionals', () => {
    const a = parseControlArgs(['10.0.0.1:80', '--json', '--wait=30s', '--socket', '/s.sock'], ['--wait']);
    expect(a).toEqual({ json: true, socket: '/s.sock', flags: new Map([['--wait', '30s']]), positionals: ['10.0.0.1:80'] });
    expect(parseControlArgs([]).socket).toBe('/run/lvs-ha/control.sock');
    expect(() => parseControlArgs(['--wait', '1s'])).toThrow(/unknown option/);
    expect(() => parseControlArgs(['--socket'])).toThrow(/needs a value/);
    expect(() => parseControlArgs(['--socket=a', '--socket=b'])).toThrow(/twice/);
  });

  it('parses ADDRESS:PORT (IPv6 in brackets) and refuses the rest', () => {
    expect(parseHostPort('10.0.0.11:80')).toEqual({ address: '10.0.0.11', port: 80 });
    expect(parseHostPort('[2001:db8::1]:443')).toEqual({ address: '2001:db8::1', port: 443 });
    for (const bad of ['10.0.0.11', '2001:db8::1:80', 'host:80', '10.0.0.11:70000']) expect(() => parseHostPort(bad)).toThrow(/ADDRESS:PORT/);
  });

  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10')).toBe(10_000);
    expect(() => parseDuration('soon')).toThrow(/duration/);
  });

  it('sums active connections of the real server in the matching virtual servers', () => {
    const status = {
      virtual_servers: [
        { name: 'a', real_servers: [{ address: '10.0.0.11', port: 80, active_conns: 3 }, { address: '10.0.0.12', port: 80, active_conns: 9 }] },
        { name: 'b', real_servers: [{ address: '10.0.0.11', port: 80, active_conns: 2 }] },
        { name: 'c', real_servers: [{ address: '10.0.0.11', port: 80, active_conns: null }] },
      ],
    };
    expect(activeConnsOf(status, '10.0.0.11', 80, null)).toBe(5);
    expect(activeConnsOf(status, '10.0.0.11', 80, 'b')).toBe(2);
    expect(activeConnsOf(status, '10.0.0.13', 80, null)).toBe(0);
  });

  it('validates the drain command arguments in the daemon', () => {
    expect(parseDrainArgs({ address: '10.0.0.11', port: 80 })).toEqual({ address: '10.0.0.11', port: 80, virtualServer: null });
    expect(parseDrainArgs({ address: '2001:DB8::1', port: 80, virtual_server: 'web' })).toEqual({ address: '2001:db8::1', port: 80, virtualServer: 'web' });
    expect(parseDrainArgs({ address: 'x', port: 80 })).toMatch(/address/);
    expect(parseDrainArgs({ address: '10.0.0.11', port: 1.5 })).toMatch(/port/);
    expect(parseDrainArgs({ address: '10.0.0.11', port: 80, virtual_server: 3 })).toMatch(/virtual_server/);
  });

  it('a drain must name a real server of the running config (not_found otherwise, with what is there)', () => {
    const vs = valid('node: d\nvirtual_servers:\n  - { name: web, address: 10.0.0.100, port: 80, real_servers: [{ address: 10.0.0.11 }, { address: 10.0.0.12, port: 80 }] }\n').virtualServers;
    expect(drainTargetProblem(vs, { address: '10.0.0.11', port: 80, virtualServer: null })).toBeNull();
    expect(drainTargetProblem(vs, { address: '10.0.0.11', port: 80, virtualServer: 'web' })).toBeNull();
    expect(drainTargetProblem(vs, { address: '10.0.0.13', port: 80, virtualServer: null })).toBe('no real server 10.0.0.13:80 in any virtual server of the running config');
    expect(drainTargetProblem(vs, { address: '10.0.0.11', port: 81, virtualServer: 'web' })).toBe("no real server 10.0.0.11:81 in virtual server 'web' of the running config");
    expect(drainTargetProblem(vs, { address: '10.0.0.11', port: 80, virtualServer: 'wbe' })).toBe("no virtual server 'wbe' in the running config (there are: web)");
    expect(drainTargetProblem([], { address: '10.0.0.11', port: 80, virtualServer: null })).toBe('no real server 10.0.0.11:80 in any virtual server of the running config');
  });
});

