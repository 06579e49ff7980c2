/**
 * One meter: kW and register over a chosen range (downsampled by the server for long ranges), the
 * substituted intervals of its ledger shaded on the chart and listed with their reasons, and the
 * messages ingest rejected for it. The state badge follows the event stream.
 */
import { S } from '../strings.js';
import { fill, h, notice } from '../lib/dom.js';
import { getJson, openEvents } from '../lib/api.js';
import { duration, groupDigits, timeInZone } from '../lib/format.js';
import { setLive } from '../lib/live-badge.js';

const HOUR = 3_600_000;

/** The range presets: from/to query values ('YYYY-MM-DD' dates are local midnights at the site). */
function preset(key, timeZone) {
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();
  if (key === 'quarter') {
    const [y, m] = timeInZone(now, timeZone).split(/[- ]/).map(Number);
    return { from: `${y}-${String(Math.floor((m - 1) / 3) * 3 + 1).padStart(2, '0')}-01`, to: iso(now) };
  }
  const hours = { '24h': 24, '7d': 168, '30d': 720 }[key];
  return { from: iso(now - hours * HOUR), to: iso(now) };
}

const nextDay = (d) => new Date(Date.parse(`${d}T00:00:00Z`) + 24 * HOUR).toISOString().slice(0, 10);

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A date field written and shown as YYYY-MM-DD whatever the browser's locale (the rest of the page is ISO). */
function isoDateInput(label, value) {
  return h('input', {
    type: 'text',
    inputmode: 'numeric',
    pattern: '\\d{4}-\\d{2}-\\d{2}',
    placeholder: S.detail.datePlaceholder,
    size: 10,
    maxlength: 10,
    'aria-label': label,
    value,
  });
}

function rangeControls(v, current, go) {
  const z = v.meter.timeZone;
  const fromIn = isoDateInput(S.detail.from, timeInZone(v.range.from, z).slice(0, 10));
  const toIn = isoDateInput(S.detail.to, timeInZone(Date.parse(v.range.to) - 1, z).slice(0, 10));
  const buttons = Object.entries(S.detail.ranges).map(([key, label]) =>
    h(
      'button',
      {
        class: 'secondary',
        'data-range': key,
        'aria-pressed': current === key ? 'true' : 'false',
        onclick: () => go(preset(key, z), key),
      },
      label,
    ),
  );
  const apply = h(
    'button',
    {
      onclick: () => {
        const [a, b] = [fromIn.value.trim(), toIn.value.trim()];
        for (const [input, ok] of [
          [fromIn, ISO_DATE.test(a)],
          [toIn, ISO_DATE.test(b)],
        ])
          input.setCustomValidity(ok ? '' : S.detail.isoDate);
        if (ISO_DATE.test(a) && ISO_DATE.test(b)) go({ from: a, to: nextDay(b) }, '');
        else (ISO_DATE.test(a) ? toIn : fromIn).reportValidity();
      },
    },
    S.detail.apply,
  );
  return h(
    'div',
    { class: 'toolbar' },
    ...buttons,
    h('label', { class: 'small muted' }, S.detail.from, ' ', fromIn),
    h('label', { class: 'small muted' }, S.detail.to, ' ', toIn),
    apply,
  );
}

function substitutedTable(v) {
  if (v.substituted.length === 0) return notice(S.detail.noSubstituted);
  const c = S.detail.subCols;
  const z = v.meter.timeZone;
  return h(
    'table',
    { 'data-testid': 'substituted' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, c.from),
        h('th', {}, c.to),
        h('th', {}, c.duration),
        h('th', {}, c.reason),
        h('th', { class: 'num' }, c.energy),
        h('th', { class: 'num' }, c.fee),
      ),
    ),
    h(
      'tbody',
      {},
      v.substituted.map((s) =>
        h(
          'tr',
          { 'data-reason': s.reason },
          h('td', {}, timeInZone(s.from, z)),
          h('td', {}, timeInZone(s.to, z)),
          h('td', {}, duration(s.toMs - s.fromMs)),
          h('td', {}, S.reasons[s.reason] ?? s.reason),
          h('td', { class: 'num' }, groupDigits(s.energyKwh)),
          h('td', { class: 'num' }, groupDigits(s.feeTenge)),
        ),
      ),
    ),
  );
}

