/**
 * Tax periods for accountants: each period's state, due dates and late readings; Close and Reopen call
 * the period API (/api/periods/:period/close|reopen) and the exports of a closed version download from it.
 */
import { S } from '../strings.js';
import { fill, h, notice } from '../lib/dom.js';
import { getJson, postJson } from '../lib/api.js';

const NAME_KEY = 'kzmeter.closedBy';

function exportLinks(p) {
  if (p.version === null) return [];
  const q = new URLSearchParams({ version: String(p.version), ...(p.taxpayer && { taxpayer: p.taxpayer }) });
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

function periodRow(p, act) {
  const closable = p.state === 'open' || p.state.startsWith('reopened');
  const reopenable = p.state.startsWith('closed');
  const due = p.dueDates.map((d) => S.periods.due(d.declareBy, d.payBy)).join('; ');
  return h(
    'tr',
    { 'data-period': p.period, 'data-taxpayer': p.taxpayer ?? '' },
    h('td', {}, p.period),
    h('td', {}, p.taxpayer ?? S.periods.allTaxpayers),
    h('td', { 'data-col': 'state' }, p.state === 'in-progress' ? S.periods.inProgress : p.state),
    h('td', { class: 'small' }, due || S.common.none),
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
  const tbody = h('tbody', {});

  async function refresh() {
    const { periods } = await getJson('/api/periods');
    fill(
      tbody,
      periods.map((p) => periodRow(p, act)),
    );
  }

  async function act(action, period, taxpayer) {
    const by = name.value.trim();
    if (!by) return fill(message, notice(S.periods.needName, 'error'));
    if (action === 'reopen' && !reason.value.trim()) return fill(message, notice(S.periods.needReason, 'error'));
    const body = { ...(taxpayer && { taxpayer }), ...(reason.value.trim() && { reason: reason.value.trim() }) };
    fill(message, notice(action === 'close' ? S.periods.closing(period) : S.common.loading));
    try {
      const url = `/api/periods/${encodeURIComponent(period)}/${action}`;
      const r =
        action === 'close'
          ? await postJson(url, { ...body, closedBy: by })
          : await postJson(url, { ...body, reopenedBy: by });
      fill(
        message,
        notice(
          action === 'close'
            ? S.periods.closed(period, r.version, r.created)
            : S.periods.reopened(period, r.reopenedVersion),
          'ok',
        ),
      );
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
