/**
 * How finely to chart a meter over a range: raw readings while they are few, else InfluxQL buckets
 * (GROUP BY time) of a round size, so a quarter of 1-minute readings stays about a thousand points. Pure.
 */
import { ident, literal, ms } from '../../store/query/syntax.ts';

export const MAX_CHART_POINTS = 1000;
const BUCKETS_S = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400] as const;

export type Resolution = { readonly raw: true } | { readonly raw: false; readonly bucketS: number };

export function chooseResolution(
  rangeMs: number,
  reportingIntervalS: number,
  maxPoints = MAX_CHART_POINTS,
): Resolution {
  if (rangeMs / (reportingIntervalS * 1000) <= maxPoints) return { raw: true };
  const wantS = Math.max(reportingIntervalS, rangeMs / 1000 / maxPoints);
  return { raw: false, bucketS: BUCKETS_S.find((b) => b >= wantS) ?? BUCKETS_S[BUCKETS_S.length - 1]! };
}

/** kW (mean per bucket) and register (last per bucket) of one meter in [fromMs, toMs). */
export function seriesQuery(meterId: string, fromMs: number, toMs: number, res: Resolution): string {
  const where = `WHERE ${ident('meter')} = ${literal(meterId)} AND time >= ${ms(fromMs)} AND time < ${ms(toMs)}`;
  if (res.raw) return `SELECT "kw", "wh" FROM "reading" ${where}`;
  return `SELECT mean("kw") AS "kw", last("wh") AS "wh" FROM "reading" ${where} GROUP BY time(${res.bucketS}s)`;
}

export const REJECTED_LIMIT = 200;

/** The most recent rejected messages of one meter in [fromMs, toMs), newest first, and their count. */
export function rejectedQueries(
  meterId: string,
  fromMs: number,
  toMs: number,
  limit = REJECTED_LIMIT,
): { list: string; count: string } {
  const where = `WHERE ${ident('meter')} = ${literal(meterId)} AND time >= ${ms(fromMs)} AND time < ${ms(toMs)}`;
  return {
    list: `SELECT "reason", "topic", "detail", "payload", "bytes" FROM "rejected" ${where} ORDER BY time DESC LIMIT ${limit}`,
    // One record may stand for many rejected readings (its "count"); records from before "count" existed
    // stand for one each: total = sum(count) + records - records with a count.
    count: `SELECT count("bytes") AS "n", count("count") AS "nc", sum("count") AS "s" FROM "rejected" ${where}`,
  };
}

export interface ChartSeries {
  /** Epoch seconds. */
  readonly t: number[];
  readonly kw: (number | null)[];
  /** Register, integer Wh. */
  readonly wh: (number | null)[];
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
