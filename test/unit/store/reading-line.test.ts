/** The reading line as stored (README "Data model"): what each field is for, and nothing written twice. */
import { describe, expect, it } from 'vitest';
import { readingLine } from '../../../src/store/schema.ts';

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
