import { describe, expect, test } from 'vitest';
import { longestGap, parseHttpReply, sessionsKept, shuffle } from '../../../src/lab/drill-core.js';
import { parseLabArgs } from '../../../src/cli/verbs/lab.js';
import { parseState } from '../../../src/lab/state.js';

const reply = (name: string, extra = ''): string => `HTTP/1.1 200 OK\r\nx-real-server: ${name}\r\ncontent-length: ${String(name.length + 1)}\r\n\r\n${name}\n${extra}`;

describe('parseHttpReply', () => {
  test('a whole reply gives the server name and leaves the rest', () => {
    const r = parseHttpReply(Buffer.from(reply('r2', 'HTTP/1.1')));
    expect(r).toMatchObject({ kind: 'reply', status: 200, server: 'r2' });
    if (r.kind === 'reply') expect(r.rest.toString()).toBe('HTTP/1.1');
  });
  test('a partial head or body asks for more', () => {
    const whole = reply('r1');
    expect(parseHttpReply(Buffer.from(whole.slice(0, 20))).kind).toBe('more');
    expect(parseHttpReply(Buffer.from(whole.slice(0, whole.length - 1))).kind).toBe('more');
  });
  test('garbage and missing length are refused with a reason', () => {
    expect(parseHttpReply(Buffer.from('SSH-2.0-x\r\n\r\n'))).toMatchObject({ kind: 'bad' });
    expect(parseHttpReply(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toMatchObject({ kind: 'bad', reason: expect.stringMatching(/Content-Length/) as unknown });
    expect(parseHttpReply(Buffer.alloc(20_000, 0x41)).kind).toBe('bad');
  });
});

describe('drill verdicts', () => {
  test('longest gap counts the edges of the window', () => {
    expect(longestGap([100, 150, 900, 950], 0, 1000)).toBe(750);
    expect(longestGap([], 0, 1000)).toBe(1000);
    expect(longestGap([10, 990], 0, 1000)).toBe(980);
  });
  test('a session is kept only when the same real server answers again', () => {
    expect(sessionsKept(['r1', 'r2', 'r3'], ['r1', 'r2', 'r3'])).toEqual({ held: 3, kept: 3, broken: 0, percentKept: 100 });
    expect(sessionsKept(['r1', 'r2', 'r3'], ['r1', null, 'r1'])).toEqual({ held: 3, kept: 1, broken: 2, percentKept: 33.3 });
    expect(sessionsKept([null, 'r2'], [null, 'r2'])).toMatchObject({ held: 1, kept: 1 });
  });
});

describe('lab arguments', () => {
  test('options parse and pass on to the VM without --vm/--local', () => {
    const a = parseLabArgs(['up', '--mode', 'nat', '--no-sync', '--advert-interval', '200ms', '--vm']);
    expect(a.options).toEqual({ mode: 'nat', sync: false, advertIntervalMs: 200 });
    expect(a.vm).toBe(true);
    expect(a.passOn).toEqual(['--mode', 'nat', '--no-sync', '--advert-interval', '200ms']);
    expect(parseLabArgs(['drill', '--connections', '20', '--no-return'])).toMatchObject({ connections: 20, returnAfter: false });
  });
  test('bad input is a usage error naming the problem', () => {
    expect(() => parseLabArgs(['sideways'])).toThrow(/lab up/);
    expect(() => parseLabArgs(['up', '--mode', 'fast'])).toThrow(/dr, nat, tun/);
    expect(() => parseLabArgs(['up', '--advert-interval', '15ms'])).toThrow(/centiseconds/);
    expect(() => parseLabArgs(['drill', '--connections', '0'])).toThrow(/1 to 200/);
    expect(() => parseLabArgs(['status', '--mode', 'dr'])).toThrow(/unknown option '--mode'/);
    expect(() => parseLabArgs(['up', '--mode'])).toThrow(/needs a value/);
  });
});

describe('lab state file', () => {
  const good = { version: 1, createdAt: 'x', options: { mode: 'dr', sync: true, advertIntervalMs: 1000 }, namespaces: ['lvl-sw'], processes: [] };
  test('a good file parses', () => {
    expect(parseState(JSON.stringify(good), 's.json').namespaces).toEqual(['lvl-sw']);
  });
  test('a namespace outside the lab prefix is refused (down never deletes what it did not create)', () => {
    expect(() => parseState(JSON.stringify({ ...good, namespaces: ['prod'] }), 's.json')).toThrow(/namespaces/);
    expect(() => parseState('{', 's.json')).toThrow(/not JSON/);
    expect(() => parseState(JSON.stringify({ ...good, version: 9 }), 's.json')).toThrow(/version 9/);
  });

  test('shuffle: a permutation of its input, the input untouched', () => {
    const items = [0, 1, 2, 3, 4];
    // random() always 0: each position i swaps with 0, a rotation by one.
    expect(shuffle(items, () => 0)).toEqual([1, 2, 3, 4, 0]);
    expect(shuffle(items, () => 0.999)).toEqual(items);
    expect([...shuffle(items)].sort()).toEqual(items);
    expect(items).toEqual([0, 1, 2, 3, 4]);
  });
});
