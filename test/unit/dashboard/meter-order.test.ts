import { describe, expect, it } from 'vitest';
import { type OrderRow, defaultOrder, filterRows, sortRows } from '../../../dashboards/web/lib/meter-order.js';

const row = (id: string, state: string, since: string | null = null, extra: Partial<OrderRow> = {}): OrderRow => ({
  id,
  site: id.slice(0, 5),
  live: { state, since, lastReadingAt: null, loadPct: null },
  ledger: null,
  ...extra,
});

const rows = [
  row('ekb-1-m01', 'online'),
  row('ekb-1-m02', 'offline', '2025-08-01T10:00:00.000Z'),
  row('kpg-2-m01', 'never-seen'),
  row('ast-3-m01', 'fault'),
  row('ast-3-m02', 'offline', '2025-08-01T08:00:00.000Z'),
];

describe('meters grid order', () => {
  it('default: offline first (longest down first), then fault, never seen, online', () => {
    expect(sortRows(rows).map((r) => r.id)).toEqual(['ast-3-m02', 'ekb-1-m02', 'ast-3-m01', 'kpg-2-m01', 'ekb-1-m01']);
    expect([...rows].sort(defaultOrder)).toEqual(sortRows(rows));
  });

  it('by a column, both directions; missing values last either way; ties in the default order', () => {
    const withLoad = rows.map((r, i) => ({ ...r, live: { ...r.live, loadPct: i === 2 ? null : i * 10 } }));
    const asc = sortRows(withLoad, 'load', 'asc').map((r) => r.live.loadPct);
    const desc = sortRows(withLoad, 'load', 'desc').map((r) => r.live.loadPct);
    expect(asc).toEqual([0, 10, 30, 40, null]);
    expect(desc).toEqual([40, 30, 10, 0, null]);
    expect(sortRows(rows, 'site').map((r) => r.id)).toEqual([
      'ast-3-m02',
      'ast-3-m01',
      'ekb-1-m02',
      'ekb-1-m01',
      'kpg-2-m01',
    ]);
  });

  it('an unknown column falls back to the default order', () => {
    expect(sortRows(rows, 'nope')).toEqual(sortRows(rows));
  });

  it('filters by text (id or site), state and site', () => {
    expect(filterRows(rows, { text: 'AST' }).map((r) => r.id)).toEqual(['ast-3-m01', 'ast-3-m02']);
    expect(filterRows(rows, { state: 'offline' }).map((r) => r.id)).toEqual(['ekb-1-m02', 'ast-3-m02']);
    expect(filterRows(rows, { site: 'ekb-1', state: 'online' }).map((r) => r.id)).toEqual(['ekb-1-m01']);
    expect(filterRows(rows, {})).toHaveLength(rows.length);
  });
});
