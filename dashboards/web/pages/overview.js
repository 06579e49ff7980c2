/**
 * Overview: the quarter so far per site and energy source (kWh metered and substituted, fee accrued,
 * projection, cost of outages), per taxpayer (hosted miners apart from their host), grid consumption
 * against monthly quotas, due dates, and how many meters are down now. The current quarter refreshes itself from the event stream; ?period=YYYY-Qn shows another.
 */
import { S } from '../strings.js';
import { fill, h, notice } from '../lib/dom.js';
import { getJson, openEvents } from '../lib/api.js';
import { groupDigits, timeInZone } from '../lib/format.js';
import { setLive } from '../lib/live-badge.js';
import { STATE_RANK } from '../lib/meter-order.js';
import { barsLegend, dailyBars } from '../lib/bars.js';
import { reconciliationSection } from '../lib/reconciliation.js';

const tenge = (v) => S.common.tenge(groupDigits(v));

function card(label, value, note, testId, compact = false) {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'label' }, label),
    h('div', { class: compact ? 'value compact' : 'value', 'data-testid': testId }, value),
    note && h('div', { class: 'note' }, note),
  );
}

function cards(v, zone) {
  const p = v.period;
  return h(
    'section',
    { class: 'cards' },
    card(
      S.overview.feeAccrued,
      tenge(v.totals.feeTenge),
      S.overview.feeExact(groupDigits(v.totals.feeExactTenge)),
      'fee-accrued',
    ),
    card(S.overview.declared, tenge(v.totals.declaredTenge), S.overview.declaredNote, 'declared-total'),
    card(
      S.overview.projected,
      tenge(v.totals.projectedTenge),
      p.complete
        ? S.overview.complete
        : S.overview.elapsed(groupDigits(p.elapsedHours.toFixed(1)), groupDigits(p.totalHours.toFixed(0))),
      'projected-total',
    ),
    card(S.overview.outageCost, tenge(v.totals.outageCostTenge), S.overview.outageNote, 'outage-cost'),
    card(
      S.overview.dueDates,
      dueText(v.dueDates),
      v.dueDates?.payBy
        ? `${S.overview.payBy(v.dueDates.payBy)}${v.dueDates.verified ? '' : ` · ${S.overview.dueUnverified}`}`
        : '',
      'due-dates',
      true,
    ),
    card(
      S.overview.quarter,
      p.label,
      p.asOf ? S.common.asOf(timeInZone(p.asOf, zone)) : S.overview.complete,
      'quarter',
    ),
  );
}

function dueText(d) {
  if (!d || (d.declareBy === null && d.payBy === null)) return S.common.none;
  return d.declareBy ? S.overview.declareBy(d.declareBy) : S.overview.noDeclaration;
}

/** Meters charged at max load for a large share of the period because they did not report. */
function unreported(v, zone) {
  if (!v.unreportedNotices?.length) return null;
  return h(
    'div',
    { class: 'notice notice-warn notices', 'data-testid': 'unreported' },
    h('strong', {}, S.overview.unreportedTitle),
    h(
      'ul',
      {},
      v.unreportedNotices.map((n) =>
        h(
          'li',
          { 'data-meter': n.meterId },
          n.kind === 'before-first-reading'
            ? S.overview.beforeFirst(
                groupDigits(n.energyKwh),
                groupDigits(String(n.sharePct)),
                n.meterId,
                timeInZone(n.firstReadingAt, zone),
              )
            : S.overview.noReadings(groupDigits(n.energyKwh), groupDigits(String(n.sharePct)), n.meterId),
        ),
      ),
    ),
  );
}

/** Daily bars per site, the previous quarter beside (rendered, labelled, with the data in titles). */
function daily(v) {
  const prev = v.daily.previous;
  const sources = [...new Set(v.daily.sites.flatMap((d) => Object.keys(d.sources)))];
  return h(
    'section',
    { 'data-testid': 'daily' },
    h('h2', {}, S.overview.daily.title(v.period.label, prev?.label)),
    v.daily.sites.map((d) => {
      const site = v.sites.find((x) => x.id === d.siteId);
      const name = S.overview.daily.site(site?.name ?? d.siteId);
      const p = prev?.sites.find((x) => x.siteId === d.siteId);
      return h(
        'figure',
        { class: 'daily', 'data-site': d.siteId },
        h('figcaption', {}, name),
        dailyBars(d, p && !p.noData ? { label: prev.label, ...p } : null, { label: name }),
        // A quarter without a single reading at the site: "no data", not bars of max-load substitution.
        p?.noData
          ? h('p', { class: 'small muted', 'data-testid': 'prev-no-data' }, S.overview.daily.noData(prev.label))
          : null,
      );
    }),
    barsLegend(sources, prev?.sites.some((x) => !x.noData) ? prev.label : undefined),
    h('p', { class: 'small muted' }, S.overview.daily.note),
  );
}

