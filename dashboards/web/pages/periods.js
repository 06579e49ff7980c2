/**
 * Tax periods for accountants: each period's state, due dates (marked due or overdue) and late readings.
 * Close first shows a preview of what would be frozen (GET /api/periods/:period/preview) and asks for
 * confirmation, with an acknowledgement and its reason when the preview flags meters without readings or a
 * large substituted share; Reopen calls the period API; the exports of a closed version download from it.
 */
import { LANG, S } from '../strings.js';
import { fill, h, notice } from '../lib/dom.js';
import { getJson, postJson } from '../lib/api.js';
import { reconciliationSection, reconciliationTable } from '../lib/reconciliation.js';
import { groupDigits } from '../lib/format.js';

const NAME_KEY = 'kzmeter.closedBy';

function exportLinks(p) {
  if (p.version === null) return [];
  // The exports in the page's language (the printable report's words, the CSV headers).
  const q = new URLSearchParams({
    version: String(p.version),
    ...(p.taxpayer && { taxpayer: p.taxpayer }),
    lang: LANG,
  });
  return Object.entries(S.periods.exports).map(([file, label]) => {
    const name = `kzmeter-${p.period}${p.taxpayer ? `-${p.taxpayer}` : ''}-v${p.version}${file.slice('export'.length)}`;
    return h(
      'a',
      {
        href: `/api/periods/${encodeURIComponent(p.period)}/${file}?${q}`,
        download: file === 'export.html' ? undefined : name,
        'data-export': file,
      },
      label,
    );
  });
}

/** The list's state ('open', 'in-progress', 'closed v2', 'reopened after v2') in the page's language. */
function stateText(state) {
  const v = /v(\d+)$/.exec(state)?.[1];
  if (state === 'open') return S.periods.stateOpen;
  if (state === 'in-progress') return S.periods.inProgress;
  if (v && state.startsWith('closed')) return S.periods.stateClosed(v);
  if (v && state.startsWith('reopened')) return S.periods.stateReopened(v);
  return state;
}

/** One obligation: 'declare by 2026-11-15' with its mark (overdue in red, due in amber). */
function dueItem(kind, date, mark) {
  if (date === null) return h('div', { 'data-due': `${kind}:none` }, S.periods.dueNone[kind]);
  return h(
    'div',
    { 'data-due': `${kind}:${mark}` },
    S.periods.dueLine[kind](date),
    mark in S.periods.marks ? h('span', { class: `due-mark due-${mark}` }, S.periods.marks[mark]) : null,
  );
}

function dueCell(p) {
  if (!p.dueDates.length) return S.common.none;
  return p.dueDates.map((d) =>
    h(
      'div',
      { class: 'due' },
      p.dueDates.length > 1 ? h('div', { class: 'muted' }, d.taxQuarter) : null,
      dueItem('declaration', d.declareBy, d.declaration),
      dueItem('payment', d.payBy, d.payment),
      d.verified ? null : h('div', { class: 'muted' }, S.periods.unverified),
    ),
  );
}

function periodRow(p, act) {
  const closable = p.state === 'open' || p.state.startsWith('reopened');
  const reopenable = p.state.startsWith('closed');
  const overdue = p.dueDates.some((d) => d.declaration === 'overdue' || d.payment === 'overdue');
  return h(
    'tr',
    { 'data-period': p.period, 'data-taxpayer': p.taxpayer ?? '', class: overdue ? 'overdue' : undefined },
    h('td', {}, p.period),
    h('td', {}, p.taxpayer ?? S.periods.allTaxpayers),
    h(
      'td',
      { 'data-col': 'state' },
      stateText(p.state),
      // who closed and reopened it (the authenticated users, from the audit of the period API)
      p.closedBy ? h('div', { class: 'small', 'data-col': 'by' }, S.periods.by(p.closedBy, p.reopenedBy)) : null,
    ),
    h('td', { class: 'small', 'data-col': 'due' }, dueCell(p)),
    h('td', { class: 'num' }, String(p.latePending)),
    h(
      'td',
      {},
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { 'data-action': 'close', disabled: !closable, onclick: () => act('close', p.period, p.taxpayer) },
          S.periods.close,
        ),
        h(
          'button',
          {
            class: 'secondary',
            'data-action': 'reopen',
            disabled: !reopenable,
            onclick: () => act('reopen', p.period, p.taxpayer),
          },
          S.periods.reopen,
        ),
      ),
    ),
    h('td', {}, h('div', { class: 'actions' }, exportLinks(p))),
  );
}

