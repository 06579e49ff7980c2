import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROJECTION_WINDOW_MS, feeInWindow, projectQuarter } from '../../../src/http/dashboard/projection.ts';

const H = 3_600_000;
const Q = { fromMs: 0, toMs: 2208 * H };
const line = (fromH: number, toH: number, feeMilliTiyn: number) => ({ fromMs: fromH * H, toMs: toH * H, feeMilliTiyn });

describe('feeInWindow', () => {
  it.each([
    { name: 'a line inside the window counts whole', lines: [line(10, 12, 500)], from: 0, to: 24, want: 500 },
    { name: 'a line half in the window counts half', lines: [line(0, 10, 1000)], from: 5, to: 24, want: 500 },
    { name: 'lines outside count nothing', lines: [line(0, 5, 1000), line(30, 40, 7)], from: 5, to: 30, want: 0 },
    { name: 'prorated parts add up', lines: [line(0, 3, 300), line(3, 9, 600)], from: 2, to: 4, want: 100 + 100 },
  ])('$name', ({ lines, from, to, want }) => {
    expect(feeInWindow(lines, from * H, to * H)).toBe(want);
  });
});

describe('projectQuarter: accrued + fee of the last 24 h / 24 h x hours left', () => {
  it('a quarter that is over projects what accrued', () => {
    const lines = [line(0, 1000, 123_456), line(1000, 2208, 654_321)];
    const p = projectQuarter(lines, { ...Q, asOfMs: Q.toMs });
    expect(p.remainingMs).toBe(0);
    expect(p.projectedMilliTiyn).toBe(123_456 + 654_321);
  });

  it("carries the last day's rate, not the quarter average, to the end", () => {
    // 100 h substituted at a high rate long ago, then a steady metered rate up to now (hour 500).
    const rate = 2_000; // milli-tiyn per hour
    const lines = [line(0, 100, 900_000), line(100, 500, 400 * rate)];
    const p = projectQuarter(lines, { ...Q, asOfMs: 500 * H });
    expect(p.windowMs).toBe(PROJECTION_WINDOW_MS);
    expect(p.windowFeeMilliTiyn).toBe(24 * rate);
    expect(p.accruedMilliTiyn).toBe(900_000 + 400 * rate);
    expect(p.projectedMilliTiyn).toBe(p.accruedMilliTiyn + (2208 - 500) * rate);
  });

  it('in the first day the window is the time elapsed', () => {
    const p = projectQuarter([line(0, 6, 600)], { ...Q, asOfMs: 6 * H });
    expect(p.windowMs).toBe(6 * H);
    expect(p.projectedMilliTiyn).toBe(2208 * 100);
  });

  it('property: a steady accrual projects to the steady rate times the quarter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 25, max: 2207 }), fc.integer({ min: 1, max: 1_000_000 }), (elapsedH, ratePerH) => {
        const p = projectQuarter([line(0, elapsedH, elapsedH * ratePerH)], { ...Q, asOfMs: elapsedH * H });
        expect(p.projectedMilliTiyn).toBe(2208 * ratePerH);
      }),
    );
  });
});