function amountCells(a) {
  return [
    h('td', { class: 'num' }, groupDigits(a.meteredKwh)),
    h('td', { class: 'num' }, groupDigits(a.substitutedKwh)),
    h('td', { class: 'num' }, groupDigits(a.feeTenge)),
    h('td', { class: 'num' }, groupDigits(a.projectedTenge)),
  ];
}

function siteTable(v) {
  const c = S.overview.cols;
  const head = h(
    'tr',
    {},
    h('th', {}, c.site),
    h('th', {}, c.source),
    ...[c.metered, c.substituted, c.fee, c.projected, c.outage].map((t) => h('th', { class: 'num' }, t)),
  );
  const body = v.sites.flatMap((site) => [
    ...site.sources.map((s) =>
      h(
        'tr',
        { 'data-site': site.id, 'data-source': s.source },
        h('td', {}, site.name),
        h('td', {}, S.sources[s.source] ?? s.source),
        ...amountCells(s),
        h('td', {}),
      ),
    ),
    h(
      'tr',
      { class: 'subtotal', 'data-site-total': site.id },
      h('td', { colspan: 2 }, S.overview.siteTotal(site.name)),
      ...amountCells(site.total),
      h('td', { class: 'num' }, groupDigits(site.outageCostTenge)),
    ),
  ]);
  const t = v.totals;
  const total = h(
    'tr',
    { class: 'total', 'data-testid': 'totals-row' },
    h('td', { colspan: 2 }, S.common.total),
    ...amountCells(t),
    h('td', { class: 'num' }, groupDigits(t.outageCostTenge)),
  );
  return h('table', { 'data-testid': 'by-site' }, h('thead', {}, head), h('tbody', {}, body, total));
}

/** Per taxpayer: its own meters wherever hosted, and its amount due (its declared lines, each rounded once). */
function taxpayerTable(v) {
  const c = S.overview.cols;
  const tc = S.overview.taxpayerCols;
  const head = h(
    'tr',
    {},
    h('th', {}, tc.taxpayer),
    h('th', {}, tc.sites),
    ...[c.metered, c.substituted, c.fee, c.projected, tc.declared].map((t) => h('th', { class: 'num' }, t)),
  );
  const body = v.taxpayers.map((t) =>
    h(
      'tr',
      { 'data-taxpayer': t.bin },
      h('td', {}, t.name, h('div', { class: 'small muted' }, t.bin)),
      h(
        'td',
        {},
        t.sites
          .map((x) => (x.operatorBin ? S.overview.hostedBy(x.id, x.operatorName ?? x.operatorBin) : x.id))
          .join(', '),
      ),
      ...amountCells(t.total),
      h('td', { class: 'num', 'data-declared': t.bin }, groupDigits(t.declaredTenge)),
    ),
  );
  return h('table', { 'data-testid': 'by-taxpayer' }, h('thead', {}, head), h('tbody', {}, body));
}

function quotas(v) {
  const rows = v.sites
    .filter((s) => s.quota)
    .map((s) => {
      const q = s.quota;
      const bar = h('div', { class: q.usedPct > 100 ? 'bar over' : 'bar' }, h('span', {}));
      bar.firstChild.style.width = `${Math.min(100, q.usedPct)}%`;
      return [
        h(
          'div',
          {},
          s.name,
          h(
            'div',
            { class: 'small muted' },
            S.overview.quotaLine(q.month, groupDigits(q.gridKwh), groupDigits(String(q.quotaKwh))),
          ),
        ),
        bar,
        h('div', { class: 'num', 'data-quota': s.id }, S.overview.quotaPct(groupDigits(q.usedPct.toFixed(1)))),
      ];
    });
  if (rows.length === 0) return notice(S.overview.noQuota);
  return h(
    'div',
    {},
    h('div', { class: 'quota' }, rows.flat()),
    h('p', { class: 'small muted' }, S.overview.quotaNote),
  );
}

