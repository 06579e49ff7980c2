/** The reading line as stored (README "Data model"): what each field is for, and nothing written twice. */
import { describe, expect, it } from 'vitest';
import { dirtyMarkLine, intText, readingLine } from '../../../src/store/schema.ts';

const r = {
  meterId: 'ekb-1-m01',
  siteId: 'ekb 1',
  tsMs: 1_790_000_060_000,
  registerWh: 1_234_567,
  status: 'ok',
} as const;

describe('readingLine', () => {
  it('issue 27: four fields at most (wh, kw, fault, rx_ms); the time is the point time only (ts_ms was 27% of influxd per reading)', () => {
    const line = readingLine({ ...r, kw: 3 }, 1_790_000_060_250);
    expect(line).toBe(
      'reading,meter=ekb-1-m01,site=ekb\\ 1 wh=1234567i,kw=3.0,fault=0i,rx_ms=1790000060250i 1790000060000000000',
    );
    expect(line).not.toMatch(/ts_ms/);
  });

  it('a fault reading without power: fault=1i, no kw field', () => {
    expect(readingLine({ ...r, status: 'fault' }, 1_790_000_060_250)).toBe(
      'reading,meter=ekb-1-m01,site=ekb\\ 1 wh=1234567i,fault=1i,rx_ms=1790000060250i 1790000060000000000',
    );
  });
});

describe('intText (issue 27: epoch milliseconds as text without the double-to-shortest conversion)', () => {
  it('is String(n) for every integer around its bounds and for non-integers', () => {
    const edges = [0, 1, 999_999, 1_000_000, 1_000_001, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 2 ** 32 + 7, 1_790_000_060_000];
    const more = [1_790_000_000_000, 1_790_000_999_999, 4_102_444_800_000, Number.MAX_SAFE_INTEGER, 1e15, 1e15 + 1];
    const odd = [-1, -(2 ** 31) - 5, 0.5, 2 ** 31 + 0.5, 2 ** 53, 1e21, Number.NaN, Infinity];
    for (const n of [...edges, ...more, ...odd]) expect(intText(n), String(n)).toBe(String(n));
    for (let i = 0; i < 10_000; i++) {
      const n = Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
      expect(intText(n)).toBe(String(n));
    }
  });

  it('rollup marks keep their text', () => {
    const hour = 1_789_999_200_000;
    // slot: 1,790,000,060,250 cut to 10 minutes; the hour's index in the nanosecond digits.
    expect(dirtyMarkLine('ekb-1-m01', hour, 1_790_000_060_250, 600_000)).toBe(
      `rollup_dirty,meter=ekb-1-m01 hour_ms=1789999200000i 1789999800000${String((hour / 3_600_000) % 1_000_000).padStart(6, '0')}`,
    );
  });
});