function rejectedTable(v) {
  if (v.rejected.items.length === 0) return notice(S.detail.noRejected);
  const c = S.detail.rejCols;
  return h(
    'div',
    {},
    h('p', { class: 'small muted' }, S.detail.rejectedCount(v.rejected.items.length, v.rejected.total)),
    h(
      'table',
      { 'data-testid': 'rejected' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, c.at),
          h('th', {}, c.reason),
          h('th', {}, c.detail),
          h('th', {}, c.payload),
          h('th', { class: 'num' }, c.bytes),
        ),
      ),
      h(
        'tbody',
        {},
        v.rejected.items.map((r) =>
          h(
            'tr',
            { 'data-reason': r.reason },
            h('td', {}, timeInZone(r.at, v.meter.timeZone, { seconds: true })),
            h('td', {}, S.detail.rejectReasons[r.reason] ?? r.reason),
            // The validator's words and the payload as ingest recorded them: data, not the page's text.
            h('td', { translate: 'no' }, r.detail),
            h(
              'td',
              { translate: 'no' },
              h('code', { class: 'payload' }, r.payload.length > 300 ? `${r.payload.slice(0, 300)}…` : r.payload),
            ),
            h('td', { class: 'num' }, r.bytes ?? S.common.none),
          ),
        ),
      ),
    ),
  );
}

/** Everything under the header for one answer of /api/dashboard/meters/:id. */
function page(v, badge, controls, zoomButton) {
  const m = v.meter;
  const res = v.range.resolution.raw ? S.detail.raw : S.detail.bucket(duration(v.range.resolution.bucketS * 1000));
  const inRange = S.detail.inRange(
    groupDigits(v.ledger.meteredKwh),
    groupDigits(v.ledger.substitutedKwh),
    groupDigits(v.ledger.feeTenge),
  );
  const chartEl = h('div', { class: 'chart', 'data-testid': 'chart' });
  return {
    chartEl,
    nodes: [
      h('p', {}, h('a', { href: '/meters' }, S.detail.back)),
      h('div', { class: 'toolbar' }, h('h1', {}, S.detail.title(m.id)), badge),
      h(
        'p',
        { class: 'muted' },
        S.detail.facts(m.siteName, S.sources[m.source] ?? m.source, m.maxLoadKw, m.reportingIntervalS),
        ' · ',
        S.common.timesIn(m.timeZone),
      ),
      controls,
      h(
        'p',
        { class: 'small muted' },
        S.detail.resolution(res),
        ' · ',
        inRange,
        ' · ',
        h('span', { class: 'legend-band' }),
        S.detail.bandLegend,
        ' · ',
        zoomButton,
      ),
      chartEl,
      v.series.t.length === 0 ? notice(S.detail.noData) : null,
      h('h2', {}, S.detail.substitutedTitle),
      substitutedTable(v),
      h('h2', {}, S.detail.rejectedTitle),
      rejectedTable(v),
    ],
  };
}

export async function render(root, { params, query }) {
  const id = params[0];
  const { meterChart } = await import('../lib/chart.js');
  const badge = h('span', { class: 'state', 'data-testid': 'state' });
  const setState = (live) => {
    badge.className = `state state-${live.state}`;
    fill(badge, S.states[live.state] ?? live.state);
  };
  let destroyChart = () => {};
  let zoomKw = false;

  async function load(range, rangeKey) {
    const q = range ? `?from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}` : '';
    const v = await getJson(`/api/dashboard/meters/${encodeURIComponent(id)}${q}`);
    const go = (r, key) => {
      history.replaceState(
        null,
        '',
        `${location.pathname}?from=${encodeURIComponent(r.from)}&to=${encodeURIComponent(r.to)}`,
      );
      load(r, key).catch((err) => fill(root, notice(S.common.error(err.message), 'error')));
    };
    const zoomButton = h('button', { class: 'secondary small', 'data-action': 'zoom-kw' });
    const { chartEl, nodes } = page(v, badge, rangeControls(v, rangeKey, go), zoomButton);
    const draw = () => {
      destroyChart();
      zoomButton.setAttribute('aria-pressed', zoomKw ? 'true' : 'false');
      fill(zoomButton, zoomKw ? S.detail.zoomOff : S.detail.zoomOn);
      destroyChart = meterChart(chartEl, {
        series: v.series,
        substituted: v.substituted,
        timeZone: v.meter.timeZone,
        range: v.range,
        maxLoadKw: v.meter.maxLoadKw,
        zoomKw,
      });
    };
    zoomButton.addEventListener('click', () => {
      zoomKw = !zoomKw;
      draw();
    });
    destroyChart();
    destroyChart = () => {};
    fill(root, ...nodes);
    draw();
  }

  await load(
    query.get('from') ? { from: query.get('from'), to: query.get('to') ?? '' } : undefined,
    query.get('from') ? '' : '24h',
  );
  const mine = (rows) => {
    const r = rows.find((x) => x.id === id);
    if (r) setState(r);
  };
  openEvents(['meters'], { meters: mine, meter: mine }, setLive);
}
