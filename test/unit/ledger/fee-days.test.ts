import { describe, expect, it } from 'vitest';
import type { LedgerLine, MeterFacts } from '../../../src/fees/index.ts';
import { feeDaysOf, localDays } from '../../../src/ledger/fee-days.ts';
import { FEE_REASONS, feeDayLine } from '../../../src/store/schema.ts';

const facts: MeterFacts = {
  meterId: 'm 1',
  siteId: 'site,a',
  taxpayerBin: '940140000385',
  timeZone: 'Asia/Almaty',
  reportingIntervalS: 300,
  commissionedMs: 0,
  sources: [
    { fromMs: 0, source: 'grid' },
    { fromMs: Date.parse('2025-07-01T12:00:00Z'), source: 'renewable' },
  ],
  maxLoad: [{ fromMs: 0, maxLoadW: 10_000 }],
};

const line = (over: Partial<LedgerLine>): LedgerLine => ({
  meterId: 'm 1',
  siteId: 'site,a',
  taxpayerBin: '940140000385',
  fromMs: 0,
  toMs: 1,
  basis: 'metered',
  energySource: 'grid',
  energyWh: 1000,
  registerDeltaWh: 1000,
  maxLoadW: 10_000,
  rateTiynPerKwh: 200,
  feeMilliTiyn: 200_000,
  tariffId: 'kz-2024',
  tariffVersion: 1,
  rule: 'grid',
  taxQuarter: '2025-Q3',
  roundingRule: 'half-up-tenge',
  ...over,
});

describe('fee days', () => {
  it('cuts a range into local days (Asia/Almaty moved from UTC+6 to UTC+5 at 2024-03-01: 29 Feb had 25 hours)', () => {
    const days = localDays(Date.parse('2024-02-29T12:00:00Z'), Date.parse('2024-03-02T00:00:00Z'), 'Asia/Almaty');
    expect(days.map((d) => [new Date(d.startMs).toISOString(), (d.endMs - d.startMs) / 3_600_000])).toEqual([
      ['2024-02-28T18:00:00.000Z', 25],
      ['2024-02-29T19:00:00.000Z', 24],
      ['2024-03-01T19:00:00.000Z', 24],
    ]);
  });

  it('sums a day by source, basis and reason, one record per source of the meter', () => {
    const day = Date.parse('2025-06-30T19:00:00Z');
    const out = feeDaysOf(facts, day, [
      line({}),
      line({ basis: 'substituted', reason: 'gap', energyWh: 500, feeMilliTiyn: 100_000 }),
      line({ energySource: 'renewable', basis: 'substituted', reason: 'last-will', energyWh: 7, feeMilliTiyn: 700 }),
    ]);
    expect(out.map((d) => [d.source, d.quarter, d.lines, d.meteredWh, d.substitutedWh])).toEqual([
      ['grid', '2025-Q3', 2, 1000, 500],
      ['renewable', '2025-Q3', 1, 0, 7],
    ]);
    expect(out[0]!.meteredFeeMilliTiyn + out[0]!.substitutedFeeMilliTiyn).toBe(300_000);
  });

  it('writes every field every time (zeros included) so a rewrite overwrites the whole day', () => {
    const [d] = feeDaysOf(facts, Date.parse('2025-06-30T19:00:00Z'), [
      line({ basis: 'substituted', reason: 'fault-status' }),
    ]);
    const text = feeDayLine(d!);
    expect(text.startsWith('fee_1d,meter=m\\ 1,site=site\\,a,taxpayer=940140000385,source=grid,quarter=2025-Q3 ')).toBe(
      true,
    );
    expect(text).toContain('fee_milli_tiyn=200000i');
    expect(text).toContain('wh_fault_status=1000i');
    expect(text).toContain('wh_gap=0i');
    // the day's rounding unit goes with it: a line's rule (half-up-tenge here), for Grafana's amount due
    expect(text).toContain('round_unit_milli_tiyn=100000i');
    expect(text.split(' ')[2]!.split(',')).toHaveLength(8 + 2 * FEE_REASONS.length);
    expect(text.endsWith(` ${Date.parse('2025-06-30T19:00:00Z')}000000`)).toBe(true);
  });
});
