/**
 * Daily bars as SVG, no library: one chart per site, for each local day a stacked bar of this period's
 * kWh (per energy source metered, substituted in red on top) and, beside it, the previous period's bar
 * for the same day of its quarter (metered grey, substituted light red). The y axis starts at zero.
 */
import { S } from '../strings.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = { grid: '#0f5f8c', renewable: '#2e9e5b', 'own-offgrid': '#8a5a00' };
const SUBST = '#c0262d';
const PREV = '#a9b4bf';
const PREV_SUBST = '#e8a3a6';

function el(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) if (c) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

/** A round axis maximum (1, 2 or 5 x 10^n) at or above `v`. */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

const kwh = (wh) => (wh / 1000).toFixed(1);

/**
 * site: { days, sources: { [src]: [{ meteredWh, substitutedWh }] } };
 * prev: { label, days, meteredWh[], substitutedWh[] } | null.
 */
export function dailyBars(site, prev, { width = 1100, height = 230, label } = {}) {
  const n = Math.max(site.days.length, prev?.days.length ?? 0);
  const sources = Object.keys(site.sources);
  const totals = site.days.map((_, i) =>
    sources.reduce((a, s) => a + site.sources[s][i].meteredWh + site.sources[s][i].substitutedWh, 0),
  );
  const prevTotals = prev ? prev.days.map((_, i) => prev.meteredWh[i] + prev.substitutedWh[i]) : [];
  const max = niceMax(Math.max(0, ...totals, ...prevTotals) / 1000);
  const m = { l: 64, r: 10, t: 10, b: 34 };
  const w = width - m.l - m.r;
  const hgt = height - m.t - m.b;
  const slot = w / Math.max(1, n);
  const bw = Math.max(1, slot * (prev ? 0.42 : 0.8));
  const y = (v) => m.t + hgt - (v / max) * hgt;
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width: '100%',
    role: 'img',
    'aria-label': label,
    class: 'bars',
  });
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    svg.append(
      el('line', { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v), stroke: '#dde3ea' }),
      el('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, groupKwh(v)),
    );
  }
  svg.append(
    el(
      'text',
      { x: 12, y: m.t + hgt / 2, transform: `rotate(-90 12 ${m.t + hgt / 2})`, class: 'axis', 'text-anchor': 'middle' },
      S.overview.daily.axis,
    ),
  );
  const rect = (x, top, bottom, fill, title, cls) => {
    if (bottom - top <= 0) return null;
    return el('rect', { x, y: top, width: bw, height: bottom - top, fill, class: cls }, el('title', {}, title));
  };
  for (let i = 0; i < n; i++) {
    const x0 = m.l + i * slot + (slot - bw * (prev ? 2 : 1)) / 2;
    if (i < site.days.length) {
      let acc = 0;
      for (const s of sources) {
        const d = site.sources[s][i];
        for (const [wh, fill, what] of [
          [d.meteredWh, COLORS[s] ?? '#555', S.overview.daily.metered],
          [d.substitutedWh, SUBST, S.overview.daily.substituted],
        ]) {
          const r = rect(
            x0,
            y((acc + wh) / 1000),
            y(acc / 1000),
            fill,
            `${site.days[i]} ${S.sources[s] ?? s} ${what}: ${S.meters.substitutedKwh(kwh(wh))}`,
            'bar-now',
          );
          if (r) svg.append(r);
          acc += wh;
        }
      }
    }
    if (prev && i < prev.days.length) {
      const xm = x0 + bw;
      const mw = prev.meteredWh[i];
      const sw = prev.substitutedWh[i];
      const a = rect(
        xm,
        y(mw / 1000),
        y(0),
        PREV,
        `${prev.days[i]} (${prev.label}) ${S.overview.daily.metered}: ${S.meters.substitutedKwh(kwh(mw))}`,
        'bar-prev',
      );
      const b = rect(
        xm,
        y((mw + sw) / 1000),
        y(mw / 1000),
        PREV_SUBST,
        `${prev.days[i]} (${prev.label}) ${S.overview.daily.substituted}: ${S.meters.substitutedKwh(kwh(sw))}`,
        'bar-prev',
      );
      if (a) svg.append(a);
      if (b) svg.append(b);
    }
    if (i % 7 === 0 && i < site.days.length)
      svg.append(el('text', { x: m.l + i * slot, y: height - m.b + 16, class: 'tick' }, site.days[i].slice(5)));
  }
  return svg;
}

function groupKwh(v) {
  return v >= 1000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v * 10) / 10);
}

/** The legend under the charts: sources present, substituted, previous period. */
export function barsLegend(sources, prevLabel) {
  const item = (color, text) => {
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    const span = document.createElement('span');
    span.className = 'legend-item';
    span.append(sw, text);
    return span;
  };
  const p = document.createElement('p');
  p.className = 'small legend';
  p.append(
    ...sources.map((s) => item(COLORS[s] ?? '#555', `${S.sources[s] ?? s} ${S.overview.daily.metered}`)),
    item(SUBST, S.overview.daily.substituted),
    ...(prevLabel
      ? [
          item(PREV, S.overview.daily.prevMetered(prevLabel)),
          item(PREV_SUBST, S.overview.daily.prevSubstituted(prevLabel)),
        ]
      : []),
  );
  return p;
}
