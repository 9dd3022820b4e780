import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rt } from 'netlink';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import type { TrackProcess } from '../../../src/config/types.js';
import { applyRouteFact, routeFact, routeKeyText } from '../../../src/os/route-watch.js';
import { parseFileValue } from '../../../src/vrrp/track/files.js';
import { ProcessWatch } from '../../../src/vrrp/track/process-watch.js';
import { matches, parseCmdline, type CmdlineCache, parseStat, patternKey, patternOf, quorumMet, scanProc } from '../../../src/vrrp/track/processes.js';
import { InstanceTracker } from '../../../src/vrrp/track/tracker.js';
import { instanceConfig } from './runner-fakes.js';

const proc = (over: Partial<TrackProcess> = {}): TrackProcess => ({
  name: 'p', process: 'haproxy', commandLine: null, match: 'exact', quorum: 1, quorumMax: null, weight: -50, intervalMs: 1000, ...over,
});

describe('InstanceTracker: routes, processes, files', () => {
  const config = instanceConfig({
    track: {
      interfaces: [],
      scripts: [],
      virtualServers: [],
      routes: [{ name: '0.0.0.0/0 table 254', family: 'ipv4', destination: '0.0.0.0', prefixLength: 0, table: 254, expect: 'present', weight: -20 }],
      processes: [proc({ name: 'hap' }), proc({ name: 'must', weight: 0 })],
      files: [{ name: 'prio', path: '/run/prio', weight: 10 }, { name: 'down', path: '/run/down', weight: 0 }],
    },
  });

  it('routes and processes weigh while failed; files weigh value x weight', () => {
    const t = new InstanceTracker(config, () => true);
    expect(t.verdict()).toEqual({ priorityDelta: 0, fault: false });
    t.set('route', '0.0.0.0/0 table 254', false);
    t.set('process', 'hap', false);
    expect(t.verdict()).toEqual({ priorityDelta: -70, fault: false });
    t.set('process', 'must', false);
    expect(t.verdict().fault).toBe(true);
    t.set('process', 'must', true);
    expect(t.setValue('prio', -3)).toBe(true);
    expect(t.setValue('prio', -3)).toBe(false);
    expect(t.verdict()).toEqual({ priorityDelta: -100, fault: false });
    expect(t.setValue('prio', 5)).toBe(true);
    expect(t.verdict()).toEqual({ priorityDelta: -20, fault: false });
  });

  it('a file result below -253 is FAULT; with weight 0 any non-zero value is FAULT', () => {
    const t = new InstanceTracker(config, () => true);
    t.setValue('prio', -25);
    expect(t.verdict()).toEqual({ priorityDelta: -250, fault: false });
    t.setValue('prio', -26);
    expect(t.verdict()).toEqual({ priorityDelta: 0, fault: true });
    t.setValue('prio', 0);
    t.setValue('down', 1);
    expect(t.verdict().fault).toBe(true);
    t.setValue('down', 0);
    expect(t.verdict()).toEqual({ priorityDelta: 0, fault: false });
    expect(t.setValue('nope', 3)).toBe(false);
    expect(t.snapshot().find((o) => o.name === 'prio')).toMatchObject({ kind: 'file', value: 0, priority_delta: 0 });
  });

  it('a reload keeps the values and states of kept objects', () => {
    const t = new InstanceTracker(config, () => true);
    t.setValue('prio', -2);
    t.set('process', 'hap', false);
    t.reconfigure(config, () => true, false);
    expect(t.verdict()).toEqual({ priorityDelta: -70, fault: false });
  });
});

