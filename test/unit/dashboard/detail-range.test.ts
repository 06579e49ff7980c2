import { describe, expect, it } from 'vitest';
import { DEFAULT_DETAIL_RANGE_MS, resolveDetailRange } from '../../../src/http/dashboard/detail-range.ts';
import { zonedMidnightMs } from '../../../src/fees/index.ts';

const NOW = Date.parse('2025-08-10T12:00:00Z');
const ZONE = 'Asia/Almaty';

describe('meter detail range', () => {
  it('neither from nor to: the last 24 hours', () => {
    expect(resolveDetailRange({}, ZONE, NOW)).toEqual({
      ok: true,
      value: { fromMs: NOW - DEFAULT_DETAIL_RANGE_MS, toMs: NOW },
    });
  });

  it('dates are local midnights at the site; date-times keep their offset', () => {
    const r = resolveDetailRange({ from: '2025-07-01', to: '2025-07-01T06:00+05:00' }, ZONE, NOW);
    expect(r).toEqual({
      ok: true,
      value: {
        fromMs: zonedMidnightMs({ year: 2025, month: 7, day: 1 }, ZONE),
        toMs: Date.parse('2025-07-01T01:00:00Z'),
      },
    });
  });

  it.each([
    { q: { from: '2025-02-31', to: '2025-03-02' }, reason: /from: '2025-02-31' is not a valid date/ },
    { q: { from: '2025-07-02', to: '2025-07-01' }, reason: /from must be before to/ },
    { q: { from: '2025-09-01', to: '2025-09-02' }, reason: /in the future/ },
    { q: { from: '2024-01-01', to: '2025-08-01' }, reason: /longer than 400 days/ },
  ])('refuses $q.from .. $q.to', ({ q, reason }) => {
    const r = resolveDetailRange(q, ZONE, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
