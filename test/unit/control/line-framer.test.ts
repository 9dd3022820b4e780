import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../../src/control/line-framer.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('LineFramer', () => {
  it('splits several lines in one chunk and keeps the partial tail', () => {
    const f = new LineFramer(100);
    expect(f.push(b('one\ntwo\nthr'))).toEqual([
      { kind: 'line', text: 'one' },
      { kind: 'line', text: 'two' },
    ]);
    expect(f.bufferedBytes()).toBe(3);
    expect(f.push(b('ee\n'))).toEqual([{ kind: 'line', text: 'three' }]);
    expect(f.bufferedBytes()).toBe(0);
  });

  it('joins a line split across many chunks, strips CR, skips blank lines', () => {
    const f = new LineFramer(100);
    const frames = ['{"a"', ':', '1}\r', '\n', '\n', '  \n'].flatMap((s) => f.push(b(s)));
    expect(frames).toEqual([{ kind: 'line', text: '{"a":1}' }]);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const f = new LineFramer(100);
    const bytes = b('é\n');
    expect([...f.push(bytes.subarray(0, 1)), ...f.push(bytes.subarray(1))]).toEqual([{ kind: 'line', text: 'é' }]);
  });

  it('accepts a line of exactly the cap', () => {
    const f = new LineFramer(8);
    expect(f.push(b('12345678\n'))).toEqual([{ kind: 'line', text: '12345678' }]);
  });

  it('reports an oversized line once, discards it, then resumes', () => {
    const f = new LineFramer(8);
    expect(f.push(b('123456789'))).toEqual([{ kind: 'oversized' }]);
    expect(f.push(b('more junk without newline'))).toEqual([]);
    expect(f.bufferedBytes()).toBe(0);
    expect(f.push(b('tail\nok\n'))).toEqual([{ kind: 'line', text: 'ok' }]);
  });

  it('reports an oversized line that arrives whole with its newline', () => {
    const f = new LineFramer(4);
    expect(f.push(b('abcdef\nab\n'))).toEqual([{ kind: 'oversized' }, { kind: 'line', text: 'ab' }]);
    const g = new LineFramer(4);
    expect(g.push(b('ab'))).toEqual([]);
    expect(g.push(b('cde\nx\n'))).toEqual([{ kind: 'oversized' }, { kind: 'line', text: 'x' }]);
  });

  it('end() yields an unterminated last line, but not the rest of an oversized one', () => {
    const f = new LineFramer(8);
    expect(f.push(b('a\nbc'))).toEqual([{ kind: 'line', text: 'a' }]);
    expect(f.end()).toEqual([{ kind: 'line', text: 'bc' }]);
    expect(f.end()).toEqual([]);
    const g = new LineFramer(4);
    expect(g.push(b('abcdefgh'))).toEqual([{ kind: 'oversized' }]);
    expect(g.end()).toEqual([]);
  });
});
