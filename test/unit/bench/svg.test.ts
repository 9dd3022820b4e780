import { describe, expect, test } from 'vitest';
import { gapPanels } from '../../../bench/report/rows.js';
import { decades, escapeXml, failoverSvg } from '../../../bench/report/svg.js';
import { vrrpBench, VRRP_OK } from './fixtures.js';

const count = (text: string, needle: string): number => text.split(needle).length - 1;

/** Every element opened is closed (self-closing ones aside): a cheap well-formedness check. */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name = '', self] = m;
    if (self === '/') continue;
    if (close === '/') {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0;
}

describe('failoverSvg', () => {
  const svg = failoverSvg(gapPanels(VRRP_OK), '2026-11-21 · host <netns>');
  test('an SVG document with both panels, both series and labelled axes', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(count(svg, 'data-panel="')).toBe(2);
    expect(svg).toContain('>link cut<');
    expect(svg).toContain('>graceful stop (SIGTERM)<');
    expect(count(svg, 'advert interval (ms, log scale)')).toBe(2);
    expect(count(svg, 'reply gap (ms, log scale)')).toBe(2);
    expect(svg).toContain('>lvs-ha<');
    expect(svg).toContain('>Keepalived<');
  });
  test('one point per interval for each series and panel, Keepalived dashed', () => {
    expect(count(svg, 'data-series="lvs-ha" data-event="cut"')).toBe(3);
    expect(count(svg, 'data-series="Keepalived" data-event="cut"')).toBe(3);
    expect(count(svg, 'data-series="lvs-ha" data-event="sigterm"')).toBe(3);
    expect(count(svg, 'data-series="Keepalived" data-event="sigterm"')).toBe(3);
    expect(count(svg, '<path ')).toBe(4);
    expect(count(svg, 'stroke-dasharray="6 4"')).toBe(3); // two Keepalived lines and the legend
  });
  test('a missing point leaves it out; a panel with no data says so', () => {
    const sparse = failoverSvg(gapPanels(vrrpBench([[10, 'cut', null, 41], [100, 'cut', 290, 330]])), 'x');
    expect(count(sparse, 'data-series="lvs-ha"')).toBe(1);
    expect(count(sparse, 'data-series="Keepalived"')).toBe(2);
    expect(count(sparse, '>no data<')).toBe(1);
    expect(balanced(sparse)).toBe(true);
  });
  test('log scale: a longer gap is drawn higher, each decade an equal step', () => {
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"[^>]*data-event="cut"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(3); // 36, 292, 3352 ms
    const [a = 0, b = 0, c = 0] = ys;
    expect(a).toBeGreaterThan(b);
    expect(b).toBeGreaterThan(c);
    const step = (a - c) / (Math.log10(3352) - Math.log10(36));
    expect(a - b).toBeCloseTo(step * (Math.log10(292) - Math.log10(36)), 0);
  });
  test('text is escaped', () => {
    expect(svg).toContain('host &lt;netns&gt;');
    expect(escapeXml('a & "b"')).toBe('a &amp; &quot;b&quot;');
  });
  test('decades cover the range', () => {
    expect(decades(36, 3352)).toEqual({ min: 1, max: 4 });
    expect(decades(100, 100)).toEqual({ min: 2, max: 3 });
  });
});
