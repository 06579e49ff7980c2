/**
 * The meter chart: kW (left axis) and the register in kWh (right axis) with uPlot, times on the site's
 * wall clock, and substituted intervals shaded as bands over the plot (repositioned on every redraw),
 * with the reason of the band under the cursor shown below the chart.
 */
import uPlot from '/assets/vendor/uPlot.esm.js';
import { S } from '../strings.js';
import { fill, h } from './dom.js';
import { timeInZone } from './format.js';

const sec = (iso) => Date.parse(iso) / 1000;

/** Time axis labels on the site's 24-hour wall clock: the date (and year) under the first tick of a day (year). */
function timeAxisValues(timeZone) {
  return (u, splits, axisIdx, space, incr) => {
    let last = ['', ''];
    return splits.map((s) => {
      const [day, time] = timeInZone(s * 1000, timeZone).split(' ');
      const [year, monthDay] = [day.slice(0, 4), day.slice(5)];
      const label =
        incr >= 86_400
          ? year !== last[0]
            ? `${monthDay}\n${year}`
            : monthDay
          : day !== last[1]
            ? `${time}\n${day}`
            : time;
      last = [year, day];
      return label;
    });
  };
}

function bandsPlugin(intervals, readout) {
  const bands = intervals.map((b) => ({
    ...b,
    from: sec(b.from),
    to: sec(b.to),
    el: h('div', { class: 'kzm-band', 'data-reason': b.reason }),
  }));
  const place = (u) => {
    const width = u.over.clientWidth;
    for (const b of bands) {
      const left = Math.max(0, u.valToPos(b.from, 'x'));
      const right = Math.min(width, u.valToPos(b.to, 'x'));
      b.el.style.display = right > left ? '' : 'none';
      b.el.style.left = `${left}px`;
      b.el.style.width = `${Math.max(0, right - left)}px`;
    }
  };
  return {
    hooks: {
      init: (u) => {
        for (const b of bands) u.over.append(b.el);
      },
      draw: place,
      setCursor: (u) => {
        const t = u.cursor.left >= 0 ? u.posToVal(u.cursor.left, 'x') : null;
        const hit = t === null ? undefined : bands.find((b) => t >= b.from && t < b.to);
        fill(readout, hit ? S.detail.cursorBand(S.reasons[hit.reason] ?? hit.reason) : '');
      },
    },
  };
}

/**
 * The kW axis: from zero to a little above the max load (or the data) by default, so noise of a few
 * tenths of a kW on a 70 kW meter looks like what it is; `zoom` fits the data instead.
 */
export function kwRange(zoom, maxLoadKw) {
  return (u, min, max) => {
    if (zoom) {
      if (min === null || max === null) return [0, maxLoadKw || 1];
      const pad = Math.max((max - min) * 0.1, 0.05);
      return [min - pad, max + pad];
    }
    return [0, Math.max(maxLoadKw ?? 0, max ?? 0) * 1.08 || 1];
  };
}

/**
 * Draws into `el`; returns destroy(). `series`: { t (s), kw, wh } column arrays; a dashed line marks the
 * meter's max load (what substituted time is charged at); `zoomKw` fits the kW axis to the data.
 */
export function meterChart(el, { series, substituted, timeZone, range, maxLoadKw, zoomKw = false }) {
  const readout = h('div', { class: 'small muted', 'data-testid': 'cursor-band' });
  fill(el);
  const kwh = series.wh.map((v) => (v === null ? null : v / 1000));
  const width = () => Math.max(320, el.clientWidth - 16);
  const opts = {
    width: width(),
    height: 340,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
    scales: {
      x: { time: true, range: () => [sec(range.from), sec(range.to)] },
      kw: { auto: true, range: kwRange(zoomKw, maxLoadKw) },
      kwh: { auto: true },
    },
    series: [
      {
        label: S.detail.time,
        value: (u, v) => (v === null ? S.common.none : timeInZone(v * 1000, timeZone, { seconds: true })),
      },
      {
        label: S.detail.seriesKw,
        scale: 'kw',
        stroke: '#0f5f8c',
        width: 1.5,
        spanGaps: false,
        value: (u, v) => (v === null ? S.common.none : v.toFixed(2)),
      },
      {
        label: S.detail.seriesMaxLoad,
        scale: 'kw',
        stroke: '#c0262d',
        width: 1.5,
        dash: [6, 4],
        points: { show: false },
        value: (u, v) => (v === null ? S.common.none : v.toFixed(1)),
      },
      {
        label: S.detail.seriesRegister,
        scale: 'kwh',
        stroke: '#8a6d00',
        width: 1,
        spanGaps: false,
        value: (u, v) => (v === null ? S.common.none : v.toFixed(3)),
      },
    ],
    axes: [
      { values: timeAxisValues(timeZone), space: 60 },
      { scale: 'kw', label: S.detail.axisKw },
      { scale: 'kwh', side: 1, label: S.detail.axisRegister, grid: { show: false }, size: 80 },
    ],
    plugins: [bandsPlugin(substituted, readout)],
    hooks: {
      // The kW axis as drawn, for tests and for anyone inspecting the page.
      draw: [
        (u) => {
          el.dataset.kwMin = String(u.scales.kw.min);
          el.dataset.kwMax = String(u.scales.kw.max);
        },
      ],
    },
  };
  // The max-load line spans the whole range, even where there are no readings.
  const t = series.t.length ? series.t : [sec(range.from), sec(range.to)];
  const pad = (col) => (series.t.length ? col : t.map(() => null));
  const maxLine = t.map(() => maxLoadKw ?? null);
  const u = new uPlot(opts, [t, pad(series.kw), maxLine, pad(kwh)], el);
  el.append(readout);
  el.dataset.points = String(series.t.length);
  el.dataset.kwAxis = zoomKw ? 'zoom' : 'zero';
  el.dataset.maxLoadKw = String(maxLoadKw ?? '');
  el.dataset.series = opts.series
    .slice(1)
    .map((s) => s.label)
    .join('|');
  const resize = () => u.setSize({ width: width(), height: 340 });
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    u.destroy();
  };
}