describe('process matching', () => {
  it('parses stat lines, also with parentheses and spaces in the name', () => {
    const tail = ' 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10';
    expect(parseStat(`42 (haproxy) S${tail}`)).toEqual({ comm: 'haproxy', zombie: false, startTime: '987654' });
    expect(parseStat(`43 (a) b) (c) Z${tail}`)).toMatchObject({ comm: 'a) b) (c', zombie: true });
    expect(parseStat('garbage')).toBeNull();
    expect(parseCmdline(Buffer.from('/usr/bin/python3\0/srv/app.py\0--x\0'))).toEqual(['/usr/bin/python3', '/srv/app.py', '--x']);
  });

  it('matches a name exactly, a command line exactly or by prefix; zombies never', () => {
    const info = { comm: 'haproxy', zombie: false, argv: ['/usr/sbin/haproxy', '-f', '/etc/haproxy.cfg'] };
    expect(matches({ process: 'haproxy', commandLine: null, match: 'exact' }, info)).toBe(true);
    expect(matches({ process: 'haprox', commandLine: null, match: 'exact' }, info)).toBe(false);
    expect(matches({ process: 'haproxy', commandLine: null, match: 'exact' }, { ...info, zombie: true })).toBe(false);
    expect(matches({ process: null, commandLine: ['/usr/sbin/haproxy', '-f'], match: 'prefix' }, info)).toBe(true);
    expect(matches({ process: null, commandLine: ['/usr/sbin/haproxy', '-f'], match: 'exact' }, info)).toBe(false);
    expect(matches({ process: null, commandLine: ['/usr/sbin/haproxy', '-f', '/etc/haproxy.cfg'], match: 'exact' }, info)).toBe(true);
    expect(matches({ process: null, commandLine: ['/usr/sbin/haproxy'], match: 'prefix' }, { ...info, argv: null })).toBe(false);
  });

  it('quorum and quorum_max bound the healthy counts', () => {
    expect(quorumMet(proc({ quorum: 2 }), 1)).toBe(false);
    expect(quorumMet(proc({ quorum: 2 }), 9)).toBe(true);
    expect(quorumMet(proc({ quorum: 0, quorumMax: 0 }), 0)).toBe(true);
    expect(quorumMet(proc({ quorum: 0, quorumMax: 0 }), 1)).toBe(false);
  });

  it('scans a /proc-like tree (cmdline read only when a pattern needs it)', () => {
    const root = mkdtempSync(join(tmpdir(), 'lvsha-proc-'));
    try {
      const add = (pid: number, stat: string, cmdline?: string): void => {
        mkdirSync(join(root, String(pid)));
        writeFileSync(join(root, String(pid), 'stat'), stat);
        if (cmdline !== undefined) writeFileSync(join(root, String(pid), 'cmdline'), cmdline);
      };
      add(1, '1 (haproxy) S 0', '/usr/sbin/haproxy\0-f\0/etc/h.cfg\0');
      add(2, '2 (haproxy) Z 1');
      add(3, '3 (python3) S 1', '/usr/bin/python3\0/srv/app.py\0');
      mkdirSync(join(root, 'self'));
      const byName = { process: 'haproxy', commandLine: null, match: 'exact' } as const;
      const byArgv = { process: null, commandLine: ['/usr/bin/python3', '/srv/app.py'], match: 'exact' } as const;
      const cache: CmdlineCache = new Map();
      const r = scanProc([byName, byArgv], root, cache);
      expect(r.processes).toBe(3);
      expect(r.counts).toEqual({ [patternKey(byName)]: 1, [patternKey(byArgv)]: 1 });
      expect([...cache.keys()].sort()).toEqual(['1', '3']);
      // A known process's command line is not read again; a new process (other start time) is.
      writeFileSync(join(root, '3', 'cmdline'), '/bin/other\0');
      expect(scanProc([byArgv], root, cache).counts[patternKey(byArgv)]).toBe(1);
      writeFileSync(join(root, '3', 'stat'), '3 (python3) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 777');
      expect(scanProc([byArgv], root, cache).counts[patternKey(byArgv)]).toBe(0);
      rmSync(join(root, '1'), { recursive: true });
      scanProc([byArgv], root, cache);
      expect([...cache.keys()]).toEqual(['3']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('ProcessWatch', () => {
  it('one scan serves every subscriber, at the shortest interval; a failed scan keeps the last state', async () => {
    const clock = new FakeClock();
    let scans = 0;
    let fail = false;
    const watch = new ProcessWatch(clock, silentLogger(), (patterns) => {
      scans += 1;
      if (fail) return Promise.reject(new Error('stuck'));
      return Promise.resolve({ counts: Object.fromEntries(patterns.map((p) => [patternKey(p), 2])), processes: 10, elapsedMs: 1 });
    });
    const seen: [string, number][] = [];
    watch.set('a', { processes: [proc({ name: 'x', intervalMs: 2000 })], onCounts: (c) => { seen.push(...c.entries()); } });
    watch.set('b', { processes: [proc({ name: 'y', process: 'nginx', intervalMs: 500 })], onCounts: (c) => { seen.push(...c.entries()); } });
    await watch.refresh();
    expect(scans).toBe(1);
    expect(seen).toEqual([['x', 2], ['y', 2]]);
    clock.advance(0);
    await Promise.resolve();
    const before = scans;
    clock.advance(500);
    await new Promise((r) => { setImmediate(r); });
    expect(scans).toBe(before + 1);
    fail = true;
    seen.length = 0;
    await watch.refresh();
    expect(seen).toEqual([]);
    watch.remove('a');
    watch.remove('b');
    watch.close();
    expect(patternOf(proc()).process).toBe('haproxy');
  });
});

describe('tracked file values', () => {
  it('reads integers; anything else, an empty file too, is refused', () => {
    expect(parseFileValue(' -12\n')).toEqual({ ok: true, value: -12 });
    expect(parseFileValue('')).toMatchObject({ ok: false });
    expect(parseFileValue('+3')).toEqual({ ok: true, value: 3 });
    expect(parseFileValue('1.5')).toMatchObject({ ok: false });
    expect(parseFileValue('abc')).toMatchObject({ ok: false, reason: "not an integer: 'abc'" });
    expect(parseFileValue('99999999')).toMatchObject({ ok: false });
  });
});

describe('route facts', () => {
  const msg = (over: Partial<rt.RouteMessage['data']>, attrs: rt.RouteAttrs): rt.RouteMessage => ({ kind: 'route', data: { family: 2, dstLen: 24, table: 254, ...over }, attrs });

  it('keys a route by family, destination, length and table (RTA_TABLE beyond 255)', () => {
    expect(routeFact(msg({}, { dst: Buffer.from([198, 51, 100, 0]), priority: 10 }))?.key).toBe('ipv4 198.51.100.0/24 table 254');
    expect(routeFact(msg({ dstLen: 0, table: 252 }, { table: 1000 }))?.key).toBe('ipv4 0.0.0.0/0 table 1000');
    expect(routeFact(msg({ flags: { cloned: true } }, {}))).toBeUndefined();
    expect(routeFact(msg({ family: 7 }, {}))).toBeUndefined();
    expect(routeKeyText({ family: 'ipv6', destination: '2001:db8::', prefixLength: 32, table: 254 })).toBe('ipv6 2001:db8::/32 table 254');
  });

  it('a destination is present while any of its routes exists; unwatched keys are ignored', () => {
    const key = 'ipv4 198.51.100.0/24 table 254';
    const state = new Map([[key, new Set<string>()]]);
    expect(applyRouteFact(state, { key, variant: 'a' }, false)).toBe(key);
    expect(applyRouteFact(state, { key, variant: 'b' }, false)).toBeUndefined();
    expect(applyRouteFact(state, { key, variant: 'a' }, true)).toBeUndefined();
    expect(applyRouteFact(state, { key, variant: 'b' }, true)).toBe(key);
    expect(applyRouteFact(state, { key: 'ipv4 10.0.0.0/8 table 254', variant: 'a' }, false)).toBeUndefined();
  });
});
