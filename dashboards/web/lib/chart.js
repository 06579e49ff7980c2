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

/** Draws into `el`; returns destroy(). `series`: { t (s), kw, wh } column arrays. */
export function meterChart(el, { series, substituted, timeZone, range }) {
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
      kw: { auto: true },
      kwh: { auto: true },
    },
    series: [
      { value: (u, v) => (v === null ? S.common.none : timeInZone(v * 1000, timeZone, { seconds: true })) },
      {
        label: S.detail.seriesKw,
        scale: 'kw',
        stroke: '#0f5f8c',
        width: 1.5,
        spanGaps: false,
        value: (u, v) => (v === null ? S.common.none : v.toFixed(2)),
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
  };
  const u = new uPlot(opts, [series.t, series.kw, kwh], el);
  el.append(readout);
  el.dataset.points = String(series.t.length);
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
