/**
 * How finely to chart a meter over a range: raw readings while they are few, else InfluxQL buckets
 * (GROUP BY time) of a round size, so a quarter of 1-minute readings stays about a thousand points. Pure;
 * the queries are in store/query/meter-series.ts.
 */
import type { ChartSeries, Resolution } from '../../store/query/meter-series.ts';

export const MAX_CHART_POINTS = 1000;
const BUCKETS_S = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400] as const;

export function chooseResolution(
  rangeMs: number,
  reportingIntervalS: number,
  maxPoints = MAX_CHART_POINTS,
): Resolution {
  if (rangeMs / (reportingIntervalS * 1000) <= maxPoints) return { raw: true };
  const wantS = Math.max(reportingIntervalS, rangeMs / 1000 / maxPoints);
  return { raw: false, bucketS: BUCKETS_S.find((b) => b >= wantS) ?? BUCKETS_S[BUCKETS_S.length - 1]! };
}

/**
 * Raw readings: a null point just after each pause longer than `maxGapS`, so the chart shows the gap
 * instead of a line across it (grouped series have their empty buckets as nulls already).
 */
export function breakGaps(s: ChartSeries, maxGapS: number): ChartSeries {
  const out: ChartSeries = { t: [], kw: [], wh: [] };
  for (let i = 0; i < s.t.length; i++) {
    const t = s.t[i]!;
    const prev = out.t.at(-1);
    if (prev !== undefined && t - prev > maxGapS) {
      out.t.push(prev + 1);
      out.kw.push(null);
      out.wh.push(null);
    }
    out.t.push(t);
    out.kw.push(s.kw[i] ?? null);
    out.wh.push(s.wh[i] ?? null);
  }
  return out;
}