/** The preview of a close: what it would freeze, what must be acknowledged, Confirm and Cancel. */
function previewPanel(pv, onConfirm, onCancel) {
  const P = S.periods.preview;
  const ack = h('textarea', { name: 'acknowledgement', rows: 2, cols: 60 });
  /** A check to acknowledge, worded in the page's language (the server sends it as data). */
  const checkText = (c) =>
    c.kind === 'silent'
      ? P.checkSilent(c.meters.length, c.meters.join(', '))
      : c.kind === 'invoice'
        ? c.status === 'metered-above-invoiced'
          ? P.checkInvoiceAbove(c.site, c.month, groupDigits(c.invoicedKwh), groupDigits(c.ledgerKwh))
          : P.checkInvoiceOut(
              c.site,
              c.month,
              groupDigits(c.invoicedKwh),
              groupDigits(c.ledgerKwh),
              groupDigits(String(c.differencePct ?? '—')),
              c.minPct,
              c.maxPct,
            )
        : c.kind === 'seal'
          ? P.checkSeal(c.problem)
          : P.checkShare(
              pv.taxpayerNames?.[c.taxpayerBin] ?? c.taxpayerBin,
              groupDigits(String(c.substitutedPct)),
              groupDigits(c.substitutedKwh),
              c.limitPct,
            );
  const rows = pv.rows.map((r) =>
    h(
      'tr',
      {},
      h(
        'td',
        {},
        pv.taxpayerNames?.[r.taxpayerBin] ?? r.taxpayerBin,
        pv.taxpayerNames?.[r.taxpayerBin] ? h('div', { class: 'small muted' }, r.taxpayerBin) : null,
      ),
      h('td', {}, S.sources[r.energySource] ?? r.energySource),
      h('td', { class: 'num' }, groupDigits(r.meteredKwh)),
      h('td', { class: 'num' }, groupDigits(r.substitutedKwh)),
      h('td', { class: 'num' }, S.periods.pct(groupDigits(String(r.substitutedPct)))),
      h('td', { class: 'num' }, groupDigits(r.amountTenge)),
    ),
  );
  const c = P.cols;
  return h(
    'section',
    { class: 'preview', 'data-testid': 'close-preview' },
    h('h2', {}, P.title(pv.period, pv.taxpayer)),
    pv.closedVersion !== null ? notice(P.alreadyClosed(pv.closedVersion)) : null,
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [c.taxpayer, c.source, c.metered, c.substituted, c.share, c.amount].map((t, i) =>
            h('th', { class: i >= 2 ? 'num' : undefined }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        rows,
        h(
          'tr',
          { class: 'total' },
          h('td', { colspan: 5 }, P.total),
          h('td', { class: 'num', 'data-testid': 'preview-total' }, groupDigits(pv.totalAmountTenge)),
        ),
      ),
    ),
    h(
      'p',
      { 'data-testid': 'preview-silent' },
      pv.metersWithoutReadings.length ? P.silent(pv.metersWithoutReadings.join(', ')) : P.noSilent,
    ),
    pv.reconciliation?.length
      ? h('div', {}, h('h3', {}, S.reconciliation.previewTitle), reconciliationTable(pv.reconciliation))
      : null,
    pv.needsAcknowledgement.length
      ? h(
          'div',
          { class: 'notice notice-warn', 'data-testid': 'preview-flags' },
          h('strong', {}, P.needsAck),
          h(
            'ul',
            {},
            (pv.checks ?? []).map((c) => h('li', {}, checkText(c))),
          ),
          h('label', { class: 'stack' }, P.ackLabel, ack),
        )
      : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { 'data-action': 'confirm-close', onclick: () => onConfirm(ack.value.trim()) }, P.confirm),
      h('button', { class: 'secondary', 'data-action': 'cancel-close', onclick: onCancel }, P.cancel),
    ),
  );
}

