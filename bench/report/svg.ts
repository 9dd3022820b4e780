/**
 * Pure: the failover chart as hand-written SVG text. One panel per event (link cut, graceful
 * stop); in each, the median reply gap (ms, log scale) by advert interval (ms, log scale) for
 * lvs-ha (solid line, circles) and Keepalived (dashed line, squares).
 */
import type { GapPanel, GapSeries } from './types.js';

const PANEL_W = 360;
const H = 330;
const M = { left: 70, right: 16, top: 48, bottom: 52 };
const STYLE: Readonly<Record<GapSeries['impl'], { color: string; dash: string; marker: 'circle' | 'square' }>> = {
  'lvs-ha': { color: '#1f6fb4', dash: '', marker: 'circle' },
  Keepalived: { color: '#d9711c', dash: '6 4', marker: 'square' },
};

export const escapeXml = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const px = (v: number): string => v.toFixed(1);
const tick = (v: number): string => (v >= 1 ? v.toFixed(0) : String(v));

/** Powers of ten covering [lo, hi] (at least one decade). */
export function decades(lo: number, hi: number): { min: number; max: number } {
  const min = Math.floor(Math.log10(Math.max(lo, 1e-3)));
  let max = Math.ceil(Math.log10(Math.max(hi, 1e-3)));
  if (max <= min) max = min + 1;
  return { min, max };
}

interface Scale { x: (v: number) => number; y: (v: number) => number; xd: { min: number; max: number }; yd: { min: number; max: number } }

function scales(panels: readonly GapPanel[]): Scale {
  const pts = panels.flatMap((p) => p.series.flatMap((s) => s.points));
  const xs = pts.map((p) => p.intervalMs);
  const ys = pts.map((p) => p.gapMs);
  const xd = decades(Math.min(...xs, 10), Math.max(...xs, 1000));
  const yd = decades(Math.min(...ys, 10), Math.max(...ys, 100));
  // Half a decade of margin either side on x, so the end points are not on the frame.
  const xlo = xd.min - 0.25;
  const xhi = xd.max + 0.25;
  const plotW = PANEL_W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  return {
    xd, yd,
    x: (v) => M.left + ((Math.log10(v) - xlo) / (xhi - xlo)) * plotW,
    y: (v) => M.top + plotH - ((Math.log10(v) - yd.min) / (yd.max - yd.min)) * plotH,
  };
}

function axes(s: Scale): string[] {
  const out: string[] = [];
  const bottom = H - M.bottom;
  const right = PANEL_W - M.right;
  out.push(`<rect x="${px(M.left)}" y="${px(M.top)}" width="${px(right - M.left)}" height="${px(bottom - M.top)}" fill="none" stroke="#888"/>`);
  for (let d = s.yd.min; d <= s.yd.max; d++) {
    const y = s.y(10 ** d);
    out.push(`<line x1="${px(M.left)}" y1="${px(y)}" x2="${px(right)}" y2="${px(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${px(M.left - 6)}" y="${px(y + 4)}" text-anchor="end" class="tick">${tick(10 ** d)}</text>`);
  }
  for (let d = s.xd.min; d <= s.xd.max; d++) {
    const x = s.x(10 ** d);
    out.push(`<line x1="${px(x)}" y1="${px(M.top)}" x2="${px(x)}" y2="${px(bottom)}" stroke="#eee"/>`);
    out.push(`<text x="${px(x)}" y="${px(bottom + 16)}" text-anchor="middle" class="tick">${tick(10 ** d)}</text>`);
  }
  out.push(`<text x="${px((M.left + right) / 2)}" y="${px(H - 12)}" text-anchor="middle" class="axis">advert interval (ms, log scale)</text>`);
  const midY = (M.top + bottom) / 2;
  out.push(`<text x="16" y="${px(midY)}" text-anchor="middle" class="axis" transform="rotate(-90 16 ${px(midY)})">reply gap (ms, log scale)</text>`);
  return out;
}

function marker(kind: 'circle' | 'square', x: number, y: number, color: string, attrs: string): string {
  return kind === 'circle'
    ? `<circle cx="${px(x)}" cy="${px(y)}" r="4" fill="${color}" ${attrs}/>`
    : `<rect x="${px(x - 4)}" y="${px(y - 4)}" width="8" height="8" fill="${color}" ${attrs}/>`;
}

function series(sr: GapSeries, event: string, s: Scale): string[] {
  const st = STYLE[sr.impl];
  const out: string[] = [];
  if (sr.points.length > 1) {
    const d = sr.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(s.x(p.intervalMs))},${px(s.y(p.gapMs))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${st.color}" stroke-width="2"${st.dash === '' ? '' : ` stroke-dasharray="${st.dash}"`}/>`);
  }
  for (const p of sr.points) {
    const attrs = `class="point" data-series="${escapeXml(sr.impl)}" data-event="${event}"`;
    out.push(`<g>${marker(st.marker, s.x(p.intervalMs), s.y(p.gapMs), st.color, attrs)}<title>${escapeXml(`${sr.impl}, ${String(p.intervalMs)} ms adverts: ${fmt(p.gapMs)} ms`)}</title></g>`);
  }
  return out;
}

function panel(p: GapPanel, s: Scale, offsetX: number): string[] {
  const empty = p.series.every((sr) => sr.points.length === 0);
  return [
    `<g transform="translate(${px(offsetX)},0)" data-panel="${p.event}">`,
    `<text x="${px((M.left + PANEL_W - M.right) / 2)}" y="${px(M.top - 10)}" text-anchor="middle" class="title">${escapeXml(p.title)}</text>`,
    ...axes(s),
    ...(empty ? [`<text x="${px((M.left + PANEL_W - M.right) / 2)}" y="${px(H / 2)}" text-anchor="middle" class="axis">no data</text>`] : []),
    ...p.series.flatMap((sr) => series(sr, p.event, s)),
    '</g>',
  ];
}

function legend(width: number): string[] {
  const items = Object.entries(STYLE).map(([name, st], i) => {
    const x = width / 2 - 130 + i * 150;
    const line = `<line x1="${px(x)}" y1="20" x2="${px(x + 28)}" y2="20" stroke="${st.color}" stroke-width="2"${st.dash === '' ? '' : ` stroke-dasharray="${st.dash}"`}/>`;
    return `${line}${marker(st.marker, x + 14, 20, st.color, 'class="legend"')}<text x="${px(x + 36)}" y="24" class="legend-text">${escapeXml(name)}</text>`;
  });
  return items;
}

/** The whole SVG document; `caption` (e.g. the date and machine) goes under the legend. */
export function failoverSvg(panels: readonly GapPanel[], caption: string): string {
  const s = scales(panels);
  const width = PANEL_W * Math.max(1, panels.length);
  const body = panels.flatMap((p, i) => panel(p, s, i * PANEL_W));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(H + 16)}" viewBox="0 0 ${String(width)} ${String(H + 16)}" font-family="sans-serif">`,
    '<title>VRRP failover reply gap by advert interval: lvs-ha and Keepalived</title>',
    '<style>.tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#222}.title{font-size:13px;font-weight:bold;fill:#222}.legend-text{font-size:12px;fill:#222}.caption{font-size:10px;fill:#666}</style>',
    '<rect width="100%" height="100%" fill="#fff"/>',
    ...legend(width),
    ...body,
    `<text x="${px(width / 2)}" y="${String(H + 10)}" text-anchor="middle" class="caption">${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
