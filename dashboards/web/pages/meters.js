/**
 * Meters: every meter with its state (online, offline since, fault, never seen), last reading, live kW
 * against max load, substituted hours this quarter and since when it is being substituted. Sortable by
 * any column, filterable; offline meters first by default. States and readings arrive by server-sent
 * events; the ledger columns refresh with the ledger.
 */
import { S } from '../strings.js';
import { fill, h, notice } from '../lib/dom.js';
import { getJson, openEvents } from '../lib/api.js';
import { duration, fixed, groupDigits, timeInZone } from '../lib/format.js';
import { setLive } from '../lib/live-badge.js';
import { STATE_RANK, filterRows, sortRows } from '../lib/meter-order.js';

const COLUMNS = [
  ['id', S.meters.cols.id],
  ['site', S.meters.cols.site],
  ['source', S.meters.cols.source],
  ['state', S.meters.cols.state],
  ['lastReading', S.meters.cols.lastReading],
  ['load', S.meters.cols.load],
  ['substituted', S.meters.cols.substituted, 'num'],
  ['substitutingSince', S.meters.cols.substitutingSince],
];

function stateCell(r, now) {
  const l = r.live;
  const since = l.since
    ? h(
        'div',
        { class: 'small muted' },
        S.meters.since(timeInZone(l.since, r.timeZone), duration(now - Date.parse(l.since))),
      )
    : null;
  return h(
    'td',
    { 'data-col': 'state' },
    h('span', { class: `state state-${l.state}` }, S.states[l.state] ?? l.state),
    since,
  );
}

function loadCell(r) {
  const l = r.live;
  if (l.lastKw === null) return h('td', {}, S.common.none);
  const bar = h('div', { class: l.loadPct > 100 ? 'bar over' : 'bar' }, h('span', {}));
  bar.firstChild.style.width = `${Math.min(100, l.loadPct ?? 0)}%`;
  return h(
    'td',
    {},
    h('div', { class: 'small' }, `${fixed(l.lastKw, 1)} / ${S.common.kw(fixed(l.maxLoadKw, 1))}`),
    bar,
  );
}

function row(r, now) {
  const l = r.live;
  const g = r.ledger;
  return h(
    'tr',
    { 'data-meter': r.id, 'data-state': l.state },
    h('td', {}, h('a', { href: `/meters/${encodeURIComponent(r.id)}` }, r.id)),
    h('td', {}, r.siteName),
    h('td', {}, S.sources[r.source] ?? r.source),
    stateCell(r, now),
    h(
      'td',
      {},
      timeInZone(l.lastReadingAt, r.timeZone, { seconds: true }),
      l.lastRegisterKwh && h('div', { class: 'small muted' }, S.meters.register(groupDigits(l.lastRegisterKwh))),
    ),
    loadCell(r),
    h(
      'td',
      { class: 'num', 'data-col': 'substituted' },
      g
        ? [
            h('div', { 'data-testid': 'substituted-kwh' }, S.meters.substitutedKwh(groupDigits(g.substitutedKwh))),
            h('div', { 'data-testid': 'substituted-tenge' }, S.common.tenge(groupDigits(g.substitutedTenge))),
            h('div', { class: 'small muted' }, S.common.hours(fixed(g.substitutedMs / 3_600_000, 1))),
          ]
        : S.common.none,
    ),
    h(
      'td',
      {},
      g?.substitutingSince
        ? [
            timeInZone(g.substitutingSince, r.timeZone),
            h('div', { class: 'small muted' }, S.reasons[g.substitutingReason] ?? g.substitutingReason ?? ''),
          ]
        : S.common.none,
    ),
  );
}

function toolbar(view, filter, draw, countEl) {
  const sites = [...new Map(view.meters.map((m) => [m.site, m.siteName]))];
  const set = (key) => (e) => {
    filter[key] = e.target.value;
    draw();
  };
  return h(
    'div',
    { class: 'toolbar' },
    h('input', { type: 'search', placeholder: S.meters.filter, 'aria-label': S.meters.filter, oninput: set('text') }),
    h(
      'select',
      { 'aria-label': S.meters.cols.state, onchange: set('state') },
      h('option', { value: '' }, S.meters.allStates),
      Object.keys(STATE_RANK).map((s) => h('option', { value: s }, S.states[s])),
    ),
    h(
      'select',
      { 'aria-label': S.meters.cols.site, onchange: set('site') },
      h('option', { value: '' }, S.meters.allSites),
      sites.map(([id, name]) => h('option', { value: id }, name)),
    ),
    countEl,
    h('span', { class: 'small muted' }, S.meters.sortHint),
  );
}

function header(sort, draw) {
  return h(
    'tr',
    {},
    COLUMNS.map(([key, label, cls]) =>
      h(
        'th',
        {
          class: `sortable ${cls ?? ''}`,
          'data-sort': key,
          'aria-sort': sort.key === key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined,
          onclick: () => {
            sort.dir = sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc';
            sort.key = key;
            draw();
          },
        },
        label,
      ),
    ),
  );
}

/** Live rows and ledger columns from the event stream, merged into `rows` (id -> grid row). */
function follow(rows, draw, setLedger) {
  const upsert = (live) => {
    for (const l of live) {
      const r = rows.get(l.id);
      if (r) rows.set(l.id, { ...r, live: l });
    }
    draw();
  };
  openEvents(
    ['meters', 'meter-ledger'],
    {
      meters: upsert,
      meter: upsert,
      'meter-ledger': (d) => {
        setLedger({ quarter: d.quarter, asOf: d.asOf, error: null });
        for (const [id, g] of Object.entries(d.rows)) {
          const r = rows.get(id);
          if (r) rows.set(id, { ...r, ledger: g });
        }
        draw();
      },
    },
    setLive,
  );
}

export async function render(root) {
  const view = await getJson('/api/dashboard/meters');
  const rows = new Map(view.meters.map((m) => [m.id, m]));
  const sort = { key: '', dir: 'asc' };
  const filter = { text: '', state: '', site: '' };
  let ledger = { quarter: view.quarter, asOf: view.asOf, error: view.ledgerError };
  const zone = view.meters[0]?.timeZone ?? 'Asia/Almaty';
  const [thead, tbody] = [h('thead', {}), h('tbody', {})];
  const countEl = h('span', { class: 'small muted' });
  const ledgerEl = h('p', { class: 'small muted' });

  function draw() {
    const now = Date.now();
    const shown = sortRows(filterRows([...rows.values()], filter), sort.key, sort.dir);
    fill(thead, header(sort, draw));
    fill(
      tbody,
      shown.map((r) => row(r, now)),
    );
    fill(countEl, S.meters.count(shown.length, rows.size));
    fill(
      ledgerEl,
      ledger.error
        ? notice(S.meters.ledgerError(ledger.error), 'error')
        : S.meters.quarter(
            ledger.quarter,
            ledger.asOf ? timeInZone(ledger.asOf, zone, { seconds: true }) : S.common.none,
          ),
    );
  }

  fill(
    root,
    h('h1', {}, S.meters.title),
    toolbar(view, filter, draw, countEl),
    ledgerEl,
    h('p', { class: 'small muted' }, S.common.timesIn(zone)),
    h('table', { 'data-testid': 'meters-grid' }, thead, tbody),
  );
  draw();
  follow(rows, draw, (l) => {
    ledger = l;
  });
  // "since" durations move on with the clock.
  setInterval(draw, 10_000);
}
