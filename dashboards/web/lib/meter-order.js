/**
 * Order and filter of the meters grid (pure). Default order: the meters that cost money first —
 * offline, then fault, then never seen, then online — and among them the longest down first.
 */

export const STATE_RANK = { offline: 0, fault: 1, 'never-seen': 2, online: 3 };

const rank = (r) => STATE_RANK[r.live.state] ?? 9;
/** Nulls sort last whatever the direction. */
const cmp = (a, b) =>
  a === b ? 0 : a === null || a === undefined ? 1 : b === null || b === undefined ? -1 : a < b ? -1 : 1;

/** Sort keys of the grid's columns. */
export const SORT_KEYS = {
  id: (r) => r.id,
  site: (r) => r.site,
  source: (r) => r.source,
  state: rank,
  lastReading: (r) => r.live.lastReadingAt,
  load: (r) => r.live.loadPct,
  substituted: (r) => r.ledger?.substitutedFeeMilliTiyn ?? null,
  substitutingSince: (r) => r.ledger?.substitutingSince ?? null,
};

export function defaultOrder(a, b) {
  return rank(a) - rank(b) || cmp(a.live.since, b.live.since) || cmp(a.id, b.id);
}

/** A sorted copy: by `key` ('asc' | 'desc', nulls last) with the default order breaking ties; no key = default order. */
export function sortRows(rows, key, dir = 'asc') {
  const get = key ? SORT_KEYS[key] : undefined;
  if (!get) return [...rows].sort(defaultOrder);
  const sign = dir === 'desc' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const va = get(a);
    const vb = get(b);
    if (va === null || va === undefined || vb === null || vb === undefined) return cmp(va, vb) || defaultOrder(a, b);
    return sign * cmp(va, vb) || defaultOrder(a, b);
  });
}

/** Rows whose id or site contains `text` (any case), in `state` and at `site` when given. */
export function filterRows(rows, { text = '', state = '', site = '' } = {}) {
  const t = text.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!t ||
        r.id.toLowerCase().includes(t) ||
        r.site.toLowerCase().includes(t) ||
        (r.siteName ?? '').toLowerCase().includes(t)) &&
      (!state || r.live.state === state) &&
      (!site || r.site === site),
  );
}
