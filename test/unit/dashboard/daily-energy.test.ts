/** Daily bars: ledger lines spread over local days in proportion to time, integer Wh adding up exactly. */
import { describe, expect, it } from 'vitest';
import { dailyEnergy, dayStarts } from '../../../src/http/dashboard/daily-energy.ts';
import type { LedgerLine } from '../../../src/fees/types.ts';

const H = 3_600_000;
const D1 = Date.parse('2026-10-01T00:00:00+05:00');
const site = { id: 's', timeZone: 'Asia/Almaty' };
const line = (fromH: number, toH: number, energyWh: number, over: Partial<LedgerLine> = {}): LedgerLine =>
  ({
    siteId: 's',
    energySource: 'grid',
    basis: 'metered',
    fromMs: D1 + fromH * H,
    toMs: D1 + toH * H,
    energyWh,
    ...over,
  }) as LedgerLine;

describe('dailyEnergy', () => {
  it('splits a line over the local days it covers in proportion to time', () => {
    // 12:00 on day 1 to 12:00 on day 3: 12 h, 24 h, 12 h of 48 h.
    const [d] = dailyEnergy([line(12, 60, 48_000)], [site], D1, D1 + 3 * 24 * H);
    expect(d!.days).toEqual(['2026-10-01', '2026-10-02', '2026-10-03']);
    expect(d!.sources.grid!.map((x) => x.meteredWh)).toEqual([12_000, 24_000, 12_000]);
  });

  it('keeps integers that add up to the line: 10 Wh over 12 h / 24 h / 12 h is 2 + 5 + 3', () => {
    // Cumulative floors: floor(10 x 12/48) = 2, floor(10 x 36/48) = 7, 10.
    const [d] = dailyEnergy([line(12, 60, 10)], [site], D1, D1 + 3 * 24 * H);
    expect(d!.sources.grid!.map((x) => x.meteredWh)).toEqual([2, 5, 3]);
  });

  it('keeps sources, bases and sites apart', () => {
    const lines = [
      line(0, 24, 1_000),
      line(24, 48, 2_400, { basis: 'substituted', reason: 'gap' }),
      line(0, 48, 4_800, { energySource: 'renewable' }),
      line(0, 48, 9_999, { siteId: 'other' }),
    ];
    const [d] = dailyEnergy(lines, [site], D1, D1 + 2 * 24 * H);
    expect(d!.sources.grid).toEqual([
      { meteredWh: 1_000, substitutedWh: 0 },
      { meteredWh: 0, substitutedWh: 2_400 },
    ]);
    expect(d!.sources.renewable!.map((x) => x.meteredWh)).toEqual([2_400, 2_400]);
  });

  it('cuts days at local midnight: Q1 2024 in Almaty has 91 days, the last starting 2024-03-31 00:00+05:00', () => {
    const from = Date.parse('2024-01-01T00:00:00+06:00');
    const to = Date.parse('2024-04-01T00:00:00+05:00');
    const { dates, startsMs } = dayStarts(from, to, 'Asia/Almaty');
    expect(dates).toHaveLength(91);
    expect(startsMs.at(-2)).toBe(Date.parse('2024-03-31T00:00:00+05:00'));
    expect(startsMs.at(-1)).toBe(to);
  });
});
