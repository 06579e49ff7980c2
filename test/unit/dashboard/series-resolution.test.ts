import { describe, expect, it } from 'vitest';
import { MAX_CHART_POINTS, breakGaps, chooseResolution } from '../../../src/http/dashboard/series-resolution.ts';
import { rejectedQueries, seriesQuery } from '../../../src/store/query/meter-series.ts';

const H = 3_600_000;
const D = 24 * H;

describe('chart resolution', () => {
  it.each([
    { name: 'a day of 1-minute readings is drawn raw', rangeMs: D, intervalS: 60 },
    { name: 'a week of 5-minute readings is drawn raw', rangeMs: 7 * D, intervalS: 300 },
    { name: 'a month of 1-minute readings is grouped', rangeMs: 30 * D, intervalS: 60 },
    { name: 'a quarter of 1-minute readings is grouped', rangeMs: 92 * D, intervalS: 60 },
    { name: 'a year of 1-hour readings is grouped', rangeMs: 366 * D, intervalS: 3600 },
  ])('$name, within the point budget', ({ rangeMs, intervalS }) => {
    const r = chooseResolution(rangeMs, intervalS);
    const points = r.raw ? rangeMs / (intervalS * 1000) : rangeMs / (r.bucketS * 1000);
    expect(points).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(r.raw).toBe(rangeMs / (intervalS * 1000) <= MAX_CHART_POINTS);
    if (!r.raw) expect(r.bucketS).toBeGreaterThanOrEqual(intervalS);
  });

  it('InfluxQL: raw selects fields, grouped asks for mean kW and last register per bucket', () => {
    expect(seriesQuery("m'1", 0, 1000, { raw: true })).toBe(
      `SELECT "kw", "wh" FROM "reading" WHERE "meter" = 'm\\'1' AND time >= 0ms AND time < 1000ms`,
    );
    expect(seriesQuery('m1', 0, 1000, { raw: false, bucketS: 300 })).toMatch(
      /mean\("kw"\).*last\("wh"\).*GROUP BY time\(300s\)$/,
    );
    const q = rejectedQueries('m1', 0, 1000, 50);
    expect(q.list).toMatch(/FROM "rejected" WHERE "meter" = 'm1' .* ORDER BY time DESC LIMIT 50$/);
    expect(q.count).toMatch(/count\("bytes"\)/);
  });
});

describe('breakGaps', () => {
  it('puts a null after a pause longer than the limit, nowhere else', () => {
    const s = { t: [0, 60, 120, 600, 660], kw: [1, 2, 3, 4, 5], wh: [10, 20, 30, 40, 50] };
    const out = breakGaps(s, 180);
    expect(out.t).toEqual([0, 60, 120, 121, 600, 660]);
    expect(out.kw).toEqual([1, 2, 3, null, 4, 5]);
    expect(out.wh).toEqual([10, 20, 30, null, 40, 50]);
    expect(breakGaps(s, 1000)).toEqual(s);
  });
});