function meterStates(rows) {
  const counts = {};
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  const parts = Object.keys(STATE_RANK)
    .filter((s) => counts[s])
    .map((s) =>
      h('span', { class: `state state-${s}`, 'data-count': s }, S.overview.meterStateCount(counts[s], S.states[s])),
    );
  return h(
    'p',
    { class: 'toolbar' },
    h('strong', {}, S.overview.meterStates),
    ...parts,
    h('a', { href: '/meters' }, S.overview.seeMeters),
  );
}

function quarterPicker(current, list) {
  const quarters = [...new Set([current, ...list.periods.map((p) => p.period).filter((p) => /^\d{4}-Q[1-4]$/.test(p))])]
    .sort()
    .reverse();
  return h(
    'select',
    {
      'aria-label': S.overview.quarter,
      onchange: (e) => {
        location.search = `?period=${e.target.value}`;
      },
    },
    quarters.map((q) => h('option', { value: q, selected: q === current }, q)),
  );
}

/**
 * Issue 26: periods whose declaration or payment date has passed and that nobody closed (open, or reopened),
 * named on the overview, not only on the periods page.
 */
function overdueNotice(periods) {
  const late = (periods.periods ?? []).filter((p) =>
    p.version === null || String(p.state).startsWith('reopened')
      ? p.dueDates.some((d) => d.declaration === 'overdue' || d.payment === 'overdue')
      : false,
  );
  if (!late.length) return null;
  const names = [...new Set(late.map((p) => p.period))];
  return h(
    'div',
    { class: 'notice notice-warn', role: 'status', 'data-testid': 'overdue-periods' },
    h('strong', {}, S.overview.overdueTitle),
    ' ',
    S.overview.overdue(names.join(', '), names.length),
    ' ',
    h('a', { href: '/periods' }, S.overview.openPeriods),
  );
}

export async function render(root, { query }) {
  const period = query.get('period');
  const url = `/api/dashboard/overview${period ? `?period=${encodeURIComponent(period)}` : ''}`;
  // The quarter list only fills the picker: the overview does without it.
  const [first, periods] = await Promise.all([getJson(url), getJson('/api/periods').catch(() => ({ periods: [] }))]);
  let view = first;
  const zone = view.sites[0]?.timeZone ?? 'Asia/Almaty';
  const statesEl = h('div', {});
  const body = h('div', {});
  const draw = () =>
    fill(
      body,
      h('p', { class: 'small muted' }, S.common.timesIn(zone)),
      unreported(view, zone),
      cards(view, zone),
      h(
        'p',
        { class: 'small muted', 'data-testid': 'formula' },
        view.period.complete ? S.overview.formulaComplete : S.overview.formula(view.period.projectionWindowHours),
      ),
      h('h2', {}, S.overview.bySite),
      siteTable(view),
      h('h2', {}, S.overview.byTaxpayer),
      taxpayerTable(view),
      h('p', { class: 'small muted' }, S.overview.byTaxpayerNote),
      daily(view),
      h('h2', {}, S.overview.quotaTitle),
      quotas(view),
    );
  const title = h('h1', {}, S.overview.title(view.period.label, view.period.complete));
  fill(
    root,
    h('div', { class: 'toolbar' }, title, quarterPicker(view.period.label, periods)),
    overdueNotice(periods),
    statesEl,
    body,
    // Loaded on its own (a ledger per month): the overview does not wait for it.
    reconciliationSection(view.period.label),
  );
  draw();
  const live = new Map();
  const showStates = () => fill(statesEl, meterStates([...live.values()]));
  const current = !view.period.complete;
  openEvents(
    current ? ['meters', 'overview'] : ['meters'],
    {
      meters: (rows) => {
        live.clear();
        for (const r of rows) live.set(r.id, r);
        showStates();
      },
      meter: (rows) => {
        for (const r of rows) live.set(r.id, r);
        showStates();
      },
      overview: (v) => {
        if (current) {
          view = v;
          fill(title, S.overview.title(v.period.label, v.period.complete));
          draw();
        }
      },
    },
    setLive,
  );
}