export async function render(root) {
  const name = h('input', {
    type: 'text',
    name: 'closedBy',
    value: localStorage.getItem(NAME_KEY) ?? '',
    oninput: (e) => localStorage.setItem(NAME_KEY, e.target.value),
  });
  const reason = h('input', { type: 'text', name: 'reason', size: 40 });
  const other = h('input', { type: 'text', name: 'period', placeholder: S.periods.otherPlaceholder, size: 28 });
  const message = h('div', { 'data-testid': 'message' });
  const previewBox = h('div', {});
  const tbody = h('tbody', {});
  const reconBox = h('div', {});

  async function refresh() {
    const { periods } = await getJson('/api/periods');
    fill(
      tbody,
      periods.map((p) => periodRow(p, act)),
    );
    // The latest ended quarter beside the supplier's invoices (issue 24).
    const ended = periods.find((p) => p.state !== 'in-progress' && /^\d{4}-Q\d$/.test(p.period));
    if (ended && reconBox.dataset.period !== ended.period) {
      reconBox.dataset.period = ended.period;
      fill(reconBox, reconciliationSection(ended.period, ended.taxpayer));
    }
  }

  async function confirmClose(period, taxpayer, needsAck, ack) {
    if (needsAck && !ack) return fill(message, notice(S.periods.preview.needAckText, 'error'));
    const body = {
      ...(taxpayer && { taxpayer }),
      ...(reason.value.trim() && { reason: reason.value.trim() }),
      ...(needsAck && { acknowledgement: ack }),
      closedBy: name.value.trim(),
    };
    fill(message, notice(S.periods.closing(period)));
    try {
      const r = await postJson(`/api/periods/${encodeURIComponent(period)}/close`, body);
      fill(previewBox);
      fill(message, notice(S.periods.closed(period, r.version, r.created), 'ok'));
    } catch (err) {
      fill(message, notice(S.periods.failed(err.message), 'error'));
    }
    await refresh();
  }

  async function showPreview(period, taxpayer) {
    fill(message, notice(S.periods.preview.loading(period)));
    fill(previewBox);
    try {
      const q = taxpayer ? `?taxpayer=${encodeURIComponent(taxpayer)}` : '';
      const pv = await getJson(`/api/periods/${encodeURIComponent(period)}/preview${q}`);
      fill(message);
      const needsAck = pv.needsAcknowledgement.length > 0;
      fill(
        previewBox,
        previewPanel(
          pv,
          (ack) => confirmClose(period, taxpayer, needsAck, ack),
          () => fill(previewBox),
        ),
      );
      previewBox.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      fill(message, notice(S.periods.failed(err.message), 'error'));
    }
  }

  async function act(action, period, taxpayer) {
    const by = name.value.trim();
    if (!by) return fill(message, notice(S.periods.needName, 'error'));
    if (action === 'close') return showPreview(period, taxpayer);
    if (!reason.value.trim()) return fill(message, notice(S.periods.needReason, 'error'));
    fill(message, notice(S.common.loading));
    try {
      const r = await postJson(`/api/periods/${encodeURIComponent(period)}/reopen`, {
        ...(taxpayer && { taxpayer }),
        reason: reason.value.trim(),
        reopenedBy: by,
      });
      fill(message, notice(S.periods.reopened(period, r.reopenedVersion), 'ok'));
    } catch (err) {
      fill(message, notice(S.periods.failed(err.message), 'error'));
    }
    await refresh();
  }

  const c = S.periods.cols;
  fill(
    root,
    h('h1', {}, S.periods.title),
    h('p', { class: 'muted' }, S.periods.intro),
    h('div', { class: 'form-row' }, h('label', {}, S.periods.closedBy, name), h('label', {}, S.periods.reason, reason)),
    message,
    previewBox,
    h(
      'table',
      { 'data-testid': 'periods' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [c.period, c.taxpayer, c.state, c.due, c.late, c.actions, c.exports].map((t, i) =>
            h('th', { class: i === 4 ? 'num' : undefined }, t),
          ),
        ),
      ),
      tbody,
    ),
    reconBox,
    h('h2', {}, S.periods.closeOther),
    h(
      'div',
      { class: 'form-row' },
      other,
      h(
        'button',
        { 'data-action': 'close-other', onclick: () => other.value.trim() && act('close', other.value.trim(), null) },
        S.periods.close,
      ),
    ),
  );
  await refresh();
}
