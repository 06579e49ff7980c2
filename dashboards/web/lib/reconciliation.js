/**
 * The supplier's invoice beside the meters (issue 24): per site and month the invoiced kWh, the ledger's kWh
 * (metered + substituted), the difference and whether it is inside the site's band. Used by the overview, the
 * periods page and the close preview.
 */
import { S } from '../strings.js';
import { fill, h, notice } from './dom.js';
import { getJson } from './api.js';

const R = () => S.reconciliation;

/** The rows as a table; a row outside its band is marked. */
export function reconciliationTable(rows) {
  const c = R().cols;
  const none = S.common.none;
  return h(
    'table',
    { 'data-testid': 'reconciliation-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [c.site, c.month, c.invoiced, c.metered, c.substituted, c.difference, c.differencePct, c.band, c.status].map(
          (t, i) => h('th', { class: i >= 2 && i <= 6 ? 'num' : undefined }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {
            'data-site': r.site,
            'data-month': r.month,
            'data-status': r.status,
            class: r.withinBand === false ? 'out-of-band' : undefined,
          },
          h('td', {}, r.site),
          h('td', {}, r.month),
          h('td', { class: 'num' }, r.invoicedKwh ?? none),
          h('td', { class: 'num' }, r.meteredKwh),
          h('td', { class: 'num' }, r.substitutedKwh),
          h('td', { class: 'num' }, r.differenceKwh ?? none),
          h('td', { class: 'num' }, r.differencePct === null ? none : S.reconciliation.pct(r.differencePct)),
          h('td', {}, R().band(r.band.minPct, r.band.maxPct)),
          h('td', { 'data-col': 'status' }, R().status[r.status] ?? r.status),
        ),
      ),
    ),
  );
}

/** A section that loads the reconciliation of a period (and taxpayer) and shows it. */
export function reconciliationSection(period, taxpayer) {
  const title = h('h2', {}, R().title(period));
  const box = h('section', { 'data-testid': 'reconciliation' }, title, notice(S.common.loading));
  const q = new URLSearchParams({ period, ...(taxpayer && { taxpayer }) });
  getJson(`/api/reconciliation?${q}`).then(
    (r) =>
      fill(
        box,
        title,
        h('p', { class: 'small muted' }, R().intro),
        r.rows.length ? reconciliationTable(r.rows) : h('p', { class: 'muted' }, R().noMonths),
      ),
    (err) => fill(box, title, notice(S.common.error(err.message), 'error')),
  );
  return box;
}
